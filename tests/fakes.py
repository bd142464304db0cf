"""Fabricated inputs shared by several test files."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from wordvec.vectors import save_word2vec_format


def make_run(tmp, words, embed, expand=None, vectors="input", tokenizer="simple"):
    """A run directory as the training pipeline writes it."""
    from safetensors.numpy import save_file

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "metrics.json").write_text(json.dumps({"config": {"tokenizer": tokenizer, "vectors": vectors}}))
    (tmp / "vocab.txt").write_text("".join(f"{w}\t{100 - i}\n" for i, w in enumerate(words)))
    chosen = {"input": embed, "output": expand, "mean": None if expand is None else (embed + expand) / 2}[vectors]
    save_word2vec_format(tmp / "vectors.txt", words, chosen)
    tensors = {"embed.weight": embed} if expand is None else {"embed.weight": embed, "expand.weight": expand}
    save_file(tensors, str(tmp / "model.safetensors"))
    return tmp


def signal_when_training(proc: subprocess.Popen, lock: Path, sig: int = signal.SIGTERM, after: float = 1.5) -> None:
    """Send `sig` to a `wordvec train` process `after` seconds once it holds the run's lock (it is past its checks
    and training), as a machine that takes the job away would."""
    deadline = time.time() + 60
    while not lock.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(after)
    proc.send_signal(sig)

