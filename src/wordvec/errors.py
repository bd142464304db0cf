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
