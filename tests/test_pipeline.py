"""The run pipeline and the `wordvec train` / `neighbors` commands, end to end on small corpora and on the lab."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from wordvec.cli import main
from wordvec.config import LAB
from wordvec.errors import WordvecError
from wordvec.pipeline import train_pipeline
from wordvec.vocab import Vocab

WORDS = ["cat", "dog", "fish", "bird", "tree", "car", "road", "house", "river", "stone"]


@pytest.fixture()
def small_csv(tmp_path: Path) -> Path:
    """A tiny train/test folder in the lab's layout, with real-ish words the lab tokenizer keeps."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "data"
    folder.mkdir()
    for split, n in (("train", 300), ("test", 60)):
        lines = ["id,label,tweet"] if split == "train" else ["id,tweet"]
        for i in range(n):
            words = " ".join(rng.choice(WORDS, size=8))
            lines.append(f"{i},{i % 2},@user {words} #fun" if split == "train" else f"{i},@user {words}")
        (folder / f"{split}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _train_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "--preset", "lab", "--dataset", str(data), "--out", str(out), "--no-progress",
            "--min-count", "2", "--batch-size", "256", "--epochs", "2", *extra]


def test_train_writes_complete_run_directory(small_csv, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_train_args(small_csv, out, "--query", "cat", "dog")) == 0
    assert sorted(p.name for p in out.iterdir()) == ["loss.png", "metrics.json", "model.safetensors",
                                                       "vectors.txt", "vocab.txt"]
    m = json.loads((out / "metrics.json").read_text())
    for key in ("train_rows", "test_rows", "vocab_size", "tokens", "pairs", "epoch_losses", "final_loss",
                "train_seconds", "device", "config", "neighbors", "heldout_losses"):
        assert key in m, key
    assert m["train_rows"] == 300 and m["test_rows"] == 60
    assert len(m["epoch_losses"]) == 2 and len(m["heldout_losses"]) == 2
    assert m["final_loss"] == m["epoch_losses"][-1]
    assert m["config"]["batch_size"] == 256 and m["config"]["model"] == "softmax"
    vocab = Vocab.load(out / "vocab.txt")
    assert len(vocab) == m["vocab_size"] and vocab.id2tok[0] == "@user"
    header = (out / "vectors.txt").read_text().splitlines()[0]
    assert header == f"{len(vocab)} {LAB.vector_size}"
    tensors = load_file(str(out / "model.safetensors"))
    assert tensors["embed.weight"].shape == tensors["expand.weight"].shape == (len(vocab), LAB.vector_size)
    # vectors.txt holds the lab's choice, expand.weight
    row = (out / "vectors.txt").read_text().splitlines()[1].split()
    assert row[0] == vocab.id2tok[0]
    np.testing.assert_allclose(np.array(row[1:], dtype=np.float32), tensors["expand.weight"][0], rtol=1e-5)
    assert set(m["neighbors"]) == {"cat", "dog"} and len(m["neighbors"]["cat"]) == 10
    assert "cat" not in m["neighbors"]["cat"]
    printed = capsys.readouterr().out
    assert "vocabulary size" in printed and "cat ->" in printed


def test_neighbors_command(small_csv, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_train_args(small_csv, out)) == 0
    capsys.readouterr()
    assert main(["neighbors", str(out), "cats", "-k", "3"]) == 0  # 'cats' stems to 'cat'
    line = capsys.readouterr().out.strip()
    assert line.startswith("cats:") and line.count("(") == 3
    assert main(["neighbors", str(out), "zebra"]) == 2
    assert "not in the vocabulary" in capsys.readouterr().err


def test_existing_run_needs_overwrite(small_csv, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_train_args(small_csv, out)) == 0
    first = (out / "metrics.json").read_text()
    assert main(_train_args(small_csv, out)) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "metrics.json").read_text() == first
    assert main(_train_args(small_csv, out, "--overwrite", "--seed", "7")) == 0
    assert json.loads((out / "metrics.json").read_text())["config"]["seed"] == 7
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]  # no temporary folders left


@pytest.mark.parametrize("args, message", [
    (["--min-count", "100000"], "vocabulary is empty"),
    (["--epochs", "0"], "--epochs"),
    (["--window", "0"], "--window"),
    (["--lr", "-1"], "--lr"),
    (["--device", "tpu"], "--device"),
    (["--text-column", "body"], "no 'body' column"),
])
def test_bad_settings_fail_cleanly(small_csv, tmp_path, capsys, args, message):
    out = tmp_path / "run"
    assert main(_train_args(small_csv, out, *args)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") <= 2
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]


def test_bad_datasets_fail_cleanly(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "nocol.csv").write_text("id,text\n1,hello world\n")
    (tmp_path / "bad.csv").write_bytes(b"id,tweet\n1,fine\n2,caf\xe9 \xff\n")
    (tmp_path / "empty.csv").write_bytes(b"")
    cases = [("missing/dir/", "does not exist"), (str(tmp_path / "nocol.csv"), "no 'tweet' column"),
             (str(tmp_path / "bad.csv"), "line 3 is not valid UTF-8"), (str(tmp_path / "empty.csv"), "is empty"),
             ("tweets_hate_speech_detection", "--dataset PATH")]
    for dataset, message in cases:
        out = tmp_path / "run"
        assert main(["train", "--dataset", dataset, "--out", str(out), "--no-progress"]) == 2, dataset
        err = capsys.readouterr().err
        assert message in err, (dataset, err)
        assert not out.exists()


def test_nonsense_flags_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--bogus"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["train", "--epochs", "three"])
    assert e.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


def test_pipeline_api_returns_metrics(small_csv, tmp_path):
    cfg = LAB.replace(dataset=str(small_csv), min_count=2, batch_size=128, epochs=1, progress=False)
    m = train_pipeline(cfg, tmp_path / "r", quiet=True)
    assert m == json.loads((tmp_path / "r" / "metrics.json").read_text())
    with pytest.raises(WordvecError):
        train_pipeline(cfg, tmp_path / "r", quiet=True)


def test_lab_run_on_real_data(shared_data, tmp_path, capsys):
    """`wordvec train --preset lab` on the tweets: the lab's checks print and hold."""
    out = tmp_path / "lab"
    assert main(["train", "--preset", "lab", "--dataset", str(shared_data), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "DIFFERS" not in printed and "ABOVE" not in printed
    m = json.loads((out / "metrics.json").read_text())
    assert (m["vocab_size"], m["tokens"], m["pairs"]) == (3085, 204534, 854376)
    assert m["final_loss"] <= 6.75
    assert m["heldout_losses"][-1] < m["heldout_losses"][0]
    assert set(m["neighbors"]) == {"good", "bad", "school", "day"}
    assert all(len(v) == 10 for v in m["neighbors"].values())
    assert os.path.getsize(out / "loss.png") > 10_000


def test_tensorboard_scalars_logged_per_epoch(small_csv, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logdir = tmp_path / "tb"
    assert main(_train_args(small_csv, tmp_path / "run", "--tensorboard", str(logdir))) == 0
    acc = EventAccumulator(str(logdir))
    acc.Reload()
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    train = [e.value for e in acc.Scalars("loss/train")]
    assert [e.step for e in acc.Scalars("loss/train")] == [1, 2]
    np.testing.assert_allclose(train, m["epoch_losses"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in acc.Scalars("loss/heldout")], m["heldout_losses"], rtol=1e-6)


def test_tensorboard_scalars_for_skipgram(small_csv, tmp_path):
    """The skip-gram/CBOW engine reports every epoch too (it once dropped the callback)."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logdir = tmp_path / "tb"
    assert main(["train", "--preset", "sgns", "--dataset", str(small_csv), "--out", str(tmp_path / "run"),
                 "--no-progress", "-q", "--min-count", "1", "--epochs", "3", "--tensorboard", str(logdir)]) == 0
    acc = EventAccumulator(str(logdir))
    acc.Reload()
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert [e.step for e in acc.Scalars("loss/train")] == [1, 2, 3]
    np.testing.assert_allclose([e.value for e in acc.Scalars("loss/train")], m["epoch_losses"], rtol=1e-6)


@pytest.mark.parametrize("preset, extra, has_output", [
    ("sgns", [], True),
    ("cbow", ["--loss", "hs"], False),
])
def test_word2vec_presets_write_run(small_csv, tmp_path, capsys, preset, extra, has_output):
    """skip-gram / CBOW through the CLI: the same run directory, the engine's counts in metrics.json."""
    out = tmp_path / preset
    args = ["train", "--preset", preset, "--dataset", str(small_csv), "--out", str(out), "--no-progress",
            "--min-count", "2", "--epochs", "2", "--threads", "1", "--query", "cat", *extra]
    assert main(args) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["config"]["model"] == ("skipgram" if preset == "sgns" else "cbow")
    assert m["words"] == 2 * m["tokens"] and 0 < m["effective_words"] <= m["words"]
    assert m["words_per_second"] > 0 and m["heldout_losses"] == []
    tensors = load_file(str(out / "model.safetensors"))
    assert ("expand.weight" in tensors) == has_output
    assert ("hs.weight" in tensors) == (not has_output)
    if not has_output:
        assert tensors["hs.weight"].shape == (m["vocab_size"] - 1, 100)
    row = (out / "vectors.txt").read_text().splitlines()[1].split()
    np.testing.assert_allclose(np.array(row[1:], dtype=np.float32), tensors["embed.weight"][0], rtol=1e-5)
    assert len(m["neighbors"]["cat"]) == 10
    assert "cat ->" in capsys.readouterr().out


@pytest.mark.parametrize("preset,extra", [("sgns", ["--tokenizer", "simple", "--min-count", "1"]),
                                          ("cbow", ["--tokenizer", "simple", "--min-count", "1", "--loss", "hs"])])
def test_training_from_a_token_store_equals_training_from_memory(tmp_path, preset, extra):
    rng = np.random.default_rng(2)
    text = tmp_path / "c.txt"
    text.write_text("\n".join(" ".join(rng.choice(WORDS, 12)) for _ in range(3000)) + "\n")
    assert main(["prepare", "--dataset", str(text), "--out", str(tmp_path / "store"), "--tokenizer", "simple",
                 "--min-count", "1"]) == 0
    common = ["train", "--preset", preset, "--no-progress", "-q", "--threads", "1", "--epochs", "2", *extra]
    assert main(common + ["--dataset", str(text), "--out", str(tmp_path / "mem")]) == 0
    assert main(common + ["--dataset", str(tmp_path / "store"), "--out", str(tmp_path / "disk")]) == 0
    mem, disk = load_file(str(tmp_path / "mem" / "model.safetensors")), load_file(str(tmp_path / "disk" /
                                                                                      "model.safetensors"))
    assert set(mem) == set(disk)
    for name in mem:
        np.testing.assert_array_equal(mem[name], disk[name], err_msg=name)


def test_a_token_store_with_other_settings_is_refused(tmp_path, capsys):
    text = tmp_path / "c.txt"
    text.write_text("a b c d e f\n" * 50)
    assert main(["prepare", "--dataset", str(text), "--out", str(tmp_path / "store"), "--tokenizer", "simple",
                 "--min-count", "1"]) == 0
    capsys.readouterr()
    assert main(["train", "--preset", "sgns", "--dataset", str(tmp_path / "store"), "--out", str(tmp_path / "r"),
                 "--no-progress", "--min-count", "3", "--tokenizer", "lab"]) == 2  # default auto: the store's own
    err = capsys.readouterr().err
    assert "does not match" in err and "tokenizer 'simple' (asked for 'lab')" in err and "min_count 1" in err
    assert not (tmp_path / "r").exists()
