"""Hostile input, through the real command line: every case ends with exit 2 and one `wordvec: error:` line, no
traceback, no output left behind, and every file the user already had intact."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fakes import signal_when_training
from wordvec.cli import main

WORDS = ["cat", "dog", "fish", "bird", "tree", "car", "road", "house", "river", "stone"]


def _csv(folder: Path, n: int = 200, header: str = "id,label,tweet", encoding: str = "utf-8") -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    rows = [header] + [f"{i},{i % 2},@user {' '.join(rng.choice(WORDS, 8))}" for i in range(n)]
    (folder / "train.csv").write_text("\n".join(rows) + "\n", encoding=encoding)
    return folder


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` (hidden ones included) with a hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*")) if not p.is_symlink()}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A real, small skip-gram run to damage (copied per case)."""
    base = tmp_path_factory.mktemp("hostile")
    out = base / "run"
    args = ["train", "--preset", "sgns", "--dataset", str(_csv(base / "data")), "--out", str(out),
            "--min-count", "1", "--epochs", "1", "--vector-size", "8", "--no-progress", "--threads", "1", "-q",
            "--query", "cat"]
    assert main(args) == 0
    return out


def expect_error(args: list[str], capsys, contains: str, root: Path) -> str:
    before = snapshot(root)
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own errors exit from parse_args
        code = e.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("wordvec: error:")]
    assert code == 2, f"exit {code}, stderr:\n{err}"
    assert len(errors) == 1 and all(line.startswith("wordvec: ") for line in lines), f"not one error line:\n{err}"
    assert "Traceback" not in err
    assert contains.lower() in errors[0].lower(), f"{contains!r} not in {errors[0]!r}"
    assert snapshot(root) == before, "files changed or were left behind"
    return errors[0]


# --------------------------------------------------------------------------------------------------- train


def _setup_dataset(kind: str, root: Path) -> str:
    """A broken dataset of the given kind under `root`; returns the --dataset value."""
    d = root / "ds"
    d.mkdir()
    if kind == "missing":
        return str(root / "nope" / "train.csv")
    if kind == "empty_csv":
        (d / "train.csv").write_text("")
        return str(d / "train.csv")
    if kind == "no_column":
        (d / "train.csv").write_text("id,text\n1,hello there\n")
        return str(d / "train.csv")
    if kind == "bad_bytes":
        (d / "train.csv").write_bytes(b"id,tweet\n1,caf\xe9 au lait\n")
        return str(d / "train.csv")
    if kind == "dir_named_csv":
        (d / "train.csv").mkdir()
        return str(d)
    if kind == "symlink_loop":
        (d / "loop").symlink_to(d / "loop")
        return str(d / "loop")
    if kind == "corrupt_parquet":
        (d / "train.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
        return str(d / "train.parquet")
    if kind == "int_parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"tweet": pa.array([1, 2, 3], pa.int64())}), d / "train.parquet")
        return str(d / "train.parquet")
    if kind == "damaged_hf":
        (d / "dataset_dict.json").write_text('{"splits": ["train"]}')
        (d / "train").mkdir()
        (d / "train" / "state.json").write_text("{broken")
        return str(d)
    if kind == "blank_txt":
        (d / "c.txt").write_text("\n\n   \n")
        return str(d / "c.txt")
    raise AssertionError(kind)


@pytest.mark.parametrize("kind,contains", [
    ("missing", "does not exist"),
    ("empty_csv", "empty"),
    ("no_column", "no 'tweet' column"),
    ("bad_bytes", "not valid UTF-8"),
    ("dir_named_csv", "holds no train.csv"),
    ("symlink_loop", "symbolic link"),
    ("corrupt_parquet", "not a readable parquet"),
    ("int_parquet", "not text"),
    ("damaged_hf", "cannot be read"),
    ("blank_txt", "no text"),
])
def test_bad_datasets(kind, contains, tmp_path, capsys):
    dataset = _setup_dataset(kind, tmp_path)
    expect_error(["train", "--preset", "sgns", "--dataset", dataset, "--out", str(tmp_path / "out"),
                  "--no-progress"], capsys, contains, tmp_path)


# Every bounded setting's out-of-range values are generated from Config's metadata in test_config_bounds.py.
@pytest.mark.parametrize("flags,contains", [
    (["--device", "meta"], "--device"),
    (["--device", "mps"], "--device"),
    (["--device", "xpu"], "--device"),
    (["--embed-size", "1e9"], "--vector-size"),
    (["--negative", "1e9"], "--negative"),
    (["--threads", "1e6"], "--threads"),
    (["--window", "1e9"], "--window"),
    (["--lr", "inf"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--ns-exponent", "nan"], "--ns-exponent"),
    (["--min-lr", "0.5"], "--min-lr"),
    (["--optimizer", "adamw"], "--optimizer adamw"),
    (["--loss", "hs", "--vectors", "output"], "--vectors output"),
    (["--epochs", "abc"], "--epochs"),
    (["--bogus"], "unrecognized"),
    (["--tokenizer", "fancy"], "--tokenizer"),
    (["--min-count", "100000"], "vocabulary is empty"),
])
def test_bad_settings_sgns(flags, contains, tmp_path, capsys):
    data = _csv(tmp_path / "data")
    expect_error(["train", "--preset", "sgns", "--dataset", str(data), "--out", str(tmp_path / "out"),
                  "--no-progress", *flags], capsys, contains, tmp_path)


@pytest.mark.parametrize("flags,contains", [
    (["--device", "meta"], "--device"),
    (["--window", "1e9"], "--window"),
    (["--sample", "0.001"], "--sample"),
    (["--negative", "10"], "--negative"),
    (["--lr", "1e30"], "diverged"),
])
def test_bad_settings_lab(flags, contains, tmp_path, capsys):
    data = _csv(tmp_path / "data")
    expect_error(["train", "--preset", "lab", "--dataset", str(data), "--out", str(tmp_path / "out"),
                  "--no-progress", "--min-count", "2", "--batch-size", "256", *flags], capsys, contains, tmp_path)


def test_bad_kernel_choice_is_refused_before_tokenising(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORDVEC_KERNELS", "bogus")
    data = _csv(tmp_path / "data")
    from wordvec import pipeline

    monkeypatch.setattr(pipeline, "load_corpus", lambda *a, **k: pytest.fail("the data was read first"))
    expect_error(["train", "--preset", "sgns", "--dataset", str(data), "--out", str(tmp_path / "out"),
                  "--no-progress"], capsys, "WORDVEC_KERNELS", tmp_path)


def test_tensorboard_pointing_at_a_file(tmp_path, capsys):
    data = _csv(tmp_path / "data")
    (tmp_path / "tb").write_text("mine")
    expect_error(["train", "--preset", "sgns", "--dataset", str(data), "--out", str(tmp_path / "out"),
                  "--no-progress", "--tensorboard", str(tmp_path / "tb")], capsys, "is a file", tmp_path)


def test_out_cannot_be_written(tmp_path, capsys, monkeypatch):
    data = _csv(tmp_path / "data")
    (tmp_path / "afile").write_text("mine")
    base = ["train", "--preset", "sgns", "--dataset", str(data), "--no-progress"]
    expect_error(base + ["--out", str(tmp_path / "afile" / "run")], capsys, "is a file", tmp_path)
    expect_error(base + ["--out", str(tmp_path / "afile")], capsys, "not a folder", tmp_path)
    monkeypatch.chdir(tmp_path)
    expect_error(base + ["--out", "."], capsys, "current folder", tmp_path)
    expect_error(base + ["--out", "..", "--overwrite"], capsys, "current folder", tmp_path)


def test_overwrite_never_deletes_a_user_folder(tmp_path, capsys):
    data = _csv(tmp_path / "data")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    expect_error(["train", "--preset", "sgns", "--dataset", str(data), "--out", str(mine), "--overwrite",
                  "--no-progress"], capsys, "not a wordvec run", tmp_path)
    assert (mine / "thesis.tex").read_text() == "years of work"


def test_existing_run_needs_overwrite_and_a_run_with_extra_files_is_kept(run_dir, tmp_path, capsys):
    data = _csv(tmp_path / "data")
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    base = ["train", "--preset", "sgns", "--dataset", str(data), "--out", str(run), "--no-progress", "-q",
            "--min-count", "1", "--epochs", "1", "--vector-size", "8", "--threads", "1"]
    expect_error(base, capsys, "already exists", tmp_path)
    (run / "notes.txt").write_text("mine")
    expect_error(base + ["--overwrite"], capsys, "not a wordvec run", tmp_path)
    (run / "notes.txt").unlink()
    assert main(base + ["--overwrite"]) == 0  # a real run is replaced
    capsys.readouterr()
    assert json.loads((run / "metrics.json").read_text())["config"]["vector_size"] == 8


def test_zero_training_pairs(tmp_path, capsys):
    (tmp_path / "one.txt").write_text("hello\nhello\nhello\n")
    expect_error(["train", "--preset", "sgns", "--dataset", str(tmp_path / "one.txt"), "--tokenizer", "simple",
                  "--min-count", "1", "--out", str(tmp_path / "out"), "--no-progress"], capsys, "pairs", tmp_path)


# --------------------------------------------------------------------------------------------------- damaged runs


def _damage(run: Path, kind: str) -> None:
    metrics = run / "metrics.json"
    m = json.loads(metrics.read_text())
    if kind == "metrics_list":
        metrics.write_text("[]")
    elif kind == "config_not_object":
        m["config"] = "lab"
        metrics.write_text(json.dumps(m))
    elif kind == "metrics_not_utf8":
        metrics.write_bytes(b'{"config": "\xff\xfe"}')
    elif kind == "metrics_missing":
        metrics.unlink()
    elif kind == "vocab_not_utf8":
        (run / "vocab.txt").write_bytes(b"\xffcat\t3\n")
    elif kind == "vocab_cut_short":
        lines = (run / "vocab.txt").read_text().splitlines()
        (run / "vocab.txt").write_text("\n".join(lines[:3]) + "\n")
    elif kind == "losses_not_numbers":
        m["epoch_losses"] = ["low", "lower"]
        metrics.write_text(json.dumps(m))
    elif kind == "bad_tokenizer":
        m["config"]["tokenizer"] = "fancy"
        metrics.write_text(json.dumps(m))
    elif kind == "header_2_0":
        (run / "vectors.txt").write_text("2 0\ncat\ndog\n")
    elif kind == "nan_model":
        from safetensors.numpy import load_file, save_file

        t = load_file(str(run / "model.safetensors"))
        t["embed.weight"][1, 0] = np.nan
        save_file(t, str(run / "model.safetensors"))
    elif kind == "mismatched_shapes":
        from safetensors.numpy import load_file, save_file

        t = load_file(str(run / "model.safetensors"))
        t["expand.weight"] = t["expand.weight"][:2]
        save_file(t, str(run / "model.safetensors"))
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind,command,contains", [
    ("metrics_list", ["neighbors", "RUN", "cat"], "not an object"),
    ("config_not_object", ["neighbors", "RUN", "cat"], "'config' should be an object"),
    ("metrics_not_utf8", ["evaluate", "RUN"], "not UTF-8"),
    ("metrics_missing", ["plot", "RUN"], "no metrics.json"),
    ("vocab_not_utf8", ["neighbors", "RUN", "cat"], "not UTF-8"),
    ("vocab_cut_short", ["neighbors", "RUN", "cat"], "inconsistent"),
    ("losses_not_numbers", ["plot", "RUN"], "list of numbers"),
    ("bad_tokenizer", ["neighbors", "RUN", "cat"], "config.tokenizer"),
    ("header_2_0", ["export", "RUN", "--format", "word2vec-text", "--out", "OUT/v.txt"], "dimension"),
    ("nan_model", ["neighbors", "RUN", "cat", "--vectors", "input"], "not finite"),
    ("mismatched_shapes", ["neighbors", "RUN", "cat", "--vectors", "mean"], "shape"),
])
def test_damaged_run_directories(run_dir, tmp_path, capsys, kind, command, contains):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (tmp_path / "out").mkdir()
    _damage(run, kind)
    args = [a.replace("RUN", str(run)).replace("OUT", str(tmp_path / "out")) for a in command]
    expect_error(args, capsys, contains, tmp_path)


@pytest.mark.parametrize("command,contains", [
    (["neighbors", "RUN", "cat", "-k", "0"], "-k must be at least 1"),
    (["neighbors", "RUN", "cat", "-k", "-5"], "-k must be at least 1"),
    (["neighbors", "RUN", "zebra"], "not in the vocabulary"),
    (["neighbors", str(Path("/nonexistent/run")), "cat"], "no such run directory"),
    (["evaluate", "RUN", "--restrict-vocab", "-5"], "--restrict-vocab must be at least 1"),
    (["evaluate", "RUN", "--downstream", "--folds", "0"], "--folds must be at least 2"),
    (["evaluate", "RUN", "--pairs", "OUT/missing.tsv"], "does not exist"),
    (["export", "RUN", "--format", "word2vec-text", "--out", "OUT/v.txt", "--limit", "-1"], "--limit"),
    (["export", "RUN", "--format", "word2vec-text", "--out", "OUT/v.txt", "--limit", "0"], "--limit"),
    (["plot", "RUN", "--top", "-3"], "--top"),
])
def test_nonsense_flags_on_a_run(run_dir, tmp_path, capsys, command, contains):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (tmp_path / "out").mkdir()
    args = [a.replace("RUN", str(run)).replace("OUT", str(tmp_path / "out")) for a in command]
    expect_error(args, capsys, contains, tmp_path)


def test_plot_falls_back_to_frequent_words(run_dir, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    m = json.loads((run / "metrics.json").read_text())
    m["config"]["query_words"] = ["zebra", "yak"]
    (run / "metrics.json").write_text(json.dumps(m))
    assert main(["plot", str(run), "--top", "5"]) == 0
    captured = capsys.readouterr()
    assert "most frequent" in captured.err and (run / "map.png").is_file()


def test_run_directory_follows_the_umask(run_dir):
    mask = os.umask(0o022)
    os.umask(mask)
    assert (run_dir.stat().st_mode & 0o777) == 0o777 & ~mask
    assert ((run_dir / "model.safetensors").stat().st_mode & 0o777) == 0o666 & ~mask


def test_metrics_store_the_resolved_dataset_path(run_dir):
    m = json.loads((run_dir / "metrics.json").read_text())
    assert Path(m["dataset"]).is_absolute() and Path(m["config"]["dataset"]).is_absolute()


# --------------------------------------------------------------------------------------------------- processes


def _cli(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "wordvec.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


def _big_text(path: Path, lines: int = 40000) -> Path:
    rng = np.random.default_rng(1)
    words = np.array([f"w{i}" for i in range(2000)])
    path.write_text("\n".join(" ".join(rng.choice(words, 20)) for _ in range(lines)) + "\n")
    return path


def test_two_runs_on_one_out_the_second_fails_and_the_first_survives(tmp_path):
    corpus = _big_text(tmp_path / "c.txt")
    out = tmp_path / "run"
    args = ["train", "--preset", "sgns", "--dataset", str(corpus), "--tokenizer", "simple", "--out", str(out),
            "--epochs", "3", "--no-progress", "--threads", "1", "--min-count", "1"]
    first = _cli(*args)
    deadline = time.time() + 60
    while not (tmp_path / ".run.lock").exists() and time.time() < deadline:
        time.sleep(0.05)
    second = _cli(*args)
    _, err2 = second.communicate(timeout=300)
    _, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 2 and "another wordvec run is writing" in err2
    assert (out / "metrics.json").is_file()


def test_sigterm_leaves_nothing_behind_and_a_rerun_cleans_a_sigkilled_one(tmp_path):
    corpus = _big_text(tmp_path / "c.txt", lines=80000)
    out = tmp_path / "run"
    common = ["train", "--preset", "sgns", "--tokenizer", "simple", "--out", str(out), "--no-progress",
              "--threads", "1", "--min-count", "1", "--checkpoint-every", "0"]
    proc = _cli(*common, "--dataset", str(corpus), "--epochs", "20")
    signal_when_training(proc, tmp_path / ".run.lock", after=1.0)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Traceback" not in err and "terminated" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]
    # a SIGKILLed run cannot clean up; the next run aimed at the same --out removes its leftovers
    stale = tmp_path / ".run.abc123.tmp"
    stale.mkdir()
    (stale / "metrics.json").write_text("{}")
    small = _big_text(tmp_path / "small.txt", lines=300)
    done = _cli(*common, "--dataset", str(small), "--epochs", "1")
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert not stale.exists() and (out / "metrics.json").is_file()


def test_a_run_that_cannot_fit_in_memory_is_refused_with_the_estimate(tmp_path, capsys, monkeypatch):
    from wordvec import config

    monkeypatch.setattr(config, "available_memory", lambda: 2 ** 20)  # a machine with 1 MiB free
    data = _csv(tmp_path / "data")
    line = expect_error(["train", "--preset", "lab", "--dataset", str(data), "--out", str(tmp_path / "out"),
                         "--no-progress", "--min-count", "1", "--vector-size", "20000"], capsys, "GiB", tmp_path)
    assert "available" in line and "--vector-size" in line


def test_python_api_refusals_are_clear():
    from wordvec import Word2Vec
    from wordvec.errors import WordvecError

    with pytest.raises(TypeError, match="string"):
        Word2Vec(["a sentence", "another one"], min_count=1)
    with pytest.raises(WordvecError, match="--seed|seed"):
        Word2Vec([["a", "b"]] * 10, min_count=1, seed=-1)


def test_a_corpus_file_that_is_not_utf8_names_the_line(tmp_path):
    from wordvec import Word2Vec

    path = tmp_path / "c.txt"
    path.write_bytes(b"good line here\nbad \xff line\n")
    with pytest.raises(UnicodeDecodeError) as err:
        Word2Vec(corpus_file=str(path), min_count=1)
    assert "line 2" in str(err.value) and "c.txt" in str(err.value)
