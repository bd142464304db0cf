"""The CPU kernels' words/s, one thread, against another build of them measured in the same run.

    python benchmarks/kernel_calls.py --old-c OLD/_kernels.cpython-311-x86_64-linux-gnu.so \
        [--old-numba OLD/kernels_numba.py] [--tokens 300000] [--repeats 5]

Build the reference from another checkout (e.g. `git worktree add /tmp/ref main && pip wheel` or a copy of its
built `.so` and its `kernels_numba.py`). Each kernel call trains the whole synthetic corpus (Zipf words, vocabulary
5,000, dim 100, window 5, negative 5, sample 0; skip-gram's "ns" shares negatives per centre word, "ns-pair" draws
them per pair) as one chunk, from the same starting matrices; old and new calls
alternate and the median of `--repeats` is kept. Prints words/s per (implementation, model, loss), old and new,
and the ratio new/old; also that old and new return the same loss (the same arithmetic).
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import statistics
import sys
import time

import numpy as np

from wordvec.config import Config
from wordvec.engine import _tables
from wordvec.kernel_args import NAMES
from wordvec.vocab import Vocab


def _load(name: str, path: str, extension: bool):
    loader = importlib.machinery.ExtensionFileLoader(name, path) if extension else None
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache finds a module's globals by its name
    spec.loader.exec_module(module)
    return module


def _arguments(model: str, loss: str, tokens: int):
    rng = np.random.default_rng(0)
    n_words, dim = 5000, 100
    counts = np.sort((1e6 / np.arange(1, n_words + 1)).astype(np.int64))[::-1]
    ids = np.minimum(rng.zipf(1.1, tokens) - 1, n_words - 1).astype(np.int32)
    offsets = np.arange(0, tokens + 1, 20, dtype=np.int64)
    offsets[-1] = tokens
    config = Config(model=model, loss=loss, vector_size=dim, window=5, negative=5, sample=0.0)
    keep, codes, points, lengths, prob, alias = _tables(config, Vocab([f"w{i}" for i in range(n_words)], counts))
    hs = loss == "hs"  # "ns": shared negatives (skip-gram's default); "ns-pair": word2vec.c's per-pair draws
    syn0 = ((rng.random((n_words, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    syn1 = np.zeros((n_words - 1, dim) if hs else (1, 1), np.float32)
    syn1neg = np.zeros((1, 1) if hs else (n_words, dim), np.float32)
    values = dict(ids=ids, offsets=offsets, start=0, stop=tokens, syn0=syn0, syn1=syn1, codes=codes, points=points,
                  lengths=lengths, syn1neg=syn1neg, prob=prob, alias=alias, keep=keep, hs=hs,
                  negative=0 if hs else 5, window=5, reduced_window=True, alpha0=0.025, alpha1=0.0001, seed=7,
                  shared_negatives=loss == "ns", cbow_mean=True)
    return {k: values[k] for k in NAMES}


def _time(fn, args) -> tuple[float, float]:
    fresh = {k: (v.copy() if isinstance(v, np.ndarray) and v.dtype == np.float32 else v) for k, v in args.items()}
    t0 = time.perf_counter()
    loss = fn(**fresh)[0]
    return time.perf_counter() - t0, loss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-c", required=True, help="the reference build's _kernels .so")
    ap.add_argument("--old-numba", help="the reference's kernels_numba.py (numba rows only with it)")
    ap.add_argument("--tokens", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    from wordvec import _kernels

    impls = [("c", _load("_kernels", a.old_c, True), _kernels)]
    if a.old_numba:
        from wordvec import kernels_numba

        impls.append(("numba", _load("kernels_numba_old", a.old_numba, False), kernels_numba))
    print(f"{'kernels':8} {'model':9} {'loss':7} {'old words/s':>12} {'new words/s':>12} {'new/old':>8}  same loss")
    for name, old, new in impls:
        for model in ("skipgram", "cbow"):
            for loss in ("ns", "ns-pair", "hs") if model == "skipgram" else ("ns", "hs"):
                args = _arguments(model, loss, a.tokens)
                fo, fn = (getattr(m, f"train_{model}") for m in (old, new))
                _time(fo, args), _time(fn, args)  # warm (numba: compile or load its cache)
                times = {"old": [], "new": []}
                losses = {}
                for _ in range(a.repeats):
                    for which, f in (("old", fo), ("new", fn)):
                        seconds, losses[which] = _time(f, args)
                        times[which].append(seconds)
                wo, wn = (a.tokens / statistics.median(times[k]) for k in ("old", "new"))
                print(f"{name:8} {model:9} {loss:7} {wo:12,.0f} {wn:12,.0f} {wn / wo:8.3f}  "
                      f"{losses['old'] == losses['new']}")


if __name__ == "__main__":
    main()
