"""`gensim.models.fasttext`'s names: FastText (training fastText's subword model), FastTextKeyedVectors and
Facebook's files (load_facebook_model, load_facebook_vectors, save_facebook_model)."""

from wordvec.fasttext import (FastTextKeyedVectors, FastTextModel, load_facebook_model, load_facebook_vectors,
                              save_facebook_model)
from wordvec.ftmodel import FastText

__all__ = ["FastText", "FastTextKeyedVectors", "FastTextModel", "load_facebook_model", "load_facebook_vectors",
           "save_facebook_model"]
