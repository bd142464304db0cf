"""`gensim.models.keyedvectors`'s names: KeyedVectors (Word2VecKeyedVectors is gensim's alias)."""

from wordvec.vectors import KeyedVectors

Word2VecKeyedVectors = KeyedVectors

__all__ = ["KeyedVectors", "Word2VecKeyedVectors"]
