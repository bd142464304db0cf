"""Every GPU figure in one run: the lab preset's seconds, skip-gram and CBOW words/s at several batch sizes beside
the CPU engine measured in the same run, downstream F1 on the tweets beside the CPU's, and multi-GPU scaling when
more than one GPU is present. Prepared and tested on the CPU (`--device cpu --smoke`), so one GPU session gives
every number.

    python benchmarks/gpu.py [--device cuda] [--dataset PATH] [--zipf-tokens 20000000] [--smoke]

Goals on one H100/H200-class GPU: lab preset < 1 s; skip-gram >= 30 M words/s at the CPU's quality.
Each measurement is a whole `wordvec train` process; the figures are its metrics.json (training seconds exclude
reading and tokenising).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from big_corpus import write_corpus  # noqa: E402
from vs_gensim import downstream_f1  # noqa: E402

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
    from wordvec.rundir import load_vectors

    kv = load_vectors(run)
    return downstream_f1(kv.index_to_key, kv.vectors, tweets, labels)[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--zipf-tokens", type=int, default=20_000_000)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[4096, 16384, 65536, 262144])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, to test the script on a CPU")
    args = ap.parse_args()
    if args.smoke:
        args.zipf_tokens, args.batch_sizes = 200_000, [1024, 4096]
    import torch

    from wordvec.corpus import load_corpus
    from wordvec.preprocess import LabTokenizer

    dev = args.device
    gpus = torch.cuda.device_count() if dev.startswith("cuda") else 0
    print(f"device {dev}: {torch.cuda.get_device_name(0) if gpus else 'CPU'}; torch {torch.__version__}; "
          f"{gpus} GPU(s)", flush=True)
    splits = load_corpus(args.dataset)
    tok = LabTokenizer()
    tweets = [tok(t) for t in splits["train"].texts]
    labels = np.asarray(splits["train"].labels)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tweet_file = tmp / "tweets.txt"
        tweet_file.write_text("".join(" ".join(t) + "\n" for t in tweets))
        zipf = tmp / "zipf.txt"
        write_corpus(str(zipf), args.zipf_tokens)
        lab_args = ["--preset", "lab", "--dataset", args.dataset]
        print("\n| lab preset (3 epochs, 854,376 pairs) | train s | final loss |\n|---|---:|---:|")
        for where in ("cpu", dev) if dev != "cpu" else ("cpu",):
            wordvec(lab_args + ["--device", where], tmp / "lab")  # warm: CUDA context, kernels
            m = wordvec(lab_args + ["--device", where], tmp / "lab")
            if m:
                print(f"| {where} | {m['train_seconds']:.2f} | {m['final_loss']:.4f} |", flush=True)

        rows = []
        corpora = (("tweets", tweet_file), (f"zipf {args.zipf_tokens / 1e6:g}M", zipf))
        for name, path in corpora:
            data = ["--dataset", str(path), "--tokenizer", "simple", "--epochs", "1" if name != "tweets" else "5"]
            for arch in ("sgns", "cbow"):
                cpu = wordvec([*data, "--preset", arch, "--device", "cpu", "--backend", "hogwild"],
                              tmp / f"{arch}-cpu")
                rows.append((name, arch, "cpu hogwild", "", cpu.get("words_per_second", 0.0),
                             f1_of(tmp / f"{arch}-cpu", tweets, labels) if name == "tweets" and cpu else None))
                for bs in args.batch_sizes:
                    run = tmp / f"{arch}-{bs}"
                    m = wordvec([*data, "--preset", arch, "--device", dev, "--backend", "torch", "--batch-size",
                                 str(bs)], run)
                    f1 = f1_of(run, tweets, labels) if name == "tweets" and m else None
                    rows.append((name, arch, dev, bs, m.get("words_per_second", 0.0), f1))
                    print(f"  {name} {arch} {dev} batch {bs}: {m.get('words_per_second', 0):,.0f} words/s"
                          + (f", F1 {f1:.3f}" if f1 is not None else ""), flush=True)
        print("\n| corpus | arch | engine | batch (centre words) | words/s | vs CPU | F1 5-fold (tweets) |")
        print("|---|---|---|---:|---:|---:|---:|")
        for name, arch, where, bs, wps, f1 in rows:
            base = next(r[4] for r in rows if r[0] == name and r[1] == arch and r[2] == "cpu hogwild") or 1.0
            print(f"| {name} | {arch} | {where} | {bs} | {wps:,.0f} | {wps / base:.2f}x | "
                  f"{'' if f1 is None else f'{f1:.3f}'} |")

        if gpus > 1:
            best = max((r for r in rows if r[0] != "tweets" and r[2] == dev and r[1] == "sgns"), key=lambda r: r[4])
            print(f"\n| GPUs | sgns words/s (zipf, batch {best[3]}) | scaling |\n|---:|---:|---:|")
            for n in sorted({1, 2, gpus}):
                m = wordvec(["--dataset", str(zipf), "--tokenizer", "simple", "--epochs", "1", "--preset", "sgns",
                             "--device", "cuda", "--backend", "torch", "--batch-size", str(best[3])],
                            tmp / f"multi-{n}", nproc=n)
                print(f"| {n} | {m.get('words_per_second', 0):,.0f} | {m.get('words_per_second', 0) / best[4]:.2f}x |",
                      flush=True)


if __name__ == "__main__":
    main()
