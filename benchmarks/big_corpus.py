"""Corpora larger than memory: `wordvec prepare` then `wordvec train` from the token store, at 10 M, 100 M and
(with --big) 300 M tokens of synthetic Zipf text (100,000 word types, 20 words a line, fixed seed).

    python benchmarks/big_corpus.py [--sizes 10M 100M] [--big] [--preset cbow] [--epochs 1]

For each size: prepare seconds, tokens/s and peak memory (the sum of RSS over the prepare process and its workers,
sampled: see prepare.py), then training from the store in a child process: words/s and the peak RSS of the whole
training process (matrices, tables, the chunks being read: the ids are read chunk by chunk, never held); the goal
is a training peak that stays flat across sizes and within the two matrices + 300 MB. Last, the cost of
checkpointing: one more training run on the smallest corpus saving every few seconds gives the seconds per
checkpoint, and from it the share of training time at the default interval (600 s). Corpora are deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

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
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from prepare import measure, parse_size

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["10M", "100M"])
    ap.add_argument("--big", action="store_true", help="add 300M tokens (about 1.7 GB of text)")
    ap.add_argument("--preset", default="cbow", choices=["sgns", "cbow"])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    sizes = [parse_size(x) for x in args.sizes] + ([300_000_000] if args.big else [])
    wordvec = [sys.executable, "-m", "wordvec"]
    rows = []
    ckpt = None
    for n in sizes:
        tmp = tempfile.mkdtemp(prefix="wordvec-big-")
        try:
            corpus = os.path.join(tmp, "corpus.txt")
            write_corpus(corpus, n)
            store = os.path.join(tmp, "store")
            prep = measure([*wordvec, "prepare", "--dataset", corpus, "--out", store, "--tokenizer", "simple",
                            "--min-count", "5", "--workers", str(args.threads)])
            run = os.path.join(tmp, "run")
            train = [*wordvec, "train", "--preset", args.preset, "--tokenizer", "simple", "--min-count", "5",
                     "--dataset", store, "--out", run, "--epochs", str(args.epochs), "--threads", str(args.threads),
                     "--no-progress", "-q", "--query", "w1"]
            t = measure(train)
            m = json.loads(open(os.path.join(run, "metrics.json")).read())
            matrices = 2 * m["vocab_size"] * m["config"]["vector_size"] * 4 / 2 ** 20
            rows.append((n, prep, t, m, matrices))
            print(f"  {n / 1e6:g}M: prepare {prep['wall']:.1f} s, train {m['words_per_second']:,.0f} words/s, "
                  f"train peak {t['maxrss']:,.0f} MB", flush=True)
            if ckpt is None:  # the cost of one checkpoint, on the smallest corpus
                shutil.rmtree(run)
                measure(train + ["--checkpoint-every", "2", "--epochs", str(max(args.epochs, 3))])
                ckpt = json.loads(open(os.path.join(run, "metrics.json")).read())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{args.preset}, {args.epochs} epoch(s), {args.threads} threads / prepare workers, simple tokenizer, "
          f"min_count 5")
    print("| tokens | prepare s | prepare tokens/s | prepare peak MB (sum over processes) | train words/s | "
          "train peak MB | two matrices MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, prep, t, m, matrices in rows:
        print(f"| {n / 1e6:g} M | {prep['wall']:.1f} | {n / prep['wall']:,.0f} | {prep['rss']:,.0f} | "
              f"{m['words_per_second']:,.0f} | {t['maxrss']:,.0f} | {matrices:,.0f} |")
    c = ckpt["checkpoints"]
    per = c["seconds"] / max(c["saves"], 1)
    print(f"\ncheckpoints: {c['saves']} saved in {c['seconds']:.2f} s ({per * 1000:.0f} ms each, "
          f"{ckpt['vocab_size']:,} words x {ckpt['config']['vector_size']} x 2 matrices); at the default interval "
          f"(600 s) that is {per / 600:.3%} of training time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
