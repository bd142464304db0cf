"""Evaluation on hand-made files with known answers: planted analogies, pairs of known rank correlation,
a synthetic labelled corpus, malformed inputs, and the `wordvec evaluate` command on a fabricated run."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from scipy import stats

from wordvec.cli import main
from wordvec.errors import WordvecError
from wordvec.downstream import downstream, text_vectors
from wordvec.evaluate import evaluate_word_analogies, evaluate_word_pairs
from wordvec.report import format_table
from wordvec.rundir import evaluate_run
from wordvec.vectors import KeyedVectors


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def make_run(run_dir, kv, config=None, epoch_losses=(5.0, 4.0, 3.5), heldout=(5.2, 4.4, 4.1)):
    """A run directory as the training pipeline writes it: metrics.json, vocab.txt, vectors.txt."""
    run_dir.mkdir(parents=True, exist_ok=True)
    counts = kv.counts if kv.counts is not None else np.ones(len(kv.index_to_key), dtype=int)
    with open(run_dir / "vocab.txt", "w", encoding="utf-8") as f:
        f.writelines(f"{w}\t{c}\n" for w, c in zip(kv.index_to_key, counts))
    with open(run_dir / "vectors.txt", "w", encoding="utf-8") as f:
        f.write(f"{len(kv.index_to_key)} {kv.vectors.shape[1]}\n")
        f.writelines(w + " " + " ".join(f"{x:.9g}" for x in v) + "\n" for w, v in zip(kv.index_to_key, kv.vectors))
    cfg = {"dataset": "none", "text_column": "tweet", "label_column": "label", "tokenizer": "simple",
           "model": "skipgram", "vectors": "input", "query_words": [kv.index_to_key[0]], "seed": 0, **(config or {})}
    metrics = {"train_rows": 1, "test_rows": 0, "vocab_size": len(kv.index_to_key), "tokens": 1, "pairs": 1,
               "epoch_losses": list(epoch_losses), "heldout_losses": list(heldout), "final_loss": epoch_losses[-1],
               "train_seconds": 0.1, "device": "cpu", "config": cfg, "neighbors": {}}
    (run_dir / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return run_dir


# ------------------------------------------------------------------------------------------------- analogies


def planted_analogies(n=6, noise_words=20, seed=0):
    """country_i = g + u_i and capital_i = c + u_i with orthonormal g, c, u_i: country_j - capital_j + capital_k
    is exactly country_k, so every capital:country question has one right answer."""
    rng = np.random.default_rng(seed)
    dim = 2 + n + noise_words
    basis = np.linalg.qr(rng.normal(size=(dim, dim)))[0]
    g, c, u = basis[0], basis[1], basis[2:2 + n]
    words, vecs = [], []
    for i in range(n):
        words += [f"country{i}", f"capital{i}"]
        vecs += [g + u[i], c + u[i]]
    for j in range(noise_words):  # distractors in their own directions
        words.append(f"noise{j}")
        vecs.append(basis[2 + n + j] * 1.4)
    return KeyedVectors(words, np.array(vecs, dtype=np.float32))


def test_planted_analogies_score_100_percent_and_wrong_ones_0(tmp_path):
    kv = planted_analogies()
    right = [f"capital{i} country{i} capital{j} country{j}" for i in range(6) for j in range(6) if i != j]
    wrong = [f"capital{i} country{i} capital{j} country{(j + 1) % 6}" for i in range(6) for j in range(6) if i != j]
    f = write(tmp_path / "q.txt", ": capitals\n" + "\n".join(right) + "\n: wrong\n" + "\n".join(wrong) + "\n")
    res = evaluate_word_analogies(kv, f)
    by = {s["section"]: s for s in res["sections"]}
    assert by["capitals"]["accuracy"] == 1.0 and by["capitals"]["correct"] == len(right)
    assert by["wrong"]["accuracy"] == 0.0 and by["wrong"]["incorrect"] == len(wrong)
    assert res["accuracy"] == pytest.approx(0.5) and res["oov_ratio"] == 0


def test_the_four_word_analogy_needs_the_question_words_excluded(tmp_path):
    """king - man + woman is closest to king itself; only excluding the question words gives queen."""
    v = {"king": [1, 0, 0, 0.0], "queen": [1, 0, 1, 0.0], "man": [0, 1, 0, 0.0], "woman": [0, 1, 0.3, 0.0],
         "other": [0, 0, 0, 1.0]}
    kv = KeyedVectors(list(v), np.array(list(v.values()), dtype=np.float32))
    vn = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    assert (vn @ (vn[0] - vn[2] + vn[3])).argmax() == 0  # the premise: king wins unless excluded
    res = evaluate_word_analogies(kv, write(tmp_path / "q.txt", ": gender\nman king woman queen\n"))
    assert res["correct"] == 1 and res["accuracy"] == 1.0


def test_analogies_restrict_vocab_skips_rare_words(tmp_path):
    kv = planted_analogies(n=4, noise_words=0)  # order: country0 capital0 country1 capital1 ...
    f = write(tmp_path / "q.txt", ": a\ncapital0 country0 capital1 country1\ncapital0 country0 capital3 country3\n")
    res = evaluate_word_analogies(kv, f, restrict_vocab=4)  # capital3/country3 are outside the top 4
    assert res["n"] == 1 and res["questions"] == 2 and res["oov_ratio"] == 0.5
    assert res["sections"][0]["skipped"] == 1 and res["correct"] == 1


def test_analogies_match_gensim_on_random_vectors(tmp_path):
    gensim = pytest.importorskip("gensim")
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(60)]
    vecs = rng.normal(size=(60, 8)).astype(np.float32)
    qs = rng.integers(0, 60, size=(80, 4))
    qs = qs[[len(set(q)) == 4 for q in qs]]
    text = ": one\n" + "\n".join(" ".join(words[i] for i in q) for q in qs[:40]) + "\n: two\n" + \
        "\n".join(" ".join(words[i] for i in q) for q in qs[40:]) + "\n"
    f = write(tmp_path / "q.txt", text)
    ours = evaluate_word_analogies(KeyedVectors(words, vecs), f, restrict_vocab=50)
    g = gensim.models.KeyedVectors(vector_size=8)
    g.add_vectors(words, vecs)
    _, theirs = g.evaluate_word_analogies(str(f), restrict_vocab=50)
    assert [len(s["correct"]) for s in theirs[:2]] == [s["correct"] for s in ours["sections"]]
    assert [len(s["incorrect"]) for s in theirs[:2]] == [s["incorrect"] for s in ours["sections"]]
    assert ours["correct"] > 0  # random vectors still get a few right: the comparison is not vacuous


# ------------------------------------------------------------------------------------------------- word pairs


def fan_vectors(angles):
    """'base' at angle 0 and word i at angles[i]: cos(base, word i) = cos(angles[i]), known in closed form."""
    words = ["base"] + [f"w{i}" for i in range(len(angles))]
    vecs = np.array([[1.0, 0.0]] + [[np.cos(a), np.sin(a)] for a in angles], dtype=np.float32) * 3
    return KeyedVectors(words, vecs, counts=np.arange(len(words), 0, -1))


def test_word_pairs_spearman_and_pearson_match_scipy(tmp_path):
    rng = np.random.default_rng(0)
    angles = rng.uniform(0, np.pi, size=12)
    human = rng.uniform(0, 10, size=12)
    kv = fan_vectors(angles)
    lines = ["# word1\tword2\tscore", ""] + [f"base\tw{i}\t{h:.6f}" for i, h in enumerate(human)]
    res = evaluate_word_pairs(kv, write(tmp_path / "p.tsv", "\n".join(lines) + "\n"))
    rho, rho_p = stats.spearmanr(np.round(human, 6), np.cos(angles))
    r, _ = stats.pearsonr(np.round(human, 6), np.cos(angles))
    assert res["n"] == 12 and res["oov_ratio"] == 0
    assert res["spearman"] == pytest.approx(rho, abs=1e-6) and res["spearman_p"] == pytest.approx(rho_p, rel=1e-4)
    assert res["pearson"] == pytest.approx(r, abs=1e-5)


def test_word_pairs_perfect_and_reversed_ranking(tmp_path):
    angles = np.linspace(0.1, 3.0, 8)
    kv = fan_vectors(angles)
    agree = "\n".join(f"base\tw{i}\t{10 - i}" for i in range(8))  # closer angle = higher score
    assert evaluate_word_pairs(kv, write(tmp_path / "a.tsv", agree))["spearman"] == pytest.approx(1.0)
    disagree = "\n".join(f"BASE\tW{i}\t{i}" for i in range(8))  # upper case: case-insensitive by default
    assert evaluate_word_pairs(kv, write(tmp_path / "b.tsv", disagree))["spearman"] == pytest.approx(-1.0)


def test_word_pairs_oov_ratio_and_restrict_vocab(tmp_path):
    kv = fan_vectors(np.linspace(0.1, 3.0, 8))
    lines = [f"base\tw{i}\t{10 - i}" for i in range(8)] + ["base\tunknown\t3", "nothing\tw1\t2"]
    res = evaluate_word_pairs(kv, write(tmp_path / "p.tsv", "\n".join(lines)))
    assert (res["pairs"], res["n"], res["oov"]) == (10, 8, 2) and res["oov_ratio"] == pytest.approx(0.2)
    res = evaluate_word_pairs(kv, tmp_path / "p.tsv", restrict_vocab=5)  # base, w0..w3 only
    assert res["n"] == 4 and res["oov_ratio"] == pytest.approx(0.6)


def test_word_pairs_go_through_the_runs_tokenizer(tmp_path):
    kv = KeyedVectors(["run", "jump", "sleep"], np.array([[1, 0.1], [1, 0.3], [0, 1]], dtype=np.float32),
                      tokenizer="lab")
    f = write(tmp_path / "p.tsv", "running\tjumping\t9\nrunning\tsleeping\t1\njumps\tsleep\t2\n")
    res = evaluate_word_pairs(kv, f)
    assert res["n"] == 3 and res["oov_ratio"] == 0 and res["spearman"] == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------- downstream


def labelled_corpus(n=300, seed=0):
    """Texts of neutral words; label-1 texts also hold one of five marker words (30% of texts). Marker vectors
    share a direction the neutral ones lack, so the mean vector carries the label."""
    rng = np.random.default_rng(seed)
    neutral = [f"n{i}" for i in range(40)]
    marker = [f"m{i}" for i in range(5)]
    words = neutral + marker
    vecs = rng.normal(size=(len(words), 16))
    vecs[:40, 0] = 0
    vecs[40:, 0] = 6
    kv = KeyedVectors(words, vecs.astype(np.float32), counts=rng.integers(5, 500, size=len(words)))
    labels = (rng.random(n) < 0.3).astype(int)
    texts = []
    for y in labels:
        toks = list(rng.choice(neutral, size=rng.integers(4, 10)))
        if y:
            toks.insert(int(rng.integers(0, len(toks))), str(rng.choice(marker)))
        texts.append(" ".join(toks))
    return kv, texts, labels


def test_downstream_finds_a_detectable_label_and_not_a_random_one():
    kv, texts, labels = labelled_corpus()
    good = downstream(kv, texts, labels, folds=3)
    assert good["embedding"]["f1"]["mean"] > 0.8 and good["tfidf"]["f1"]["mean"] > 0.8
    shuffled = np.random.default_rng(1).permutation(labels)
    bad = downstream(kv, texts, shuffled, folds=3)
    assert bad["embedding"]["f1"]["mean"] < 0.6 and bad["tfidf"]["f1"]["mean"] < 0.6
    assert set(good["embedding"]) == {"f1", "precision", "recall", "accuracy"}
    assert good["positive_label"] == 1 and good["texts"] == len(texts) and good["folds"] == 3


def test_text_vectors_mean_and_sif_weights():
    kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [0, 2], [4, 4]], dtype=np.float32), counts=[700, 200, 100])
    x, oov, empty = text_vectors(kv, [["a", "b", "zzz"], ["zzz"], ["c"]])
    np.testing.assert_allclose(x, [[0.5, 1.0], [0, 0], [4, 4]])
    assert oov == pytest.approx(2 / 5) and empty == pytest.approx(1 / 3)
    xs, _, _ = text_vectors(kv, [["a", "b"]], sif=True)
    w = 1e-3 / (1e-3 + np.array([0.7, 0.2]))
    np.testing.assert_allclose(xs[0], (w[0] * np.array([1, 0]) + w[1] * np.array([0, 2])) / w.sum(), rtol=1e-6)


def test_downstream_errors_are_clear():
    kv, texts, labels = labelled_corpus(n=60)
    with pytest.raises(WordvecError, match="labels"):
        downstream(kv, texts, None)
    with pytest.raises(WordvecError, match="two classes"):
        downstream(kv, texts, np.zeros(len(texts), dtype=int))
    with pytest.raises(WordvecError, match="counts"):
        downstream(KeyedVectors(kv.index_to_key, kv.vectors), texts, labels, sif=True)


# ------------------------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("text, line, what", [
    ("# header\na\tb\t1\nc\td\n", 3, "3 tab-separated columns"),
    ("a\tb\t1\nc\td\tten\n", 2, "not a number"),
    ("a\tb\t1\tx\n", 1, "found 4"),
])
def test_malformed_pairs_name_file_and_line(tmp_path, text, line, what):
    f = write(tmp_path / "bad.tsv", text)
    with pytest.raises(WordvecError, match=f"bad.tsv: line {line}: .*{what}"):
        evaluate_word_pairs(fan_vectors([0.1]), f)


def test_malformed_analogies_and_missing_files(tmp_path):
    f = write(tmp_path / "bad.txt", ": s\nman king woman queen\nman king woman\n")
    with pytest.raises(WordvecError, match="bad.txt: line 3: an analogy needs 4 words"):
        evaluate_word_analogies(planted_analogies(), f)
    with pytest.raises(WordvecError, match="nope.txt does not exist"):
        evaluate_word_analogies(planted_analogies(), tmp_path / "nope.txt")
    with pytest.raises(WordvecError, match="nope.tsv does not exist"):
        evaluate_word_pairs(planted_analogies(), tmp_path / "nope.tsv")


# ------------------------------------------------------------------------------------------------- a run + CLI


def labelled_run(tmp_path, with_labels=True):
    kv, texts, labels = labelled_corpus(n=150)
    data = tmp_path / "data"
    data.mkdir()
    with open(data / "train.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "label", "tweet"] if with_labels else ["id", "tweet"])
        for i, (t, y) in enumerate(zip(texts, labels)):
            w.writerow([i, y, t] if with_labels else [i, t])
    return make_run(tmp_path / "run", kv, config={"dataset": str(data)})


def test_cli_evaluate_writes_metrics_and_prints_a_table(tmp_path, capsys):
    run = labelled_run(tmp_path)
    pairs = write(tmp_path / "p.tsv", "n0\tn1\t3\nn0\tn2\t5\nn1\tm0\t1\nn3\tm1\t2\nn4\tzzz\t1\n")
    ana = write(tmp_path / "q.txt", ": s\nn0 n1 n2 n3\nn0 n1 zzz n3\n")
    rc = main(["evaluate", str(run), "--pairs", str(pairs), "--analogies", str(ana), "--downstream", "--folds", "3"])
    out = capsys.readouterr().out
    assert rc == 0
    ev = json.loads((run / "metrics.json").read_text())["evaluation"]
    assert set(ev) == {"pairs", "analogies", "downstream", "loss"}
    assert ev["pairs"]["oov_ratio"] == pytest.approx(0.2) and ev["analogies"]["n"] == 1
    assert ev["downstream"]["embedding"]["f1"]["mean"] > 0.7
    assert ev["loss"] == {"epoch": [1, 2, 3], "train": [5.0, 4.0, 3.5], "heldout": [5.2, 4.4, 4.1]}
    for needle in ("Spearman", "analogies", "TF-IDF", "f1 (1)", "held-out"):
        assert needle in out
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    # a later evaluation adds to the earlier one instead of replacing it
    assert main(["evaluate", str(run), "--pairs", str(pairs)]) == 0
    assert set(json.loads((run / "metrics.json").read_text())["evaluation"]) == set(ev)


def test_evaluate_run_without_labels_and_with_bad_files(tmp_path, capsys):
    run = labelled_run(tmp_path, with_labels=False)
    with pytest.raises(WordvecError, match="labels"):
        evaluate_run(run, downstream=True, folds=3)
    bad = write(tmp_path / "bad.tsv", "a\tb\n")
    assert main(["evaluate", str(run), "--pairs", str(bad)]) == 2
    assert "bad.tsv: line 1" in capsys.readouterr().err
    assert "evaluation" not in json.loads((run / "metrics.json").read_text())


def test_format_table_loss_only():
    text = format_table({"loss": {"epoch": [1, 2], "train": [3.0, 2.5], "heldout": [None, None]}})
    assert "2.5000" in text and "held-out" in text


def test_restrict_vocab_is_the_first_keys_and_sorting_makes_them_the_most_frequent(tmp_path):
    """gensim's rule: the first `restrict_vocab` keys. A lab run's vocabulary is in first-seen order, so `wordvec
    evaluate` sorts it by count first (tests/test_evaluate_paths.py runs the command)."""
    rng = np.random.default_rng(0)
    words = ["rare1", "rare2", "rare3", "common1", "common2", "common3"]
    kv = KeyedVectors(words, rng.standard_normal((6, 4)).astype(np.float32), counts=np.array([1, 2, 3, 50, 60, 70]))
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("common1\tcommon2\t5\ncommon2\tcommon3\t3\ncommon1\tcommon3\t1\nrare1\trare2\t9\n")
    questions = tmp_path / "q.txt"
    questions.write_text(": s\ncommon1 common2 common3 common1\nrare1 rare2 rare3 rare1\nrare1 rare2 common1 x\n")
    res = evaluate_word_pairs(kv, pairs, restrict_vocab=3)
    assert res["n"] == 1 and res["oov"] == 3
    assert evaluate_word_analogies(kv, questions, restrict_vocab=3)["n"] == 1
    kv.sort_by_descending_frequency()
    res = evaluate_word_pairs(kv, pairs, restrict_vocab=3)
    assert res["n"] == 3 and res["oov"] == 1
    assert evaluate_word_analogies(kv, questions, restrict_vocab=3)["n"] == 1


def test_the_map_labels_the_most_frequent_words(tmp_path, monkeypatch):
    from wordvec import plots

    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(40)]
    vec = rng.standard_normal((40, 5)).astype(np.float32)
    kv = KeyedVectors(words, vec, counts=np.arange(1, 41))  # the last rows are the most frequent
    seen = {}
    real = plots.project_2d

    def spy(x, method="pca", seed=0):
        seen["rows"] = x
        return real(x, method, seed)

    monkeypatch.setattr(plots, "project_2d", spy)
    plots.plot_map(tmp_path / "map.png", kv, top=5, words=[])
    normed = vec / np.linalg.norm(vec, axis=1, keepdims=True)
    chosen = {int(np.argmin(np.linalg.norm(normed - r, axis=1))) for r in seen["rows"]}
    assert chosen == {35, 36, 37, 38, 39}
