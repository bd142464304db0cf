"""Peak memory and speed of `wordvec train` on a large plain-text corpus (default 100 M tokens).

    python benchmarks/big_corpus.py [--tokens 100000000] [--preset cbow] [--epochs 1] [--keep FILE]

Writes a synthetic Zipfian corpus (100,000 word types, 20 words a line, fixed seed) to a temporary file, then runs
`wordvec train --tokenizer simple` on it in a child process and reports the child's peak resident memory
(ru_maxrss), the file size, and the time of each phase as the run reports it. The corpus is streamed from disk
(`TextLines`) and held as one int32 id array: about 4 bytes per token plus the vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def write_corpus(path: str, n_tokens: int, vocab: int = 100_000, line: int = 20, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    cdf = np.cumsum(p / p.sum())
    words = np.array([f"w{i}" for i in range(vocab)], dtype=object)
    with open(path, "w", encoding="utf-8") as f:
        for lo in range(0, n_tokens, 1_000_000):
            n = min(1_000_000, n_tokens - lo)
            ids = np.minimum(np.searchsorted(cdf, rng.random(n)), vocab - 1)
            toks = words[ids]
            f.write("\n".join(" ".join(toks[i:i + line]) for i in range(0, n, line)))
            f.write("\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=100_000_000)
    ap.add_argument("--preset", default="cbow", choices=["sgns", "cbow"])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--keep", default=None, help="write/reuse the corpus at this path instead of a temp file")
    args = ap.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="wordvec-big-")
    corpus = args.keep or os.path.join(tmp, "corpus.txt")
    if not os.path.exists(corpus):
        t = time.perf_counter()
        write_corpus(corpus, args.tokens)
        print(f"wrote {args.tokens:,} tokens ({os.path.getsize(corpus) / 1e6:,.0f} MB) in {time.perf_counter() - t:.0f}s",
              flush=True)
    out = os.path.join(tmp, "run")
    cmd = [sys.executable, "-m", "wordvec.cli", "train", "--preset", args.preset, "--tokenizer", "simple",
           "--dataset", corpus, "--out", out, "--epochs", str(args.epochs), "--no-progress", "--query", "w1", "w100"]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    m = json.loads(open(os.path.join(out, "metrics.json")).read())
    print(f"\n{'tokens':<28}{m['tokens']:>16,}")
    print(f"{'vocabulary':<28}{m['vocab_size']:>16,}")
    print(f"{'peak resident memory':<28}{peak_mb:>13,.0f} MB   (target: < 2,048 MB)")
    print(f"{'read + tokenise + encode':<28}{m['prep_seconds']:>15.0f}s")
    print(f"{'training ({} epoch{})'.format(args.epochs, 's' * (args.epochs > 1)):<28}{m['train_seconds']:>15.0f}s"
          f"   {m['words_per_second']:,.0f} words/s")
    print(f"{'whole command':<28}{wall:>15.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
