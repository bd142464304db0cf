"""The kernels' lockf argument (gensim's vectors_lockf) costs nothing when it is absent, measured in one run.

    python benchmarks/lockf.py [--tokens 400000] [--repeats 9] [--before PATH/_kernels.so]

Times one kernel call per case on a Zipf corpus, interleaved, best of `--repeats`: lockf=None (the fast path
every run without frozen rows takes), an all-ones array (the branch taken, nothing frozen) and half the rows
frozen. With --before, also the same calls into another build of the C kernels (e.g. one compiled from the
_kernels.c before the lockf argument: `gcc -shared -fPIC -O3 -funroll-loops -I$(python -c "import sysconfig;
print(sysconfig.get_paths()['include'])") OLD_kernels.c -o /tmp/old/_kernels$(python3-config --extension-suffix)`).
Prints seconds and the ratio of each column to lockf=None.
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np

from wordvec import kernels
from wordvec.vocab import alias_table, huffman_tree, keep_probabilities, noise_distribution

CASES = {"sg ns shared": (1, 0, 5, True), "sg ns per pair": (1, 0, 5, False), "cbow ns": (0, 0, 5, False),
         "sg hs": (1, 1, 0, False)}


def _module(path: str):
    spec = importlib.util.spec_from_file_location("_kernels", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=400_000)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--before", help="another build of the C kernels (.so) to time beside this one")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    v, d = 20_000, 100
    counts = np.sort(rng.zipf(1.3, v).clip(1, 10 ** 6))[::-1].astype(np.int64)
    ids = rng.choice(v, args.tokens, p=counts / counts.sum()).astype(np.int32)
    offsets = np.arange(0, len(ids) + 1, 20, dtype=np.int64)
    tree = huffman_tree(counts)
    prob, alias = alias_table(noise_distribution(counts))
    keep = keep_probabilities(counts, 1e-3)
    half = np.ones(v, np.float32)
    half[::2] = 0.0
    now = kernels.implementation("c")
    columns = {"lockf=None": (now, None), "all ones": (now, np.ones(v, np.float32)), "half frozen": (now, half)}
    if args.before:
        columns["before (no lockf)"] = (_module(args.before), None)
    print(f"{'case':16}" + "".join(f"{name:>19}" for name in columns) + "   (seconds; ratio to lockf=None)")
    for case, (sg, hs, negative, shared) in CASES.items():
        best = {name: float("inf") for name in columns}
        for _ in range(args.repeats):
            for name, (module, lockf) in columns.items():
                syn0 = ((rng.random((v, d)) - 0.5) / d).astype(np.float32)
                syn1, syn1neg = np.zeros((v - 1, d), np.float32), np.zeros((v, d), np.float32)
                fn = module.train_skipgram if sg else module.train_cbow
                extra = {} if lockf is None else {"lockf": lockf}
                t = time.perf_counter()
                fn(ids, offsets, 0, len(ids), syn0, syn1, tree.codes, tree.points, tree.lengths, syn1neg, prob, alias,
                   keep, hs, negative, 5, True, 0.025, 0.0001, 1, shared, True, **extra)
                best[name] = min(best[name], time.perf_counter() - t)
        base = best["lockf=None"]
        print(f"{case:16}" + "".join(f"{f'{s:.3f} ({s / base:.2f})':>19}" for s in best.values()))


if __name__ == "__main__":
    main()
