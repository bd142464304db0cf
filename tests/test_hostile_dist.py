"""Hostile inputs to the several-process path and the Python API's corpus: the launcher's environment (RANK,
WORLD_SIZE, MASTER_PORT, ...) checked before any work, a foreign program on MASTER_PORT, `--nproc` refusing before it
starts processes, raw torchrun failures reduced to wordvec's one line per rank, and tokens that are not strings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from wordvec import Word2Vec
from wordvec.errors import WordvecError

ENV = {k: v for k, v in os.environ.items()
       if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
       and not k.startswith("TORCHELASTIC_")}
ENV.update(OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
SGNS = ["--preset", "sgns", "--tokenizer", "simple", "--min-count", "1", "--epochs", "1", "--vector-size", "8",
        "--threads", "1", "--no-progress", "-q"]


def _corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 200)
    return path


def _wordvec(args, env=None, timeout=120, **kw):
    return subprocess.run([sys.executable, "-m", "wordvec", *args], capture_output=True, text=True,
                          env={**ENV, **(env or {})}, timeout=timeout, **kw)


def _one_error_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and lines[0].startswith("wordvec: error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


BAD_ENVIRONMENTS = [
    ({"RANK": "abc"}, "RANK='abc' is not a whole number"),
    ({"WORLD_SIZE": "abc"}, "WORLD_SIZE='abc' is not a whole number"),
    ({"RANK": "1"}, "RANK=1 but WORLD_SIZE is not set"),
    ({"RANK": "2", "WORLD_SIZE": "2"}, "RANK=2 but WORLD_SIZE is 2"),
    ({"WORLD_SIZE": "0"}, "WORLD_SIZE=0 is out of range"),
    ({"WORLD_SIZE": "-3"}, "WORLD_SIZE=-3 is out of range"),
    ({"RANK": "-1", "WORLD_SIZE": "2"}, "RANK=-1 is out of range"),
    ({"WORLD_SIZE": "2"}, "RANK is not set"),
    ({"WORLD_SIZE": "2", "RANK": "0"}, "MASTER_ADDR is not set"),
    ({"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1"}, "MASTER_PORT is not set"),
    ({"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "http"}, "MASTER_PORT='http'"),
    ({"WORLD_SIZE": "2", "RANK": "0", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "70000"}, "MASTER_PORT=70000"),
    ({"LOCAL_RANK": "x"}, "LOCAL_RANK='x'"),
    ({"LOCAL_RANK": "3", "LOCAL_WORLD_SIZE": "2"}, "LOCAL_RANK=3 but LOCAL_WORLD_SIZE is 2"),
    ({"TORCHELASTIC_RESTART_COUNT": "once"}, "TORCHELASTIC_RESTART_COUNT='once'"),
    ({"TORCHELASTIC_MAX_RESTARTS": "-1"}, "TORCHELASTIC_MAX_RESTARTS=-1"),
    ({"WORDVEC_DIST_TIMEOUT": "0"}, "WORDVEC_DIST_TIMEOUT='0'"),
    ({"WORDVEC_DIST_TIMEOUT": "nan"}, "WORDVEC_DIST_TIMEOUT='nan'"),
]


@pytest.mark.parametrize("env,message", BAD_ENVIRONMENTS, ids=[m for _, m in BAD_ENVIRONMENTS])
def test_a_bad_launcher_environment_is_one_line_before_any_work(tmp_path, env, message):
    out = tmp_path / "run"
    r = _wordvec(["train", *SGNS, "--dataset", str(_corpus(tmp_path)), "--out", str(out)], env)
    assert message in _one_error_line(r)
    assert not out.exists() and not list(tmp_path.glob(".run*")) and not (tmp_path / "run.checkpoint").exists()


def test_a_bad_environment_leaves_an_existing_run_alone(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    r = _wordvec(["train", *SGNS, "--dataset", str(_corpus(tmp_path)), "--out", str(out), "--overwrite"],
                 {"RANK": "abc"})
    _one_error_line(r)
    assert [p.name for p in out.iterdir()] == ["mine.txt"] and (out / "mine.txt").read_text() == "keep"


def test_rank_zero_alone_and_other_commands_are_not_bothered(tmp_path):
    """RANK=0 (and WORLD_SIZE=1) is one process; commands that do not train ignore the launcher's variables."""
    out = tmp_path / "run"
    r = _wordvec(["train", *SGNS, "--dataset", str(_corpus(tmp_path)), "--out", str(out)],
                 {"RANK": "0", "WORLD_SIZE": "1"})
    assert r.returncode == 0, r.stderr
    assert (out / "vectors.txt").is_file()
    r = _wordvec(["neighbors", str(out), "cat"], {"RANK": "abc"})
    assert r.returncode == 0 and r.stdout.startswith("cat:"), r.stderr


class _Mute:
    """A program on a port that accepts connections and never answers (not a torch.distributed store)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize("rank", ["1", "0"])
def test_a_foreign_listener_on_master_port_cannot_make_a_rank_wait_past_the_timeout(tmp_path, rank):
    pytest.importorskip("torch.distributed")
    mute = _Mute()
    timeout = 3
    out = tmp_path / "run"
    try:
        t0 = time.monotonic()
        r = _wordvec(["train", *SGNS, "--dataset", str(_corpus(tmp_path)), "--out", str(out)],
                     {"WORLD_SIZE": "2", "RANK": rank, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(mute.port),
                      "WORDVEC_DIST_TIMEOUT": str(timeout)}, timeout=180)
        seconds = time.monotonic() - t0
    finally:
        mute.close()
    line = _one_error_line(r)
    assert f"rank {rank}: could not join the other processes" in line
    assert "gloo" not in line and ".cpp" not in line and ".cc:" not in line
    # the timeout, the margin (JOIN_MARGIN) and a generous allowance for starting Python on a busy machine
    assert seconds < timeout + 5 + 60, f"took {seconds:.0f} s"
    assert not out.exists()


def test_nproc_refuses_an_existing_out_before_starting_processes(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    r = _wordvec(["train", *SGNS, "--dataset", str(_corpus(tmp_path)), "--out", str(out), "--nproc", "2"])
    assert "already exists" in _one_error_line(r)
    assert "torchrun" not in r.stderr and "rank" not in r.stderr  # no process was started
    assert (out / "mine.txt").read_text() == "keep"


@pytest.mark.parametrize("extra,message", [
    (["--dataset", "/nonexistent/corpus.txt"], "does not exist"),
    (["--resume"], "nothing to resume"),
    (["--tensorboard", "FILE"], "is a file"),
    (["--checkpoint-every", "-1"], "checkpoint-every"),
])
def test_nproc_checks_everything_checkable_before_starting_processes(tmp_path, extra, message):
    extra = [str(tmp_path / "f.txt") if a == "FILE" else a for a in extra]
    (tmp_path / "f.txt").write_text("x")
    args = ["train", *SGNS, "--out", str(tmp_path / "run"), "--nproc", "2", *extra]
    if "--dataset" not in extra:
        args += ["--dataset", str(_corpus(tmp_path))]
    r = _wordvec(args)
    assert message in _one_error_line(r)
    assert not (tmp_path / "run").exists()


def test_raw_torchrun_failures_are_one_wordvec_line_per_rank_and_nothing_of_ours_else(tmp_path):
    """torchrun itself still prints its launcher's traceback and a failure summary; the summary names wordvec's
    line (each rank records it in torchrun's error file), and no traceback, frame or gloo message of ours shows."""
    pytest.importorskip("torch.distributed")
    out = tmp_path / "run"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "wordvec",
           "train", *SGNS, "--dataset", str(_corpus(tmp_path)), "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**ENV, "WORDVEC_DIST_TIMEOUT": "60"}, timeout=300)
    assert r.returncode != 0
    ours = [line for line in r.stderr.splitlines() if line.startswith("wordvec:")]
    assert sorted(ours) == sorted(set(ours)) and len(ours) == 2, r.stderr
    assert any("already exists" in line for line in ours)
    assert any("rank 1: stopped because another rank failed" in line for line in ours)
    assert "wordvec/" not in r.stderr.replace("/wordvec/.venv", ""), r.stderr  # no frame of wordvec's code
    assert "gloo" not in r.stderr.lower()
    assert "traceback : wordvec: error:" in r.stderr  # torchrun's summary names the cause
    assert (out / "mine.txt").read_text() == "keep"


def test_a_lost_peer_is_named_without_gloo_internals():
    from wordvec.distributed import collective_error

    e = RuntimeError("[../third_party/gloo/gloo/transport/tcp/pair.cc:534] Connection closed by peer "
                     "[127.0.0.1]:43417")
    text = str(collective_error(e))
    assert "a peer closed the connection" in text and "gloo" not in text and "pair.cc" not in text
    e = RuntimeError("[/pytorch/third_party/gloo/gloo/transport/tcp/unbound_buffer.cc:81] Timed out waiting 60000ms")
    assert "(timed out)" in str(collective_error(e))
    odd = RuntimeError("[../torch/csrc/distributed/c10d/Utils.hpp:12] something new")
    assert "(something new)" in str(collective_error(odd))


# --- tokens that are not strings (the Python API) -----------------------------------------------------------------

BAD_CORPORA = [
    ([[1, 2, 3]] * 50, "token 1 of sentence 1 is int 1"),
    ([["a", "b"]] * 3 + [["c", None]], "token 2 of sentence 4 is NoneType None"),
    ([["a", b"bytes"]], "token 2 of sentence 1 is bytes b'bytes'"),
    ([["a", 2.5]], "float 2.5"),
    ([["a"], 7], "sentence 2 is int 7"),
    ([["a"], None], "sentence 2 is NoneType None"),
]


@pytest.mark.parametrize("corpus,message", BAD_CORPORA, ids=[m for _, m in BAD_CORPORA])
def test_non_string_tokens_are_a_typeerror_naming_the_token(corpus, message):
    with pytest.raises(TypeError, match=message) as info:
        Word2Vec(corpus, min_count=1, vector_size=4, workers=1)
    assert isinstance(info.value, WordvecError)
    model = Word2Vec(vector_size=4, min_count=1, workers=1)
    with pytest.raises(TypeError, match=message):
        model.build_vocab(corpus)
    assert len(model.wv) == 0  # refused before any vocabulary was taken


@pytest.mark.parametrize("corpus,message", BAD_CORPORA[:3], ids=[m for _, m in BAD_CORPORA[:3]])
def test_training_on_non_string_tokens_is_refused_and_changes_nothing(corpus, message):
    model = Word2Vec([["a", "b", "c"]] * 30, min_count=1, vector_size=4, workers=1, seed=1)
    before = model.wv.vectors.copy()
    with pytest.raises(TypeError, match=message):
        model.train(corpus, total_examples=len(corpus), epochs=1)
    assert (model.wv.vectors == before).all()


@pytest.mark.parametrize("key", [1, None, b"x", 2.5])
def test_build_vocab_from_freq_refuses_keys_that_are_not_words(key):
    model = Word2Vec(vector_size=4, min_count=1, workers=1)
    with pytest.raises(TypeError, match=f"holds the key {type(key).__name__} {key!r}"):
        model.build_vocab_from_freq({"a": 3, key: 5})
    assert len(model.wv) == 0


def test_a_generator_of_non_string_tokens_is_refused_too():
    with pytest.raises(TypeError, match="token 1 of sentence 1 is int 5"):
        Word2Vec(vector_size=4, min_count=1, workers=1).build_vocab([5, 6] for _ in range(3))


def test_a_list_of_strings_is_still_refused_as_before():
    with pytest.raises(TypeError, match="sentence 1 is a string"):
        Word2Vec(["the cat sat", "on the mat"], min_count=1, vector_size=4)
    with pytest.raises(TypeError, match="got the string"):
        Word2Vec("the cat sat on the mat", min_count=1, vector_size=4)


# --- the sync share ---------------------------------------------------------------------------------------------------

def test_a_high_sync_share_gives_a_hint_and_a_low_one_none():
    from wordvec.distributed import HIGH_SYNC_SHARE, sync_hint

    hint = sync_hint(2, 30, sync_seconds=4.2, collective_seconds=3.0, train_seconds=10.0, sync_words=20_000)
    assert hint.startswith("hint: the 2 processes spent 42% of training synchronising (30 syncs every 20,000 words")
    assert "--threads" in hint and "--sync-words" in hint and "71% of that in collectives" in hint
    low = HIGH_SYNC_SHARE * 10.0 * 0.99
    assert sync_hint(2, 30, low, low, 10.0, 20_000) is None
    assert sync_hint(2, 0, 0.0, 0.0, 0.0, 20_000) is None  # nothing trained: no division by zero


def test_a_run_that_mostly_synchronises_says_so(tmp_path):
    pytest.importorskip("torch.distributed")
    out = tmp_path / "run"
    r = _wordvec(["train", *SGNS, "--epochs", "3", "--sync-words", "1000", "--dataset", str(_corpus(tmp_path)),
                  "--out", str(out), "--nproc", "2"], {"WORDVEC_DIST_TIMEOUT": "60"}, timeout=300)
    assert r.returncode == 0, r.stderr
    hints = [line for line in r.stderr.splitlines() if line.startswith("wordvec: hint: the 2 processes spent")]
    assert len(hints) == 1, r.stderr
    assert (out / "vectors.txt").is_file()
