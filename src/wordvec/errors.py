"""The one error type users see: a sentence that names the input and the fix (the CLI prints it, exits 2)."""


class WordvecError(ValueError):
    """Bad input or settings; the message says what is wrong and how to fix it."""
