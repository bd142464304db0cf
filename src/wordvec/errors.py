"""The one error type users see: a sentence that names the input and the fix (the CLI prints it, exits 2)."""


class WordvecError(ValueError):
    """Bad input or settings; the message says what is wrong and how to fix it."""


class DecodeError(WordvecError, UnicodeDecodeError):
    """Bytes that are not in the expected encoding: a WordvecError with a message naming the file and the place,
    and the UnicodeDecodeError gensim raises, so existing `except` clauses still catch it."""

    def __init__(self, message: str, err: UnicodeDecodeError):
        UnicodeDecodeError.__init__(self, err.encoding, err.object, err.start, err.end, err.reason)
        self.message = message

    def __str__(self) -> str:
        return self.message



class MissingExtra(WordvecError, ImportError):
    """An optional dependency that is not installed: names the pip extra that brings it (an ImportError too, so
    `except ImportError` still catches it)."""


#: Module -> the extra of `pip install "wordvec[EXTRA]"` that installs it.
EXTRAS = {"torch": "torch", "numba": "numba", "datasets": "hub", "pyarrow": "hub", "scipy": "eval",
          "sklearn": "eval", "tensorboard": "tensorboard", "ot": "wmd"}


def require(module: str, what: str):
    """Import `module`, or stop with one line naming what needed it and the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] != module.split(".")[0]:
            raise  # the package is there but broken: its own error says more
        extra = EXTRAS[module.split(".")[0]]
        raise MissingExtra(f"{what} needs {module.split('.')[0]}, which is not installed; "
                           f"pip install \"wordvec[{extra}]\"") from None


# --- raised by KeyedVectors and the word2vec format (importable from wordvec.vectors too) ---


class UnknownWordError(WordvecError, KeyError):
    """A query word outside the vocabulary: a WordvecError for the CLI, a KeyError for gensim-style code."""

    __str__ = Exception.__str__  # KeyError would quote the whole message


class UnknownAttributeError(WordvecError, KeyError):
    """A per-key attribute (gensim's vecattr, e.g. 'count') these vectors do not have."""

    __str__ = Exception.__str__


class VectorFileError(WordvecError):
    """A word2vec file that cannot be read as one (a ValueError, as gensim's parse errors are)."""


class TruncatedFileError(VectorFileError, EOFError):
    """The file ends before the rows its header announces (gensim raises EOFError here)."""


class WordDecodeError(VectorFileError, DecodeError):
    """A word whose bytes are not in the file's encoding (gensim raises UnicodeDecodeError here)."""


class UnsupportedError(WordvecError, NotImplementedError):
    """An option gensim accepts that wordvec does not implement (gensim raises NotImplementedError for some)."""


class EmptyWordListError(WordvecError, ZeroDivisionError):
    """n_similarity of an empty list (gensim raises ZeroDivisionError)."""


class MissingDependencyError(WordvecError, ImportError):
    """An optional package a method needs is not installed (gensim raises ImportError)."""


#: Command-line flags as gensim's API (Word2Vec) names them, for messages worded for both.
_API_NAMES = {"lr": "alpha", "min-lr": "min_alpha", "threads": "workers", "reduced-window": "shrink_windows",
              "dataset": "the corpus", "both-heads": "hs=1 with negative > 0", "model": "sg", "loss": "hs / negative",
              "text-column": "the corpus", "tokenizer": "the tokenisation"}


def api_words(text: str) -> str:
    """A message worded for the command line, in the Python API's words: each --flag becomes the parameter it
    stands for (--min-count: min_count, --lr: alpha, --dataset: the corpus)."""
    import re

    text = text.replace("--device cpu --backend hogwild", "device='cpu', backend='hogwild'")
    return re.sub(r"--(no-)?([a-z][a-z0-9-]*)",
                  lambda m: _API_NAMES.get(m.group(2), m.group(2).replace("-", "_")), text)
