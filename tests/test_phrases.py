"""Phrases / FrozenPhrases against gensim 4 on the same input: the same phrases and scores (export_phrases), the
same transformed sentences, for default and npmi scoring, connector words, pruning, add_vocab and two passes;
files without pickle; bad input refused with gensim's exception types."""

from __future__ import annotations

import csv
import pickle
import random
from pathlib import Path

import pytest

from wordvec.errors import WordvecError
from wordvec.phrases import (ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phraser, Phrases, ScorerError,
                             learn_phrases)
from wordvec.preprocess import simple_preprocess

gphrases = pytest.importorskip("gensim.models.phrases")

TWEETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tweets_hate_speech_detection" / "train.csv"


@pytest.fixture(scope="module")
def tweets():
    if not TWEETS.is_file():
        pytest.skip("the tweets are not in ../shared")
    with open(TWEETS, encoding="utf-8", newline="") as f:
        return [simple_preprocess(row["tweet"]) for row in csv.DictReader(f)]


def scorer_sum(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """A custom scorer importable by name."""
    return bigram_count / (worda_count + wordb_count)


def _same(ours, theirs, sentences):
    assert str(ours) == str(theirs)
    exported = ours.export_phrases()
    assert exported == theirs.export_phrases() and len(exported) > 20
    assert [ours[s] for s in sentences] == [theirs[s] for s in sentences]
    assert ours.find_phrases(sentences[:2000]) == theirs.find_phrases(sentences[:2000])
    frozen, gfrozen = ours.freeze(), theirs.freeze()
    assert frozen.phrasegrams == gfrozen.phrasegrams and str(frozen) == str(gfrozen)
    assert list(frozen[sentences]) == list(gfrozen[sentences])


@pytest.mark.parametrize("kw", [
    {"min_count": 5, "threshold": 10},
    {"min_count": 3, "threshold": 0.3, "scoring": "npmi"},
    {"min_count": 2, "threshold": 5, "connector_words": ENGLISH_CONNECTOR_WORDS},
    {"min_count": 2, "threshold": 0.2, "scoring": "npmi", "connector_words": ENGLISH_CONNECTOR_WORDS},
    {"min_count": 2, "threshold": 1, "max_vocab_size": 20000},  # pruned many times while counting
    {"min_count": 2, "threshold": 0.05, "scoring": scorer_sum, "delimiter": "+"},
])
def test_as_gensim_on_the_tweets(tweets, kw):
    gkw = dict(kw, connector_words=gphrases.ENGLISH_CONNECTOR_WORDS) if "connector_words" in kw else kw
    _same(Phrases(tweets, **kw), gphrases.Phrases(tweets, **gkw), tweets[:5000])


def test_add_vocab_and_two_passes_as_gensim(tweets):
    ours, theirs = Phrases(tweets[:15000], min_count=3, max_vocab_size=60000), \
        gphrases.Phrases(tweets[:15000], min_count=3, max_vocab_size=60000)
    ours.add_vocab(tweets[15000:])
    theirs.add_vocab(tweets[15000:])
    _same(ours, theirs, tweets[:3000])
    first, gfirst = Phrases(tweets, min_count=3, threshold=5).freeze(), \
        gphrases.Phrases(tweets, min_count=3, threshold=5).freeze()
    second = Phrases(first[tweets], min_count=3, threshold=5)
    gsecond = gphrases.Phrases(gfirst[tweets], min_count=3, threshold=5)
    _same(second, gsecond, list(first[tweets[:3000]]))  # joined words hold the delimiter: gensim's split path
    trigrams = [w for w in second.export_phrases() if w.count("_") >= 2]
    assert trigrams
    models = learn_phrases(tweets, passes=2, min_count=3, threshold=5)
    assert models[1].phrasegrams == second.freeze().phrasegrams


def test_a_small_corpus_by_hand():
    sentences = [["new", "york", "is", "big"], ["new", "york", "city"], ["i", "love", "new", "york"],
                 ["bank", "of", "america"], ["bank", "of", "america", "sucks"]] * 3
    ours = Phrases(sentences, min_count=1, threshold=1, connector_words=ENGLISH_CONNECTOR_WORDS)
    theirs = gphrases.Phrases(sentences, min_count=1, threshold=1, connector_words=ENGLISH_CONNECTOR_WORDS)
    assert ours.vocab == theirs.vocab and ours.export_phrases() == theirs.export_phrases()
    assert ours[["the", "bank", "of", "america", "in", "new", "york"]] == ["the", "bank_of_america", "in", "new_york"]
    assert Phraser is FrozenPhrases
    assert ours[[]] == theirs[[]] == []


def test_save_and_load_without_pickle(tweets, tmp_path):
    ours = Phrases(tweets, min_count=3, threshold=0.3, scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS)
    path = ours.save(tmp_path / "p.phrases")
    assert not (tmp_path / "p.phrases").read_bytes().startswith(b"\x80")
    back = Phrases.load(path)
    assert isinstance(back, Phrases) and str(back) == str(ours) and back.vocab == ours.vocab
    assert back.export_phrases() == ours.export_phrases()
    assert [back[s] for s in tweets[:2000]] == [ours[s] for s in tweets[:2000]]
    back.add_vocab(tweets[:100])  # a loaded model keeps counting
    frozen = ours.freeze()
    frozen.save(tmp_path / "f.phrases")
    fback = Phrases.load(tmp_path / "f.phrases")  # gensim's load returns what was saved
    assert isinstance(fback, FrozenPhrases) and fback.phrasegrams == frozen.phrasegrams
    assert fback.connector_words == frozen.connector_words
    custom = Phrases(tweets[:2000], min_count=2, threshold=0.05, scoring=scorer_sum)
    custom.save(tmp_path / "c.phrases")
    assert FrozenPhrases.load(tmp_path / "c.phrases").scoring is scorer_sum  # saved by its importable name


def test_gensims_pickles_and_damaged_files_are_refused(tmp_path):
    g = gphrases.Phrases([["a", "b"]] * 5, min_count=1, threshold=0.1)
    g.save(str(tmp_path / "g.pkl"))
    with pytest.raises(WordvecError, match="pickle.*export_phrases"):
        Phrases.load(tmp_path / "g.pkl")
    ours = Phrases([["a", "b"]] * 5, min_count=1, threshold=1)
    ours.save(tmp_path / "ok")
    data = bytearray((tmp_path / "ok").read_bytes())
    (tmp_path / "cut").write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(WordvecError):
        Phrases.load(tmp_path / "cut")
    with pytest.raises(WordvecError):
        Phrases.load(tmp_path / "missing")
    # a converted gensim model: its exported phrases become a FrozenPhrases
    frozen = FrozenPhrases.from_phrasegrams(g.export_phrases(), threshold=0.1)
    assert frozen[["a", "b"]] == g[["a", "b"]] == ["a_b"]


def test_bad_arguments_raise_gensims_types():
    with pytest.raises(ValueError, match="min_count"):
        Phrases(min_count=0)
    with pytest.raises(ValueError, match="positive"):
        Phrases(threshold=0)
    with pytest.raises(ValueError, match="between -1 and 1"):
        Phrases(threshold=2, scoring="npmi")
    with pytest.raises(ValueError, match="unknown scoring"):
        Phrases(scoring="pmi")
    with pytest.raises(ValueError, match="missing expected parameters"):
        Phrases(scoring=lambda a, b: 0)
    with pytest.raises(pickle.PicklingError):  # gensim: not picklable; wordvec: not importable by name
        Phrases(scoring=lambda worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count: 1)
    with pytest.raises(ScorerError):
        Phrases(scoring=lambda worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count: 1)
    with pytest.raises(ValueError, match="delimiter"):
        Phrases(delimiter="")
    with pytest.raises(TypeError, match="not strings"):
        Phrases(["new york", "bank of america"])  # gensim would count characters
    with pytest.raises(TypeError, match="strings"):
        Phrases([["a", 1]])
    with pytest.raises(TypeError):
        Phrases([["a", "b"]], min_count=1)["a b"]


def test_counting_a_generated_corpus_as_gensim():
    rng = random.Random(5)
    words = [f"w{i}" for i in range(300)] + list(ENGLISH_CONNECTOR_WORDS)
    weights = [1 / (i + 1) for i in range(len(words))]
    sentences = [rng.choices(words, weights, k=rng.randint(0, 30)) for _ in range(3000)]
    for i, s in enumerate(sentences):  # planted collocations, some with connector words inside
        at = rng.randint(0, len(s))
        s[at:at] = [[f"w{i % 40}", f"w{i % 40 + 50}"], [f"w{i % 30}", "of", "the", f"w{i % 30 + 100}"]][i % 2]
    for kw in ({"min_count": 2, "threshold": 2, "connector_words": ENGLISH_CONNECTOR_WORDS, "max_vocab_size": 3000},
               {"min_count": 1, "threshold": 0.1, "scoring": "npmi"}):
        ours, theirs = Phrases(sentences, **kw), gphrases.Phrases(sentences, **kw)
        assert ours.vocab == theirs.vocab and ours.min_reduce == theirs.min_reduce
        _same(ours, theirs, sentences)


def test_the_phrases_command(tmp_path, capsys):
    from wordvec.cli import main

    rng = random.Random(1)
    lines = [" ".join(rng.choice(["new york", "city", "big", "apple", "is", "i love"]) for _ in range(8))
             for _ in range(400)]
    (tmp_path / "c.txt").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.txt"
    assert main(["phrases", "--dataset", str(tmp_path / "c.txt"), "--out", str(out), "--passes", "2",
                 "--min-count", "2", "--threshold", "0.5", "--scoring", "npmi"]) == 0
    sentences = [line.split() for line in out.read_text().splitlines()]
    expected = learn_phrases([simple_preprocess(t) for t in lines], passes=2, min_count=2, threshold=0.5,
                             scoring="npmi")
    want = [simple_preprocess(t) for t in lines]
    for m in expected:
        want = [m[s] for s in want]
    assert sentences == want and any(w == "new_york" for s in sentences for w in s)
    before = out.read_bytes()
    assert main(["phrases", "--dataset", str(tmp_path / "c.txt"), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["phrases", "--dataset", str(tmp_path / "c.txt"), "--out", str(tmp_path / "x"),
                 "--threshold", "5", "--scoring", "npmi"]) == 2
    assert "between -1 and 1" in capsys.readouterr().err and not (tmp_path / "x").exists()
