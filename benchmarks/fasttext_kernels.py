"""The subword kernels' words/s (fastText's skip-gram and CBOW), against another build of them in the same run.

    python benchmarks/fasttext_kernels.py --old-c OLD/_kernels.cpython-311-x86_64-linux-gnu.so \
        [--old-numba OLD/kernels_numba.py] [--tokens 400000] [--bucket 2000000] [--threads 1 2] [--repeats 5] \
        [--shared-negatives]

The corpus is benchmarks/vs_fasttext.py's generated one (words sharing stems and suffixes, Zipfian), its
vocabulary's subword CSR computed as training computes it (min_n 3, max_n 6, `--bucket` rows), fastText's defaults
otherwise (dim 100, window 5, negative 5, sample 1e-4, lr 0.05). Every call trains the corpus from the same
starting matrices; with 2 threads the corpus is cut in two chunks trained at once on the shared matrices, as the
engine does. One thread is timed by its CPU time, two by the wall clock. Old and new calls alternate; the median of `--repeats` is kept. Prints words/s per (implementation,
model, threads), old and new, the ratio new/old, and (one thread) whether old and new return the same loss (the
same arithmetic and random draws).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from kernel_calls import _load  # noqa: E402
from vs_fasttext import generated_corpus  # noqa: E402

from wordvec.config import Config  # noqa: E402
from wordvec.engine import _tables  # noqa: E402
from wordvec.kernel_args import NAMES  # noqa: E402
from wordvec.subwords import vocab_rows  # noqa: E402
from wordvec.vocab import Vocab  # noqa: E402


def _arguments(model: str, tokens: int, bucket: int, shared: bool) -> dict:
    sents = generated_corpus(tokens)
    words, inverse, counts = np.unique(np.concatenate([np.array(s, dtype=object) for s in sents]).astype(str),
                                       return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    ids = rank[inverse].astype(np.int32)
    vocab = Vocab([str(w) for w in words[order]], counts[order])
    offsets = np.arange(0, len(ids) + 1, 20, dtype=np.int64)
    offsets[-1] = len(ids)
    config = Config(model=model, loss="ns", vector_size=100, window=5, negative=5, sample=1e-4)
    keep, codes, points, lengths, prob, alias = _tables(config, vocab)
    sub_offsets, sub_rows = vocab_rows(vocab.id2tok, 3, 6, bucket)
    n_words, dim = len(vocab.id2tok), 100
    rng = np.random.default_rng(0)
    syn0 = ((rng.random((n_words + bucket, dim), dtype=np.float32) - 0.5) * (2 / dim)).astype(np.float32)
    values = dict(ids=ids, offsets=offsets, start=0, stop=len(ids), syn0=syn0, syn1=np.zeros((1, 1), np.float32),
                  codes=codes, points=points, lengths=lengths, syn1neg=np.zeros((n_words, dim), np.float32),
                  prob=prob, alias=alias, keep=keep, hs=False, negative=5, window=5, reduced_window=True,
                  alpha0=0.05, alpha1=0.04, seed=7, shared_negatives=shared, cbow_mean=True, lockf=None,
                  sub_offsets=sub_offsets, sub_rows=sub_rows)
    return {k: values[k] for k in NAMES}


def _time(fn, args: dict, start: dict, threads: int) -> tuple[float, float]:
    """Seconds to train the corpus (`threads` chunks at once) from the matrices in `start` (one thread: its CPU
    seconds; more: wall seconds); the loss sum."""
    for k, v in start.items():
        np.copyto(args[k], v)
    n = args["stop"]
    cuts = [n * i // threads for i in range(threads + 1)]
    calls = [dict(args, start=a, stop=b, seed=args["seed"] + i) for i, (a, b) in enumerate(zip(cuts, cuts[1:]))]
    if threads == 1:  # this thread's CPU time: steadier than the wall clock on a machine shared with other work
        t0 = time.thread_time()
        losses = [fn(**calls[0])[0]]
        return time.thread_time() - t0, losses[0]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        losses = [r[0] for r in pool.map(lambda kw: fn(**kw), calls)]
    return time.perf_counter() - t0, sum(losses)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-c", required=True, help="the reference build's _kernels .so")
    ap.add_argument("--old-numba", help="the reference's kernels_numba.py (numba rows only with it)")
    ap.add_argument("--tokens", type=int, default=400_000)
    ap.add_argument("--bucket", type=int, default=2_000_000)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--models", nargs="+", default=["skipgram", "cbow"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--shared-negatives", action="store_true",
                    help="skip-gram draws one set of negatives per window (FastText's default is per pair)")
    a = ap.parse_args()
    from wordvec import _kernels

    impls = [("c", _load("_kernels", a.old_c, True), _kernels)]
    if a.old_numba:
        from wordvec import kernels_numba

        impls.append(("numba", _load("wordvec.kernels_numba_old", a.old_numba, False), kernels_numba))
    print(f"{'kernels':8} {'model':9} {'threads':>7} {'old words/s':>12} {'new words/s':>12} {'new/old':>8}  "
          f"same loss")
    for model in a.models:
        args = _arguments(model, a.tokens, a.bucket, a.shared_negatives)
        start = {k: args[k].copy() for k in ("syn0", "syn1neg")}
        for name, old, new in impls:
            fo, fn = (getattr(m, f"train_{model}") for m in (old, new))
            for threads in a.threads:
                _time(fo, args, start, threads), _time(fn, args, start, threads)  # warm (numba: compile)
                times = {"old": [], "new": []}
                losses = {}
                for _ in range(a.repeats):
                    for which, f in (("old", fo), ("new", fn)):
                        seconds, losses[which] = _time(f, args, start, threads)
                        times[which].append(seconds)
                wo, wn = (args["stop"] / statistics.median(times[k]) for k in ("old", "new"))
                same = str(losses["old"] == losses["new"]) if threads == 1 else "-"
                print(f"{name:8} {model:9} {threads:7} {wo:12,.0f} {wn:12,.0f} {wn / wo:8.3f}  {same}", flush=True)


if __name__ == "__main__":
    main()
