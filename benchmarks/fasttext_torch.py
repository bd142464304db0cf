"""fastText's subword model on the torch backend beside the C kernels, in one run, on the tweets: words/s, and the
quality measures of tests/fasttext_quality.py (recall@10 of the true word among the neighbours of 300 misspellings
the corpus never holds; the top-10 neighbour overlap with the C kernels' seed 1 for 200 frequent words, beside the
C kernels' seed 2: the noise floor).

Settings: --preset fasttext (dim 100, window 5, 5 epochs, min_count 5, negative 5, n-grams 3-6, lr 0.05,
sample 1e-4) with --bucket (200,000 by default). The torch rows run at each --steps size (centre words per SGD
step; 512 is --preset fasttext's, 4,096 word2vec's); on CUDA a launch is --launch-batch centre words (0: the
engine's default), trained as consecutive steps in one CUDA graph. Training runs in this process
(`engine.train_word2vec`, the same call the CLI makes); words/s = corpus words x epochs / training seconds.

    python benchmarks/fasttext_torch.py [--device cpu|cuda] [--threads 2] [--steps 512 4096] [--tweets N]
    python benchmarks/fasttext_torch.py --cpu-dry-run     # every code path (CUDA's fixed shapes) at tiny sizes
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))  # fasttext_quality: the same measures as the tests

from fasttext_quality import frequent_words, misspellings, neighbour_overlap, recall_at, tweet_sentences  # noqa: E402


def train(config, vocab, enc):
    """(vectors, words/s) of one training run."""
    from wordvec.engine import train_word2vec
    from wordvec.fasttext import FastTextKeyedVectors

    t0 = time.perf_counter()
    r = train_word2vec(config, vocab, enc, progress=False)
    seconds = time.perf_counter() - t0
    v = len(vocab)
    kv = FastTextKeyedVectors.from_arrays(vocab.id2tok, r.input_vectors[:v], r.input_vectors[v:], config.min_n,
                                          config.max_n)
    return kv, r.words / seconds


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="the C kernels' threads and torch's on the CPU (0: all)")
    ap.add_argument("--bucket", type=int, default=200_000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--steps", type=int, nargs="+", default=[512, 4096])
    ap.add_argument("--launch-batch", type=int, default=0)
    ap.add_argument("--tweets", type=int, default=0, help="only the first N tweets (0: all)")
    ap.add_argument("--typos", type=int, default=300)
    ap.add_argument("--cpu-dry-run", action="store_true", help="tiny sizes on the CPU with CUDA's fixed shapes")
    args = ap.parse_args(argv)
    if args.cpu_dry_run:
        os.environ["WORDVEC_FIXED_SHAPES"] = "1"  # read when engine_torch is imported, below
        args.device, args.tweets, args.epochs, args.bucket, args.typos = "cpu", 3000, 1, 20_000, 50
        args.steps, args.launch_batch = [512], 2048
    from wordvec.config import FASTTEXT
    from wordvec.vocab import build_and_encode

    train_csv = Path(args.dataset) / "train.csv"
    if not train_csv.is_file():
        print(f"no tweets at {args.dataset} (train.csv): nothing to measure", flush=True)
        return
    sentences = tweet_sentences(train_csv)
    if args.tweets:
        sentences = sentences[:args.tweets]
    vocab, enc = build_and_encode(sentences, min_count=FASTTEXT.min_count)
    typos = misspellings(sentences, args.typos, min_count=30 if not args.tweets else 10)
    base = FASTTEXT.replace(bucket=args.bucket, epochs=args.epochs, threads=args.threads, progress=False)
    print(f"tweets: {len(enc):,} tokens, {len(vocab):,} words, {len(typos)} misspellings; bucket {args.bucket:,}, "
          f"{args.epochs} epochs, {args.threads or os.cpu_count()} threads; torch on {args.device}", flush=True)
    print("\n| arch | engine | step (centre words) | words/s | vs C kernels | misspelling recall@10 | "
          "neighbour overlap with C seed 1 |\n|---|---|---:|---:|---:|---:|---:|", flush=True)
    for model, arch in (("skipgram", "skip-gram"), ("cbow", "CBOW")):
        cfg = base.replace(model=model, backend="hogwild", device="cpu")
        one, c_wps = train(cfg.replace(seed=1), vocab, enc)
        two, _ = train(cfg.replace(seed=2), vocab, enc)
        words = frequent_words(one, 200)
        print(f"| {arch} | C kernels, seed 1 | | {c_wps:,.0f} | 1.00x | {recall_at(one, typos):.3f} | |", flush=True)
        print(f"| {arch} | C kernels, seed 2 | | | | {recall_at(two, typos):.3f} | "
              f"{neighbour_overlap(one, two, words):.3f} |", flush=True)
        for step in args.steps:
            mine, wps = train(cfg.replace(backend="torch", device=args.device, batch_size=step,
                                          launch_batch=args.launch_batch, seed=2), vocab, enc)
            print(f"| {arch} | torch {args.device}, seed 2 | {step:,} | {wps:,.0f} | {wps / c_wps:.2f}x | "
                  f"{recall_at(mine, typos):.3f} | {neighbour_overlap(one, mine, words):.3f} |", flush=True)


if __name__ == "__main__":
    main()
