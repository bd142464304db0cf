"""The torch backend at the GPU's launch shape (65,536 centre words a launch, trained as steps of 4,096) learns what
the Hogwild engine learns, where the same launch as one step does not; the CUDA formulation (fixed shapes, no
waiting on the device) makes the same updates as the CPU's; the device script runs end to end on the CPU.
Tests marked `cuda` run only on a machine with a GPU (benchmarks/device_check.sh runs them)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wordvec import engine_torch
from wordvec.config import Config
from wordvec.engine import train_word2vec
from wordvec.errors import WordvecError
from wordvec.vocab import Encoded, Vocab, build_and_encode

ROOT = Path(__file__).resolve().parent.parent
GPU_LAUNCH = engine_torch.CUDA_LAUNCH_WORDS
GPU_STEP = Config().batch_size
PER_GROUP = 8
TOLERANCE = 0.05  # group recall (of 1): CBOW at steps of 4,096 trails Hogwild by ~0.03 on this 200 k-token corpus


def planted_sentences(n_groups=120, n_sentences=25_000, seed=0):
    """Sentences of 8 words: 6 from one group (groups drawn Zipf-like), 2 from anywhere. 200 k tokens."""
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, n_groups + 1) ** 0.7
    g = rng.choice(n_groups, n_sentences, p=p / p.sum())
    own = g[:, None] * PER_GROUP + rng.integers(0, PER_GROUP, (n_sentences, 6))
    ids = np.concatenate([own, rng.integers(0, n_groups * PER_GROUP, (n_sentences, 2))], axis=1)
    rng.permuted(ids, axis=1, out=ids)
    words = np.array([f"g{i // PER_GROUP}w{i % PER_GROUP}" for i in range(n_groups * PER_GROUP)])
    return [list(row) for row in words[ids]]


def group_recall(vocab, vectors) -> float:
    """Share of each word's 7 nearest neighbours (cosine) that are its group mates."""
    w = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    group = np.array([t.split("w")[0] for t in vocab.id2tok])
    sims = w @ w.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argsort(-sims, axis=1)[:, :PER_GROUP - 1]
    return float((group[top] == group[:, None]).mean())


@pytest.fixture(scope="module")
def corpus():
    return build_and_encode(planted_sentences(), min_count=1)


def train(corpus, **kw):
    vocab, enc = corpus
    base = dict(vector_size=32, window=3, negative=5, sample=0.0, epochs=3, seed=3, device="cpu", threads=1,
                progress=False)
    return train_word2vec(Config(**{**base, **kw}), vocab, enc, progress=False)


@pytest.fixture(scope="module")
def hogwild(corpus):
    return {m: group_recall(corpus[0], train(corpus, model=m, backend="hogwild").input_vectors)
            for m in ("skipgram", "cbow")}


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_gpu_launch_learns_what_hogwild_learns(corpus, hogwild, model):
    r = train(corpus, model=model, backend="torch", batch_size=GPU_STEP, launch_batch=GPU_LAUNCH, seed=4)
    recall = group_recall(corpus[0], r.input_vectors)
    assert recall >= hogwild[model] - TOLERANCE, f"{model}: group recall {recall:.3f}, Hogwild {hogwild[model]:.3f}"


def test_the_same_launch_as_one_step_fails_that_bar(corpus, hogwild):
    """The rule before launches (every update of a 65,536-word batch from the same weights): the check above
    catches it, so the check can fail."""
    r = train(corpus, model="skipgram", backend="torch", batch_size=GPU_LAUNCH, launch_batch=GPU_LAUNCH, seed=4)
    assert group_recall(corpus[0], r.input_vectors) < hogwild["skipgram"] - TOLERANCE


@pytest.mark.parametrize("model,loss", [("skipgram", "ns"), ("skipgram", "hs"), ("cbow", "ns"), ("cbow", "hs")])
def test_fixed_shapes_make_the_same_updates(monkeypatch, model, loss):
    """CUDA's formulation (every window slot, padding weighted 0) against the CPU's (padding dropped): the same
    random draws, the same updates, up to float summation order."""
    vocab, enc = build_and_encode(planted_sentences(n_groups=20, n_sentences=3000, seed=1), min_count=1)
    c = Config(model=model, loss=loss, vector_size=16, window=3, sample=1e-2, epochs=2, seed=5,
               device="cpu", threads=1, backend="torch", batch_size=512, launch_batch=2048, progress=False)
    same_with_fixed_shapes(monkeypatch, c, vocab, enc)


def same_with_fixed_shapes(monkeypatch, c: Config, vocab, enc) -> None:
    """`c` trains the same with the CPU's formulation and CUDA's (run on the CPU)."""
    compact = train_word2vec(c, vocab, enc, progress=False)
    monkeypatch.setattr(engine_torch, "FIXED_SHAPES_ON_CPU", True)
    fixed = train_word2vec(c, vocab, enc, progress=False)
    assert fixed.pairs == compact.pairs and fixed.effective_words == compact.effective_words
    np.testing.assert_allclose(fixed.epoch_losses, compact.epoch_losses, rtol=1e-4)
    np.testing.assert_allclose(fixed.input_vectors, compact.input_vectors, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("launch", [1, 3 * 500, 10 ** 6])
def test_launches_count_every_pair_once(launch):
    """Whatever the launch size (one step, several with a short last step, the whole epoch): every centre word is
    trained once an epoch, every context pair counted once."""
    n, window = 9001, 3
    enc = Encoded(np.random.default_rng(0).integers(0, 40, n).astype(np.int32), np.array([0, 4000, n], np.int64))
    vocab = Vocab([str(i) for i in range(40)], np.bincount(enc.ids, minlength=40))
    c = Config(model="skipgram", vector_size=8, window=window, sample=0.0, epochs=2, reduced_window=False,
               device="cpu", threads=1, backend="torch", batch_size=500, launch_batch=launch, progress=False)
    r = train_word2vec(c, vocab, enc, progress=False)
    edges = 2 * window * (window + 1)  # two documents, each missing the window's overhang at both ends
    assert r.pairs == 2 * (2 * window * n - edges) and r.effective_words == 2 * n
    assert np.isfinite(r.input_vectors).all() and r.epoch_losses[-1] < r.epoch_losses[0]


def test_launch_batch_is_validated():
    with pytest.raises(WordvecError, match="--launch-batch"):
        Config(launch_batch=-1).validate()
    with pytest.raises(WordvecError, match="--launch-batch"):
        Config(launch_batch=1 << 40).validate()


needs_cuda = pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_cuda_graphs_learn_what_hogwild_learns(corpus, hogwild, model, caplog):
    """On the GPU at its default launch (recorded once as a CUDA graph, then replayed)."""
    r = train(corpus, model=model, backend="torch", device="cuda", seed=4)
    assert "CUDA graph recording failed" not in caplog.text
    recall = group_recall(corpus[0], r.input_vectors)
    assert recall >= hogwild[model] - TOLERANCE, f"{model}: group recall {recall:.3f}, Hogwild {hogwild[model]:.3f}"


@pytest.mark.cuda
@needs_cuda
def test_cuda_graphs_replay_the_eager_steps(corpus, monkeypatch):
    """Graph replay against the same steps run eagerly (WORDVEC_CUDA_GRAPHS=0): the same pairs, losses within the
    noise of index_add_'s summation order on CUDA."""
    graphs = train(corpus, backend="torch", device="cuda", launch_batch=4 * GPU_STEP)
    monkeypatch.setenv("WORDVEC_CUDA_GRAPHS", "0")
    eager = train(corpus, backend="torch", device="cuda", launch_batch=4 * GPU_STEP)
    assert graphs.pairs == eager.pairs
    np.testing.assert_allclose(graphs.epoch_losses, eager.epoch_losses, rtol=2e-3)


@pytest.mark.slow
def test_device_script_dry_run(shared_data):
    """benchmarks/device_check.sh end to end on the CPU at tiny sizes (benchmarks/gpu.py --cpu-dry-run inside):
    every step and table printed, no run failed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHON": sys.executable, "DATASET": str(shared_data),
           "BUDGET": "900"}
    r = subprocess.run(["bash", str(ROOT / "benchmarks" / "device_check.sh"), "--cpu-dry-run"], capture_output=True,
                       text=True, env=env, timeout=1000)
    out = r.stdout
    assert r.returncode == 0, out[-3000:] + r.stderr[-2000:]
    assert "failed:" not in out and "error" not in out.lower(), out
    for header in ("== python and torch", "== wordvec", "== CUDA tests", "skipped", "== every GPU figure",
                   "| lab preset", "quality at the launch shape, tweets", "quality at the launch shape, planted",
                   "speed, zipf", "| processes |", "| skip-gram | torch cpu, seed 2 | 512 |", "== done"):
        assert header in out, f"{header!r} missing from:\n{out}"
    rows = [line for line in out.splitlines() if line.startswith("| sgns |") or line.startswith("| cbow |")]
    assert len(rows) == 6 + 4  # quality: 4 sgns + 2 cbow engines; speed: hogwild + one launch per arch
    # the fourth cell is F1 in a quality row, words/s in a speed row: both measured, so above 0
    assert all(float(line.split("|")[4].replace(",", "")) > 0 for line in rows), rows


def test_a_run_killed_between_launches_resumes_bit_identical(tmp_path):
    """Checkpoints fall between launches of several steps; the resumed run draws what the whole run drew."""
    from test_resume import _cmd, _corpus, _killed_at_a_checkpoint, _run, _same_tensors

    data = _corpus(tmp_path / "data", "sgns")
    flags = ("--backend", "torch", "--device", "cpu", "--batch-size", "512", "--launch-batch", "2048", "--epochs",
             "2")
    whole = tmp_path / "whole"
    done = _run(_cmd("sgns", data, whole, *flags, "--checkpoint-every", "0"))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "killed"
    _killed_at_a_checkpoint(_cmd("sgns", data, out, *flags, "--checkpoint-every", "0.05"))
    resumed = _run(_cmd("sgns", data, out, *flags, "--checkpoint-every", "0.05", "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    _same_tensors(whole, out)
