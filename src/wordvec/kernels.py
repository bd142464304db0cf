"""The CPU hot loop: Hogwild kernels for skip-gram and CBOW, negative sampling and/or hierarchical softmax, in C
(`wordvec._kernels`, built when wordvec is installed) or, where that extension is absent, in numba
(`wordvec.kernels_numba`).

The approach of word2vec.c and gensim's Cython: plain SGD, one (centre, context) example at a time, updating the
shared weight matrices in place without locks ("Hogwild"); several threads each run a kernel on their own slice of
the corpus with the GIL released. One kernel call trains one *chunk*: a token range of the encoded corpus (document
boundaries come from the offsets; windows never cross them). Inside a call, everything that word2vec does per token
happens in compiled code: subsampling, the reduced window, negative draws (alias table), the sigmoid (table lookup)
and the updates, with the learning rate decaying linearly across the chunk.

Each entry point trains hierarchical softmax (`hs`, inner-node matrix syn1), negative sampling (`negative` > 0,
matrix syn1neg) or both heads at once, as gensim does with hs=1 and negative > 0: both heads score the same input
vector and its update is the sum of both gradients (word2vec.c's neu1e). The sigmoid and its log come from tables of
EXP_TABLE_SIZE = 1000 points on [-6, 6); outside that range the sigmoid is saturated and, as in gensim, the example
makes no update (its loss still counts). Skip-gram with negative sampling can share one negative draw per centre
word across its context words (Ji et al. 2016, `shared_negatives`): k+1 output-row loads and k draws per centre word
instead of per pair. With the subword input (one input per window: the centre's rows predict its context words) each
shared noise row is scored once per window, at its value when the window starts, and weighted by the pairs it
serves: k dot products per window instead of k per pair. Randomness is a xorshift64* stream seeded per chunk, so a chunk's draws do not depend on which
thread runs it.

Both implementations run the same algorithm on the same random stream in float32 (the loss summed in double), so
they train the same vectors up to float rounding (tested). The C extension is the default: a process that trains
with it never loads numba's LLVM, scipy (which numba's first call imports) or numba's cache of compiled kernels, so
many small jobs start faster and in less memory. `WORDVEC_KERNELS=c` or `=numba` forces one.

The entry points, `train_skipgram` and `train_cbow`, take the same arguments, one table of them
(`wordvec.kernel_args.ARGS`: name, dtype, shape, meaning; the engine calls by keyword from it, and a test holds
the C keyword list and the numba signatures equal to it), and return (loss sum, examples, kept words, pairs).
The matrices and tables of a head that does not train may be (1, 1) / (1,) placeholders. Both implementations
check every argument before the loop (TypeError / ValueError: dtypes, shapes, contiguity, overlaps, ids in range,
learning rates finite as float32) and every Huffman or alias index as it is used; a NaN score (diverged weights)
updates nothing and makes the loss NaN, so no input can make them read or write outside their arrays.
An *example* is one (context -> centre) pair for skip-gram, one centre word for CBOW; with both heads its loss is
the sum of both.
"""

from __future__ import annotations

import importlib
import logging
import os

from .errors import WordvecError, require
from .kernel_args import ARGS, describe

__doc__ += "\nThe arguments (`kernel_args.ARGS`):\n" + describe() + "\n"

IMPLEMENTATIONS = ("c", "numba")
log = logging.getLogger("wordvec")


def implementation(name: str | None = None):
    """The module holding the kernels: `name` ('c' or 'numba'), else WORDVEC_KERNELS, else C where it was built.
    numba is imported only when it is the one returned; falling back to it is said once, as a warning."""
    name = name or os.environ.get("WORDVEC_KERNELS") or None
    if name not in (None, *IMPLEMENTATIONS):
        raise WordvecError(f"WORDVEC_KERNELS={name!r} is not a kernel implementation; use one of "
                           f"{', '.join(IMPLEMENTATIONS)} or unset it")
    if name != "numba":
        try:  # through sys.modules, not the package attribute, so that a module marked absent counts as absent
            _kernels = importlib.import_module(f"{__package__}._kernels")
        except ImportError as e:
            if name == "c":
                raise WordvecError(f"the C kernels (wordvec._kernels) are not built ({e}); reinstall wordvec where "
                                   f"a C compiler and Python's headers are present, or set WORDVEC_KERNELS=numba"
                                   ) from None
            missing = str(e)
        else:
            return _kernels
    require("numba", "training without the C kernels (not built at install)" if name is None
            else "WORDVEC_KERNELS=numba")
    from . import kernels_numba

    if name is None and not _FALLBACK_SAID:
        _FALLBACK_SAID.append(True)
        log.warning("the C kernels were not built when wordvec was installed (%s); training with the numba "
                    "kernels instead (slower to start). Reinstall where a C compiler is present for the C ones",
                    missing)
    return kernels_numba


_FALLBACK_SAID: list = []


def name_of(module) -> str:
    """'c' or 'numba': which implementation a module from `implementation()` is (recorded in metrics.json)."""
    return "numba" if module.__name__.endswith("kernels_numba") else "c"


def kernel_for(sg: bool):
    """The entry point for an architecture, from `implementation()`."""
    impl = implementation()
    return impl.train_skipgram if sg else impl.train_cbow


def sample_noise(prob, alias, n_draws: int, seed: int):
    """`n_draws` negatives (int64) drawn exactly as the training kernels draw them (for tests of the noise
    distribution)."""
    return implementation().sample_noise(prob, alias, n_draws, seed)


__all__ = ["ARGS", "IMPLEMENTATIONS", "implementation", "name_of", "kernel_for", "sample_noise"]
