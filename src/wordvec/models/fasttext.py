"""`gensim.models.fasttext`'s names for reading and writing Facebook's files: FastTextKeyedVectors,
load_facebook_model, load_facebook_vectors, save_facebook_model. Training a subword model (gensim's `FastText`) is
not in wordvec yet: importing it says so."""

from wordvec.fasttext import (FastTextKeyedVectors, FastTextModel, load_facebook_model, load_facebook_vectors,
                              save_facebook_model)


def __getattr__(name: str):
    if name == "FastText":
        raise ImportError("wordvec cannot train fastText's subword model yet: FastText is not available. Read and "
                          "query fastText files with load_facebook_model / load_facebook_vectors, or train word2vec "
                          "vectors with wordvec.models.Word2Vec")
    raise AttributeError(f"module 'wordvec.models.fasttext' has no attribute {name!r}")


__all__ = ["FastTextKeyedVectors", "FastTextModel", "load_facebook_model", "load_facebook_vectors",
           "save_facebook_model"]
