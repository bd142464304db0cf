"""Peak memory and time of reading a word2vec file: wordvec's streaming readers against gensim's, in fresh processes.

Writes a random 200,000 x 300 file (text and binary) once, then loads it in a new interpreter per reader and
reports the peak resident memory above what the interpreter held before loading (VmHWM - VmRSS from
/proc/self/status), as a multiple of the final matrix (rows x dim x 4 bytes). `--src DIR` loads wordvec from
another checkout (e.g. the main branch's src/) to compare with an earlier reader.

`--gz` adds gzip-compressed copies (the reader cannot size the matrix from the file, so it grows it as rows arrive
when the free memory does not vouch for the header; `--grow` forces that path to measure it).

    python benchmarks/load_vectors.py [--rows 200000] [--dim 300] [--dir /tmp/wordvec-load] [--src DIR] [--gz]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

CHILD = textwrap.dedent("""
    import json, sys, time
    if {src!r}:
        sys.path.insert(0, {src!r})
    import numpy as np

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

    if {reader!r} == "gensim":
        from gensim.models import KeyedVectors
        load = lambda p, b: KeyedVectors.load_word2vec_format(p, binary=b)
    else:
        from wordvec.vectors import KeyedVectors
        if {grow!r}:
            from wordvec import w2vformat
            w2vformat._memory_cap = lambda: 0
        load = lambda p, b: KeyedVectors.load_word2vec_format(p, binary=b)
    base = status("VmRSS")
    t = time.perf_counter()
    kv = load({path!r}, {binary!r})
    seconds = time.perf_counter() - t
    print(json.dumps({{"base": base, "peak": status("VmHWM"), "seconds": seconds, "shape": list(kv.vectors.shape)}}))
""")


def measure(reader: str, path: Path, binary: bool, src: str, grow: bool = False) -> dict:
    code = CHILD.format(src=src if reader == "wordvec (--src)" else "", reader=reader, path=str(path), binary=binary,
                        grow=grow and reader == "wordvec")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "wordvec-load"))
    ap.add_argument("--src", default="", help="another checkout's src/ folder, measured as 'wordvec (--src)'")
    ap.add_argument("--no-gensim", action="store_true")
    ap.add_argument("--gz", action="store_true", help="also gzip-compressed copies")
    ap.add_argument("--grow", action="store_true", help="wordvec grows the matrix of compressed files as rows arrive")
    args = ap.parse_args()

    from wordvec.vectors import save_word2vec_format

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [(False, folder / f"v{args.rows}x{args.dim}.txt"), (True, folder / f"v{args.rows}x{args.dim}.bin")]
    if args.gz:
        paths += [(b, p.with_name(p.name + ".gz")) for b, p in paths]
    rng = np.random.default_rng(0)
    vectors = None
    for binary, path in paths:
        if not path.exists():
            if vectors is None:
                vectors = rng.standard_normal((args.rows, args.dim)).astype(np.float32)
            t = time.perf_counter()
            save_word2vec_format(path, [f"w{i}" for i in range(args.rows)], vectors, binary=binary)
            print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s")
    del vectors
    matrix = args.rows * args.dim * 4
    readers = ["wordvec"] + (["wordvec (--src)"] if args.src else []) + ([] if args.no_gensim else ["gensim"])
    print(f"\n{args.rows:,} x {args.dim} float32 = {matrix / 2**20:.0f} MiB matrix")
    print(f"{'format':<11}{'reader':<15}{'file MiB':>9}{'peak extra MiB':>16}{'x matrix':>10}{'x file':>8}"
          f"{'seconds':>9}")
    for binary, path in paths:
        size = path.stat().st_size
        for reader in readers:
            r = measure(reader, path, binary, args.src, args.grow and path.suffix == ".gz")
            extra = r["peak"] - r["base"]
            kind = ("binary" if binary else "text") + (".gz" if path.suffix == ".gz" else "")
            print(f"{kind:<11}{reader:<15}{size / 2**20:>9.0f}{extra / 2**20:>16.0f}"
                  f"{extra / matrix:>10.2f}{extra / size:>8.2f}{r['seconds']:>9.1f}")


if __name__ == "__main__":
    main()
