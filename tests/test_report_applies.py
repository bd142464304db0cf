"""The training report says what applies to the run at hand: the lab's column only for the lab, and no verdict on
what the run never read (a token store's missing test split)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordvec.cli import main
from wordvec.report import LAB_PARITY, is_lab_run, training_report
from wordvec.rundir import read_metrics

LAB_CONFIG = {"model": "softmax", "loss": "softmax", "tokenizer": "lab", "min_count": 11, "window": 3,
              "query_words": ["good"]}


def metrics(config, **counts):
    m = {**LAB_PARITY, "epoch_losses": [6.5, 6.2], "heldout_losses": [], "final_loss": 6.2, "train_seconds": 1.5,
         "device": "cpu", "words_per_second": 1000.0, "neighbors": {"good": ["day", "great"]}, "config": config}
    m.update(counts)
    return m


def test_the_lab_column_only_for_the_lab():
    lab = training_report(metrics(LAB_CONFIG))
    assert lab.splitlines()[0].split() == ["check", "value", "lab"]
    assert lab.count(" ok") == 6 and "DIFFERS" not in lab and "<= 6.75" in lab
    sgns = {**LAB_CONFIG, "model": "skipgram", "loss": "ns", "tokenizer": "simple", "min_count": 5, "window": 5}
    other = training_report(metrics(sgns, vocab_size=9000))
    header = other.splitlines()[0]
    assert "lab" not in header and header.rstrip().endswith("value")
    assert "DIFFERS" not in other and " ok" not in other and "6.75" not in other
    counts = [line for line in other.splitlines() if line.startswith(("train rows", "vocabulary size"))]
    assert counts == [f"{'train rows':<24}{31962:>14,}", f"{'vocabulary size':<24}{9000:>14,}"]  # no empty column


def test_a_lab_run_that_differs_still_says_so():
    report = training_report(metrics(LAB_CONFIG, vocab_size=3000, final_loss=7.0))
    assert "3,085 DIFFERS" in report and "ABOVE" in report


def test_test_rows_not_read_are_not_compared():
    m = metrics(LAB_CONFIG, test_rows=None)
    assert is_lab_run(m)
    report = training_report(m)
    line = next(x for x in report.splitlines() if x.startswith("test rows"))
    assert "DIFFERS" not in report and "17,197" not in line and "token store" in line
    assert report.count(" ok") == 5  # the other counts and the final loss are still checked


def test_a_lab_run_from_a_token_store_reports_like_the_normal_run(shared_data, tmp_path, capsys):
    """The lab from a store: vectors byte-identical to the run from the CSV folder, and a report with no DIFFERS
    (it once showed `test rows 0 / 17,197 DIFFERS`); metrics.json says the test rows were not read."""
    store = tmp_path / "store"
    assert main(["prepare", "--dataset", str(shared_data), "--out", str(store), "--min-count", "11", "--no-sort",
                 "--tokenizer", "lab", "--workers", "1"]) == 0
    capsys.readouterr()
    common = ["train", "--preset", "lab", "--epochs", "1", "--no-progress", "-q", "--checkpoint-every", "0"]
    assert main([*common, "--dataset", str(shared_data), "--out", str(tmp_path / "csv")]) == 0
    from_csv = capsys.readouterr().out
    assert main([*common, "--dataset", str(store), "--out", str(tmp_path / "store-run")]) == 0
    from_store = capsys.readouterr().out
    assert (tmp_path / "csv" / "vectors.txt").read_bytes() == (tmp_path / "store-run" / "vectors.txt").read_bytes()
    assert "DIFFERS" not in from_csv and "DIFFERS" not in from_store
    assert "17,197 ok" in from_csv and "token store" in from_store
    for report in (from_csv, from_store):
        assert report.count("3,085 ok") == 1 and "204,534 ok" in report and "854,376 ok" in report
    m = read_metrics(tmp_path / "store-run")
    assert m["test_rows"] is None and json.loads((tmp_path / "csv" / "metrics.json").read_text())["test_rows"] == 17197
    np.testing.assert_array_equal(m["epoch_losses"], read_metrics(tmp_path / "csv")["epoch_losses"])


def test_a_run_without_the_lab_settings_has_no_lab_column(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 50, encoding="utf-8")
    assert main(["train", "--preset", "sgns", "--dataset", str(corpus), "--tokenizer", "simple", "--min-count", "1",
                 "--epochs", "1", "--out", str(tmp_path / "run"), "--no-progress", "-q", "--query", "cat"]) == 0
    out = capsys.readouterr().out
    assert "lab" not in out.splitlines()[0] and "DIFFERS" not in out and " ok" not in out
    assert read_metrics(tmp_path / "run")["test_rows"] == 0  # a text file has no test split: zero rows, read
