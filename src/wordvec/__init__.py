"""wordvec: train and use word embeddings with PyTorch, from the Word2Vec lab to skip-gram and CBOW."""

from .config import PRESETS, Config, preset
from .errors import WordvecError

__version__ = "0.1.0"

_LAZY = {"KeyedVectors": "vectors", "Word2Vec": "word2vec", "train_pipeline": "pipeline"}


def __getattr__(name: str):
    """`wordvec.Word2Vec`, `wordvec.KeyedVectors`, ... imported on first use (torch is slow to import)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'wordvec' has no attribute {name!r}")


__all__ = ["Config", "PRESETS", "preset", "WordvecError", "KeyedVectors", "Word2Vec", "train_pipeline",
           "__version__"]
