"""`gensim.utils`'s text helpers at gensim's path: simple_preprocess, tokenize, simple_tokenize, deaccent,
to_unicode. (gensim's `SaveLoad` pickles; wordvec's Word2Vec, KeyedVectors and Phrases each have save/load of
their own, without pickle.)"""

from .preprocess import deaccent, simple_preprocess, simple_tokenize, tokenize


def any2unicode(text, encoding: str = "utf8", errors: str = "strict") -> str:
    """str as is; bytes decoded."""
    return text if isinstance(text, str) else str(text, encoding, errors=errors)


to_unicode = any2unicode

__all__ = ["simple_preprocess", "tokenize", "simple_tokenize", "deaccent", "any2unicode", "to_unicode"]
