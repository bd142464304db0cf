"""The C kernels (wordvec._kernels) and Phrases' word numbering (wordvec._phrases), the setuptools way: everything
else is declared in pyproject.toml.

The extensions are optional: without a C compiler (or Python's headers) the build says so and carries on, and
wordvec trains with its numba kernels instead (`pip install "wordvec[numba]"`) and numbers Phrases' words in
Python. No -march=native: a wheel must run on other
CPUs (the C file builds per-ISA clones of its loops instead).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("wordvec._kernels", sources=["src/wordvec/_kernels.c"],
                             extra_compile_args=["-O3", "-funroll-loops"], optional=True),
                   Extension("wordvec._phrases", sources=["src/wordvec/_phrases.c"], extra_compile_args=["-O2"],
                             optional=True)])
