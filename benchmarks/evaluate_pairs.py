"""`wordvec evaluate --pairs` on a large word-pairs file: peak memory beside the same process loading the run alone.

The pairs file is streamed, so evaluating it should cost little more than loading the vectors, whatever its size.
Builds a run of --words random vectors and a pairs file of about --mb megabytes (words from the vocabulary, a tenth
unknown, mixed case), then measures whole processes (peak RSS from the kernel's accounting of each child).

Run: python benchmarks/evaluate_pairs.py [--mb 100] [--words 50000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))

ENV = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}


def peak_mb(cmd: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one child process."""
    t = time.perf_counter()
    pid = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).pid
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return usage.ru_maxrss / 1024, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--words", type=int, default=50_000)
    args = ap.parse_args()
    from fakes import make_run

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        words = [f"word{i}" for i in range(args.words)]
        run = make_run(tmp / "run", words, rng.standard_normal((args.words, 100)).astype(np.float32))
        (run / "vocab.txt").write_text("".join(f"{w}\t{args.words - i}\n" for i, w in enumerate(words)))
        pairs = tmp / "pairs.tsv"
        pool = np.array(words + [f"unknown{i}" for i in range(args.words // 10)] + [w.upper() for w in words[:100]])
        with open(pairs, "w") as f:
            while f.tell() < args.mb * 1e6:
                a, b = rng.choice(pool, (2, 100_000))
                s = rng.uniform(0, 10, 100_000)
                f.write("".join(f"{x}\t{y}\t{z:.2f}\n" for x, y, z in zip(a, b, s)))
        size = pairs.stat().st_size / 1e6
        lines = sum(1 for _ in open(pairs))
        base, t0 = peak_mb([sys.executable, "-m", "wordvec", "neighbors", str(run), "word1"])
        ev, t1 = peak_mb([sys.executable, "-m", "wordvec", "evaluate", str(run), "--pairs", str(pairs)])
        print(f"pairs file: {size:,.0f} MB, {lines:,} pairs; run: {args.words:,} words x 100")
        print("| process | peak RSS MB | seconds |")
        print("|---|---:|---:|")
        print(f"| wordvec neighbors (loads the run: the reference) | {base:,.0f} | {t0:.1f} |")
        print(f"| wordvec evaluate --pairs | {ev:,.0f} | {t1:.1f} |")
        print(f"evaluate - reference: {ev - base:,.0f} MB = {(ev - base) / size:.2f} x the pairs file")


if __name__ == "__main__":
    main()
