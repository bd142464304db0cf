"""Cold start of the CPU kernels: what a fresh process pays before its first trained token, numba cache warm.

Each row is a fresh `python -c ...` (median of --runs): the interpreter alone, `import numpy, numba`, importing
`wordvec.kernels`, and importing it and training a tiny corpus through one kernel entry point directly
(`kernel_for(sg)(...)`, not `wordvec.Word2Vec`). The last column is the cost beyond `import numpy, numba`
(target: <= 0.3 s). Inside the child, the first call's time (loading the compiled kernel from numba's on-disk
cache, plus numba's own one-time set-up) is printed separately. numba's floor is the same for a one-line cached
@njit function (the row "numba floor"): its first call sets up numba's typing and lowering registries, which
imports scipy.linalg to probe for BLAS when scipy is installed.

numba's cache is under NUMBA_CACHE_DIR when that is set, else in `__pycache__` beside `kernels.py`, else (a
read-only site-packages) in the user's cache directory (~/.cache/numba); the last line names the one used.

Run: python benchmarks/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

TINY_RUN = """
import time
t0 = time.perf_counter()
import numpy as np
from wordvec.kernels import kernel_for
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
print(json.dumps(dict(imports=t1 - t0, first_call=t3 - t2, cache=str(kernel.stats.cache_path),
                      cache_hits=sum(kernel.stats.cache_hits.values()))))
"""

FLOOR_MODULE = """
import numpy as np
from numba import njit


@njit(cache=True)
def total(a):
    return a.sum()
"""

FLOOR_RUN = """
import json, time
t0 = time.perf_counter()
import numpy as np
import floor_module
t1 = time.perf_counter()
floor_module.total(np.ones(3))
t2 = time.perf_counter()
hits = sum(floor_module.total.stats.cache_hits.values())
print(json.dumps(dict(imports=t1 - t0, first_call=t2 - t1, cache_hits=hits)))
"""

CASES = [
    ("python -c pass", "pass"),
    ("import numpy, numba", "import numpy, numba"),
    ("numba floor: one-line @njit call", FLOOR_RUN),
    ("import wordvec.kernels", "import wordvec.kernels"),
    ("kernels + tiny skip-gram run", "import json\n" + TINY_RUN.replace("{sg}", "True")),
    ("kernels + tiny CBOW run", "import json\n" + TINY_RUN.replace("{sg}", "False")),
]


def run_child(code: str, floor_dir: str) -> tuple[float, str]:
    path = os.pathsep.join([os.path.abspath(SRC), floor_dir, os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - t0, out.stdout.strip()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as floor_dir:
        with open(os.path.join(floor_dir, "floor_module.py"), "w") as f:
            f.write(FLOOR_MODULE)
        for _, code in CASES:
            run_child(code, floor_dir)  # compile once, so every timed run loads from the cache
        times: dict[str, list[float]] = {name: [] for name, _ in CASES}
        inner: dict[str, list[dict]] = {name: [] for name, _ in CASES}
        for _ in range(args.runs):  # interleaved, so a busy moment hits every row alike
            for name, code in CASES:
                seconds, out = run_child(code, floor_dir)
                times[name].append(seconds)
                if out:
                    inner[name].append(json.loads(out.splitlines()[-1]))
    base = statistics.median(times["import numpy, numba"])
    print(f"{'fresh process':32s} {'median s':>9s} {'beyond numpy+numba':>19s}   inside: imports / first call")
    for name, _ in CASES:
        med = statistics.median(times[name])
        extra = f"{med - base:+19.3f}" if name != "python -c pass" else f"{'':19s}"
        detail = ""
        if inner[name]:
            imp = statistics.median(r["imports"] for r in inner[name])
            call = statistics.median(r["first_call"] for r in inner[name])
            detail = f"   {imp:.3f} / {call:.3f} s (cache hits {inner[name][-1]['cache_hits']})"
        print(f"{name:32s} {med:9.3f} {extra}{detail}")
    worst = max(statistics.median(times[n]) for n, _ in CASES[4:]) - base
    print(f"\nkernel load + tiny run beyond `import numpy, numba`: {worst:.3f} s (target <= 0.300 s); "
          f"median of {args.runs} fresh processes; numba cache: {inner[CASES[4][0]][-1]['cache']}")


if __name__ == "__main__":
    main()
