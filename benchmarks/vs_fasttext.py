"""wordvec's FastText (subword skip-gram / CBOW) against gensim's FastText: same machine, same run, same tokens,
same hyperparameters (fastText's defaults: dim 100, window 5, 5 epochs, min_count 5, negative 5, min_n 3, max_n 6,
bucket 2,000,000, lr 0.05, sample 1e-4), 2 threads.

Corpora: (a) the tweets (gensim's simple_preprocess), (b) a generated Zipfian corpus of --big-tokens tokens whose
words share stems and suffixes (so n-grams matter). Each training runs in a fresh process: words/s = raw corpus
words x epochs / wall seconds of train() (build_vocab excluded, for both), the median of --repeats interleaved
runs; peak memory = the process's peak RSS (ru_maxrss) and its growth over the RSS before build_vocab.
Quality (tweets): recall@10 of the true word among the vocabulary neighbours of 300 misspellings the corpus never
holds (tests/fasttext_quality.py), and the top-10 neighbour overlap with gensim for 200 frequent words (gensim
against itself with another seed: the noise floor).

Run: python benchmarks/vs_fasttext.py [--dataset PATH] [--big-tokens N] [--bucket N] [--repeats N] [--quick]
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
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))  # fasttext_quality: the same measures as the tests

from fasttext_quality import misspellings, recall_at, tweet_sentences  # noqa: E402

SETTINGS = dict(vector_size=100, window=5, epochs=5, min_count=5, negative=5, min_n=3, max_n=6, alpha=0.05,
                sample=1e-4, workers=2)
STEMS = ["play", "work", "talk", "walk", "jump", "read", "call", "help", "love", "hope", "dream", "build", "train",
         "teach", "learn", "paint", "clean", "watch", "cook", "dance"]
SUFFIXES = ["", "s", "ed", "ing", "er", "ers", "able", "ful", "less", "ness", "ly", "ment"]


def generated_corpus(n_tokens: int, seed: int = 0, sentence_len: int = 20) -> list[list[str]]:
    """Zipfian token lists over 60,000 words made of random syllables, each with the shared suffixes (fixed seed)."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu", "ba", "do", "fe", "gi"]
    roots = list(STEMS)
    while len(roots) < 5_000:
        roots.append("".join(rng.choice(syllables, rng.integers(2, 4))))
    words = np.array([r + s for r in roots for s in SUFFIXES], dtype=object)
    words = words[rng.permutation(len(words))]
    p = 1.0 / np.arange(1, len(words) + 1)
    toks = words[rng.choice(len(words), size=n_tokens, p=p / p.sum())]
    return [toks[i:i + sentence_len].tolist() for i in range(0, n_tokens, sentence_len)]


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one(lib: str, corpus: str, sg: bool, seed: int, bucket: int, big_tokens: int, dataset: str, out: str) -> None:
    """One training in this process; its figures as JSON on stdout, its vocabulary vectors in `out` (.npz)."""
    sents = tweet_sentences(Path(dataset) / "train.csv") if corpus == "tweets" else generated_corpus(big_tokens)
    kw = dict(SETTINGS, sg=int(sg), seed=seed, bucket=bucket)
    if lib == "wordvec":
        from wordvec import FastText
        from wordvec.engine import warm_up

        warm_up()
    else:
        from gensim.models import FastText
    before = _rss_mb()
    model = FastText(**kw)
    model.build_vocab(sents)
    t0 = time.perf_counter()
    model.train(sents, total_examples=model.corpus_count, epochs=model.epochs)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    raw = sum(len(s) for s in sents)
    result = {"seconds": seconds, "words_per_second": raw * model.epochs / seconds, "peak_mb": peak,
              "growth_mb": peak - before, "vocab": len(model.wv), "raw_words": raw}
    if corpus == "tweets":
        result["recall"] = recall_at(model.wv, misspellings(sents, 300))
    np.savez(out, keys=np.array(model.wv.index_to_key, dtype=object), vectors=model.wv.vectors)
    print(json.dumps(result))


def launch(lib, corpus, sg, seed, args, tmp: Path) -> dict:
    out = tmp / f"{lib}-{corpus}-{int(sg)}-{seed}.npz"
    cmd = [sys.executable, __file__, "--one", lib, corpus, str(int(sg)), str(seed), "--bucket", str(args.bucket),
           "--big-tokens", str(args.big_tokens), "--dataset", args.dataset, "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode != 0:
        raise SystemExit(f"{lib} {corpus} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    data = np.load(out, allow_pickle=True)
    result["keys"], result["vectors"] = list(data["keys"]), data["vectors"]
    return result


def _median(runs: list[dict]) -> dict:
    """The run of median speed (its memory and quality figures with it); the speeds of all runs in 'all'."""
    ranked = sorted(runs, key=lambda r: r["words_per_second"])
    return dict(ranked[len(ranked) // 2], all=[r["words_per_second"] for r in runs])


def overlap(a: dict, b: dict, n: int = 200, skip: int = 20, k: int = 10) -> float:
    """Mean share of top-k cosine neighbours the two models agree on, for n frequent words of a."""
    def unit(v):
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    ia, ib = {w: i for i, w in enumerate(a["keys"])}, {w: i for i, w in enumerate(b["keys"])}
    ua, ub = unit(a["vectors"]), unit(b["vectors"])
    shared = []
    for w in a["keys"][skip:skip + n]:
        if w not in ib:
            continue
        sa, sb = ua @ ua[ia[w]], ub @ ub[ib[w]]
        sa[ia[w]] = sb[ib[w]] = -np.inf
        na = {a["keys"][i] for i in np.argsort(-sa)[:k]}
        nb = {b["keys"][i] for i in np.argsort(-sb)[:k]}
        shared.append(len(na & nb) / k)
    return float(np.mean(shared))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--big-tokens", type=int, default=2_000_000)
    ap.add_argument("--bucket", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="runs per library and setting (median words/s)")
    ap.add_argument("--quick", action="store_true", help="200k-token generated corpus, 200k buckets")
    ap.add_argument("--one", nargs=4, metavar=("LIB", "CORPUS", "SG", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.big_tokens, args.bucket = 200_000, 200_000
    if args.one:
        lib, corpus, sg, seed = args.one
        return one(lib, corpus, sg == "1", int(seed), args.bucket, args.big_tokens, args.dataset, args.out)

    print(f"settings: {SETTINGS}, bucket {args.bucket:,}; each training in its own process")
    rows, quality = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for corpus in ("tweets", f"generated-{args.big_tokens / 1e6:g}M"):
            name = "tweets" if corpus == "tweets" else "generated"
            for arch, sg in (("skip-gram", True), ("CBOW", False)):
                runs = {"wordvec": [], "gensim": []}
                for _ in range(args.repeats):  # interleaved: other work on the machine hits both alike
                    for lib in runs:
                        runs[lib].append(launch(lib, name, sg, 1, args, Path(tmp)))
                ours, theirs = (_median(runs[lib]) for lib in ("wordvec", "gensim"))
                rows.append((corpus, arch, ours, theirs))
                print(f"  {corpus} {arch}: wordvec {ours['words_per_second']:,.0f} words/s, gensim "
                      f"{theirs['words_per_second']:,.0f}", flush=True)
                if name == "tweets":
                    floor = overlap(theirs, launch("gensim", name, sg, 2, args, Path(tmp)))
                    quality.append((arch, ours, theirs, overlap(ours, theirs), floor))
    print("\n| corpus | arch | wordvec words/s | gensim words/s | speed ratio | wordvec peak MB (growth) | "
          "gensim peak MB (growth) | memory ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for corpus, arch, ours, theirs in rows:
        print(f"| {corpus} ({ours['raw_words'] / 1e6:.2f} M tokens, {ours['vocab']:,} words) | {arch} | "
              f"{ours['words_per_second']:,.0f} | {theirs['words_per_second']:,.0f} | "
              f"{ours['words_per_second'] / theirs['words_per_second']:.2f}x | {ours['peak_mb']:,.0f} "
              f"({ours['growth_mb']:,.0f}) | {theirs['peak_mb']:,.0f} ({theirs['growth_mb']:,.0f}) | "
              f"{ours['peak_mb'] / theirs['peak_mb']:.2f} |")
    print("\n| tweets | misspelling recall@10, wordvec | gensim | neighbour overlap wordvec-gensim | "
          "gensim-gensim (seeds 1, 2) |")
    print("|---|---:|---:|---:|---:|")
    for arch, ours, theirs, both, floor in quality:
        print(f"| {arch} | {ours['recall']:.3f} | {theirs['recall']:.3f} | {both:.3f} | {floor:.3f} |")


if __name__ == "__main__":
    main()
