"""Without a network, `wordvec train` on the default dataset (a Hub id) fails at once, in one line naming the fix;
WORDVEC_DATASET points the default at a local copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _train(tmp_path: Path, env: dict, *flags: str) -> tuple[subprocess.CompletedProcess, float]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "WORDVEC_DATASET"))}
    clean.update(HF_HOME=str(tmp_path / "hf-cache"), **env)  # an empty cache: no copy to fall back on
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "wordvec", "train", "--preset", "sgns", "--out",
                           str(tmp_path / "run"), "--no-progress", *flags], capture_output=True, text=True,
                          env=clean, cwd=tmp_path, timeout=120)
    return proc, time.perf_counter() - t


@pytest.mark.parametrize("env", [
    {"HF_DATASETS_OFFLINE": "1"},
    {"HF_HUB_OFFLINE": "1"},
    {"HF_ENDPOINT": "http://127.0.0.1:9"},  # no offline switch, and a Hub that does not answer
], ids=["HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE", "unreachable"])
def test_default_dataset_offline_is_one_line_within_seconds(tmp_path, env):
    proc, seconds = _train(tmp_path, env)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("wordvec: error:"), proc.stderr
    assert "tweets_hate_speech_detection" in lines[0] and "WORDVEC_DATASET" in lines[0]
    assert seconds < 5, f"{seconds:.1f} s"
    assert proc.stdout == "" and not (tmp_path / "run").exists()


def test_wordvec_dataset_is_the_default(tmp_path):
    data = tmp_path / "copy"
    data.mkdir()
    rows = "".join(f"{i},{i % 2},cat dog fish bird cat tree dog fish\n" for i in range(50))
    (data / "train.csv").write_text("id,label,tweet\n" + rows)
    proc, _ = _train(tmp_path, {"WORDVEC_DATASET": str(data), "HF_HUB_OFFLINE": "1"}, "--min-count", "1",
                     "--epochs", "1", "--tokenizer", "simple", "-q")
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["dataset"] == str(data.resolve()) and metrics["train_rows"] == 50
