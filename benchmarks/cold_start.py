"""Cold start of the CPU kernels: what a fresh process pays before its first trained token.

Each row is a fresh `python -c ...` (median of --runs, interleaved): the interpreter alone, `import numpy`,
`import numpy, numba`, importing `wordvec.kernels`, and importing it and training a tiny corpus through one kernel
entry point directly (`kernel_for(sg)(...)`), with the C kernels (the default where `wordvec._kernels` was built)
and with the numba fallback (WORDVEC_KERNELS=numba, its on-disk cache warm); last, what a user runs:
`from wordvec import Word2Vec` and a tiny model (vocabulary, training, no torch). The
column "beyond numpy" is the cost beyond `import numpy` (target for the C kernels: <= 0.3 s). Inside the child, the
imports and the first call are timed separately; the first numba call loads the compiled kernel from numba's cache
and runs numba's one-time set-up (its typing and lowering registries, which import scipy.linalg to probe for BLAS
when scipy is installed). The last columns are the child's peak resident memory (ru_maxrss).

numba's cache is under NUMBA_CACHE_DIR when that is set, else in `__pycache__` beside `kernels_numba.py`, else (a
read-only site-packages) in the user's cache directory (~/.cache/numba).

Run: python benchmarks/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

TINY_RUN = """
import json, resource, time
t0 = time.perf_counter()
import numpy as np
from wordvec.kernels import implementation, kernel_for
t1 = time.perf_counter()
rng = np.random.default_rng(0)
v, dim = 50, 100
ids = rng.integers(0, v, 2000).astype(np.int32)
offsets = np.arange(0, 2001, 20, dtype=np.int64)
syn0 = ((rng.random((v, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
syn1neg = np.zeros((v, dim), np.float32)
none2, none1 = np.zeros((1, 1), np.float32), np.zeros(1, np.int32)
kernel = kernel_for({sg})
t2 = time.perf_counter()
kernel(ids, offsets, 0, len(ids), syn0, none2, np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32), none1, syn1neg,
       np.ones(v, np.float32), np.zeros(v, np.int32), np.ones(v, np.float32), 0, 5, 5, True, 0.025, 0.0001, 1, True,
       True)
t3 = time.perf_counter()
stats = getattr(kernel, "stats", None)
print(json.dumps(dict(imports=t1 - t0, first_call=t3 - t2, kernels=implementation().__name__,
                      cache=str(stats.cache_path) if stats else "",
                      cache_hits=sum(stats.cache_hits.values()) if stats else None,
                      rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""

PEAK = "import json, resource\nprint(json.dumps(dict(rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))"

WORD2VEC = ("from wordvec import Word2Vec\n"
            "m = Word2Vec([['a', 'b', 'c', 'd']] * 50, vector_size=10, min_count=1, sample=0, workers=1)\n"
            "assert 'torch' not in __import__('sys').modules\n" + PEAK)

C, NUMBA = {"WORDVEC_KERNELS": "c"}, {"WORDVEC_KERNELS": "numba"}
CASES = [  # (name, code, environment)
    ("python -c pass", PEAK, {}),
    ("import numpy", "import numpy\n" + PEAK, {}),
    ("import numpy, numba", "import numpy, numba\n" + PEAK, {}),
    ("import wordvec.kernels", "import wordvec.kernels\n" + PEAK, {}),
    ("C: kernels + tiny skip-gram run", TINY_RUN.replace("{sg}", "True"), C),
    ("C: kernels + tiny CBOW run", TINY_RUN.replace("{sg}", "False"), C),
    ("numba: kernels + tiny skip-gram", TINY_RUN.replace("{sg}", "True"), NUMBA),
    ("numba: kernels + tiny CBOW", TINY_RUN.replace("{sg}", "False"), NUMBA),
    ("C: a tiny wordvec.Word2Vec", WORD2VEC, C),
]


def run_child(code: str, env: dict) -> tuple[float, dict]:
    path = os.pathsep.join([os.path.abspath(SRC), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, **env)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - t0, json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    for _, code, env in CASES:
        run_child(code, env)  # numba compiles once, so every timed numba run loads from its cache
    times: dict[str, list[float]] = {name: [] for name, _, _ in CASES}
    inner: dict[str, list[dict]] = {name: [] for name, _, _ in CASES}
    for _ in range(args.runs):  # interleaved, so a busy moment hits every row alike
        for name, code, env in CASES:
            seconds, out = run_child(code, env)
            times[name].append(seconds)
            inner[name].append(out)
    base = statistics.median(times["import numpy"])
    print(f"{'fresh process':34s} {'median s':>9s} {'beyond numpy':>13s} {'peak RSS MiB':>13s}"
          f"   inside: imports / first call")
    for name, _, _ in CASES:
        med = statistics.median(times[name])
        extra = f"{med - base:+13.3f}" if name != "python -c pass" else f"{'':13s}"
        rss = statistics.median(r["rss"] for r in inner[name])
        detail = ""
        if "first_call" in inner[name][-1]:
            imp = statistics.median(r["imports"] for r in inner[name])
            call = statistics.median(r["first_call"] for r in inner[name])
            last = inner[name][-1]
            note = last["kernels"] if last["cache_hits"] is None else f"{last['kernels']}, cache hits {last['cache_hits']}"
            detail = f"   {imp:.3f} / {call:.3f} s ({note})"
        print(f"{name:34s} {med:9.3f} {extra} {rss:13.0f}{detail}")
    c_rows = [name for name, _, env in CASES if env is C]
    kernels = {inner[name][-1]["kernels"] for name in c_rows if "kernels" in inner[name][-1]}
    worst = max(statistics.median(times[n]) for n in c_rows) - base
    print(f"\nC kernels ({', '.join(sorted(kernels))}): import + tiny run beyond `import numpy`: at most {worst:.3f} "
          f"s (target <= 0.300 s), a tiny Word2Vec included; median of {args.runs} fresh processes")
    numba_rows = [name for name, _, env in CASES if env is NUMBA]
    worst_numba = max(statistics.median(times[n]) for n in numba_rows) - base
    print(f"numba kernels: {worst_numba:.3f} s beyond `import numpy`; numba cache: {inner[numba_rows[0]][-1]['cache']}")


if __name__ == "__main__":
    main()
