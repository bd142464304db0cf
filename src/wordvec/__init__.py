"""wordvec: train and use word embeddings with PyTorch, from the Word2Vec lab to skip-gram and CBOW."""

from .config import Config, PRESETS, preset
from .errors import WordvecError

__version__ = "0.1.0"

__all__ = ["Config", "PRESETS", "preset", "WordvecError", "__version__"]
