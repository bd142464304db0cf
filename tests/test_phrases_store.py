"""`wordvec prepare --phrases N` and `wordvec phrases --out FILE|STORE`: the phrases and the joined tokens are those
of `learn_phrases` (gensim's Phrases, pass after pass) over the same tokens, however the corpus is cut into parts,
workers and chunks; the store describes itself and trains."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from wordvec import phrasestore
from wordvec.cli import main
from wordvec.phrases import ENGLISH_CONNECTOR_WORDS, learn_phrases
from wordvec.phrasestore import PhraseSettings, prepare_phrases
from wordvec.preprocess import simple_preprocess
from wordvec.store import open_store


def _lines(seed: int = 0, n: int = 1500) -> list[str]:
    """Zipf words with planted collocations, some with connector words inside, some three words long."""
    rng = random.Random(seed)
    words = [f"w{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(200)] + sorted(ENGLISH_CONNECTOR_WORDS)
    weights = [1 / (i + 1) for i in range(len(words))]
    lines = []
    for i in range(n):
        s = rng.choices(words, weights, k=rng.randint(0, 25))
        at = rng.randint(0, len(s))
        s[at:at] = [["new", "york"], ["bank", "of", "the", "west"], ["big", "apple", "pie"], []][i % 4]
        lines.append(" ".join(s))
    return lines


@pytest.fixture()
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    return path


def _store_sentences(path) -> list[list[str]]:
    s = open_store(path)
    words = s.vocab.id2tok
    off = np.asarray(s.offsets)
    ids = np.asarray(s.ids)
    return [[words[i] for i in ids[a:b]] for a, b in zip(off[:-1], off[1:])]


def _expected(lines, passes, **kw):
    sentences = [simple_preprocess(t) for t in lines if t.strip()]
    models = learn_phrases(sentences, passes=passes, **kw)
    for m in models:
        sentences = [m[s] for s in sentences]
    return models, sentences


@pytest.mark.parametrize("kw, workers, part_size", [
    ({"min_count": 3, "threshold": 5.0}, 1, None),
    ({"min_count": 2, "threshold": 0.3, "scoring": "npmi", "connector_words": "english"}, 2, 4000),
    ({"min_count": 2, "threshold": 2.0, "connector_words": "english"}, 2, 1500),
])
def test_store_holds_the_tokens_learn_phrases_joins(tmp_path, corpus, monkeypatch, kw, workers, part_size):
    monkeypatch.setattr(phrasestore, "CHUNK", 997)  # chunks cut sentences: pairs across the cut still count
    settings = PhraseSettings(passes=2, **kw)
    prepare_phrases(corpus, tmp_path / "s", settings, min_count=1, workers=workers, part_size=part_size)
    lines = corpus.read_text().splitlines()
    conn = ENGLISH_CONNECTOR_WORDS if kw.get("connector_words") == "english" else frozenset()
    models, want = _expected(lines, 2, **{**kw, "connector_words": conn})
    assert _store_sentences(tmp_path / "s") == want
    saved = json.loads((tmp_path / "s" / "phrases.json").read_text())
    assert saved["passes"] == [m.phrasegrams for m in models] and len(saved["passes"][0]) >= 2
    manifest = open_store(tmp_path / "s").manifest
    assert manifest["phrases"]["found"] == [len(m.phrasegrams) for m in models]
    assert manifest["phrases"]["min_count"] == kw["min_count"] and manifest["phrases"]["passes"] == 2
    vocab = open_store(tmp_path / "s").vocab
    counts = Counter(w for s in want for w in s)
    assert dict(zip(vocab.id2tok, vocab.counts.tolist())) == \
        dict(counts)
    assert "new_york" in counts or "bank_of_the_west" in counts


def test_one_long_line_in_many_chunks(tmp_path, monkeypatch):
    """A corpus of one line (text8's shape) is read chunk by chunk, never whole; the joins are the same."""
    monkeypatch.setattr(phrasestore, "CHUNK", 501)
    text = " ".join(_lines(3, 600))
    (tmp_path / "one.txt").write_text(text + "\n", encoding="utf-8")
    prepare_phrases(tmp_path / "one.txt", tmp_path / "s", PhraseSettings(passes=2, min_count=3, threshold=3.0,
                                                                        connector_words="english"), min_count=1)
    _, want = _expected([text], 2, min_count=3, threshold=3.0, connector_words=ENGLISH_CONNECTOR_WORDS)
    assert _store_sentences(tmp_path / "s") == want and any("_" in w for w in want[0])


def test_prepare_phrases_command_and_train(tmp_path, corpus, capsys):
    out = tmp_path / "s"
    assert main(["prepare", "--dataset", str(corpus), "--out", str(out), "--phrases", "2", "--phrase-min-count",
                 "3", "--phrase-threshold", "5", "--min-count", "2", "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "phrases found: pass 1:" in printed
    words = open_store(out).vocab
    words = list(words.id2tok)
    assert "new_york" in words
    m = open_store(out).manifest  # the vocabulary's --min-count and the phrases' --phrase-min-count apart
    assert m["min_count"] == 2 and m["phrases"]["min_count"] == 3 and m["phrases"]["threshold"] == 5
    # `wordvec phrases --out STORE/` is the same store (prepare's code path, prepare's default vocabulary)
    assert main(["phrases", "--dataset", str(corpus), "--out", str(tmp_path / "p") + "/", "--min-count", "3",
                 "--threshold", "5"]) == 0
    assert main(["prepare", "--dataset", str(corpus), "--out", str(tmp_path / "q"), "--phrases", "1",
                 "--phrase-min-count", "3", "--phrase-threshold", "5"]) == 0
    for name in ("ids.u32", "offsets.i64", "vocab.txt", "phrases.json"):
        assert (tmp_path / "p" / name).read_bytes() == (tmp_path / "q" / name).read_bytes(), name
    capsys.readouterr()
    run = tmp_path / "run"
    assert main(["train", "--preset", "sgns", "--dataset", str(out), "--out", str(run), "--epochs", "1",
                 "--vector-size", "8", "--min-count", "2", "-q", "--query", "new_york"]) == 0
    assert "new_york" in (run / "vectors.txt").read_text(encoding="utf-8")


def test_the_phrases_command_streams_the_same_text(tmp_path, corpus):
    lines = corpus.read_text().splitlines()
    _, want = _expected(lines, 2, min_count=2, threshold=3.0, connector_words=ENGLISH_CONNECTOR_WORDS)
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.txt"
        assert main(["phrases", "--dataset", str(corpus), "--out", str(out), "--passes", "2", "--min-count", "2",
                     "--threshold", "3", "--connector-words", "english", "--workers", workers]) == 0
        assert [line.split() for line in out.read_text().splitlines()] == want


def test_phrases_from_a_csv_keep_one_line_per_row(tmp_path):
    rows = _lines(5, 800)
    rows[3] = "!!!"  # no token: an empty line, as the row is kept
    (tmp_path / "d.csv").write_text("tweet,label\n" + "\n".join(f'"{r}",0' for r in rows) + "\n")
    out = tmp_path / "o.txt"
    assert main(["phrases", "--dataset", str(tmp_path / "d.csv"), "--out", str(out), "--tokenizer", "gensim",
                 "--min-count", "3", "--threshold", "3"]) == 0
    got = out.read_text().split("\n")[:-1]
    assert len(got) == len(rows) and got[3] == ""
    models = learn_phrases([simple_preprocess(r) for r in rows], min_count=3, threshold=3.0)
    assert [line.split() for line in got] == [models[0][simple_preprocess(r)] for r in rows]
