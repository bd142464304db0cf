"""Speed and peak memory of `wordvec prepare` (the on-disk token store) on synthetic Zipf corpora.

    python benchmarks/prepare.py [--sizes 10M 100M] [--big] [--repeats 3] [--workers 2] [--no-reference]
    python benchmarks/prepare.py --long-line 200     # one 200 MB line without a space: memory bounded

For each size, writes a plain-text corpus (100,000 word types, Zipf, 20 words a line, fixed seed; see
big_corpus.write_corpus) to a temporary folder, then runs, interleaved, `repeats` times each:

  prepare    `python -m wordvec.cli prepare --tokenizer simple --workers 2 --min-count 5` in a child process
  reference  what `wordvec train` does before training today: load_corpus -> SimpleTokenizer -> build_and_encode,
             the whole corpus as int32 ids in memory, in a child process (skipped above 100 M tokens)

and prints medians: seconds, tokens/s, tokens per CPU-second (user + sys of the child and its workers: the
figure that does not depend on what else runs on a shared machine), and peak memory. Peak memory is sampled every
20 ms over the whole process tree (the child and every worker it forks), as the peak of the SUM of VmRSS (counts
pages shared after fork once per process: an upper bound) and of the sum of PSS (shared pages split between the
processes that share them). ru_maxrss of the children is printed too: the kernel's exact peak, but of the largest
single process, not the sum. `--big` adds 300 M tokens. The corpora are deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from big_corpus import write_corpus  # noqa: E402

REFERENCE = """
import sys
from wordvec.corpus import load_corpus
from wordvec.preprocess import SimpleTokenizer
from wordvec.vocab import build_and_encode
tok = SimpleTokenizer()
vocab, enc = build_and_encode((tok(t) for t in load_corpus(sys.argv[1])["train"].texts), 5)
print(len(enc), len(vocab))
"""


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    return kids


def _tree(root: int) -> list[int]:
    kids, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _kb(path: str, key: bytes) -> int:
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Peak of the summed RSS and PSS (KiB) of a process and all its descendants.

    RSS is summed every 20 ms, PSS (dearer to read) every 100 ms; the process tree is re-listed every 0.25 s
    (workers live for the whole run). Kept cheap: the sampler shares the cores it measures."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.rss, self.pss, self.most_procs = pid, 0, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        pids, tick = [self.pid], 0
        while not self.done.is_set():
            if tick % 12 == 0:
                pids = _tree(self.pid)
                self.most_procs = max(self.most_procs, len(pids))
            self.rss = max(self.rss, sum(_kb(f"/proc/{p}/status", b"VmRSS:") for p in pids))
            if tick % 5 == 0:
                self.pss = max(self.pss, sum(_kb(f"/proc/{p}/smaps_rollup", b"Pss:") for p in pids))
            tick += 1
            time.sleep(0.02)


def measure(cmd: list[str]) -> dict:
    """Run cmd; wall seconds, CPU seconds of it and its children, peak tree RSS/PSS, ru_maxrss (MB).

    os.wait4 gives this child's own rusage (its CPU time includes the workers it joined; its ru_maxrss is the
    largest of it and them), not the running maximum over every child this script has had.
    """
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    mem = TreeMemory(p.pid)
    mem.start()
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    mem.done.set()
    mem.join()
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode})")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": mem.rss / 1024, "pss": mem.pss / 1024,
            "maxrss": usage.ru_maxrss / 1024, "procs": mem.most_procs, "out": out}


def long_line(mb: float, workers: int) -> int:
    """Peak memory of prepare on one line of `mb` MB without a space (a token of that size is no word: prepare keeps
    its first 1 MiB) beside prepare on a three-line file: the process's own baseline, measured in the same run."""
    tmp = tempfile.mkdtemp(prefix="wordvec-long-line-")
    try:
        long, tiny = os.path.join(tmp, "long.txt"), os.path.join(tmp, "tiny.txt")
        piece = bytes(97 + (i * 7919) % 26 for i in range(1 << 20))
        with open(long, "wb") as f:
            for _ in range(int(mb)):
                f.write(piece)
            f.write(b"\nthe cat sat on the mat\n")
        with open(tiny, "w") as f:
            f.write("the cat sat on the mat\n" * 3)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
              f"one line of {int(mb)} MB without a space, --workers {workers}")
        print("\n| tokenizer | file | seconds | peak RSS, sum over processes | peak PSS, sum | largest process "
              "(ru_maxrss) |\n|---|---|---:|---:|---:|---:|")
        for tok in ("lab", "simple"):
            peaks = {}
            for name, path in (("three lines", tiny), (f"{int(mb)} MB line", long)):
                m = measure([sys.executable, "-m", "wordvec.cli", "prepare", "--dataset", path, "--out",
                             os.path.join(tmp, "store"), "--tokenizer", tok, "--min-count", "1", "--workers",
                             str(workers), "--overwrite"])
                peaks[name] = m
                print(f"| {tok} | {name} | {m['wall']:.1f} | {m['rss']:,.0f} MB | {m['pss']:,.0f} MB | "
                      f"{m['maxrss']:,.0f} MB |", flush=True)
            a, b = peaks["three lines"], peaks[f"{int(mb)} MB line"]
            print(f"| {tok} | the line's cost over the baseline | | {b['rss'] - a['rss']:,.0f} MB | "
                  f"{b['pss'] - a['pss']:,.0f} MB | {b['maxrss'] - a['maxrss']:,.0f} MB |")
        print("goal: the line's cost stays a few tens of MB whatever its length (not proportional to the line)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def parse_size(s: str) -> int:
    s = s.upper()
    mult = {"K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9}.get(s[-1], 1)
    return int(float(s.rstrip("KMG")) * mult)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["10M", "100M"], help="corpus sizes in tokens (default 10M 100M)")
    ap.add_argument("--big", action="store_true", help="add a 300M-token corpus (about 1.5 GB of text)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-reference", action="store_true", help="skip the in-memory reference")
    ap.add_argument("--reference-max", default="100M", help="largest size the reference runs on (default 100M)")
    ap.add_argument("--long-line", type=float, default=None, metavar="MB",
                    help="instead: one line of MB megabytes without a space, each tokenizer, against a tiny file")
    args = ap.parse_args(argv)
    if args.long_line is not None:
        return long_line(args.long_line, args.workers)
    sizes = [parse_size(s) for s in args.sizes] + ([300_000_000] if args.big else [])
    ref_max = parse_size(args.reference_max)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
          f"prepare --tokenizer simple --workers {args.workers} --min-count 5, {args.repeats} runs each, medians")
    rows = []
    for n in sizes:
        tmp = tempfile.mkdtemp(prefix="wordvec-prepare-")
        try:
            corpus = os.path.join(tmp, "corpus.txt")
            t = time.perf_counter()
            write_corpus(corpus, n)
            mb = os.path.getsize(corpus) / 1e6
            print(f"\n{n:,} tokens: wrote {mb:,.0f} MB in {time.perf_counter() - t:.0f}s", flush=True)
            prep_cmd = [sys.executable, "-m", "wordvec.cli", "prepare", "--dataset", corpus, "--out",
                        os.path.join(tmp, "store"), "--tokenizer", "simple", "--min-count", "5", "--workers",
                        str(args.workers), "--overwrite"]
            ref_cmd = [sys.executable, "-c", REFERENCE, corpus]
            runs = {"prepare": [], "reference": []}
            for r in range(args.repeats):
                runs["prepare"].append(measure(prep_cmd))
                print(f"  prepare   run {r + 1}: {runs['prepare'][-1]['wall']:6.1f}s, "
                      f"peak {runs['prepare'][-1]['rss']:,.0f} MB", flush=True)
                if not args.no_reference and n <= ref_max:
                    runs["reference"].append(measure(ref_cmd))
                    print(f"  reference run {r + 1}: {runs['reference'][-1]['wall']:6.1f}s, "
                          f"peak {runs['reference'][-1]['rss']:,.0f} MB", flush=True)
            tokens = int(re.search(r": ([\d,]+) tokens", runs["prepare"][0]["out"]).group(1).replace(",", ""))
            for name, rs in runs.items():
                if rs:
                    med = {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss", "pss", "maxrss")}
                    rows.append((n, name, tokens, med, max(r["procs"] for r in rs)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    print("\n| corpus | what | seconds | tokens/s | tokens/CPU-s | peak RSS, sum over processes | peak PSS, sum "
          "| largest process (ru_maxrss) | processes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, name, tokens, m, procs in rows:
        print(f"| {n / 1e6:,.0f} M | {name} | {m['wall']:.1f} | {tokens / m['wall']:,.0f} | {tokens / m['cpu']:,.0f} "
              f"| {m['rss']:,.0f} MB | {m['pss']:,.0f} MB | {m['maxrss']:,.0f} MB | {procs} |")
    by = {(n, name): m for n, name, _, m, _ in rows}
    for n in sizes:
        if (n, "reference") in by:
            p, r = by[(n, "prepare")], by[(n, "reference")]
            print(f"{n / 1e6:,.0f} M tokens: prepare / in-memory reference: {r['wall'] / p['wall']:.2f}x the speed, "
                  f"{p['rss'] / r['rss']:.2f}x the peak memory")
    print("goals: peak RSS (sum) <= 1,024 MB at every size; >= 5,000,000 tokens/s with 2 workers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
