"""`gensim.test.utils`: the toy corpus `common_texts`, temporary paths, and `datapath`.

wordvec ships no test corpora: `datapath(name)` finds gensim's own test files when gensim is installed (located,
not imported), and says so otherwise."""

import contextlib
import importlib.util
import os
import shutil
import tempfile

#: The nine titles of Deerwester et al.'s LSA example, tokenised (gensim's toy corpus).
common_texts = [
    ["human", "interface", "computer"],
    ["survey", "user", "computer", "system", "response", "time"],
    ["eps", "user", "interface", "system"],
    ["system", "human", "system", "eps"],
    ["user", "response", "time"],
    ["trees"],
    ["graph", "trees"],
    ["graph", "minors", "trees"],
    ["graph", "minors", "survey"],
]


def datapath(fname: str) -> str:
    """The path of gensim's test file `fname` (lee_background.cor, wordsim353.tsv, questions-words.txt, ...)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"datapath({fname!r}): wordvec ships no test corpora and gensim (whose test files "
                                f"these are) is not installed; give the file's path instead")
    return os.path.join(list(spec.submodule_search_locations)[0], "test", "test_data", fname)


def get_tmpfile(suffix: str) -> str:
    """A path named `suffix` in a new temporary folder (the file is not created)."""
    return os.path.join(tempfile.mkdtemp(), suffix)


@contextlib.contextmanager
def temporary_file(name: str = ""):
    """A path named `name` in a temporary folder removed afterwards."""
    folder = tempfile.mkdtemp()
    try:
        yield os.path.join(folder, name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


__all__ = ["common_texts", "datapath", "get_tmpfile", "temporary_file"]
