"""What a user feels: whole processes, wordvec beside gensim, timed with /usr/bin/time -v (wall time and peak
resident memory), median of several interleaved runs.

Each process trains on the same pre-tokenised tweets (the lab tokenizer, one tweet per line, written once) and
saves the vectors in word2vec text format: import, read, build the vocabulary, train, write — all of it.
Settings for both: skip-gram or CBOW, vector 100, window 5, negative 5, sample 1e-3, min_count 5, 5 epochs,
2 workers. gensim is run the two ways its users do: an iterable (`LineSentence`) and `corpus_file=`.

The second table times what a lab user runs, whole: `wordvec train --preset lab` on the tweets (import, read,
tokenise, train, write the run directory and loss.png, print the report), beside the training seconds its
metrics.json reports, and `wordvec neighbors RUN good school` on that run (goals on an idle 2-core machine: the lab
run within 5 s and 600 MB, neighbors within 1 s).

Run: python benchmarks/processes.py [--dataset PATH] [--repeats 5] [--only lab|gensim]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"  # --src: another checkout's, to compare before and after a change
sys.path.insert(0, str(SRC))

SETTINGS = "vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=5, workers=2"

SCRIPTS = {
    "wordvec": "from wordvec import Word2Vec\n"
               "m = Word2Vec(corpus_file={corpus!r}, sg={sg}, " + SETTINGS + ", device='cpu')\n"
               "m.wv.save_word2vec_format({out!r})\n",
    "gensim (LineSentence)": "from gensim.models import Word2Vec\nfrom gensim.models.word2vec import LineSentence\n"
                             "m = Word2Vec(LineSentence({corpus!r}), sg={sg}, " + SETTINGS + ")\n"
                             "m.wv.save_word2vec_format({out!r})\n",
    "gensim (corpus_file)": "from gensim.models import Word2Vec\n"
                            "m = Word2Vec(corpus_file={corpus!r}, sg={sg}, " + SETTINGS + ")\n"
                            "m.wv.save_word2vec_format({out!r})\n",
    "python + numpy import": "import numpy\n",
}


def tokenised_tweets(dataset: str, path: Path) -> Path:
    from wordvec.corpus import load_corpus
    from wordvec.preprocess import LabTokenizer

    tok = LabTokenizer()
    texts = load_corpus(dataset)["train"].texts
    path.write_text("".join(" ".join(tok(t)) + "\n" for t in texts), encoding="utf-8")
    return path


def timed(code: str) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of `python -c code` as /usr/bin/time -v reports them."""
    return timed_argv([sys.executable, "-c", code])[:2]


def timed_argv(argv: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB, CPU seconds: user + system) of a command as /usr/bin/time -v reports them."""
    proc = subprocess.run(["/usr/bin/time", "-v", *argv], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(SRC)})
    if proc.returncode != 0:
        raise SystemExit(f"benchmark process failed:\n{proc.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", proc.stderr).group(1)) for kind in ("User", "System"))
    return seconds, int(rss.group(1)) / 1024, cpu


def wordvec_command() -> list[str]:
    """The `wordvec` console script beside this interpreter (what a user runs), else `python -m wordvec`."""
    script = Path(sys.executable).with_name("wordvec")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "wordvec"]


def lab_table(dataset: str, repeats: int) -> None:
    """Whole `wordvec train --preset lab` and `wordvec neighbors` processes, medians, beside the training time."""
    wordvec = wordvec_command()
    train, near, floor, seconds = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):  # interleaved, so a busy moment hits every row alike
            out = Path(tmp) / f"lab{i}"
            train.append(timed_argv([*wordvec, "train", "--preset", "lab", "--dataset", dataset, "--out", str(out)]))
            seconds.append(json.loads((out / "metrics.json").read_text())["train_seconds"])
            near.append(timed_argv([*wordvec, "neighbors", str(out), "good", "school"]))
            floor.append(timed_argv([sys.executable, "-c", "import numpy"]))
    med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
    print(f"\nwhole processes a lab user runs, median of {repeats} (interleaved)\n")
    print("| process | wall s | CPU s (user + system) | peak RSS MiB | of which training s (metrics.json) | goal "
          "(idle 2-core machine) |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| `wordvec train --preset lab` | {med(train, 0):.2f} | {med(train, 2):.2f} | {med(train, 1):.0f} | "
          f"{statistics.median(seconds):.2f} | <= 5 s, <= 600 MB |")
    print(f"| `wordvec neighbors RUN good school` | {med(near, 0):.2f} | {med(near, 2):.2f} | {med(near, 1):.0f} | | "
          f"<= 1 s |")
    print(f"| `python -c \"import numpy\"` | {med(floor, 0):.2f} | {med(floor, 2):.2f} | {med(floor, 1):.0f} | | |")
    print(f"\n(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" /
                                                 "tweets_hate_speech_detection"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=["lab", "gensim"], default=None,
                        help="only the lab user's rows, or only the rows beside gensim")
    parser.add_argument("--src", default=None, help="time the wordvec package in this src folder (another checkout, "
                                                    "its C extension built) instead of this one")
    args = parser.parse_args()
    if args.src:
        global SRC
        SRC = Path(args.src).resolve()
    if args.only != "gensim":
        lab_table(args.dataset, args.repeats)
    if args.only == "lab":
        return
    with tempfile.TemporaryDirectory() as tmp:
        corpus = tokenised_tweets(args.dataset, Path(tmp) / "tweets.txt")
        out = str(Path(tmp) / "vectors.txt")
        rows = []
        for sg, arch in ((1, "skip-gram"), (0, "CBOW")):
            codes = {lib: s.format(corpus=str(corpus), out=out, sg=sg) for lib, s in SCRIPTS.items()}
            timed(codes["wordvec"])  # compile or load the kernels once; every timed run starts warm
            runs: dict[str, list[tuple[float, float]]] = {lib: [] for lib in codes}
            for _ in range(args.repeats):  # interleaved, so a busy moment hits every library alike
                for lib, code in codes.items():
                    runs[lib].append(timed(code))
            for lib, r in runs.items():
                rows.append((arch, lib, statistics.median(w for w, _ in r), statistics.median(m for _, m in r)))
    print(f"whole processes, median of {args.repeats}: train on the tweets ({SETTINGS}) and save the vectors\n")
    print("| arch | process | wall s | peak RSS MiB | wall / gensim (LineSentence) | RSS / gensim (LineSentence) |")
    print("|---|---|---:|---:|---:|---:|")
    for arch in ("skip-gram", "CBOW"):
        mine = {lib: (w, m) for a, lib, w, m in rows if a == arch}
        ref_w, ref_m = mine["gensim (LineSentence)"]
        for lib, (w, m) in mine.items():
            print(f"| {arch} | {lib} | {w:.2f} | {m:.0f} | {w / ref_w:.2f}x | {m / ref_m:.2f}x |")


if __name__ == "__main__":
    main()
