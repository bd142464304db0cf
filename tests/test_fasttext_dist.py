"""fastText's subword model on several processes (torchrun, gloo, this machine): `wordvec train --preset fasttext
--nproc 2` learns what one process does and answers unseen words; the sync compares and sends only the rows a rank
can have touched (its words' own and n-gram rows), with the same result as comparing whole matrices, and every rank
ends with the same matrices; a distributed fasttext run resumes bit-identical after SIGTERM.

Run as a script under torchrun, this file is the worker of `test_the_sparse_sync_equals_the_whole_scan`: it trains
one small subword model per sync variant on the engine directly and saves each rank's matrices and sync counts."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np

STEMS = ["play", "work", "talk", "walk", "jump", "read", "call", "help", "love", "hope", "dream", "build", "train",
         "teach", "learn", "paint", "clean", "watch", "cook", "dance", "sing", "swim", "write", "drive", "climb",
         "paddle", "travel", "garden", "knit", "sail"]
SUFFIXES = ["", "s", "ed", "ing", "er", "ers"]
BUCKET = 20_000
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "WORDVEC_DIST_TIMEOUT": "60", "PYTHONUNBUFFERED": "1"}
FASTTEXT = ["--preset", "fasttext", "--tokenizer", "simple", "--min-count", "1", "--vector-size", "32", "--bucket",
            str(BUCKET), "--threads", "1", "--no-progress", "-q"]


def _sentences(lines: int, seed: int = 0) -> list[list[str]]:
    """Six topics of five stems each; a sentence is ten words of one topic (any suffix) and two of any: words of a
    topic are neighbours, and a word's inflections share its n-grams."""
    rng = np.random.default_rng(seed)
    topics = np.array(STEMS).reshape(6, 5)
    out = []
    for _ in range(lines):
        topic = topics[rng.integers(len(topics))]
        words = [rng.choice(topic) + rng.choice(SUFFIXES) for _ in range(10)]
        out.append(words + [rng.choice(STEMS) + rng.choice(SUFFIXES) for _ in range(2)])
    return out


def _typos(words, seed: int = 0) -> list[tuple[str, str]]:
    """(typo, word): one letter of each word of six letters or more deleted, where that makes no vocabulary word."""
    rng = random.Random(seed)
    known = set(words)
    out = []
    for w in words:
        if len(w) >= 6:
            i = rng.randrange(1, len(w) - 1)
            if w[:i] + w[i + 1:] not in known:
                out.append((w[:i] + w[i + 1:], w))
    return out


# --- the worker (torchrun runs this file) ------------------------------------------------------------------------

#: (name, sync, settings): each trained with the tracked sync, and with the whole-matrix scan ('whole') or the
#: dense all-reduce ('dense') that it must equal.
VARIANTS = [("tracked", "tracked", {}), ("whole", "whole", {}), ("dense", "dense", {}),
            ("tracked-average", "tracked", {"sync": "average"}), ("whole-average", "whole", {"sync": "average"}),
            ("cbow-tracked", "tracked", {"model": "cbow"}), ("cbow-whole", "whole", {"model": "cbow"}),
            ("hs-tracked", "tracked", {"loss": "hs"}), ("hs-whole", "whole", {"loss": "hs"})]


def _worker(out: Path) -> None:
    from wordvec.config import FASTTEXT as PRESET
    from wordvec.distributed import TorchReplicas, session
    from wordvec.engine import train_word2vec
    from wordvec.vocab import Encoded, Vocab

    class WholeScan(TorchReplicas):
        """The sync before rows were tracked: whole snapshots, whole matrices compared."""

        def start(self, matrices, tracked=None):
            super().start(matrices)

        def track(self, matrices, rows):
            pass

    class Dense(TorchReplicas):
        DENSE_SHARE = 0.0  # every sync all-reduces whole matrices, from the tracked rows' changes

    sentences = _sentences(3000)
    words = sorted({w for s in sentences for w in s})
    index = {w: i for i, w in enumerate(words)}
    ids = np.array([index[w] for s in sentences for w in s], dtype=np.int32)
    vocab = Vocab(words, np.bincount(ids, minlength=len(words)))
    encoded = Encoded(ids, np.arange(0, len(ids) + 1, 12, dtype=np.int64))
    with session("cpu"):
        for name, sync, settings in VARIANTS:
            config = PRESET.replace(vector_size=16, bucket=BUCKET, epochs=2, min_count=1, threads=1, seed=3,
                                    sync_words=3000, **settings)
            group = {"whole": WholeScan, "dense": Dense}.get(sync, TorchReplicas)(config.sync)
            result = train_word2vec(config, vocab, encoded, progress=False, replicas=group)
            matrices = {"syn0": result.input_vectors, "syn1neg": result.output_vectors, **result.extra_tensors}
            np.savez(out / f"{name}-{group.rank}.npz", **{k: v for k, v in matrices.items() if v is not None})
            (out / f"{name}-{group.rank}.json").write_text(json.dumps(
                {"syncs": group.syncs, "rows_compared": group.rows_compared, "rows_synced": group.rows_synced,
                 "bytes": group.bytes, "words": len(words), "rows": len(result.input_vectors)}))


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
    sys.exit(0)


# --- the tests ---------------------------------------------------------------------------------------------------

import pytest  # noqa: E402

pytest.importorskip("torch.distributed")

from test_distributed import resumed_like_whole  # noqa: E402


def _run(cmd: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV)


def _corpus(path: Path, lines: int = 20000) -> Path:
    path.write_text("\n".join(" ".join(s) for s in _sentences(lines)) + "\n")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """The same fasttext run on one process and on two (`--nproc 2`)."""
    folder = tmp_path_factory.mktemp("ftdist")
    text = _corpus(folder / "c.txt")
    one = _run([sys.executable, "-m", "wordvec", "train", *FASTTEXT, "--dataset", str(text), "--out",
                str(folder / "one")])
    assert one.returncode == 0, one.stderr
    two = _run([sys.executable, "-m", "wordvec", "train", *FASTTEXT, "--nproc", "2", "--dataset", str(text),
                "--out", str(folder / "two")])
    assert two.returncode == 0, two.stderr
    return folder / "one", folder / "two"


def test_two_processes_train_the_subword_model_like_one(runs):
    sys.path.insert(0, str(Path(__file__).parent))
    from fasttext_quality import neighbour_overlap, recall_at
    from wordvec.rundir import load_vectors, read_metrics

    m1, m2 = read_metrics(runs[0]), read_metrics(runs[1])
    assert m2["processes"] == 2 and m2["config"]["subwords"] and m1["words"] == m2["words"]
    assert m2["epoch_losses"][-1] < m2["epoch_losses"][0]
    assert abs(m2["final_loss"] - m1["final_loss"]) < 0.05 * m1["final_loss"]
    s = m2["sync"]
    assert s["syncs"] > 10 and s["bytes_sent_by_rank0"] > 0
    one, two = load_vectors(runs[0]), load_vectors(runs[1])
    assert two.vectors_ngrams.shape == (BUCKET, 32)
    typos = _typos(one.index_to_key)
    assert len(typos) > 50
    r1, r2 = recall_at(one, typos), recall_at(two, typos)
    assert r2 > 0.3 and r2 > r1 - 0.1, (r1, r2)  # chance: 10 of 180 words
    assert neighbour_overlap(one, two, one.index_to_key[:60]) > 0.5


def test_the_sync_sends_only_touched_rows(runs):
    from wordvec.rundir import read_metrics

    m = read_metrics(runs[1])
    s, words = m["sync"], m["vocab_size"]
    rows = words + BUCKET + words  # syn0 (words and buckets), then syn1neg: what a whole-matrix sync compares
    assert 0 < s["rows_compared_by_rank0"] < 0.25 * rows * s["syncs"]
    assert 0 < s["rows_synced_by_rank0"] < 0.25 * rows * s["syncs"]
    assert s["bytes_sent_by_rank0"] < 0.25 * rows * 33 * 4 * s["syncs"]  # a whole all-reduce: rows x (dim + 1)


def test_unseen_words_get_vectors_from_the_distributed_run(runs):
    done = _run([sys.executable, "-m", "wordvec", "neighbors", str(runs[1]), "paintng", "-k", "5"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "paintng: not in the vocabulary; its vector was built from its character n-grams"
    assert "paint" in lines[1], lines[1]


def test_a_token_store_trains_the_same_distributed_model(runs, tmp_path):
    """The rows a rank tracks come from its chunks as the store reads them (its own buffers, not the corpus array)."""
    from safetensors.numpy import load_file

    store = tmp_path / "store"
    done = _run([sys.executable, "-m", "wordvec", "prepare", "--dataset", str(runs[0].parent / "c.txt"), "--out",
                 str(store), "--tokenizer", "simple", "--min-count", "1"])
    assert done.returncode == 0, done.stderr
    out = tmp_path / "run"
    done = _run([sys.executable, "-m", "wordvec", "train", *FASTTEXT, "--nproc", "2", "--dataset", str(store),
                 "--out", str(out)])
    assert done.returncode == 0, done.stderr
    want, got = load_file(str(runs[1] / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert set(want) == set(got)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_the_sparse_sync_equals_the_whole_scan(tmp_path):
    done = _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", __file__,
                 str(tmp_path)])
    assert done.returncode == 0, done.stderr[-3000:]
    got = {p.stem: dict(np.load(p)) for p in tmp_path.glob("*.npz")}
    counts = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("*.json")}
    assert len(got) == 2 * len(VARIANTS)
    for name, _, _ in VARIANTS:
        assert set(got[f"{name}-0"]) == set(got[f"{name}-1"]) and len(got[f"{name}-0"]) == 2
        for m in got[f"{name}-0"]:
            np.testing.assert_array_equal(got[f"{name}-0"][m], got[f"{name}-1"][m], err_msg=f"{name} {m}")
    for a, b in (("tracked", "whole"), ("dense", "whole"), ("tracked-average", "whole-average"),
                 ("cbow-tracked", "cbow-whole"), ("hs-tracked", "hs-whole")):
        for m in got[f"{a}-0"]:
            np.testing.assert_array_equal(got[f"{a}-0"][m], got[f"{b}-0"][m], err_msg=f"{a} vs {b}: {m}")
    assert not np.array_equal(got["tracked-0"]["syn0"], got["tracked-average-0"]["syn0"])
    whole, tracked = counts["whole-0"], counts["tracked-0"]
    assert whole["syncs"] == tracked["syncs"] > 5
    assert whole["rows_compared"] == whole["syncs"] * (whole["rows"] + whole["words"])
    assert tracked["rows_compared"] < 0.2 * whole["rows_compared"]
    assert tracked["bytes"] == whole["bytes"] and tracked["rows_synced"] == whole["rows_synced"]
    assert counts["dense-0"]["rows_synced"] == whole["syncs"] * (whole["rows"] + whole["words"])


def test_a_distributed_fasttext_run_resumes_bit_identical(tmp_path):
    text = _corpus(tmp_path / "c.txt")
    got = resumed_like_whole([*FASTTEXT, "--epochs", "8", "--dataset", str(text)], tmp_path)
    assert got["embed.weight"].shape == (180 + BUCKET, 32)


def test_what_is_still_refused_is_one_line(tmp_path):
    """The torch backend trains fasttext on one process only (if a later version trains it on several, the run
    must then be a distributed subword run)."""
    text = _corpus(tmp_path / "c.txt", lines=500)
    done = _run([sys.executable, "-m", "wordvec", "train", *FASTTEXT, "--backend", "torch", "--nproc", "2",
                 "--dataset", str(text), "--out", str(tmp_path / "run")])
    if done.returncode == 0:
        from wordvec.rundir import read_metrics

        m = read_metrics(tmp_path / "run")
        assert m["processes"] == 2 and m["config"]["subwords"]
        return
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len([line for line in lines if line.startswith("wordvec: error:")]) == 1, done.stderr
    assert "Traceback" not in done.stderr and "fasttext" in done.stderr
    assert not (tmp_path / "run").exists()
