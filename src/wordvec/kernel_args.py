"""The CPU kernels' arguments, in one table: the C extension (`_kernels.c`'s KWLIST), the numba entry points and
the engine's call all follow it, and a test holds them equal. Adding an argument is one row here, then its use.

Each row is (name, kind, shape, what, written, default): kind is a numpy dtype name for an array, or 'int', 'bool',
'float' for a scalar; shape names an array's dimensions (V: words, E: vector size; a head that does not train takes
(1, 1) / (1,) placeholders for its arrays), () for a scalar; written: the loop updates the array in place. An
optional argument (a default other than REQUIRED) comes after every required one.
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

#: The default of an argument every call must give.
REQUIRED: Any = inspect.Parameter.empty


class Arg(NamedTuple):
    name: str
    kind: str  # numpy dtype name of an array; 'int', 'bool' or 'float' for a scalar
    shape: tuple[str, ...]  # the array's dimensions, () for a scalar
    what: str  # for the docs (kernels.py)
    written: bool = False  # the loop updates the array in place
    default: Any = REQUIRED

    @property
    def is_array(self) -> bool:
        return self.kind not in ("int", "bool", "float")

    @property
    def ndim(self) -> int:
        return len(self.shape)


ARGS: tuple[Arg, ...] = (
    Arg("ids", "int32", ("n",), "token ids; the chunk is ids[start:stop]"),
    Arg("offsets", "int64", ("docs + 1",), "document starts in ids (windows never cross them)"),
    Arg("start", "int", (), "the chunk's first token"),
    Arg("stop", "int", (), "one past the chunk's last token"),
    Arg("syn0", "float32", ("V", "E"), "input vectors", written=True),
    Arg("syn1", "float32", ("V - 1", "E"), "hierarchical softmax: inner-node vectors", written=True),
    Arg("codes", "uint8", ("V", "max code length"), "hierarchical softmax: each word's Huffman code"),
    Arg("points", "int32", ("V", "max code length"), "hierarchical softmax: each word's inner nodes"),
    Arg("lengths", "int32", ("V",), "hierarchical softmax: each word's code length"),
    Arg("syn1neg", "float32", ("V", "E"), "negative sampling: output vectors", written=True),
    Arg("prob", "float32", ("V",), "negative sampling: the noise alias table's probabilities"),
    Arg("alias", "int32", ("V",), "negative sampling: the noise alias table's aliases"),
    Arg("keep", "float32", ("V",), "per-word subsampling keep-probability"),
    Arg("hs", "bool", (), "train the hierarchical softmax head"),
    Arg("negative", "int", (), "noise words per example for the negative-sampling head (0: none)"),
    Arg("window", "int", (), "context words each side"),
    Arg("reduced_window", "bool", (), "draw the window in 1..window per centre word"),
    Arg("alpha0", "float", (), "learning rate at the chunk's first token"),
    Arg("alpha1", "float", (), "learning rate at the chunk's last token (linear in between)"),
    Arg("seed", "int", (), "seeds the chunk's random stream"),
    Arg("shared_negatives", "bool", (), "skip-gram with NS alone: one noise draw per centre word for its contexts"),
    Arg("cbow_mean", "bool", (), "CBOW: mean (True) or sum (False) of the context vectors"),
    Arg("lockf", "float32", ("V",), "a factor on each word's input-row updates (gensim's vectors_lockf; 0 freezes "
        "the row); None: every factor 1, the unchanged fast path", default=None),
    Arg("sub_offsets", "int64", ("V + 1",), "subwords (fastText): word w's input rows are "
        "sub_rows[sub_offsets[w]:sub_offsets[w + 1]], its vector their mean, its gradient added to each (skip-gram: "
        "the centre's rows predict its window, one summed update; negatives per pair); None: row w (word2vec)",
        default=None),
    Arg("sub_rows", "int32", ("nnz",), "subwords: the input rows (syn0 then has V + bucket rows; lockf one factor "
        "per row)", default=None),
)

NAMES: tuple[str, ...] = tuple(a.name for a in ARGS)
#: The arrays every call gives (an optional array, such as lockf or the subword rows, may be None and is checked where it is used).
ARRAYS: tuple[Arg, ...] = tuple(a for a in ARGS if a.is_array and a.default is REQUIRED)
#: The entry points' signature (train_skipgram, train_cbow), for introspection.
SIGNATURE = inspect.Signature([inspect.Parameter(a.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=a.default)
                               for a in ARGS])


def bind(func: str, args: tuple, kwargs: dict) -> dict:
    """Positional and keyword arguments as {name: value} in ARGS order, or the TypeError Python would raise."""
    if len(args) > len(NAMES):
        raise TypeError(f"{func}() takes at most {len(NAMES)} arguments ({len(args)} given)")
    bound = dict(zip(NAMES, args))
    for name, value in kwargs.items():
        if name not in NAMES:
            raise TypeError(f"{func}() got an unexpected keyword argument {name!r}")
        if name in bound:
            raise TypeError(f"{func}() got multiple values for argument {name!r}")
        bound[name] = value
    for a in ARGS:
        if a.name not in bound and a.default is not REQUIRED:
            bound[a.name] = a.default
    missing = [n for n in NAMES if n not in bound]
    if missing:
        raise TypeError(f"{func}() missing required argument{'s' if len(missing) > 1 else ''}: "
                        f"{', '.join(map(repr, missing))}")
    return {n: bound[n] for n in NAMES}


def describe() -> str:
    """The table as text (kernels.py's docs)."""
    def kind(a: Arg) -> str:
        return f"{a.kind} ({', '.join(a.shape)}{',' * (a.ndim == 1)})" if a.is_array else a.kind

    return "\n".join(f"  {a.name:17} {kind(a):28} {a.what}{' (updated in place)' * a.written}" for a in ARGS)


__all__ = ["Arg", "ARGS", "NAMES", "ARRAYS", "SIGNATURE", "REQUIRED", "bind", "describe"]
