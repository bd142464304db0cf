"""benchmarks/vs_fasttext.py and what it adds to the library: downstream F1 on a subset of the texts (the tweets
with unseen words), and the benchmark end to end at --quick sizes (every table printed, every figure measured)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import test_evaluate  # labelled_corpus: marker words carry the label (module import: its tests stay its own)
from wordvec.downstream import downstream
from wordvec.errors import WordvecError

ROOT = Path(__file__).resolve().parent.parent


def test_subset_scores_only_the_texts_inside_it():
    """Labels shuffled inside half of the texts: the classifier still reads the rest, and the subsets say so."""
    kv, texts, labels = test_evaluate.labelled_corpus(n=400)
    rng = np.random.default_rng(3)
    muddled = rng.random(len(labels)) < 0.5
    labels = labels.copy()
    labels[muddled] = rng.permutation(labels[muddled])
    r = downstream(kv, texts, labels, folds=3, subsets={"muddled": muddled, "clear": ~muddled})
    clear, mud = r["subsets"]["clear"], r["subsets"]["muddled"]
    assert clear["texts"] == int((~muddled).sum()) and mud["texts"] == int(muddled.sum())
    assert clear["embedding"]["f1"]["mean"] > 0.8 and clear["tfidf"]["f1"]["mean"] > 0.7
    assert mud["embedding"]["f1"]["mean"] < 0.6 and mud["tfidf"]["f1"]["mean"] < 0.6
    assert mud["embedding"]["f1"]["mean"] < r["embedding"]["f1"]["mean"] < clear["embedding"]["f1"]["mean"]


def test_a_subset_of_every_text_is_the_whole_score():
    kv, texts, labels = test_evaluate.labelled_corpus(n=200)
    r = downstream(kv, texts, labels, folds=3, subsets={"all": np.ones(len(labels), dtype=bool)})
    assert r["subsets"]["all"]["embedding"] == r["embedding"] and r["subsets"]["all"]["tfidf"] == r["tfidf"]
    assert "subsets" not in downstream(kv, texts, labels, folds=3)


@pytest.mark.parametrize("subsets, what", [
    ({"x": np.ones(5, dtype=bool)}, "one flag per text"),
    ({"x": np.zeros(200, dtype=bool)}, "at least one"),
    ({"x": True}, "one flag per text"),
    ([np.ones(200, dtype=bool)], "must be a dict"),
])
def test_bad_subsets_are_clear_errors(subsets, what):
    kv, texts, labels = test_evaluate.labelled_corpus(n=200)
    with pytest.raises(WordvecError, match=what):
        downstream(kv, texts, labels, folds=3, subsets=subsets)


def _rows(out: str, first_cell: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines()
            if line.startswith(f"| {first_cell}")]


@pytest.mark.slow
def test_vs_fasttext_quick_prints_every_table(shared_data):
    """The benchmark at --quick sizes: speed, whole processes, WordSim/SimLex and downstream tables, each with
    measured figures for wordvec and gensim (fastText's columns too when it is installed)."""
    pytest.importorskip("gensim")
    pytest.importorskip("sklearn")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "vs_fasttext.py"), "--quick", "--dataset",
                        str(shared_data)], capture_output=True, text=True, env=env, timeout=1800)
    out = r.stdout
    assert r.returncode == 0, out[-3000:] + r.stderr[-3000:]
    have_ft = "fasttext not installed" not in out
    speed = _rows(out, "tweets (") + _rows(out, "generated-0.1M (")
    assert len(speed) == 4
    for row in speed:
        assert all(float(c.replace(",", "").rstrip("x")) > 0 for c in row[2:4]), row
        assert (row[4] != "-") == have_ft, row
    recall = [r for r in _rows(out, "skip-gram") + _rows(out, "CBOW") if len(r) == 7]
    assert len(recall) == 2 and all(0 <= float(c) <= 1 for r in recall for c in r[1:3] + r[4:5]), recall
    whole = [r for r in _rows(out, "tweets |") if r[1] in ("skip-gram", "CBOW")]
    assert len(whole) == 2 and all(float(c) > 0 for r in whole for c in r[2:4] + r[5:7]), whole
    pairs = _rows(out, "0.")
    names = {"wordvec FastText", "gensim FastText, seed 1", "gensim FastText, seed 2"}
    assert {r[2] for r in pairs} == (names | {"Facebook's fastText"} if have_ft else names)
    for row in pairs:
        coverage = [int(m) for m in re.findall(r"\((\d+)%\)", " ".join(row))]
        assert len(coverage) == 2 and all(0 < c <= 100 for c in coverage), row
    f1 = {r[0]: r for r in _rows(out, "")
          if len(r) == 3 and any(x in r[0] for x in ("FastText", "fastText", "Word2Vec", "TF-IDF"))}
    assert {"TF-IDF (same tokens, folds)", "wordvec Word2Vec (vocabulary words)",
            "wordvec FastText, every word (unseen from n-grams)"} <= set(f1)
    for row in f1.values():
        assert all(0 < float(c.split("±")[0]) < 1 for c in row[1:]), row
    assert re.search(r"(\d+\.\d)% of tweets hold a word outside the vocabulary", out)
