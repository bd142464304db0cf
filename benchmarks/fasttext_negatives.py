"""Shared or per-pair negatives for wordvec's subword skip-gram, on the tweets: quality and speed side by side.

    python benchmarks/fasttext_negatives.py [--dataset PATH] [--seeds 1 2 3] [--bucket 2000000]

fastText's defaults (benchmarks/vs_fasttext.py's settings, 2 threads). For each seed, wordvec's FastText trains with
`shared_negatives=True` (one noise draw per centre word, scored once per window: the default) and with False
(a draw per pair, as fastText and gensim), and gensim's FastText trains once, in the same process, the runs
interleaved. Prints per variant the median over seeds of words/s of train(), the misspelling recall@10
(tests/fasttext_quality.py) and the top-10 neighbour overlap with gensim of the same seed (200 frequent words);
gensim's own row gives its recall and its overlap with gensim of the previous seed (the noise floor).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from fasttext_quality import misspellings, neighbour_overlap, recall_at, tweet_sentences  # noqa: E402
from vs_fasttext import SETTINGS  # noqa: E402


def train(lib: str, sents, seed: int, bucket: int, shared: bool = True):
    if lib == "wordvec":
        from wordvec import FastText

        model = FastText(**SETTINGS, sg=1, seed=seed, bucket=bucket, shared_negatives=shared)
    else:
        from gensim.models import FastText

        model = FastText(**SETTINGS, sg=1, seed=seed, bucket=bucket)
    model.build_vocab(sents)
    t0 = time.perf_counter()
    model.train(sents, total_examples=model.corpus_count, epochs=model.epochs)
    return model.wv, sum(map(len, sents)) * model.epochs / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--bucket", type=int, default=2_000_000)
    a = ap.parse_args()
    from wordvec.engine import warm_up

    warm_up()
    sents = tweet_sentences(Path(a.dataset) / "train.csv")
    typos = misspellings(sents, 300)
    frequent = [w for w, _ in sorted(((w, c) for w, c in _counts(sents).items() if c >= 5), key=lambda x: -x[1])]
    words = frequent[20:220]
    variants = {"wordvec shared": ("wordvec", True), "wordvec per pair": ("wordvec", False)}
    rows = {name: {"speed": [], "recall": [], "overlap": []} for name in ("gensim", *variants)}
    previous = None
    for seed in a.seeds:  # only the composed vectors are compared: each model is dropped after its figures
        theirs, speed = train("gensim", sents, seed, a.bucket)
        rows["gensim"]["speed"].append(speed)
        rows["gensim"]["recall"].append(recall_at(theirs, typos))
        if previous is not None:
            rows["gensim"]["overlap"].append(neighbour_overlap(theirs, previous, words))
        for name, (lib, shared) in variants.items():
            wv, speed = train(lib, sents, seed, a.bucket, shared)
            rows[name]["speed"].append(speed)
            rows[name]["recall"].append(recall_at(wv, typos))
            rows[name]["overlap"].append(neighbour_overlap(wv, theirs, words))
            del wv
        previous = theirs
    print(f"seeds {a.seeds}, bucket {a.bucket:,}, {SETTINGS}")
    print("| skip-gram, tweets | words/s | misspelling recall@10 | neighbour overlap with gensim |")
    print("|---|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {statistics.median(r['speed']):,.0f} | {statistics.median(r['recall']):.3f} "
              f"({', '.join(f'{x:.3f}' for x in r['recall'])}) | "
              f"{statistics.median(r['overlap']) if r['overlap'] else float('nan'):.3f} |")


def _counts(sents):
    from collections import Counter

    return Counter(w for s in sents for w in s)


if __name__ == "__main__":
    main()
