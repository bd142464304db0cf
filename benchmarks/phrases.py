"""Phrases learning, wordvec beside gensim, each in a fresh process on the same corpus: seconds for
`Phrases(sentences, ...)` (the best of 3 models built in that process: the machine is shared), peak memory above
the process's baseline, and whether export_phrases() is identical.

    python benchmarks/phrases.py            # tweets (../shared) and a generated 1 M-token corpus
    python benchmarks/phrases.py --full     # the generated corpus at 10 M tokens
    python benchmarks/phrases.py --file     # also from a text file: gensim's Phrases(LineSentence(file)) beside
                                            # `wordvec prepare --phrases 1` (tokenise, learn, join, write a store; one worker);
                                            # peak memory above the process's after its imports
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

TWEETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tweets_hate_speech_detection" / "train.csv"

CHILD = r'''
import csv, hashlib, itertools, json, random, resource, sys, time
lib, corpus, tokens = sys.argv[1], sys.argv[2], int(sys.argv[3])
from wordvec.preprocess import simple_preprocess
if corpus == "tweets":
    with open(sys.argv[4], encoding="utf-8", newline="") as f:
        sentences = [simple_preprocess(r["tweet"]) for r in csv.DictReader(f)]
else:
    rng = random.Random(0)
    words = [f"w{i}" for i in range(50000)]
    cum = list(itertools.accumulate(1 / (i + 1) for i in range(len(words))))
    sentences, n = [], 0
    while n < tokens:
        s = rng.choices(words, cum_weights=cum, k=20)
        s[5:7] = [f"w{n % 500 + 1000}", f"w{n % 500 + 2000}"]  # planted collocations
        sentences.append(s)
        n += 20
if lib == "gensim":
    from gensim.models.phrases import Phrases
else:
    from wordvec.phrases import Phrases
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
seconds = float("inf")
for _ in range(3):
    model = None
    t = time.perf_counter()
    model = Phrases(sentences, min_count=5, threshold=10)
    seconds = min(seconds, time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
phrases = model.export_phrases()
digest = hashlib.sha256(json.dumps(sorted(phrases.items())).encode()).hexdigest()
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "phrases": len(phrases), "digest": digest,
                  "tokens": sum(map(len, sentences))}))
'''


FILE_CHILD = r'''
import hashlib, json, resource, sys, time
lib, path, out = sys.argv[1:4]
if lib == "gensim":
    from gensim.models.phrases import Phrases
    from gensim.models.word2vec import LineSentence
else:
    import wordvec.phrasestore
    from wordvec.cli import main
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # after the imports: the peak above it is the work's
t = time.perf_counter()
if lib == "gensim":
    phrases = Phrases(LineSentence(path), min_count=5, threshold=10).export_phrases()
else:
    assert main(["prepare", "--dataset", path, "--out", out, "--phrases", "1", "--tokenizer", "simple",
                 "--min-count", "1", "--workers", "1"]) == 0
    phrases = json.load(open(out + "/phrases.json"))["passes"][0]
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base  # one worker: no child processes
digest = hashlib.sha256(json.dumps(sorted(phrases.items())).encode()).hexdigest()
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "phrases": len(phrases), "digest": digest}))
'''


def write_generated(path: Path, tokens: int) -> None:
    """The generated corpus of CHILD, as text (one sentence a line)."""
    code = CHILD.split("if lib ==")[0].replace("lib, corpus, tokens = sys.argv[1], sys.argv[2], int(sys.argv[3])",
                                                "corpus, tokens = 'generated', int(sys.argv[1])")
    code += "\nwith open(sys.argv[2], 'w') as f:\n    f.writelines(' '.join(s) + '\\n' for s in sentences)\n"
    subprocess.run([sys.executable, "-c", code, str(tokens), str(path)], check=True)


def run_file(lib: str, path: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", FILE_CHILD, lib, str(path), str(out)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(lib: str, corpus: str, tokens: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, lib, corpus, str(tokens), str(TWEETS)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the generated corpus at 10 M tokens (default 1 M)")
    ap.add_argument("--file", action="store_true", help="also learn from a text file of the generated corpus")
    args = ap.parse_args()
    cases = ([("tweets", 0)] if TWEETS.is_file() else []) + [("generated", 10_000_000 if args.full else 1_000_000)]
    print(f"{'corpus':<12}{'tokens':>12}{'gensim s':>10}{'wordvec s':>11}{'speed-up':>10}{'gensim MB':>11}"
          f"{'wordvec MB':>12}{'phrases':>9}  same")
    for corpus, tokens in cases:
        g, w = run("gensim", corpus, tokens), run("wordvec", corpus, tokens)
        print(f"{corpus:<12}{w['tokens']:>12,}{g['seconds']:>10.2f}{w['seconds']:>11.2f}"
              f"{g['seconds'] / w['seconds']:>9.1f}x{g['peak_mb']:>11.0f}{w['peak_mb']:>12.0f}{w['phrases']:>9,}"
              f"  {g['digest'] == w['digest']}")
    if args.file:
        tokens = 10_000_000 if args.full else 1_000_000
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "corpus.txt"
            write_generated(path, tokens)
            g, w = run_file("gensim", path, Path(tmp) / "g"), run_file("wordvec", path, Path(tmp) / "store")
        print(f"\nfrom a text file of {tokens:,} tokens: gensim Phrases(LineSentence) {g['seconds']:.2f} s, "
              f"{g['peak_mb']:.0f} MB peak; wordvec prepare --phrases 1 (tokenise, learn, join, write the store) "
              f"{w['seconds']:.2f} s, {w['peak_mb']:.0f} MB peak; same phrases: {g['digest'] == w['digest']}")


if __name__ == "__main__":
    main()
