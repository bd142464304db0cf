"""Several processes through torch.distributed (gloo, on this machine): torchrun for the lab network (DDP equals one
process) and for skip-gram, two launchers as two "nodes", a killed rank, and a distributed resume."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

pytest.importorskip("torch.distributed")

WORDS = ["cat", "dog", "fish", "bird", "tree", "car", "road", "house", "river", "stone", "sun", "moon", "rain"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "WORDVEC_DIST_TIMEOUT": "60", "PYTHONUNBUFFERED": "1"}


def _lab_data(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["id,label,tweet"] + [f"{i},{i % 2},{' '.join(rng.choice(WORDS, 10))}" for i in range(3000)]
    (folder / "train.csv").write_text("\n".join(lines) + "\n")
    test = ["id,tweet"] + [f"{i},{' '.join(rng.choice(WORDS, 10))}" for i in range(300)]
    (folder / "test.csv").write_text("\n".join(test) + "\n")
    return folder


def _text(path: Path, lines: int = 20000) -> Path:
    rng = np.random.default_rng(1)
    words = np.array([f"w{i}" for i in range(400)])
    p = 1 / np.arange(1, 401)
    path.write_text("\n".join(" ".join(rng.choice(words, 15, p=p / p.sum())) for _ in range(lines)) + "\n")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(nproc: int, *args: str, **kw) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            "-m", "wordvec", "train", *args]


def _run(cmd: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV)


def _metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


LAB = ["--preset", "lab", "--min-count", "2", "--batch-size", "1024", "--epochs", "3", "--vector-size", "16",
       "--threads", "1", "--no-progress", "-q"]
SGNS = ["--preset", "sgns", "--tokenizer", "simple", "--min-count", "1", "--epochs", "3", "--vector-size", "16",
        "--threads", "1", "--no-progress", "-q", "--sync-words", "20000"]


def test_lab_network_under_ddp_equals_one_process(tmp_path):
    data = _lab_data(tmp_path / "data")
    one = _run([sys.executable, "-m", "wordvec", "train", *LAB, "--dataset", str(data), "--out", str(tmp_path / "1")])
    two = _run(_torchrun(2, *LAB, "--dataset", str(data), "--out", str(tmp_path / "2")))
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    m1, m2 = _metrics(tmp_path / "1"), _metrics(tmp_path / "2")
    assert m2["processes"] == 2 and m1["processes"] == 1
    assert abs(m1["final_loss"] - m2["final_loss"]) < 1e-4
    np.testing.assert_allclose(m1["heldout_losses"], m2["heldout_losses"], atol=1e-4)
    a, b = load_file(str(tmp_path / "1" / "model.safetensors")), load_file(str(tmp_path / "2" / "model.safetensors"))
    for name in a:
        np.testing.assert_allclose(a[name], b[name], atol=1e-4, err_msg=name)
    assert two.stdout.count("run written") == 1, "rank 0 alone reports"


def test_skipgram_on_two_processes_learns_like_one(tmp_path):
    text = _text(tmp_path / "c.txt")
    one = _run([sys.executable, "-m", "wordvec", "train", *SGNS, "--dataset", str(text), "--out", str(tmp_path / "1")])
    two = _run([sys.executable, "-m", "wordvec", "train", *SGNS, "--nproc", "2", "--dataset", str(text), "--out",
                str(tmp_path / "2")])
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    m1, m2 = _metrics(tmp_path / "1"), _metrics(tmp_path / "2")
    assert m2["processes"] == 2
    assert m2["epoch_losses"][-1] < m2["epoch_losses"][0]
    assert abs(m1["final_loss"] - m2["final_loss"]) < 0.02 * m1["final_loss"]
    assert m1["words"] == m2["words"]
    assert m2["sync"]["syncs"] > 3 and m2["sync"]["bytes_sent_by_rank0"] > 0 and m1["sync"] is None
    assert 0 < m2["sync"]["collective_seconds"] < m2["sync"]["seconds"] < m2["train_seconds"]


def test_two_nodes_with_a_c10d_rendezvous_on_localhost(tmp_path):
    text = _text(tmp_path / "c.txt", lines=6000)
    port = _free_port()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc-per-node=1", "--rdzv-backend=c10d",
           f"--rdzv-endpoint=127.0.0.1:{port}", "--rdzv-id=wordvec-test", "-m", "wordvec", "train", *SGNS,
           "--dataset", str(text), "--out", str(tmp_path / "run")]
    nodes = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
             for _ in range(2)]
    outs = [n.communicate(timeout=600) for n in nodes]
    assert all(n.returncode == 0 for n in nodes), [o[1][-2000:] for o in outs]
    assert _metrics(tmp_path / "run")["processes"] == 2
    assert sum(o[0].count("run written") for o in outs) == 1


def _parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def _worker_pids(launcher: int) -> dict[int, int]:
    """{rank: pid} of the ranks under `launcher` (torchrun's agent sits in between), read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = dict(e.split(b"=", 1) for e in (entry / "environ").read_bytes().split(b"\0") if b"=" in e)
            ancestors, pid = [], int(entry.name)
            for _ in range(4):
                pid = _parent(pid)
                ancestors.append(pid)
        except (OSError, ValueError, IndexError):
            continue
        if b"LOCAL_RANK" in env and b"RANK" in env and launcher in ancestors:
            found[int(env[b"RANK"])] = int(entry.name)
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_a_killed_rank_ends_the_job_with_one_clear_line(tmp_path):
    text = _text(tmp_path / "c.txt", lines=60000)
    launcher = subprocess.Popen([sys.executable, "-m", "wordvec", "train", *SGNS, "--epochs", "30", "--nproc", "2",
                                 "--dataset", str(text), "--out", str(tmp_path / "run")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.time() + 120
    pids: dict[int, int] = {}
    while time.time() < deadline and len(pids) < 2:
        time.sleep(0.5)
        pids = _worker_pids(launcher.pid)
    assert len(pids) == 2, "torchrun did not start two ranks"
    time.sleep(4)  # both are training
    os.kill(pids[1], signal.SIGKILL)
    t0 = time.time()
    _, err = launcher.communicate(timeout=180)
    assert time.time() - t0 < 120, "the job must end in bounded time"
    assert launcher.returncode == 2, err
    lines = [line for line in err.splitlines() if line.startswith("wordvec: error:")]
    assert lines and "Traceback" not in err, err
    assert not (tmp_path / "run").exists()


def test_distributed_resume_after_sigterm_ends_like_an_uninterrupted_run(tmp_path):
    text = _text(tmp_path / "c.txt", lines=20000)
    resumed_like_whole([*SGNS, "--epochs", "8", "--dataset", str(text)], tmp_path)


def resumed_like_whole(args: list[str], tmp_path: Path) -> dict[str, np.ndarray]:
    """`wordvec train args` on two processes, uninterrupted, and again stopped by SIGTERM once a checkpoint exists
    then resumed: the two runs' matrices must be bit-identical; returns them (skips when the run ended first)."""
    whole = _run(_torchrun(2, *args, "--out", str(tmp_path / "whole"), "--checkpoint-every", "0"))
    assert whole.returncode == 0, whole.stderr
    out = tmp_path / "run"
    proc = subprocess.Popen(_torchrun(2, *args, "--out", str(out), "--checkpoint-every", "0.2"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    ckpt = tmp_path / "run.checkpoint"
    deadline = time.time() + 120
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)  # torchrun passes it on to every rank
    proc.communicate(timeout=180)
    if (out / "metrics.json").exists():
        pytest.skip("the run finished before the signal arrived")
    assert ckpt.is_file()
    resumed = _run(_torchrun(2, *args, "--out", str(out), "--checkpoint-every", "0.2", "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    want, got = load_file(str(tmp_path / "whole" / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert set(want) == set(got)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    assert not ckpt.exists()
    return got


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_an_elastic_restart_resumes_from_the_last_checkpoint(tmp_path):
    """torchrun --max-restarts 1: a rank killed mid-run, the group restarted, training continues from the checkpoint
    and ends bit-identical to a run that was never interrupted. (Each restart joins under keys of its own in the
    launcher's store: reading the killed ranks' addresses, a restarted group's connections were refused.)"""
    text = _text(tmp_path / "c.txt", lines=20000)
    args = [*SGNS, "--epochs", "8", "--dataset", str(text)]
    whole = _run(_torchrun(2, *args, "--out", str(tmp_path / "whole"), "--checkpoint-every", "0"))
    assert whole.returncode == 0, whole.stderr
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "--max-restarts=1",
           "-m", "wordvec", "train", *args, "--out", str(out), "--checkpoint-every", "0.2"]
    job = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    ckpt = tmp_path / "run.checkpoint"
    deadline = time.time() + 120
    while not ckpt.exists() and job.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    pids = _worker_pids(job.pid)
    if job.poll() is not None or 1 not in pids:
        pytest.skip("the run finished before a rank could be killed")
    os.kill(pids[1], signal.SIGKILL)
    _, err = job.communicate(timeout=600)
    assert job.returncode == 0, err[-3000:]
    assert "resuming from" in err or (out / "metrics.json").is_file()
    want, got = load_file(str(tmp_path / "whole" / "model.safetensors")), load_file(str(out / "model.safetensors"))
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
