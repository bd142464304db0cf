"""`gensim.models.word2vec`'s names: Word2Vec and the corpus readers."""

from wordvec.corpus import LineSentence, PathLineSentences, Text8Corpus
from wordvec.word2vec import Word2Vec

__all__ = ["Word2Vec", "LineSentence", "PathLineSentences", "Text8Corpus"]
