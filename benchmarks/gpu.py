"""Every GPU figure in one run: the lab preset's seconds; quality at the GPU's launch shape (downstream F1 on the
tweets, neighbour overlap on a planted corpus, beside the Hogwild engine and its seed-to-seed noise floor);
skip-gram and CBOW words/s at several launch sizes beside the CPU engine measured in the same run; and scaling over
two GPUs under torchrun when present.

    python benchmarks/gpu.py [--device cuda] [--launch-batch 65536] [--step 4096] [--planted-tokens 10000000]
    python benchmarks/gpu.py --device cpu --quality-only     # the quality rows, measured on the CPU
    python benchmarks/gpu.py --cpu-dry-run                   # every code path on the CPU, tiny sizes (CI)

`benchmarks/device_check.sh` installs the CUDA build of torch, runs the CUDA tests and then this script.
The GPU path trains `--launch-batch` centre words per launch as consecutive `--step`-word SGD steps (one CUDA
graph); "one step" rows train the whole launch as a single step (the rule before launches: summed updates,
capped at 256 per row) to show what the launch shape buys. Hogwild rows run on this machine's CPU cores.
Goals on one H100/H200-class GPU: lab preset < 1 s; skip-gram >= 30 M words/s at the CPU's quality.
Each measurement is a whole `wordvec train` process; the figures are its metrics.json (training seconds exclude
reading and tokenising).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from big_corpus import write_corpus  # noqa: E402
from distributed import group_recall, jaccard_all, load, planted_corpus  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}


def wordvec(args: list[str], out: Path, nproc: int = 1) -> dict:
    base = ["train", "--no-progress", "-q", "--out", str(out), "--overwrite", *args]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}"]
    cmd = [*(launcher if nproc > 1 else [sys.executable]), "-m", "wordvec", *base]
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    if r.returncode != 0:
        print(f"  failed: {' '.join(cmd[-12:])}\n  {r.stderr.strip()[-600:]}", flush=True)
        return {}
    return json.loads((out / "metrics.json").read_text())


def f1_of(run: Path, tweets, labels) -> float:
    """Downstream F1 of class 1: mean vectors, logistic regression, 5 stratified folds (`wordvec.downstream`)."""
    from wordvec.downstream import downstream
    from wordvec.rundir import load_vectors

    return downstream(load_vectors(run), tweets, labels, folds=5)["embedding"]["f1"]["mean"]


def engines(args) -> list[tuple[str, list[str]]]:
    """(label, flags) of the engines compared for quality: Hogwild on the CPU (two seeds: the noise floor), the
    torch backend on the device at the launch shape, and the same launch as one step. The torch runs take seed 2,
    so that their overlap with Hogwild seed 1 compares with the seed-to-seed floor (the seed sets the initial
    vectors, which a short run would otherwise share)."""
    dev, launch = args.device, str(args.launch_batch)
    return [("cpu hogwild, seed 1", ["--device", "cpu", "--backend", "hogwild", "--seed", "1"]),
            ("cpu hogwild, seed 2", ["--device", "cpu", "--backend", "hogwild", "--seed", "2"]),
            (f"{dev} torch, {args.launch_batch:,} per launch as steps of {args.step:,}",
             ["--device", dev, "--backend", "torch", "--seed", "2", "--batch-size", str(args.step),
              "--launch-batch", launch]),
            (f"{dev} torch, {args.launch_batch:,} as one step",
             ["--device", dev, "--backend", "torch", "--seed", "2", "--batch-size", launch, "--launch-batch", launch])]


def quality_tweets(args, tmp: Path, tweet_file: Path, tweets, labels) -> None:
    print(f"\nquality at the launch shape, tweets ({args.tweets_epochs} epochs; F1 of class 1, mean vectors, "
          f"5-fold)\n| arch | engine | final loss | F1 | vs hogwild seed 1 |\n|---|---|---:|---:|---:|", flush=True)
    for arch in ("sgns", "cbow"):
        base = None
        for i, (label, flags) in enumerate(engines(args)):
            if arch == "cbow" and i in (1, 3):
                continue
            run = tmp / f"q-{arch}-{i}"
            m = wordvec(["--dataset", str(tweet_file), "--tokenizer", "simple", "--preset", arch, "--epochs",
                         str(args.tweets_epochs), *flags], run)
            if not m:
                continue
            f1 = f1_of(run, tweets, labels)
            base = f1 if i == 0 else base
            diff = "" if i == 0 or base is None else f"{f1 - base:+.3f}"
            print(f"| {arch} | {label} | {m['final_loss']:.3f} | {f1:.3f} | {diff} |", flush=True)


def quality_planted(args, tmp: Path, planted: Path, info: dict) -> None:
    print(f"\nquality at the launch shape, planted {args.planted_tokens / 1e6:g}M tokens (sgns, 1 epoch; group "
          f"recall: share of a word's {info['per_group'] - 1} nearest neighbours that are its planted group mates; "
          f"Jaccard of the top-10 neighbours with hogwild seed 1)\n"
          f"| engine | words/s | final loss | group recall | Jaccard with hogwild seed 1 |\n|---|---:|---:|---:|---:|",
          flush=True)
    ref = None
    for i, (label, flags) in enumerate(engines(args)):
        run = tmp / f"p-{i}"
        m = wordvec(["--dataset", str(planted), "--tokenizer", "simple", "--preset", "sgns", "--epochs", "1",
                     "--min-count", "1", *flags], run)
        if not m:
            continue
        vec = load(run)
        ref = vec if i == 0 else ref
        jac = "" if i == 0 or ref is None else f"{jaccard_all(ref, vec):.2f}"
        print(f"| {label} | {m['words_per_second']:,.0f} | {m['final_loss']:.3f} | "
              f"{group_recall(*vec, info['per_group']):.3f} | {jac} |", flush=True)


def speed(args, tmp: Path, zipf: Path, gpus: int) -> None:
    dev = args.device
    rows = []
    for arch in ("sgns", "cbow"):
        data = ["--dataset", str(zipf), "--tokenizer", "simple", "--epochs", "1", "--preset", arch]
        cpu = wordvec([*data, "--device", "cpu", "--backend", "hogwild"], tmp / f"s-{arch}-cpu")
        rows.append((arch, "cpu hogwild", "", cpu.get("words_per_second", 0.0)))
        for launch in args.speed_launches:
            m = wordvec([*data, "--device", dev, "--backend", "torch", "--batch-size", str(args.step),
                         "--launch-batch", str(launch)], tmp / f"s-{arch}-{launch}")
            rows.append((arch, f"{dev} torch", f"{launch:,} / {args.step:,}", m.get("words_per_second", 0.0)))
            print(f"  {arch} {dev} launch {launch}: {rows[-1][3]:,.0f} words/s", flush=True)
    print(f"\nspeed, zipf {args.zipf_tokens / 1e6:g}M tokens, 1 epoch\n"
          f"| arch | engine | launch / step (centre words) | words/s | vs CPU |\n|---|---|---|---:|---:|")
    for arch, where, shape, wps in rows:
        base = next(r[3] for r in rows if r[0] == arch and r[1] == "cpu hogwild") or 1.0
        print(f"| {arch} | {where} | {shape} | {wps:,.0f} | {wps / base:.2f}x |", flush=True)
    if gpus > 1 or args.cpu_dry_run:
        # several processes on one device in the dry run: the torchrun code path, not a scaling figure
        procs = sorted({1, 2, gpus}) if gpus > 1 else [1, 2]
        print(f"\n| processes | sgns words/s (zipf, launch {args.launch_batch:,}) | scaling |\n|---:|---:|---:|")
        one = None
        for n in procs:
            m = wordvec(["--dataset", str(zipf), "--tokenizer", "simple", "--epochs", "1", "--preset", "sgns",
                         "--device", dev, "--backend", "torch", "--batch-size", str(args.step), "--launch-batch",
                         str(args.launch_batch), "--sync-words", str(args.sync_words)], tmp / f"multi-{n}", nproc=n)
            wps = m.get("words_per_second", 0.0)
            one = wps if n == 1 else one
            print(f"| {n} | {wps:,.0f} | {wps / (one or 1.0):.2f}x |", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--launch-batch", type=int, default=65536, help="centre words per launch on the device")
    ap.add_argument("--step", type=int, default=4096, help="centre words per SGD step inside a launch")
    ap.add_argument("--speed-launches", type=int, nargs="+", default=[16384, 65536, 262144])
    ap.add_argument("--zipf-tokens", type=int, default=20_000_000)
    ap.add_argument("--planted-tokens", type=int, default=10_000_000)
    ap.add_argument("--planted-groups", type=int, default=2000)
    ap.add_argument("--tweets", type=int, default=0, help="use only the first N tweets (0: all)")
    ap.add_argument("--tweets-epochs", type=int, default=5)
    ap.add_argument("--sync-words", type=int, default=1_000_000, help="torchrun rows: words per process per sync")
    ap.add_argument("--quality-only", action="store_true", help="only the quality rows")
    ap.add_argument("--cpu-dry-run", "--smoke", action="store_true",
                    help="every code path on the CPU with tiny sizes (the fixed-shape steps CUDA runs), to test "
                         "the script")
    args = ap.parse_args(argv)
    if args.cpu_dry_run:
        args.device, args.zipf_tokens, args.planted_tokens, args.planted_groups = "cpu", 60_000, 60_000, 100
        args.tweets, args.tweets_epochs, args.speed_launches = 1500, 1, [8192]
        args.launch_batch, args.step, args.sync_words = 8192, 1024, 20_000
        ENV["WORDVEC_FIXED_SHAPES"] = "1"
    import torch

    from wordvec.corpus import load_corpus
    from wordvec.preprocess import LabTokenizer

    dev = args.device
    gpus = torch.cuda.device_count() if dev.startswith("cuda") else 0
    print(f"device {dev}: {torch.cuda.get_device_name(0) if gpus else 'CPU'}; torch {torch.__version__}; "
          f"{gpus} GPU(s); {os.cpu_count()} CPU cores", flush=True)
    t0 = time.perf_counter()
    tweets = labels = None
    if importlib.util.find_spec("nltk") is None:
        print("nltk is not installed (the lab tokenizer's stemmer): the lab preset and the tweets rows are skipped",
              flush=True)
    elif (Path(args.dataset) / "train.csv").is_file():
        splits = load_corpus(args.dataset)
        tok = LabTokenizer()
        texts, labels = splits["train"].texts, np.asarray(splits["train"].labels)
        if args.tweets:
            texts, labels = texts[:args.tweets], labels[:args.tweets]
        tweets = [tok(t) for t in texts]
    else:
        print(f"no tweets at {args.dataset} (train.csv): the lab preset and the tweets rows are skipped", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tweet_file = tmp / "tweets.txt"
        if tweets is not None:
            tweet_file.write_text("".join(" ".join(t) + "\n" for t in tweets))
        if not args.quality_only and tweets is not None:
            lab_args = ["--preset", "lab", "--dataset", args.dataset]
            print("\n| lab preset (3 epochs, 854,376 pairs) | train s | final loss |\n|---|---:|---:|")
            for where in ("cpu", dev) if dev != "cpu" else ("cpu",):
                if where != "cpu":
                    wordvec(lab_args + ["--device", where], tmp / "lab")  # warm: CUDA context, kernels
                m = wordvec(lab_args + ["--device", where], tmp / "lab")
                if m:
                    print(f"| {where} | {m['train_seconds']:.2f} | {m['final_loss']:.4f} |", flush=True)
        planted = tmp / "planted.txt"
        info = planted_corpus(planted, args.planted_tokens, groups=args.planted_groups)
        if tweets is not None:
            quality_tweets(args, tmp, tweet_file, tweets, labels)
        quality_planted(args, tmp, planted, info)
        if not args.quality_only:
            zipf = tmp / "zipf.txt"
            write_corpus(str(zipf), args.zipf_tokens)
            speed(args, tmp, zipf, gpus)
    print(f"\n{time.perf_counter() - t0:.0f} s in all", flush=True)


if __name__ == "__main__":
    main()
