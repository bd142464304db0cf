"""The two evaluation paths (`kv.evaluate_word_*`, gensim's return values, and `wordvec.evaluate`, the reports of
`wordvec evaluate`) are one computation with gensim's key rule: compared with each other and with gensim on
mixed-case vocabularies; pair files are streamed (a file far larger than a block gives the same figures)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from wordvec import KeyedVectors
from wordvec.evaluate import evaluate_word_analogies, evaluate_word_pairs
from wordvec.vectors import iter_word_pairs

gensim_kv = pytest.importorskip("gensim.models.keyedvectors")

CAPITALS = [("Paris", "France"), ("Berlin", "Germany"), ("Rome", "Italy"), ("Madrid", "Spain"),
            ("Lisbon", "Portugal"), ("Vienna", "Austria")]


def mixed_case_kv(seed: int = 0, noise: float = 0.3) -> KeyedVectors:
    """Capitals and countries in mixed case (with lower-case variants further down, as a cased corpus gives),
    planted so that capital - country is roughly one offset, plus filler words."""
    rng = np.random.default_rng(seed)
    dim = 24
    offset = rng.standard_normal(dim)
    words, vecs = [], []
    for city, country in CAPITALS:
        c = rng.standard_normal(dim)
        words += [city, country]
        vecs += [c + offset + noise * rng.standard_normal(dim), c + noise * rng.standard_normal(dim)]
    for city, country in CAPITALS[:3]:  # case variants after the first spelling: the first must stand for all
        words += [city.lower(), country.upper()]
        vecs += [rng.standard_normal(dim), rng.standard_normal(dim)]
    words += [f"filler{i}" for i in range(40)]
    vecs += list(rng.standard_normal((40, dim)))
    counts = np.arange(len(words), 0, -1) * 10
    return KeyedVectors(words, np.asarray(vecs, dtype=np.float32), counts=counts)


def to_gensim(kv: KeyedVectors):
    g = gensim_kv.KeyedVectors(kv.vector_size)
    g.add_vectors(list(kv.index_to_key), kv.vectors)
    return g


def analogy_file(tmp_path):
    lines = [": capital-common-countries"]
    for i, (a, b) in enumerate(CAPITALS):
        for c, d in CAPITALS[i + 1:]:
            lines.append(f"{b.lower()} {a.lower()} {d.upper()} {c}")  # any case: gensim upper-cases both sides
    lines += [": unknown", "paris france atlantis nowhere"]
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def pairs_file(tmp_path, rng=None):
    rng = rng or np.random.default_rng(3)
    words = [w for pair in CAPITALS for w in pair] + ["filler1", "filler2", "FILLER3", "atlantis"]
    lines = ["# word1\tword2\tscore"]
    for _ in range(60):
        a, b = rng.choice(words, 2, replace=False)
        lines.append(f"{a.lower() if rng.random() < 0.5 else a}\t{b}\t{rng.uniform(0, 10):.2f}")
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("restrict", [300000, 14, 17])
def test_analogies_agree_with_each_other_and_with_gensim_on_mixed_case(tmp_path, restrict):
    kv = mixed_case_kv()
    path = analogy_file(tmp_path)
    score, sections = kv.evaluate_word_analogies(path, restrict_vocab=restrict)
    report = evaluate_word_analogies(kv, path, restrict_vocab=restrict)
    g_score, g_sections = to_gensim(kv).evaluate_word_analogies(str(path), restrict_vocab=restrict)
    assert report["n"] > 0, "the mixed-case vocabulary must answer questions (it skipped every one before)"
    assert report["n"] == len(g_sections[-1]["correct"]) + len(g_sections[-1]["incorrect"])
    assert report["correct"] == len(g_sections[-1]["correct"])
    assert report["accuracy"] == pytest.approx(g_score) and score == pytest.approx(g_score)
    assert [(s["section"], sorted(s["correct"]), sorted(s["incorrect"])) for s in sections] == \
        [(s["section"], sorted(s["correct"]), sorted(s["incorrect"])) for s in g_sections]
    per_section = {s["section"]: s for s in report["sections"]}
    for s in g_sections[:-1]:
        assert per_section[s["section"]]["correct"] == len(s["correct"])
        assert per_section[s["section"]]["incorrect"] == len(s["incorrect"])


@pytest.mark.parametrize("restrict", [300000, 10])
def test_word_pairs_agree_with_each_other_and_with_gensim_on_mixed_case(tmp_path, restrict):
    kv = mixed_case_kv(1)
    path = pairs_file(tmp_path)
    (pearson, _), (spearman, _), oov = kv.evaluate_word_pairs(path, restrict_vocab=restrict)
    report = evaluate_word_pairs(kv, path, restrict_vocab=restrict)
    (g_pearson, _), (g_spearman, _), g_oov = to_gensim(kv).evaluate_word_pairs(str(path), restrict_vocab=restrict)
    assert report["n"] >= 3
    assert pearson == pytest.approx(g_pearson, abs=1e-6) and report["pearson"] == pytest.approx(g_pearson, abs=1e-6)
    assert spearman == pytest.approx(g_spearman, abs=1e-6)
    assert report["spearman"] == pytest.approx(g_spearman, abs=1e-6)
    assert oov == pytest.approx(g_oov) and report["oov_ratio"] * 100 == pytest.approx(g_oov)


def test_case_sensitive_lookups_agree_with_gensim(tmp_path):
    kv = mixed_case_kv(2)
    path = analogy_file(tmp_path)
    report = evaluate_word_analogies(kv, path, case_insensitive=False)
    g_score, g_sections = to_gensim(kv).evaluate_word_analogies(str(path), case_insensitive=False)
    g_asked = len(g_sections[-1]["correct"]) + len(g_sections[-1]["incorrect"])
    assert report["n"] == g_asked == 0  # lower-case questions, mixed-case keys: nothing to ask without folding
    pairs = pairs_file(tmp_path)
    (p, _), _, oov = kv.evaluate_word_pairs(pairs, case_insensitive=False)
    (gp, _), _, g_oov = to_gensim(kv).evaluate_word_pairs(str(pairs), case_insensitive=False)
    assert p == pytest.approx(gp, abs=1e-6) and oov == pytest.approx(g_oov)
    assert evaluate_word_pairs(kv, pairs, case_insensitive=False)["oov_ratio"] * 100 == pytest.approx(g_oov)


def test_pairs_are_streamed_in_blocks_with_the_same_result(tmp_path):
    kv = mixed_case_kv(4)
    path = pairs_file(tmp_path, np.random.default_rng(9))
    blocks = list(iter_word_pairs(path, block=7))
    assert len(blocks) > 5 and all(len(b[2]) <= 7 for b in blocks)
    whole = list(iter_word_pairs(path))
    assert len(whole) == 1 and sum(len(b[2]) for b in blocks) == len(whole[0][2])
    assert np.array_equal(np.concatenate([b[2] for b in blocks]), whole[0][2])


def test_a_bad_line_far_into_a_streamed_file_is_one_error_naming_it(tmp_path):
    from wordvec.errors import WordvecError

    path = tmp_path / "big.tsv"
    good = "Paris\tFrance\t5.0\n" * 200_000
    path.write_text(good + "Paris\tFrance\n" + good)
    with pytest.raises(WordvecError, match=r"line 200001: expected 3"):
        evaluate_word_pairs(mixed_case_kv(), path)
    path.write_bytes(good.encode() + b"Par\xffis\tFrance\t1\n")
    with pytest.raises(WordvecError, match="not valid UTF-8"):
        mixed_case_kv().evaluate_word_pairs(path)


def test_wordvec_evaluate_restricts_to_the_most_frequent_words_of_an_unsorted_run(tmp_path):
    """A lab run numbers words in first-seen order; `--restrict-vocab N` still means the N most frequent."""
    from fakes import make_run

    rng = np.random.default_rng(5)
    words = ["rare1", "rare2", "rare3", "Common1", "common2", "common3"]
    run = make_run(tmp_path / "run", words, rng.standard_normal((6, 8)).astype(np.float32))
    vocab = run / "vocab.txt"
    vocab.write_text("".join(f"{w}\t{c}\n" for w, c in zip(words, [1, 2, 3, 50, 60, 70])))
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("common1\tcommon2\t5\ncommon2\tcommon3\t3\ncommon1\tcommon3\t1\nrare1\trare2\t9\n")
    r = subprocess.run([sys.executable, "-m", "wordvec", "evaluate", str(run), "--pairs", str(pairs),
                        "--restrict-vocab", "3"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    res = json.loads((run / "metrics.json").read_text())["evaluation"]["pairs"]
    assert res["n"] == 3 and res["oov"] == 1
