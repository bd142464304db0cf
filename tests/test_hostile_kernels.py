"""Hostile input for the training kernels, through the real command line and the Python API: non-finite or
float32-overflowing learning rates, NaN/inf rows in the matrices a run continues from (a model, a saved model, a
checkpoint), matrices of the wrong shape behind a token store, a checkpoint falling due after the loss became NaN, a
one-word vocabulary in the lab, a noise table that overflows. Each ends with one `wordvec: error:` line and exit 2
(never a signal), or a WordvecError, with nothing the user had changed and nothing left behind."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from test_hostile import expect_error, snapshot
from wordvec import Word2Vec
from wordvec.cli import main
from wordvec.errors import WordvecError
from wordvec.state import Checkpointer, load_state, save_state
from wordvec.weights import INPUT, OUTPUT

WORDS = [f"w{i}" for i in range(60)]
KERNELS = ["c", "numba"]


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch):
    monkeypatch.delenv("WORDVEC_KERNELS", raising=False)


def _text(folder: Path, n: int = 1500) -> Path:
    """A plain-text corpus of 12-word lines over 60 words (about 18,000 tokens: several kernel chunks)."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [" ".join(rng.choice(WORDS[:rng.integers(5, 60)], 12)) for _ in range(n)]
    path = folder / "small.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _train(data: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "--preset", "sgns", "--dataset", str(data), "--tokenizer", "simple", "--min-count", "2",
            "--out", str(out), "--threads", "1", "--epochs", "1", "--vector-size", "8", "--no-progress", *extra]


def _sentences(n: int = 300) -> list[list[str]]:
    rng = np.random.default_rng(1)
    return [list(rng.choice(WORDS[:20], 8)) for _ in range(n)]


def _run_cli(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    """`wordvec ARGS` in a child process: a signal there shows as a negative exit code, not a dead test run."""
    return subprocess.run([sys.executable, "-m", "wordvec", *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("wordvec: error:")]
    assert len(errors) == 1 and "Traceback" not in err, err[-3000:]
    return errors[0]


# --- learning rates: finite as float32, at every entry -----------------------------------------------------------

@pytest.mark.parametrize("flags,contains", [
    (["--lr", "1e39"], "--lr"),
    (["--lr", "4e38"], "--lr"),  # finite as float64, inf as float32
    (["--lr", "-4e38"], "--lr"),
    (["--min-lr", "1e39", "--lr", "0.025"], "--min-lr"),
])
def test_learning_rates_beyond_float32_are_refused(flags, contains, tmp_path, capsys):
    data = _text(tmp_path / "data")
    expect_error(_train(data, tmp_path / "r", *flags), capsys, contains, tmp_path)


@pytest.mark.parametrize("kernels", KERNELS)
def test_a_diverging_run_ends_with_the_divergence_line_never_a_signal(kernels, tmp_path):
    """The largest learning rate float32 holds: the weights blow up within the first chunk."""
    data = _text(tmp_path / "data")
    before = snapshot(tmp_path)
    out = _run_cli(_train(data, tmp_path / "r", "--lr", "3.4e38"), {"WORDVEC_KERNELS": kernels})
    assert out.returncode == 2, (out.returncode, out.stderr[-3000:])
    assert "diverged" in _one_error_line(out.stderr)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kw,name", [
    ({"alpha": 1e39}, "alpha"), ({"alpha": 4e38}, "alpha"), ({"alpha": float("nan")}, "alpha"),
    ({"min_alpha": 4e38}, "min_alpha"),
])
def test_word2vec_refuses_learning_rates_beyond_float32(kw, name):
    with pytest.raises(WordvecError, match=name):
        Word2Vec(_sentences(), vector_size=8, min_count=1, epochs=1, workers=1, **kw)


@pytest.mark.parametrize("kw,name", [
    ({"start_alpha": 4e38}, "start_alpha"), ({"start_alpha": float("inf")}, "start_alpha"),
    ({"start_alpha": float("nan")}, "start_alpha"), ({"end_alpha": -1e39}, "end_alpha"),
])
def test_train_refuses_learning_rates_beyond_float32(kw, name):
    model = Word2Vec(_sentences(), vector_size=8, min_count=1, epochs=1, workers=1)
    before = model.wv.vectors.copy()
    with pytest.raises(WordvecError, match=name):
        model.train(_sentences(), total_examples=300, epochs=1, **kw)
    np.testing.assert_array_equal(model.wv.vectors, before)


# --- matrices to continue from: finite, and the shapes the vocabulary needs ---------------------------------------

@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("where,value", [("wv.vectors", np.nan), ("wv.vectors", np.inf), ("syn1neg", -np.inf)])
def test_a_nan_row_before_train_is_refused(kernels, where, value, monkeypatch):
    monkeypatch.setenv("WORDVEC_KERNELS", kernels)
    model = Word2Vec(_sentences(), vector_size=8, min_count=1, epochs=1, workers=1)
    matrix = model.wv.vectors if where == "wv.vectors" else model.syn1neg
    matrix[3] = value
    before = [m.copy() for m in (model.wv.vectors, model.syn1neg)]
    with pytest.raises(WordvecError, match="NaN or infinite"):
        model.train(_sentences(), total_examples=300, epochs=1)
    for m, b in zip((model.wv.vectors, model.syn1neg), before):
        np.testing.assert_array_equal(m, b)


def test_a_saved_model_with_a_nan_row_is_refused_when_trained(tmp_path):
    model = Word2Vec(_sentences(), vector_size=8, min_count=1, epochs=1, workers=1)
    model.wv.vectors[5] = np.nan
    model.save(str(tmp_path / "m.model"))
    loaded = Word2Vec.load(str(tmp_path / "m.model"))
    before = snapshot(tmp_path)
    with pytest.raises(WordvecError, match="NaN or infinite"):
        loaded.train(_sentences(), total_examples=300, epochs=1)
    assert snapshot(tmp_path) == before


def _checkpoint(args: list[str], monkeypatch) -> None:
    """Run `args` until its first checkpoint, as a SIGTERM would stop it (the checkpoint stays)."""
    with monkeypatch.context() as m:
        m.setattr(Checkpointer, "due", lambda self: (self.stop(), True)[1])
        assert main(args) != 0


def _rewrite(path: Path, change) -> None:
    """Write the checkpoint at `path` again with change(tensors) applied, through wordvec's own writer."""
    tensors, header = load_state(path)
    tensors = {k: np.array(v) for k, v in tensors.items()}
    change(tensors)
    kind = header.pop("kind")
    for key in ("format", "version"):
        header.pop(key, None)
    save_state(path, kind, tensors, header)


@pytest.mark.parametrize("kernels,preset,matrix", [("c", "sgns", INPUT), ("numba", "sgns", INPUT),
                                                    ("c", "sgns", OUTPUT), ("c", "lab", OUTPUT)])
def test_resume_from_a_checkpoint_with_a_nan_row_is_refused(kernels, preset, matrix, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORDVEC_KERNELS", kernels)
    data = _text(tmp_path / "data")
    args = _train(data, tmp_path / "r", "--epochs", "2")
    args[args.index("--preset") + 1] = preset
    _checkpoint(args, monkeypatch)
    ckpt = tmp_path / "r.checkpoint"
    assert ckpt.exists()

    def nan_row(t):
        t[matrix][2] = np.nan

    _rewrite(ckpt, nan_row)
    capsys.readouterr()
    expect_error(args + ["--resume"], capsys, "NaN", tmp_path)


@pytest.mark.parametrize("kernels", KERNELS)
def test_a_store_and_a_checkpoint_with_too_few_rows_are_refused(kernels, tmp_path, capsys, monkeypatch):
    """A token store skips the corpus checks it made on open; the matrices' shapes are checked all the same (the
    numba kernels once wrote past them)."""
    monkeypatch.setenv("WORDVEC_KERNELS", kernels)
    data = _text(tmp_path / "data")
    assert main(["prepare", "--dataset", str(data), "--tokenizer", "simple", "--min-count", "2", "--out",
                 str(tmp_path / "st")]) == 0
    args = ["train", "--preset", "sgns", "--dataset", str(tmp_path / "st"), "--tokenizer", "simple", "--min-count",
            "2", "--out", str(tmp_path / "r"), "--threads", "1", "--epochs", "2", "--vector-size", "8",
            "--no-progress"]
    _checkpoint(args, monkeypatch)

    def fewer_rows(t):
        for name in (INPUT, OUTPUT):
            t[name] = np.ascontiguousarray(t[name][:10])

    _rewrite(tmp_path / "r.checkpoint", fewer_rows)
    capsys.readouterr()
    expect_error(args + ["--resume"], capsys, "", tmp_path)


@pytest.mark.parametrize("kernels", KERNELS)
def test_the_engine_checks_shapes_whatever_the_corpus(kernels, monkeypatch):
    from wordvec.config import Config
    from wordvec.engine import Weights, train_word2vec
    from wordvec.vocab import Encoded, Vocab

    monkeypatch.setenv("WORDVEC_KERNELS", kernels)
    vocab = Vocab([f"w{i}" for i in range(20)], np.arange(40, 20, -1))
    ids = np.tile(np.arange(20, dtype=np.int32), 50)
    encoded = Encoded(ids, np.arange(0, len(ids) + 1, 10, dtype=np.int64), checked=True)
    config = Config(model="skipgram", loss="ns", vector_size=8, epochs=1, threads=1, device="cpu",
                    backend="hogwild", progress=False, sample=0.0)
    small = Weights(np.zeros((10, 8), np.float32), None, np.zeros((10, 8), np.float32))
    with pytest.raises(WordvecError, match="shape"):
        train_word2vec(config, vocab, encoded, progress=False, weights=small)
    wide = Weights(np.zeros((20, 8), np.float64), None, np.zeros((20, 8), np.float32))
    with pytest.raises(WordvecError, match="float32"):
        train_word2vec(config, vocab, encoded, progress=False, weights=wide)


# --- a checkpoint due after the loss became NaN -------------------------------------------------------------------

@pytest.mark.parametrize("preset,extra", [
    ("lab", ["--lr", "1e30"]),
    ("sgns", ["--backend", "torch", "--lr", "1e30"]),
    ("sgns-c", ["--lr", "3e38"]),
    ("sgns-numba", ["--lr", "3e38"]),
])
def test_a_checkpoint_due_after_divergence_prints_the_divergence_line(preset, extra, tmp_path, capsys,
                                                                      monkeypatch):
    """A checkpoint falls due at every boundary: the first one after the loss or weights became NaN/inf ends the
    run with the divergence line, and no checkpoint holds NaN."""
    preset, _, kernels = preset.partition("-")
    if kernels:
        monkeypatch.setenv("WORDVEC_KERNELS", kernels)
    data = _text(tmp_path / "data")
    args = ["train", "--preset", preset, "--dataset", str(data), "--tokenizer", "simple", "--min-count", "2",
            "--out", str(tmp_path / "r"), "--threads", "1", "--epochs", "2", "--no-progress", *extra]
    monkeypatch.setattr(Checkpointer, "due", lambda self: True)
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err[-3000:]
    assert "diverged" in _one_error_line(err)
    assert not (tmp_path / "r").exists()
    ckpt = tmp_path / "r.checkpoint"
    if ckpt.exists():  # the last save before the divergence was seen: finite
        tensors, header = load_state(ckpt)
        for name, t in tensors.items():
            if np.asarray(t).dtype.kind == "f":
                assert np.isfinite(np.asarray(t)).all(), name


# --- the lab on a one-word vocabulary; the noise table --------------------------------------------------------------

def test_the_lab_on_a_one_word_vocabulary_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "one.txt").write_text("one one one one\none one\n")
    expect_error(["train", "--preset", "lab", "--dataset", str(tmp_path / "one.txt"), "--tokenizer", "simple",
                  "--min-count", "1", "--out", str(tmp_path / "r"), "--no-progress"], capsys, "at least 2",
                 tmp_path)


def test_the_divergence_check_survives_a_zero_chance_loss():
    from wordvec.weights import check_finite

    check_finite(0, 0.0, 1.0, lr=0.1, chance=0.0)  # nothing to compare with: not an error
    with pytest.raises(WordvecError, match="diverged"):
        check_finite(0, math.nan, 1.0, lr=0.1, chance=0.0)


@pytest.mark.parametrize("value", ["1e30", "1000"])
def test_a_noise_table_that_overflows_is_refused(value, tmp_path, capsys):
    data = _text(tmp_path / "data")
    expect_error(_train(data, tmp_path / "r", "--ns-exponent", value), capsys, "ns-exponent", tmp_path)


def test_the_api_refuses_a_noise_table_that_overflows():
    with pytest.raises(WordvecError, match="ns_exponent"):
        Word2Vec(_sentences(), vector_size=8, min_count=1, epochs=1, workers=1, ns_exponent=1e30)


def test_noise_distribution_is_finite_or_refused():
    from wordvec.vocab import noise_distribution

    counts = np.array([5, 3, 2, 2])
    for bad in (1e30, 2000.0, -1e30):  # overflows; vanishes for every word
        with pytest.raises(WordvecError, match="ns_exponent"):
            noise_distribution(counts, bad)
    for ok in (0.0, 0.75, 1.0, -0.5, -2.0):
        p = noise_distribution(counts, ok)
        assert np.isfinite(p).all() and p.sum() == pytest.approx(1.0)
    p = noise_distribution(np.array([1, 5, 7]), -1e30)  # a count of 1 keeps its mass: finite, one word
    assert np.isfinite(p).all() and p[0] == 1.0
