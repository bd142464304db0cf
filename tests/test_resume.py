"""Runs that survive a kill, as real CLI processes: SIGKILL at a random moment, `--resume`, and the vectors are
bit-identical to a run that was never interrupted; SIGTERM saves a checkpoint; a different run is refused."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from fakes import signal_when_training

CONFIGS = {
    "lab": ["--preset", "lab", "--min-count", "2", "--batch-size", "512", "--epochs", "4", "--vector-size", "16"],
    "sgns": ["--preset", "sgns", "--tokenizer", "simple", "--min-count", "1", "--epochs", "6", "--vector-size",
             "16"],
    "cbow-hs": ["--preset", "cbow", "--loss", "hs", "--tokenizer", "simple", "--min-count", "1", "--epochs", "6",
                "--vector-size", "16"],
}


def _corpus(folder: Path, kind: str) -> Path:
    rng = np.random.default_rng(3)
    words = np.array([f"w{i}" for i in range(600)] if kind != "lab" else
                     ["cat", "dog", "fish", "bird", "tree", "car", "road", "house", "river", "stone", "sun", "moon",
                      "rain", "snow", "wind", "fire"])
    p = 1 / np.arange(1, len(words) + 1)
    lines = [" ".join(rng.choice(words, 15, p=p / p.sum())) for _ in range(20000 if kind != "lab" else 3000)]
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "lab":
        path = folder / "train.csv"
        path.write_text("id,label,tweet\n" + "".join(f"{i},{i % 2},{t}\n" for i, t in enumerate(lines)))
        return folder
    path = folder / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cmd(kind: str, data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "wordvec", "train", *CONFIGS[kind], "--dataset", str(data), "--out", str(out),
            "--threads", "1", "--no-progress", "-q", *extra]


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)


def _terminated(args: list[str], lock: Path) -> tuple[int, str]:
    """Start `wordvec train`, SIGTERM it while it trains; (exit code, stderr). How long a run takes depends on the
    machine: a run that finished before the signal, or was stopped before it trained, is tried again with another
    delay, so that the caller always gets a run stopped mid-training."""
    out = Path(args[args.index("--out") + 1])
    checkpoint = out.parent / f"{out.name}.checkpoint"
    for after in (0.5, 0.2, 1.0, 0.1, 2.0):
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        signal_when_training(proc, lock, after=after)
        _, err = proc.communicate(timeout=120)
        if checkpoint.is_file():
            return proc.returncode, err
        shutil.rmtree(out, ignore_errors=True)
    raise AssertionError(f"no try stopped the run mid-training; last stderr: {err}")


def _tensors(run: Path) -> dict[str, np.ndarray]:
    return load_file(str(run / "model.safetensors"))


def _killed_at_a_checkpoint(args: list[str]) -> None:
    """Start `wordvec train` (`args`, which checkpoint often) and SIGKILL it as soon as its first checkpoint is
    on disk; skip when the run finished first."""
    out = Path(args[args.index("--out") + 1])
    ckpt = out.parent / f"{out.name}.checkpoint"
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    if not ckpt.exists() or (out / "metrics.json").exists():
        pytest.skip("the run finished before a checkpoint could be interrupted")


def _same_tensors(want_run: Path, got_run: Path) -> dict[str, np.ndarray]:
    """Two runs saved bit-identical matrices (returns the first run's)."""
    want, got = _tensors(want_run), _tensors(got_run)
    assert set(want) == set(got)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    return want


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_sigkill_at_a_random_moment_then_resume_is_bit_identical(tmp_path, kind):
    data = _corpus(tmp_path / "data", kind)
    whole = tmp_path / "whole"
    done = _run(_cmd(kind, data, whole, "--checkpoint-every", "0"))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "killed"
    ckpt = tmp_path / "killed.checkpoint"
    rng = random.Random(kind)
    for attempt in range(5):  # kill once a checkpoint exists, at a random moment after it
        proc = subprocess.Popen(_cmd(kind, data, out, "--checkpoint-every", "0.05"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        if ckpt.exists() and not (out / "metrics.json").exists():
            break
    else:
        pytest.skip("the run finished before it could be killed five times in a row")
    resumed = _run(_cmd(kind, data, out, "--checkpoint-every", "0.05", "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    assert not ckpt.exists(), "the checkpoint is removed once the run is written"
    want, got = _tensors(whole), _tensors(out)
    assert set(want) == set(got)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_sigterm_saves_a_checkpoint_and_a_restart_resumes(tmp_path):
    data = _corpus(tmp_path / "data", "sgns")
    out = tmp_path / "run"
    args = _cmd("sgns", data, out, "--epochs", "100")
    code, err = _terminated(args, tmp_path / ".run.lock")
    assert code == 143 and "Traceback" not in err, err
    assert "--resume" in err and (tmp_path / "run.checkpoint").is_file() and not out.exists()
    again = _run(args)  # without --resume: refused, the checkpoint kept
    assert again.returncode == 2 and "--resume" in again.stderr and (tmp_path / "run.checkpoint").is_file()
    different = _run(_cmd("sgns", data, out, "--epochs", "100", "--window", "3", "--resume"))
    assert different.returncode == 2 and "--window 5 -> 3" in different.stderr
    # a torchrun restart (--max-restarts) sets TORCHELASTIC_RESTART_COUNT: the same command resumes without --resume
    restarted = _run(args, env={**os.environ, "TORCHELASTIC_RESTART_COUNT": "1"})
    assert restarted.returncode == 0, restarted.stderr
    assert (out / "metrics.json").is_file() and not (tmp_path / "run.checkpoint").exists()


def test_nothing_to_resume(tmp_path):
    data = _corpus(tmp_path / "data", "sgns")
    r = _run(_cmd("sgns", data, tmp_path / "run", "--resume"))
    assert r.returncode == 2 and "nothing to resume" in r.stderr and not (tmp_path / "run").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE")
def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path):
    """A file-size limit makes the next checkpoint fail mid-write: one error line, the previous one intact."""
    data = _corpus(tmp_path / "data", "sgns")
    out = tmp_path / "run"
    args = _cmd("sgns", data, out, "--checkpoint-every", "0.05")
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ckpt = tmp_path / "run.checkpoint"
    deadline = time.time() + 60
    while not ckpt.exists() and time.time() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    before = ckpt.read_bytes()
    limit = len(before) // 2  # smaller than one checkpoint: the next write fails half way

    def small_files():
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run(args + ["--resume"], capture_output=True, text=True, timeout=600, preexec_fn=small_files)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot write" in lines[0], r.stderr
    assert ckpt.read_bytes() == before, "the previous checkpoint must survive"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".run.checkpoint")] == []


def test_a_cli_checkpoint_loads_as_a_word2vec_model(tmp_path):
    """The state file of a stopped `wordvec train --preset sgns` is also a model file: Word2Vec.load reads it."""
    from wordvec import Word2Vec

    data = _corpus(tmp_path / "data", "sgns")
    out = tmp_path / "run"
    _terminated(_cmd("sgns", data, out, "--epochs", "100"), tmp_path / ".run.lock")
    model = Word2Vec.load(tmp_path / "run.checkpoint")
    assert model.vector_size == 16 and len(model.wv) == 600 and model.sg == 1
    assert model.wv.most_similar(model.wv.index_to_key[0], topn=3)
