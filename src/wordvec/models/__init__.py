"""gensim's module paths: `from wordvec.models import Word2Vec, KeyedVectors, Phrases` and the submodules
`wordvec.models.word2vec`, `.keyedvectors`, `.phrases`, `.callbacks`, `.fasttext`, so that a gensim 4 script runs
after `sed 's/gensim/wordvec/g'`. A thin compatibility package: each name is re-exported from the module that owns it
(word2vec, vectors, phrases, corpus); nothing is defined here. The lab's network is `wordvec.network`."""

import importlib

_NAMES = {"Word2Vec": "word2vec", "KeyedVectors": "keyedvectors", "Phrases": "phrases", "FrozenPhrases": "phrases",
          "Phraser": "phrases", "LineSentence": "word2vec", "PathLineSentences": "word2vec",
          "Text8Corpus": "word2vec", "FastTextKeyedVectors": "fasttext", "FastText": "fasttext"}


def __getattr__(name: str):
    """Imported on first use, as `wordvec.Word2Vec` is (a CPU script never loads torch)."""
    if name in _NAMES:
        return getattr(importlib.import_module(f"wordvec.models.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'wordvec.models' has no attribute {name!r} (wordvec has Word2Vec, FastText, "
                         f"KeyedVectors and Phrases; not gensim's other models such as Doc2Vec)")


__all__ = list(_NAMES)
