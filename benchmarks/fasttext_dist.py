"""fastText's subword model on several processes: `wordvec train --preset fasttext` (fastText's defaults, bucket
2,000,000: an 800 MB input matrix) on the tweets, 1 process x 2 threads against 2 processes x 1 thread (torchrun,
gloo, this machine). Printed: words/s, the share of training spent synchronising, syncs, bytes rank 0 sent, rows
it compared per sync, and quality: recall@10 of the true word among the neighbours of 300 misspellings the corpus
never holds (tests/fasttext_quality.py) and the top-10 neighbour overlap with the 1-process run for 200 frequent
words (beside one process with another seed: the noise floor).

Then the sync itself, in the same run: two processes train --scan-epochs epoch(s), once with the sync that compares
only the rows each rank's chunks can change (its words' own and n-gram rows, snapshotted before each round), once
with the sync that keeps a whole snapshot of every matrix and compares all of it (the sync before rows were
tracked, substituted in the worker). Printed: seconds per sync, rows compared per sync, the peak memory of rank 0,
and the ratio whole / tracked.

Run: python benchmarks/fasttext_dist.py [--dataset PATH] [--bucket 2000000] [--scan-epochs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))  # fasttext_quality: the same measures as the tests

ENV = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "OMP_NUM_THREADS": "1"}


def _whole_scan_worker(argv: list[str]) -> int:
    """Under torchrun: `wordvec train argv` with the whole-matrix sync; rank 0 leaves its peak RSS beside the run."""
    from wordvec import cli, pipeline
    from wordvec.distributed import TorchReplicas

    class WholeScan(TorchReplicas):
        def start(self, matrices, tracked=None):
            super().start(matrices)

        def track(self, matrices, rows):
            pass

    if argv[0] == "--whole":
        pipeline.TorchReplicas = WholeScan
        argv = argv[1:]
    code = cli.main(argv)
    if os.environ.get("RANK") == "0":
        out = Path(argv[argv.index("--out") + 1])
        (out.parent / f"{out.name}.rss").write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
    return code


def train(args: list[str], nproc: int, threads: int, out: Path, whole: bool | None = None) -> dict:
    wordvec = ["train", "--preset", "fasttext", "--no-progress", "-q", "--threads", str(threads), "--out", str(out),
               "--overwrite", *args]
    if whole is None:
        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", "-m",
                    "wordvec"] if nproc > 1 else [sys.executable, "-m", "wordvec"]
        cmd = [*launcher, *wordvec]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", __file__,
               "--worker", *(["--whole"] if whole else []), *wordvec]
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return json.loads((out / "metrics.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--bucket", type=int, default=2_000_000)
    ap.add_argument("--scan-epochs", type=int, default=1)
    args = ap.parse_args()
    from fasttext_quality import frequent_words, misspellings, neighbour_overlap, recall_at, tweet_sentences
    from wordvec.rundir import load_vectors

    sentences = tweet_sentences(Path(args.dataset) / "train.csv")
    typos = misspellings(sentences, 300)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        text = tmp / "tweets.txt"
        text.write_text("".join(" ".join(s) + "\n" for s in sentences))
        data = ["--dataset", str(text), "--tokenizer", "simple", "--bucket", str(args.bucket)]
        print(f"tweets: {sum(map(len, sentences)):,} tokens, bucket {args.bucket:,}, {len(typos)} misspellings\n")
        print("| processes x threads | seed | words/s | sync share | syncs | bytes sent (rank 0) | "
              "rows compared / sync | misspelling recall@10 | neighbours shared with 1 process |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        one_kv = None
        for nproc, threads, seed in ((1, 2, 1), (1, 2, 2), (2, 1, 1)):
            out = tmp / f"p{nproc}-{seed}"
            m = train([*data, "--seed", str(seed)], nproc, threads, out)
            kv = load_vectors(out)
            s = m["sync"]
            sync = ("| | | | " if s is None else
                    f"| {s['seconds'] / m['train_seconds']:.1%} | {s['syncs']} | {s['bytes_sent_by_rank0']:,} | "
                    f"{s['rows_compared_by_rank0'] / max(1, s['syncs']):,.0f} ")
            overlap = "" if one_kv is None else f"{neighbour_overlap(one_kv, kv, frequent_words(one_kv, 200)):.2f}"
            print(f"| {nproc} x {threads} | {seed} | {m['words_per_second']:,.0f} {sync}| {recall_at(kv, typos):.3f} | "
                  f"{overlap} |", flush=True)
            one_kv = kv if one_kv is None else one_kv

        print(f"\nThe sync, 2 processes x 1 thread, {args.scan_epochs} epoch(s):\n")
        print("| sync | syncs | seconds / sync | sync share | rows compared / sync | peak RSS of rank 0 (MB) |")
        print("|---|---:|---:|---:|---:|---:|")
        per_sync, rss = {}, {}
        for whole in (False, True):
            out = tmp / f"scan-{whole}"
            m = train([*data, "--seed", "1", "--epochs", str(args.scan_epochs)], 2, 1, out, whole=whole)
            s = m["sync"]
            per_sync[whole] = s["seconds"] / s["syncs"]
            rss[whole] = int((tmp / f"{out.name}.rss").read_text()) / 1024
            print(f"| {'whole matrices' if whole else 'tracked rows'} | {s['syncs']} | {per_sync[whole]:.4f} | "
                  f"{s['seconds'] / m['train_seconds']:.1%} | {s['rows_compared_by_rank0'] / s['syncs']:,.0f} | "
                  f"{rss[whole]:,.0f} |", flush=True)
        print(f"\nwhole / tracked: {per_sync[True] / per_sync[False]:.1f}x the seconds per sync, "
              f"{rss[True] / rss[False]:.2f}x the peak memory")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(_whole_scan_worker(sys.argv[2:]))
    main()
