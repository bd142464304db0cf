"""Time and peak memory of reading a fastText .bin: wordvec's reader against gensim's, in fresh processes.

Two files: gensim's shipped `crime-and-punishment.bin` (291 words, 100 buckets, dim 5) and a generated model
(default 100,000 words x 100 dims x 200,000 buckets, random values, written by wordvec's `save_facebook_model`).
Each (reader, entry point) loads the file in a new interpreter, `--repeats` times; reported: the median seconds
of the call, and the peak resident memory above what the interpreter held before it (VmHWM - VmRSS), as a
multiple of the input matrix ((words + buckets) x dim x 4 bytes). Then one unseen word's vector, to check both
readers give the same answer.

    python benchmarks/load_fasttext.py [--words 100000] [--dim 100] [--bucket 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

CHILD = textwrap.dedent("""
    import json, time

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

    if {reader!r} == "gensim":
        from gensim.models import fasttext as ft
    else:
        import wordvec.fasttext as ft
    load = getattr(ft, {entry!r})
    base = status("VmRSS")
    t = time.perf_counter()
    m = load({path!r})
    seconds = time.perf_counter() - t
    wv = getattr(m, "wv", m)
    print(json.dumps({{"base": base, "peak": status("VmHWM"), "seconds": seconds,
                       "unseen": [float(x) for x in wv["zzunseenword"][:3]]}}))
""")


def measure(reader: str, entry: str, path: Path) -> dict:
    code = CHILD.format(reader=reader, entry=entry, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(path: Path, words: int, dim: int, bucket: int) -> None:
    from wordvec.fasttext import FastTextKeyedVectors, save_facebook_model

    rng = np.random.default_rng(0)
    keys = [f"w{i}é" for i in range(words)]
    kv = FastTextKeyedVectors.from_arrays(keys, rng.uniform(-0.1, 0.1, (words, dim)).astype(np.float32),
                                          rng.uniform(-0.1, 0.1, (bucket, dim)).astype(np.float32), 3, 6,
                                          counts=np.arange(words, 0, -1))
    t = time.perf_counter()
    save_facebook_model(kv, path)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--bucket", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "wordvec-load-fasttext"))
    args = ap.parse_args()

    from gensim.test.utils import datapath

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    big = folder / f"ft{args.words}x{args.dim}x{args.bucket}.bin"
    if not big.exists():
        generate(big, args.words, args.dim, args.bucket)
    files = [(Path(datapath("crime-and-punishment.bin")), 291 + 100, 5), (big, args.words + args.bucket, args.dim)]
    print(f"{'file':<34}{'entry point':<24}{'reader':<9}{'seconds':>9}{'peak extra MiB':>16}{'x input':>9}"
          f"{'time / gensim':>15}")
    for path, rows, dim in files:
        matrix = rows * dim * 4
        for entry in ("load_facebook_vectors", "load_facebook_model"):
            results = {}
            for reader in ("wordvec", "gensim"):
                runs = [measure(reader, entry, path) for _ in range(args.repeats)]
                results[reader] = {"seconds": statistics.median(r["seconds"] for r in runs),
                                   "extra": statistics.median(r["peak"] - r["base"] for r in runs),
                                   "unseen": runs[0]["unseen"]}
            assert np.allclose(results["wordvec"]["unseen"], results["gensim"]["unseen"], atol=1e-6), results
            for reader, r in results.items():
                ratio = r["seconds"] / results["gensim"]["seconds"]
                print(f"{path.name:<34}{entry:<24}{reader:<9}{r['seconds']:>9.3f}{r['extra'] / 2**20:>16.1f}"
                      f"{r['extra'] / matrix:>9.2f}{ratio:>14.2f}x")


if __name__ == "__main__":
    main()
