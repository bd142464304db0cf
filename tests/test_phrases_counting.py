"""Phrases' word numbering: the C routine (wordvec._phrases) and the pure-Python fallback give the same ids, the
same counts and the same errors; the delimiter search over all words is `delimiter in word` for each."""

from __future__ import annotations

import random

import numpy as np
import pytest

from wordvec import phrases as phrases_module
from wordvec.phrases import ENGLISH_CONNECTOR_WORDS, CorpusTypeError, Phrases, _holding

HAVE_C = phrases_module._number_c is not None


def _sentences(seed=0, n=3000):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(400)] + ["new_york", "a_b"] + sorted(ENGLISH_CONNECTOR_WORDS)
    weights = [1 / (i + 1) for i in range(len(words))]
    out = [rng.choices(words, weights, k=rng.randint(0, 30)) for _ in range(n)]
    for i, s in enumerate(out):
        s[:0] = [["new", "york"], ["a", "b"], ["bank", "of", "america"]][i % 3]
    return out


def _model(sentences, monkeypatch, c: bool, **kw):
    if not c:
        monkeypatch.setattr(phrases_module, "_number_c", None)
    with monkeypatch.context() as m:
        m.setattr(phrases_module, "_CHUNK_TOKENS", 5000)  # many chunks: words numbered across them
        return Phrases(sentences, **kw)


@pytest.mark.skipif(not HAVE_C, reason="wordvec._phrases is not built")
@pytest.mark.parametrize("kw", [{"min_count": 2, "threshold": 1.0},
                                {"min_count": 2, "threshold": 0.1, "scoring": "npmi",
                                 "connector_words": ENGLISH_CONNECTOR_WORDS, "max_vocab_size": 3000}])
def test_c_and_python_number_alike(monkeypatch, kw):
    sentences = _sentences()
    c = _model(sentences, monkeypatch, True, **kw)
    py = _model(sentences, monkeypatch, False, **kw)
    assert c._words == py._words
    assert c.vocab == py.vocab and c.export_phrases() == py.export_phrases() and len(c.export_phrases()) > 3
    assert bytes(c._conn) == bytes(py._conn) and (c._table.uni == py._table.uni).all()
    first = list(dict.fromkeys(w for s in sentences for w in s))  # ids in first-seen order
    assert c._words == first


class Word(str):
    """A str subclass: the C routine leaves it to Python."""


@pytest.mark.parametrize("c", [True, False] if HAVE_C else [False])
def test_odd_tokens(monkeypatch, c):
    if not c:
        monkeypatch.setattr(phrases_module, "_number_c", None)
    sentences = _sentences(1, 300)
    subclassed = [[Word(w) for w in s] for s in sentences]
    assert Phrases(subclassed, min_count=2, threshold=1).export_phrases() == \
        Phrases(sentences, min_count=2, threshold=1).export_phrases()
    for bad in ([["a", "b"], ["c", 3]], [["a", None]], [["a", ["b"]]], [("a", b"b")]):
        with pytest.raises(CorpusTypeError, match="strings"):
            Phrases(bad)
    tuples = [tuple(s) for s in sentences]
    assert Phrases(tuples, min_count=2, threshold=1).vocab == Phrases(sentences, min_count=2, threshold=1).vocab


def test_holding_is_in_for_each_word():
    rng = random.Random(3)
    for _ in range(300):
        words = ["".join(rng.choice("ab_\n\x00") for _ in range(rng.randint(0, 5))) for _ in range(rng.randint(0, 30))]
        for delim in ("_", "a_", "__", "\n", "b\n"):
            want = np.array([delim in w for w in words], dtype=bool)
            assert (_holding(words, delim) == want).all(), (words, delim)
