"""Text -> tokens. The lab's tokenizer (SPEC step 1.2), gensim's `simple_preprocess` and a plain whitespace one.

The lab's `split_tokens`: lower-case, keep only a-z @ # and space, split on runs of spaces, drop NLTK's English
stopwords and empty tokens, Snowball-stem the rest. Stemming dominates the cost, and tweets repeat words a lot,
so each distinct word is stemmed once and remembered.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
import types
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Iterator

from .errors import WordvecError

_NOT_KEPT = re.compile(r"[^a-z@# ]")
_SPACES = re.compile(r" +")
_UNSEEN = object()
log = logging.getLogger("wordvec")


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """NLTK's English stopword list (179 words), shipped with wordvec so it runs offline."""
    text = resources.files("wordvec").joinpath("data/stopwords_english.txt").read_text(encoding="utf-8")
    return frozenset(w for w in text.split("\n") if w)


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    """NLTK's English Snowball stemmer. `import nltk` imports scipy.stats and scikit-learn (seconds, 100+ MB),
    so unless nltk is already loaded only the stemmer's own modules are loaded (`_snowball_alone`)."""
    if "nltk" not in sys.modules:
        try:
            return _snowball_alone().SnowballStemmer("english").stem
        except Exception as e:  # another nltk layout: the full import below is correct, only slower
            log.debug("loading NLTK's stemmer alone failed (%s); importing nltk", e)
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english").stem


def _snowball_alone():
    """nltk.stem.snowball and the few modules it imports, without running `nltk/__init__.py`,
    `nltk/stem/__init__.py` or `nltk/corpus/__init__.py` (stand-in packages while it loads; the stopword corpus it
    names is used only with ignore_stopwords). sys.modules is restored afterwards, so a later `import nltk` is the
    real, whole package."""
    spec = importlib.util.find_spec("nltk")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nltk is not installed")
    root = list(spec.submodule_search_locations)
    before = {k: v for k, v in sys.modules.items() if k == "nltk" or k.startswith("nltk.")}
    stand_ins = {"nltk": root, "nltk.stem": [os.path.join(r, "stem") for r in root], "nltk.corpus": None}
    try:
        for name, path in stand_ins.items():
            module = types.ModuleType(name)
            if path is not None:
                module.__path__ = path
            else:
                module.stopwords = None
            sys.modules[name] = module
        return importlib.import_module("nltk.stem.snowball")
    finally:
        for name in [k for k in sys.modules if k == "nltk" or k.startswith("nltk.")]:
            if name not in before:
                del sys.modules[name]
        sys.modules.update(before)


class LabTokenizer:
    """The lab's `split_tokens`, with a memo of stems (same output, one stem call per distinct word)."""

    name = "lab"

    def __init__(self) -> None:
        self._stops = english_stopwords()
        self._stem = _stemmer()
        self._memo: dict[str, str | None] = {}  # raw word -> stem, or None for a stopword

    def __call__(self, text: str) -> list[str]:
        memo = self._memo
        out = []
        for word in _SPACES.split(_NOT_KEPT.sub("", text.lower())):
            stem = memo.get(word, _UNSEEN)
            if stem is _UNSEEN:
                stem = None if (not word or word in self._stops) else self._stem(word)
                memo[word] = stem
            if stem is not None:
                out.append(stem)
        return out


class SimpleTokenizer:
    """Lower-case and split on whitespace: for corpora that are already tokenised (text8, word2vec dumps)."""

    name = "simple"

    def __call__(self, text: str) -> list[str]:
        return text.lower().split()


#: gensim's PAT_ALPHABETIC without its capturing groups: runs of word characters that are not digits.
_ALPHABETIC = re.compile(r"(?:(?!\d)\w)+")


def deaccent(text: str | bytes) -> str:
    """gensim's `deaccent`: decompose (NFD), drop the combining marks, recompose (NFC)."""
    if not isinstance(text, str):
        text = text.decode("utf8")
    norm = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in norm if unicodedata.category(ch) != "Mn"))


def simple_tokenize(text: str) -> Iterator[str]:
    """Runs of unicode letters (word characters other than digits; `_` included, as in gensim)."""
    for match in _ALPHABETIC.finditer(text):
        yield match.group()


def tokenize(text, lowercase: bool = False, deacc: bool = False, encoding: str = "utf8", errors: str = "strict",
             to_lower: bool = False, lower: bool = False) -> Iterator[str]:
    """gensim's `tokenize`: decode bytes, optionally lower-case and remove accents, yield the letter runs."""
    if not isinstance(text, str):
        text = str(text, encoding, errors=errors)
    if lowercase or to_lower or lower:
        text = text.lower()
    if deacc:
        text = deaccent(text)
    return simple_tokenize(text)


def simple_preprocess(doc, deacc: bool = False, min_len: int = 2, max_len: int = 15) -> list[str]:
    """gensim's `simple_preprocess`: lower-cased letter runs of min_len..max_len characters, none starting with `_`."""
    if not isinstance(doc, str):
        doc = str(doc, "utf8", errors="ignore")
    doc = doc.lower()
    if deacc:
        doc = deaccent(doc)
    return [t for t in _ALPHABETIC.findall(doc) if min_len <= len(t) <= max_len and t[0] != "_"]


class GensimTokenizer:
    """gensim's `simple_preprocess` (defaults): the default for plain-text corpora, punctuation and digits dropped."""

    name = "gensim"

    def __call__(self, text: str) -> list[str]:
        return simple_preprocess(text)


_TOKENIZERS = {"lab": LabTokenizer, "simple": SimpleTokenizer, "gensim": GensimTokenizer}


def get_tokenizer(name: str) -> Callable[[str], list[str]]:
    if name not in _TOKENIZERS:
        raise WordvecError(f"unknown tokenizer {name!r}; use --tokenizer {', '.join(_TOKENIZERS)}")
    return _TOKENIZERS[name]()


def split_tokens(text: str) -> list[str]:
    """The lab's function for one text (a fresh memo each call: use `LabTokenizer` for many texts)."""
    return LabTokenizer()(text)


def tokenize_all(texts: Iterable[str], tokenizer: str | Callable[[str], list[str]] = "lab") -> list[list[str]]:
    """Tokenise every text with one tokenizer instance (so its stem memo is shared)."""
    tok = get_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
    return [tok(t) for t in texts]


__all__ = ["english_stopwords", "LabTokenizer", "SimpleTokenizer", "GensimTokenizer", "get_tokenizer", "deaccent",
           "simple_tokenize", "tokenize", "simple_preprocess", "split_tokens", "tokenize_all"]
