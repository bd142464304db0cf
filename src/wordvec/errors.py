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

