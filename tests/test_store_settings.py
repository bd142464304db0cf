"""Training from a token store takes the store's settings (issue: say things once): a flag the user did not give
comes from the store; only a flag the user gave that contradicts the store is refused, naming the difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wordvec.cli import main
from wordvec.store import store_settings

TEXT = "the cat sat on the mat\nthe dog sat on the log\na cat and a dog ran\n" * 30


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("st")
    (root / "c.txt").write_text(TEXT)
    assert main(["prepare", "--dataset", str(root / "c.txt"), "--out", str(root / "store"), "--tokenizer", "simple",
                 "--min-count", "2", "--no-sort", "--max-final-vocab", "50"]) == 0
    return root / "store"


def _config(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())["config"]


@pytest.mark.parametrize("preset", ["sgns", "lab"])
def test_flags_not_given_come_from_the_store(store, tmp_path, capsys, preset):
    run = tmp_path / "run"
    code = main(["train", "--preset", preset, "--dataset", str(store), "--out", str(run), "--no-progress",
                 "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 0, err
    config = _config(run)
    assert (config["tokenizer"], config["min_count"], config["sorted_vocab"], config["max_final_vocab"]) == \
        ("simple", 2, False, 50)
    assert "(tokenizer simple, min_count 2, max_final_vocab 50, numbered by first_seen)" in err
    assert (run / "vocab.txt").read_text() == (store / "vocab.txt").read_text()


def test_a_given_flag_equal_to_the_store_is_accepted(store, tmp_path, capsys):
    assert main(["train", "--preset", "sgns", "--dataset", str(store), "--out", str(tmp_path / "run"), "-q",
                 "--no-progress", "--epochs", "1", "--tokenizer", "simple", "--min-count", "2"]) == 0


@pytest.mark.parametrize("flags, named", [
    (["--tokenizer", "lab"], "tokenizer 'simple' (asked for 'lab')"),
    (["--min-count", "3"], "min_count 2 (asked for 3)"),
    (["--sorted-vocab"], "vocab_order 'first_seen' (asked for 'count')"),
    (["--max-final-vocab", "10"], "max_final_vocab 50 (asked for 10)"),
])
def test_a_given_flag_that_contradicts_the_store_is_refused(store, tmp_path, capsys, flags, named):
    code = main(["train", "--preset", "sgns", "--dataset", str(store), "--out", str(tmp_path / "run"),
                 "--no-progress", *flags])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("wordvec: error: ") and err.count("\n") == 1, err
    assert named in err and "leave out " + flags[0].replace("--sorted-vocab", "--[no-]sorted-vocab") in err
    assert not (tmp_path / "run").exists()


def test_settings_come_from_the_manifest_alone_and_damage_gives_none(store, tmp_path):
    assert store_settings(store) == {"tokenizer": "simple", "min_count": 2, "max_final_vocab": 50,
                                     "sorted_vocab": False}
    bad = tmp_path / "bad"
    bad.mkdir()
    for text in ["[" * 100_000, '{"tokenizer": 5}', '{"tokenizer": "simple", "min_count": "2", '
                 '"max_final_vocab": null, "vocab_order": "count"}', "\xff"]:
        (bad / "manifest.json").write_text(text, encoding="latin-1")
        assert store_settings(bad) == {}
    assert store_settings(tmp_path / "none") == {}


def test_a_damaged_store_is_still_one_line(store, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("ids.u32", "offsets.i64", "vocab.txt"):
        (bad / name).write_bytes((store / name).read_bytes())
    (bad / "manifest.json").write_text('{"format": "wordvec-token-store", "tokenizer": [' * 3)
    code = main(["train", "--preset", "sgns", "--dataset", str(bad), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("wordvec: error: ") and err.count("\n") == 1, err
