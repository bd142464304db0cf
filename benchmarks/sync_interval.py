"""How often two processes should sync: skip-gram on the tweets, 1 process x 2 threads against 2 processes x 1
thread at several `--sync-words` intervals: words/s, the share of training spent synchronising, syncs, and quality
(downstream F1 of class 1, 5-fold; Jaccard of the query words' top-10 neighbours with the 1-process run).

The data and settings are benchmarks/distributed.py's (sgns preset, lab tokens, seed 1).

Run: python benchmarks/sync_interval.py [--dataset PATH] [--sync-words 20000 100000 400000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from distributed import jaccard, lab_tweets, load, train, write_tokens  # noqa: E402
from vs_gensim import downstream_f1  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--sync-words", type=int, nargs="+", default=[20_000, 100_000, 400_000])
    args = ap.parse_args()
    tweets, labels = lab_tweets(args.dataset)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        text = write_tokens(tmp / "tweets.txt", tweets)
        data = ["--dataset", str(text), "--tokenizer", "simple", "--seed", "1"]
        m = train(data, 1, 2, tmp / "one")
        one = load(tmp / "one")
        print("| processes x threads | sync words | words/s | sync share | syncs | F1 | Jaccard with 1 process |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print(f"| 1 x 2 | | {m['words_per_second']:,.0f} | | | {downstream_f1(*one, tweets, labels)[1]:.3f} | |",
              flush=True)
        for every in args.sync_words:
            out = tmp / f"two-{every}"
            m = train([*data, "--sync-words", str(every)], 2, 1, out)
            two = load(out)
            s = m["sync"]
            print(f"| 2 x 1 | {every:,} | {m['words_per_second']:,.0f} | {s['seconds'] / m['train_seconds']:.1%} | "
                  f"{s['syncs']} | {downstream_f1(*two, tweets, labels)[1]:.3f} | {jaccard(one, two):.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
