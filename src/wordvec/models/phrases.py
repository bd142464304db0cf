"""`gensim.models.phrases`'s names (the implementation is `wordvec.phrases`)."""

from wordvec.phrases import (ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phraser, Phrases, npmi_scorer,
                             original_scorer)

__all__ = ["Phrases", "FrozenPhrases", "Phraser", "ENGLISH_CONNECTOR_WORDS", "original_scorer", "npmi_scorer"]
