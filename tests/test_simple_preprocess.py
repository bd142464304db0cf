"""gensim's simple_preprocess / tokenize / deaccent, reimplemented: the same tokens as gensim's functions on the
tweets and on generated text full of accents, digits, underscores and punctuation; the tokenizer choice."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from wordvec.config import Config
from wordvec.corpus import default_tokenizer
from wordvec.preprocess import GensimTokenizer, deaccent, get_tokenizer, simple_preprocess, tokenize
from wordvec.utils import simple_preprocess as utils_simple_preprocess

gutils = pytest.importorskip("gensim.utils")

TWEETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tweets_hate_speech_detection" / "train.csv"
ALPHABET = list("abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789_ .,!?@#'\"-\t\n") + list(
    "éèêëàâäáãåçñöøóòôõüúùûíìîïÿýžšćčđłßæœÉÀÇÑÖÜİıΣσςßﬁ½²٣日本語한국어ДжЯ\u0301\u0308😀🎉\u200b\xa0")


def _generated(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 80))) for _ in range(n)]


@pytest.mark.skipif(not TWEETS.is_file(), reason="the tweets are not in ../shared")
def test_same_tokens_as_gensim_on_the_tweets():
    with open(TWEETS, encoding="utf-8", newline="") as f:
        texts = [row["tweet"] for row in csv.DictReader(f)]
    assert len(texts) > 30_000
    ours = [simple_preprocess(t) for t in texts]
    assert ours == [gutils.simple_preprocess(t) for t in texts]
    assert sum(map(len, ours)) > 100_000
    assert [simple_preprocess(t, deacc=True) for t in texts[:5000]] == \
        [gutils.simple_preprocess(t, deacc=True) for t in texts[:5000]]


@pytest.mark.parametrize("kw", [{}, {"deacc": True}, {"min_len": 1, "max_len": 3}, {"min_len": 4, "max_len": 40}])
def test_same_tokens_as_gensim_on_generated_text(kw):
    texts = _generated(3000, seed=len(kw))
    ours = [simple_preprocess(t, **kw) for t in texts]
    assert ours == [gutils.simple_preprocess(t, **kw) for t in texts]
    assert any("_" in tok for doc in ours for tok in doc) or kw.get("max_len") == 3  # the cases are exercised
    assert [simple_preprocess(t.encode("utf-8"), **kw) for t in texts[:200]] == \
        [gutils.simple_preprocess(t.encode("utf-8"), **kw) for t in texts[:200]]


def test_tokenize_and_deaccent_as_gensim():
    for text in _generated(1000, seed=7) + ["Šéf chomutovských komunistů dostal poštou bílý prášek"]:
        assert deaccent(text) == gutils.deaccent(text)
        for kw in ({}, {"lower": True}, {"deacc": True, "lowercase": True}, {"to_lower": True}):
            assert list(tokenize(text, **kw)) == list(gutils.tokenize(text, **kw))
    assert utils_simple_preprocess is simple_preprocess


def test_the_tokenizer_choice(tmp_path):
    tok = get_tokenizer("gensim")
    assert isinstance(tok, GensimTokenizer) and tok.name == "gensim"
    assert tok("What a day!! day, day. 2day ÉTÉ") == ["what", "day", "day", "day", "day", "été"]
    assert get_tokenizer("simple")("What a day!!") == ["what", "a", "day!!"]  # already tokenised text keeps all
    assert Config.tokenizer == "auto" and "gensim" in Config.__dataclass_fields__["tokenizer"].metadata["choices"]
    (tmp_path / "corpus.txt").write_text("a b\n")
    (tmp_path / "t.csv").write_text("tweet\nx\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "a.txt").write_text("a\n")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "train.csv").write_text("tweet\nx\n")
    assert default_tokenizer(tmp_path / "corpus.txt") == "gensim"
    assert default_tokenizer(tmp_path / "folder") == "gensim"
    assert default_tokenizer(tmp_path / "t.csv") == "lab"
    assert default_tokenizer(tmp_path / "tables") == "lab"
    assert default_tokenizer("tweets_hate_speech_detection") == "lab"  # a Hub id: a table


def test_plain_text_runs_and_stores_default_to_gensims_tokenizer(tmp_path):
    from wordvec.cli import main
    from wordvec.store import open_store

    rng = random.Random(3)
    words = ["day", "night", "sun", "moon", "star", "sky", "rain", "wind"]
    (tmp_path / "c.txt").write_text("\n".join(" ".join(rng.choice(words) + rng.choice(["", ".", ",", "!!"])
                                                       for _ in range(12)) for _ in range(300)) + "\n")
    assert main(["prepare", "--dataset", str(tmp_path / "c.txt"), "--out", str(tmp_path / "store"),
                 "--min-count", "1", "--workers", "1"]) == 0
    store = open_store(tmp_path / "store")
    assert store.manifest["tokenizer"] == "gensim" and sorted(store.vocab.id2tok) == sorted(words)
    assert main(["train", "--preset", "sgns", "--dataset", str(tmp_path / "store"), "--min-count", "1",
                 "--epochs", "1", "--vector-size", "8", "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    import json

    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["tokenizer"] == "gensim"  # the store's, recorded resolved
    assert main(["train", "--preset", "sgns", "--dataset", str(tmp_path / "c.txt"), "--min-count", "1",
                 "--epochs", "1", "--vector-size", "8", "--out", str(tmp_path / "run2"), "--no-progress"]) == 0
    vocab = (tmp_path / "run2" / "vocab.txt").read_text().split()
    assert "day" in vocab and not any(w.endswith((".", ",", "!")) for w in vocab)
