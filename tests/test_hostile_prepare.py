"""`wordvec prepare` as an attacker tries it: signals and kills mid-run, --overwrite on folders holding other files,
datasets holding wordvec's own outputs, names too long once suffixed, and the messages' fixes.

Every case runs through the real CLI (`main` in process, or a child process where a signal is involved) and checks
the one `wordvec: error:` line, the exit code, that nothing the user had changed and that nothing is left behind.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from wordvec.cli import main

TEXT = "the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n" * 40


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under root, with a hash of each file's bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def expect_error(args: list[str], capsys, contains: str, root: Path) -> str:
    """The command fails with one `wordvec: error:` line containing `contains`, exit 2, and root is unchanged."""
    before = snapshot(root)
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("wordvec: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert contains in err, err
    assert snapshot(root) == before
    return err


def _prepare(src: Path, out: Path, *flags: str) -> int:
    return main(["prepare", "--dataset", str(src), "--out", str(out), "--tokenizer", "simple", "--min-count", "1",
                 *flags])


# --------------------------------------------------------------------------------------------------- signals


def _cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "wordvec.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    """About 40 MB of text with half a million distinct words: two workers need several seconds for it."""
    path = tmp_path_factory.mktemp("big") / "big.txt"
    rng = np.random.default_rng(3)
    words = np.char.add("w", np.arange(500_000).astype(str))
    with open(path, "w") as f:
        for _ in range(20):
            lines = rng.choice(words, size=(25_000, 12))
            f.write("\n".join(map(" ".join, lines.tolist())) + "\n")
    return path


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _start_mid_run(src: Path, out: Path) -> tuple[subprocess.Popen, list[int]]:
    """Start `prepare --workers 2` and wait until both workers are tokenising (part files in the temporary folder)."""
    proc = _cli("prepare", "--dataset", str(src), "--out", str(out), "--tokenizer", "simple", "--workers", "2")
    deadline = time.time() + 120
    workers: list[int] = []
    while time.time() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        parts = [p for t in out.parent.glob(f".{out.name}.*.tmp") for p in t.glob("part-*")]
        if len(workers) >= 2 and parts:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    assert len(workers) >= 2, "the workers never started"
    return proc, workers


def _wait_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.time() + seconds
    while time.time() < deadline and any(map(_alive, pids)):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


@pytest.mark.parametrize("sig, code, word, group", [(signal.SIGTERM, 143, "terminated", False),
                                                    (signal.SIGINT, 130, "interrupted", False),
                                                    (signal.SIGINT, 130, "interrupted", True)])  # Ctrl-C
def test_a_signal_mid_run_stops_parent_and_workers_and_leaves_nothing(big_corpus, tmp_path, sig, code, word, group):
    out = tmp_path / "store"
    proc, workers = _start_mid_run(big_corpus, out)
    if group:  # the terminal sends Ctrl-C to the whole foreground group: the workers get it too
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:  # a hang is unbounded; the bound only has to hold on a loaded 2-core machine removing a large folder
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("prepare did not exit within 60 s of the signal")
    assert proc.returncode == code, err
    assert err.endswith(f"\nwordvec: {word}; nothing was written\n") and "Traceback" not in err, err
    assert _wait_gone(workers) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_kill_9_of_the_parent_kills_the_workers_and_the_next_prepare_cleans_up(big_corpus, tmp_path):
    out = tmp_path / "store"
    proc, workers = _start_mid_run(big_corpus, out)
    proc.kill()
    proc.communicate(timeout=15)
    assert _wait_gone(workers) == [], "workers outlived their SIGKILLed parent"
    left = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert left, "a SIGKILLed prepare cannot clean up; this test expects its temporary folder"
    small = tmp_path / "small.txt"
    small.write_text(TEXT)
    assert _prepare(small, out) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.txt", "store"]


def test_a_running_prepare_keeps_its_temporary_folder_from_another(big_corpus, tmp_path, capsys):
    """The lock proves a temporary folder dead: a second prepare on the same --out is refused, not a cleaner."""
    out = tmp_path / "store"
    proc, workers = _start_mid_run(big_corpus, out)
    try:
        small = tmp_path / "small.txt"
        small.write_text(TEXT)
        tmps = sorted(tmp_path.glob(".store.*.tmp"))
        assert _prepare(small, out) == 2
        assert "another wordvec run is writing" in capsys.readouterr().err
        assert all(t.is_dir() for t in tmps)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert _wait_gone(workers) == []


def test_stale_folders_of_another_out_are_not_touched(tmp_path):
    """`.a.b.XXXXXXXX.tmp` belongs to --out a.b, not to --out a."""
    other = tmp_path / ".store.b.abcd1234.tmp"
    other.mkdir()
    (other / "part-000000.u32").write_bytes(b"1234")
    src = tmp_path / "c.txt"
    src.write_text(TEXT)
    assert _prepare(src, tmp_path / "store") == 0
    assert (other / "part-000000.u32").read_bytes() == b"1234"


# --------------------------------------------------------------------------------------------------- --overwrite


@pytest.fixture
def store(tmp_path) -> Path:
    src = tmp_path / "src" / "c.txt"
    src.parent.mkdir()
    src.write_text(TEXT)
    assert _prepare(src, tmp_path / "st") == 0
    return tmp_path / "st"


@pytest.mark.parametrize("extra", ["notes.md", "runs/r1/metrics.json", "vocab.txt.bak"])
def test_overwrite_never_deletes_a_users_files_inside_a_store(store, tmp_path, capsys, extra):
    (store / extra).parent.mkdir(parents=True, exist_ok=True)
    (store / extra).write_text("mine")
    expect_error(["prepare", "--dataset", str(tmp_path / "src"), "--out", str(store), "--tokenizer", "simple",
                  "--overwrite"], capsys, "holds a token store and other files", tmp_path)


def test_overwrite_replaces_a_store_holding_only_a_store(store, tmp_path, capsys):
    assert _prepare(tmp_path / "src", store, "--overwrite", "--min-count", "2") == 0
    assert sorted(p.name for p in store.iterdir()) == ["ids.u32", "manifest.json", "offsets.i64", "vocab.txt"]


# --------------------------------------------------------------------------------------------------- own outputs


def test_prepare_refuses_a_store_as_its_dataset(store, tmp_path, capsys):
    expect_error(["prepare", "--dataset", str(store), "--out", str(tmp_path / "s2"), "--tokenizer", "simple"],
                 capsys, "is a token store (wordvec prepare), not a corpus", tmp_path)


def test_prepare_refuses_to_replace_a_store_with_itself(store, tmp_path, capsys):
    expect_error(["prepare", "--dataset", str(store), "--out", str(store), "--tokenizer", "simple",
                  "--overwrite"], capsys, "is or holds the --dataset", tmp_path)


def test_prepare_and_train_refuse_an_out_inside_the_dataset_folder(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "c.txt").write_text(TEXT)
    expect_error(["prepare", "--dataset", str(data), "--out", str(data / "st"), "--tokenizer", "simple"], capsys,
                 "is inside the --dataset folder", tmp_path)
    expect_error(["train", "--preset", "sgns", "--dataset", str(data), "--out", str(data / "run"), "--tokenizer",
                  "simple"], capsys, "is inside the --dataset folder", tmp_path)
    expect_error(["train", "--preset", "sgns", "--dataset", str(data / "c.txt"), "--out", str(tmp_path),
                  "--tokenizer", "simple", "--overwrite"], capsys, "is not a wordvec run directory", tmp_path)


def test_a_dataset_folder_never_reads_runs_stores_or_temporary_folders(tmp_path, capsys):
    """Outputs already inside a dataset folder (made before the refusal above, or moved there) are skipped."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "c.txt").write_text(TEXT)
    assert _prepare(data, tmp_path / "clean") == 0
    clean = (tmp_path / "clean" / "vocab.txt").read_text()
    assert main(["train", "--preset", "sgns", "--dataset", str(data), "--out", str(tmp_path / "run"), "-q",
                 "--tokenizer", "simple", "--min-count", "1", "--epochs", "1", "--no-progress"]) == 0
    capsys.readouterr()
    os.rename(tmp_path / "run", data / "run")  # a run, a store and a killed run's temporary folder in the data
    assert _prepare(data, tmp_path / "inner") == 0
    os.rename(tmp_path / "inner", data / "inner")
    (data / ".st.abcd1234.tmp").mkdir()
    (data / ".st.abcd1234.tmp" / "vocab.txt").write_text("zzz\t9\n")
    assert _prepare(data, tmp_path / "again") == 0
    assert (tmp_path / "again" / "vocab.txt").read_text() == clean
    assert main(["train", "--preset", "sgns", "--dataset", str(data), "--out", str(tmp_path / "run2"), "-q",
                 "--tokenizer", "simple", "--min-count", "1", "--epochs", "1", "--no-progress"]) == 0
    assert (tmp_path / "run2" / "vocab.txt").read_text() == (data / "run" / "vocab.txt").read_text()


def test_a_run_directory_is_not_a_dataset(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text(TEXT)
    assert main(["train", "--preset", "sgns", "--dataset", str(src), "--out", str(tmp_path / "run"), "-q",
                 "--tokenizer", "simple", "--min-count", "1", "--epochs", "1", "--no-progress"]) == 0
    capsys.readouterr()
    expect_error(["prepare", "--dataset", str(tmp_path / "run"), "--out", str(tmp_path / "s"), "--tokenizer",
                  "simple"], capsys, "is a wordvec run directory, not a corpus", tmp_path)


# --------------------------------------------------------------------------------------------------- long names


@pytest.mark.parametrize("command", ["train", "prepare"])
def test_a_name_too_long_once_suffixed_is_one_line(tmp_path, capsys, command):
    src = tmp_path / "c.txt"
    src.write_text(TEXT)
    name = "r" * 250  # a valid folder name; `name.checkpoint` and `.name.XXXXXXXX.tmp` are not
    (tmp_path / name).mkdir()
    (tmp_path / name).rmdir()
    args = (["train", "--preset", "sgns", "--min-count", "1"] if command == "train"
            else ["prepare", "--min-count", "1"])
    expect_error([*args, "--dataset", str(src), "--out", str(tmp_path / name), "--tokenizer", "simple"], capsys,
                 "adds up to", tmp_path)


# --------------------------------------------------------------------------------------------------- --nproc


@pytest.mark.parametrize("cores, asked, started", [(2, 1000, 2), (2, 2, 2), (1, 4, None)])
def test_nproc_is_capped_at_the_cores_with_a_warning(tmp_path, capsys, monkeypatch, cores, asked, started):
    import wordvec.devices
    import wordvec.distributed

    seen = []
    monkeypatch.setattr(wordvec.devices, "cpu_cores", lambda: cores)
    monkeypatch.setattr(wordvec.distributed, "launch", lambda n, argv: seen.append(n) or 0)
    src = tmp_path / "c.txt"
    src.write_text(TEXT)
    code = main(["train", "--preset", "sgns", "--dataset", str(src), "--tokenizer", "simple", "--min-count", "1",
                 "--epochs", "1", "--no-progress", "-q", "--out", str(tmp_path / "run"), "--nproc", str(asked)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert seen == ([] if started is None else [started])
    assert (f"--nproc {asked} is more than the {cores} CPU cores; using {cores}" in err) == (asked > cores)
    assert (tmp_path / "run").is_dir() == (started is None)  # one process: trained here, without torchrun


# --------------------------------------------------------------------------------------------------- messages


@pytest.mark.parametrize("sample", ["0", "0.001"])
@pytest.mark.parametrize("preset", ["sgns", "cbow"])
def test_one_word_documents_name_the_documents_not_subsampling(tmp_path, capsys, sample, preset):
    src = tmp_path / "one.txt"
    src.write_text("".join(f"w{i % 30}\n" for i in range(3000)))
    assert _prepare(src, tmp_path / "st") == 0
    capsys.readouterr()
    err = expect_error(["train", "--preset", preset, "--dataset", str(tmp_path / "st"), "--out",
                        str(tmp_path / "run"), "--sample", sample, "--no-progress", "-q"], capsys,
                       "every document holds fewer than two in-vocabulary words", tmp_path)
    assert "--sample" not in err


def test_neighbors_on_a_store_says_to_train_from_it(store, tmp_path, capsys):
    err = expect_error(["neighbors", str(store), "cat"], capsys, "is a token store", tmp_path)
    assert f"wordvec train --dataset {store}" in err and f"--out {store}" not in err


def test_neighbors_on_a_checkpoint_says_to_resume_the_run(tmp_path, capsys):
    (tmp_path / "run.checkpoint").write_bytes(b"\0" * 64)
    err = expect_error(["neighbors", str(tmp_path / "run.checkpoint"), "cat"], capsys,
                       "is the checkpoint of an unfinished run", tmp_path)
    assert f"--out {tmp_path / 'run'} --resume" in err and "--out " + str(tmp_path / "run.checkpoint") not in err


def test_a_missing_run_is_not_told_to_train_again(tmp_path, capsys):
    err = expect_error(["neighbors", str(tmp_path / "nope"), "cat"], capsys, "no such run directory", tmp_path)
    assert "again" not in err


@pytest.mark.parametrize("version, says", [("9", "format version '9' is not a positive integer"),
                                           (True, "is not a positive integer"), (0, "is not a positive integer"),
                                           (99, "newer wordvec")])
def test_a_format_version_that_is_not_a_number_is_not_called_newer(tmp_path, version, says):
    import json

    from safetensors.numpy import save_file

    from wordvec.errors import WordvecError
    from wordvec.state import FORMAT, read_header

    path = tmp_path / "m.model"
    save_file({"x": np.zeros((2, 2), np.float32)}, str(path),
              metadata={"wordvec": json.dumps({"format": FORMAT, "version": version, "kind": "model"})})
    with pytest.raises(WordvecError, match=says.replace("(", r"\(").replace(")", r"\)")):
        read_header(path)


# --------------------------------------------------------------------------------------------------- long tokens


@pytest.mark.parametrize("tail", ["", " after\n", "\tafter\n"])
def test_a_line_without_spaces_is_read_in_bounded_pieces(monkeypatch, tail):
    """A run of bytes without a separator is held up to _LONG_TOKEN (plus a read block), however long it is."""
    import io

    from wordvec import store

    monkeypatch.setattr(store, "_BLOCK", 64)
    monkeypatch.setattr(store, "_LONG_TOKEN", 256)
    monkeypatch.setattr(store, "_LONG_LINE", 128)
    data = ("é" + "x" * 99) * 5000 + tail + "next line\n"  # 2-byte characters: cuts fall on character starts
    raw = data.encode()
    blocks = list(store._blocks(io.BytesIO(raw), 0, len(raw), store._SIMPLE_SEPARATORS))
    assert max(map(len, blocks)) <= 256
    text = b"".join(blocks).decode("utf-8")  # every block decodes on its own too
    for b in blocks:
        b.decode("utf-8")
    rest = tail + "next line\n" if tail else " line\n"  # no separator before "next": it is part of the token
    head = text[:-len(rest)]
    assert text.endswith(rest) and data.startswith(head) and 200 <= len(head.encode()) <= 256


@pytest.mark.parametrize("tokenizer", ["simple", "lab"])
def test_a_giant_token_keeps_its_first_bytes_and_every_document(tmp_path, monkeypatch, tokenizer):
    from wordvec import store
    from wordvec.store import open_store

    monkeypatch.setattr(store, "_BLOCK", 64)
    monkeypatch.setattr(store, "_LONG_TOKEN", 300)
    src = tmp_path / "c.txt"
    giant = "abcdefghij" * 10_000
    src.write_text(f"cat dog\n{giant} sat mat\nrat {giant}")  # the last line has no newline
    out = tmp_path / "st"
    assert main(["prepare", "--dataset", str(src), "--out", str(out), "--tokenizer", tokenizer, "--min-count", "1",
                 "--workers", "1"]) == 0
    st = open_store(out)
    assert st.n_docs == 3
    words = [st.vocab.id2tok[i] for i in st.ids.tolist()]
    cut = [w for w in words if len(w) > 10]
    assert len(cut) == 2 and all(300 - 10 <= len(w) <= 300 for w in cut), [len(w) for w in cut]
    assert len(words) == 7 and words[:2] == ["cat", "dog"] and words[3:6] == ["sat", "mat", "rat"], words


def test_a_blank_looking_corpus_is_checked_without_reading_a_long_line_whole(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("\n" * 3 + " " * 300_000 + "\n\u3000\n")  # blank, however long: one line, without text
    expect_error(["prepare", "--dataset", str(src), "--out", str(tmp_path / "st"), "--tokenizer", "simple"], capsys,
                 "holds no text", tmp_path)
    src.write_bytes(b"\n" + b"x" * 300_000 + b"\xff\n")
    assert _prepare(src, tmp_path / "st") == 2 and "not valid UTF-8" in capsys.readouterr().err


def test_a_name_at_the_limit_trains_with_checkpoints_and_prepares(tmp_path, capsys):
    from wordvec.files import NAME_ROOM

    rng = np.random.default_rng(5)
    src = tmp_path / "c.txt"
    src.write_text("\n".join(" ".join(f"w{i}" for i in rng.integers(0, 300, 15)) for _ in range(20_000)) + "\n")
    name = "r" * (os.pathconf(tmp_path, "PC_NAME_MAX") - NAME_ROOM)
    assert main(["train", "--preset", "sgns", "--dataset", str(src), "--tokenizer", "simple", "--min-count", "1",
                 "--out", str(tmp_path / name), "--checkpoint-every", "0.001", "-q", "--no-progress", "--epochs",
                 "3"]) == 0
    import json

    assert json.loads((tmp_path / name / "metrics.json").read_text())["checkpoints"]["saves"] > 0
    assert _prepare(src, tmp_path / ("s" * len(name))) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["c.txt", name, "s" * len(name)])


@pytest.mark.parametrize("flag", ["--threads", "--workers"])
def test_threads_and_workers_are_capped_at_the_cores_with_a_warning(tmp_path, capsys, monkeypatch, flag):
    import wordvec.devices

    monkeypatch.setattr(wordvec.devices, "cpu_cores", lambda: 1)
    src = tmp_path / "c.txt"
    src.write_text(TEXT)
    args = (["train", "--preset", "sgns", "--epochs", "1", "--no-progress", "--out", str(tmp_path / "run")]
            if flag == "--threads" else ["prepare", "--out", str(tmp_path / "st")])
    assert main([*args, "--dataset", str(src), "--tokenizer", "simple", "--min-count", "1", flag, "64"]) == 0
    assert f"{flag} 64 is more than the 1 CPU cores; using 1" in capsys.readouterr().err


def test_the_fix_for_a_damaged_run_can_be_followed(tmp_path, capsys):
    """The message's fix works: its --out is free (a damaged run is not replaced by --overwrite)."""
    src = tmp_path / "c.txt"
    src.write_text(TEXT)
    run = tmp_path / "run"
    common = ["--preset", "sgns", "--dataset", str(src), "--tokenizer", "simple", "--min-count", "1", "--epochs", "1",
              "--no-progress", "-q"]
    assert main(["train", *common, "--out", str(run)]) == 0
    (run / "metrics.json").write_text("{not json")
    capsys.readouterr()
    err = expect_error(["neighbors", str(run), "cat"], capsys, "train it again into a new --out", tmp_path)
    assert "--overwrite" not in err
    assert main(["train", *common, "--out", str(run), "--overwrite"]) == 2  # what the old fix implied: refused
    assert main(["train", *common, "--out", str(tmp_path / "new")]) == 0
