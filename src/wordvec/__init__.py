"""wordvec: train and use word embeddings with PyTorch, from the Word2Vec lab to skip-gram and CBOW."""

import os as _os

# Idle OpenMP threads sleep instead of spinning. The lab model runs many short parallel regions; on cores shared
# with other work, spinning threads steal the time the working ones need (measured on 2 shared cores: an epoch
# took 12-20 s spinning, 1.3-3.4 s passive). On an idle machine passive waiting costs ~0.2 s an epoch (0.94-1.03 s
# vs 0.68-0.84 s). Must be set before torch loads its OpenMP runtime; a value the user set wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .config import PRESETS, Config, preset
from .errors import WordvecError

__version__ = "0.1.0"

_LAZY = {"KeyedVectors": "vectors", "Word2Vec": "word2vec", "train_pipeline": "pipeline", "LineSentence": "corpus",
         "PathLineSentences": "corpus", "Text8Corpus": "corpus", "FastTextKeyedVectors": "fasttext",
         "load_facebook_model": "fasttext", "FastText": "ftmodel", "load_facebook_vectors": "fasttext", "save_facebook_model": "fasttext"}


def __getattr__(name: str):
    """`wordvec.Word2Vec`, `wordvec.KeyedVectors`, ... imported on first use (torch is slow to import)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'wordvec' has no attribute {name!r}")


__all__ = ["Config", "PRESETS", "preset", "WordvecError", "KeyedVectors", "Word2Vec", "LineSentence",
           "PathLineSentences", "Text8Corpus", "train_pipeline", "FastText", "FastTextKeyedVectors", "load_facebook_model",
           "load_facebook_vectors", "save_facebook_model", "__version__"]
