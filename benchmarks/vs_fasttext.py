"""wordvec's FastText (subword skip-gram / CBOW) against gensim's FastText and Facebook's fastText: same machine,
same run, same tokens, same hyperparameters (fastText's defaults: dim 100, window 5, 5 epochs, min_count 5,
negative 5, min_n 3, max_n 6, bucket 2,000,000, lr 0.05, sample 1e-4, loss ns), 2 threads.

Corpora, each written once as a text file of space-separated tokens, one sentence a line, which every peer reads:
(a) the tweets (gensim's simple_preprocess), (b) a generated Zipfian corpus of --big-tokens tokens whose words
share stems and suffixes (so n-grams matter), (c) gensim's shipped enwiki sample (its WikiCorpus text, lines of at
most 1,000 tokens) for WordSim-353 / SimLex-999.

Speed, in-process (each training in a fresh process, the median of --repeats interleaved runs): words/s = raw
corpus words x epochs / seconds. wordvec and gensim: seconds of train() (build_vocab excluded), and of
build_vocab + train(). fastText (the `fasttext` / `fasttext-wheel` module) builds its vocabulary and trains in one
call: seconds of train_unsupervised() minus the same call with epoch 0 (reading, vocabulary, matrix set-up), and of
the whole call. Peak memory = the process's peak RSS and its growth over the RSS before training.
Speed, whole processes on the tweets under /usr/bin/time -v (wall, peak RSS; median of --repeats): `fasttext
skipgram|cbow` (the command-line tool, --fasttext-bin), `wordvec train --preset fasttext` and a gensim script
(FastText(corpus_file=) then save), each reading the text file and writing its model.
Quality, every peer's vectors scored by wordvec's code (FastTextKeyedVectors.from_arrays of its word and n-gram
rows): misspelling recall@10 on the tweets (300 misspellings the corpus never holds, tests/fasttext_quality.py),
top-10 neighbour overlap for 200 frequent words (gensim against itself with another seed: the noise floor);
WordSim-353 and SimLex-999 Spearman on enwiki (wordvec.evaluate.evaluate_word_pairs: pairs with both words in the
vocabulary, and coverage; then every pair, unseen words from their n-grams); downstream F1 of class 1 on the tweets
(wordvec.downstream: mean vectors -> logistic regression, 5 folds) for FastText (vocabulary words only, and every
word), wordvec's Word2Vec and TF-IDF, on all tweets and on the tweets with a word outside the vocabulary.

Run: python benchmarks/vs_fasttext.py [--dataset PATH] [--big-tokens N] [--bucket N] [--repeats N] [--tweets N]
     [--fasttext-bin PATH] [--only speed|whole|pairs|downstream ...] [--quick]
Peers: pip install "wordvec[bench]" (gensim, fasttext-wheel); the fastText binary: build it from the `fasttext`
source package (README "Subword vectors"). A missing peer is reported as such, its columns left empty.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))  # fasttext_quality: the same measures as the tests

from fasttext_quality import misspellings, recall_at, tweet_sentences  # noqa: E402

SETTINGS = dict(vector_size=100, window=5, epochs=5, min_count=5, negative=5, min_n=3, max_n=6, alpha=0.05,
                sample=1e-4, workers=2)
STEMS = ["play", "work", "talk", "walk", "jump", "read", "call", "help", "love", "hope", "dream", "build", "train",
         "teach", "learn", "paint", "clean", "watch", "cook", "dance"]
SUFFIXES = ["", "s", "ed", "ing", "er", "ers", "able", "ful", "less", "ness", "ly", "ment"]
LIBS = ("wordvec", "gensim", "fasttext")
NAMES = {"wordvec": "wordvec FastText", "gensim": "gensim FastText", "fasttext": "Facebook's fastText"}
PARTS = ("speed", "whole", "pairs", "downstream")
ENWIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
PAIR_FILES = {"WordSim-353": "wordsim353.tsv", "SimLex-999": "simlex999.txt"}
LINE_TOKENS = 1000  # fastText cuts longer lines (MAX_LINE_SIZE 1024); the same lines for every peer


def generated_corpus(n_tokens: int, seed: int = 0, sentence_len: int = 20) -> list[list[str]]:
    """Zipfian token lists over 60,000 words made of random syllables, each with the shared suffixes (fixed seed)."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu", "ba", "do", "fe", "gi"]
    roots = list(STEMS)
    while len(roots) < 5_000:
        roots.append("".join(rng.choice(syllables, rng.integers(2, 4))))
    words = np.array([r + s for r in roots for s in SUFFIXES], dtype=object)
    words = words[rng.permutation(len(words))]
    p = 1.0 / np.arange(1, len(words) + 1)
    toks = words[rng.choice(len(words), size=n_tokens, p=p / p.sum())]
    return [toks[i:i + sentence_len].tolist() for i in range(0, n_tokens, sentence_len)]


def gensim_test_data() -> Path:
    import gensim

    return Path(gensim.__file__).parent / "test" / "test_data"


def enwiki_sentences(max_tokens: int | None = None) -> list[list[str]]:
    """gensim's shipped enwiki sample as WikiCorpus tokenises it, in lines of at most LINE_TOKENS tokens."""
    from gensim.corpora import WikiCorpus

    wiki = WikiCorpus(str(gensim_test_data() / ENWIKI), dictionary={}, processes=1)
    out, total = [], 0
    for tokens in wiki.get_texts():
        for i in range(0, len(tokens), LINE_TOKENS):
            out.append(tokens[i:i + LINE_TOKENS])
            total += len(out[-1])
        if max_tokens and total >= max_tokens:
            break
    return out


def write_corpus(sentences, path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for s in sentences:
            f.write(" ".join(s) + "\n")
    return path


def read_corpus(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8") as f:
        return [line.split() for line in f]


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fasttext_kwargs(sg: bool, bucket: int, epochs: int) -> dict:
    """SETTINGS in fastText's own names."""
    return dict(model="skipgram" if sg else "cbow", dim=SETTINGS["vector_size"], ws=SETTINGS["window"],
                epoch=epochs, minCount=SETTINGS["min_count"], neg=SETTINGS["negative"], minn=SETTINGS["min_n"],
                maxn=SETTINGS["max_n"], bucket=bucket, lr=SETTINGS["alpha"], t=SETTINGS["sample"],
                thread=SETTINGS["workers"], loss="ns")


def train(lib: str, text: Path, sg: bool, seed: int, bucket: int):
    """Train one peer on the corpus file; (wordvec FastTextKeyedVectors of its rows, figures)."""
    from wordvec import FastTextKeyedVectors

    sents = read_corpus(text)
    raw = sum(len(s) for s in sents)
    before = _rss_mb()
    if lib == "fasttext":
        import fasttext

        t0 = time.perf_counter()
        del sents  # fastText reads the file itself
        fasttext.train_unsupervised(str(text), verbose=0, **fasttext_kwargs(sg, bucket, 0))
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        ft = fasttext.train_unsupervised(str(text), verbose=0, **fasttext_kwargs(sg, bucket, SETTINGS["epochs"]))
        total = time.perf_counter() - t0
        seconds, peak = total - setup, _peak_mb()
        words = ft.get_words()
        matrix = ft.get_input_matrix()
        own = np.array([w != "</s>" for w in words])  # fastText's end-of-line token: no word of the corpus
        kv = FastTextKeyedVectors.from_arrays([w for w in words if w != "</s>"], matrix[:len(words)][own],
                                              matrix[len(words):], SETTINGS["min_n"], SETTINGS["max_n"])
    else:
        if lib == "wordvec":
            from wordvec import FastText
            from wordvec.engine import warm_up

            warm_up()
        else:
            from gensim.models import FastText
        t0 = time.perf_counter()
        model = FastText(**SETTINGS, sg=int(sg), seed=seed, bucket=bucket)
        model.build_vocab(sents)
        t1 = time.perf_counter()
        model.train(sents, total_examples=model.corpus_count, epochs=model.epochs)
        t2 = time.perf_counter()
        seconds, total, peak = t2 - t1, t2 - t0, _peak_mb()
        wv = model.wv
        kv = wv if lib == "wordvec" else FastTextKeyedVectors.from_arrays(
            wv.index_to_key, wv.vectors_vocab, wv.vectors_ngrams, wv.min_n, wv.max_n)
    epochs = SETTINGS["epochs"]
    return kv, {"seconds": seconds, "words_per_second": raw * epochs / seconds, "total_seconds": total,
                "total_words_per_second": raw * epochs / total, "peak_mb": peak, "growth_mb": peak - before,
                "vocab": len(kv), "raw_words": raw}


def pair_scores(kv) -> dict:
    """WordSim-353 / SimLex-999 by wordvec's scorer: Spearman over the pairs it knows (and their share), then over
    every pair with unseen words' vectors from their n-grams."""
    from scipy.stats import spearmanr

    from wordvec.evaluate import evaluate_word_pairs, read_word_pairs

    out = {}
    for name, file in PAIR_FILES.items():
        path = gensim_test_data() / file
        known = evaluate_word_pairs(kv, path)
        a, b, human = read_word_pairs(path)
        sims = [kv.similarity(x.lower(), y.lower()) for x, y in zip(a, b)]
        out[name] = {"spearman": known["spearman"], "coverage": known["n"] / known["pairs"],
                     "pairs": known["pairs"], "spearman_all": float(spearmanr(human, sims)[0])}
    return out


def downstream_scores(kv, lib: str, dataset: str, text: Path, sg: bool, seed: int) -> dict:
    """F1 of class 1 from mean vectors on the tweets; FastText twice: vocabulary words only, and every word."""
    import csv

    from wordvec.downstream import downstream

    tokens = read_corpus(text)  # the first len(tokens) tweets (--quick takes fewer)
    with open(Path(dataset) / "train.csv", encoding="utf-8", newline="") as f:
        labels = np.array([int(row["label"]) for row in csv.DictReader(f)])[:len(tokens)]
    unseen = np.array([any(w not in kv.key_to_index for w in t) for t in tokens])
    sets = {"unseen": unseen}
    out = {"unseen_share": float(unseen.mean())}
    if lib == "wordvec":
        from wordvec import Word2Vec

        w2v = Word2Vec(**{k: v for k, v in SETTINGS.items() if k not in ("min_n", "max_n")}, sg=int(sg), seed=seed)
        w2v.build_vocab(tokens)
        w2v.train(tokens, total_examples=w2v.corpus_count, epochs=w2v.epochs)
        out["word2vec"] = downstream(w2v.wv, tokens, labels, subsets=sets, seed=0)
        out["vocab_only"] = downstream(kv, tokens, labels, subsets=sets, seed=0)
    out["all_words"] = downstream(kv.vectors_for_all(w for t in tokens for w in t), tokens, labels, subsets=sets,
                                  seed=0)
    return out


def one(lib: str, task: str, text: Path, sg: bool, seed: int, bucket: int, dataset: str, out: str) -> None:
    """One training in this process; its figures as JSON on stdout, its vocabulary vectors in `out` (.npz)."""
    kv, result = train(lib, text, sg, seed, bucket)
    if task == "tweets":
        result["recall"] = recall_at(kv, misspellings(read_corpus(text), 300))
    elif task == "pairs":
        result["pairs"] = pair_scores(kv)
    elif task == "downstream":
        result["downstream"] = downstream_scores(kv, lib, dataset, text, sg, seed)
    np.savez(out, keys=np.array(kv.index_to_key, dtype=object), vectors=kv.vectors)
    print(json.dumps(result))


def available(lib: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(lib) is not None


def launch(lib, task, text: Path, sg, seed, args, tmp: Path) -> dict:
    out = tmp / f"{lib}-{task}-{int(sg)}-{seed}.npz"
    cmd = [sys.executable, __file__, "--one", lib, task, str(text), str(int(sg)), str(seed), "--bucket",
           str(args.bucket), "--dataset", args.dataset, "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode != 0:
        raise SystemExit(f"{lib} {task} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    data = np.load(out, allow_pickle=True)
    result["keys"], result["vectors"] = list(data["keys"]), data["vectors"]
    out.unlink()
    return result


def _median(runs: list[dict]) -> dict:
    """The run of median speed (its memory and quality figures with it); the speeds of all runs in 'all'."""
    ranked = sorted(runs, key=lambda r: r["words_per_second"])
    return dict(ranked[len(ranked) // 2], all=[r["words_per_second"] for r in runs],
                total_words_per_second=statistics.median(r["total_words_per_second"] for r in runs))


def overlap(a: dict, b: dict, n: int = 200, skip: int = 20, k: int = 10) -> float:
    """Mean share of top-k cosine neighbours the two models agree on, for n frequent words of a."""
    def unit(v):
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    ia, ib = {w: i for i, w in enumerate(a["keys"])}, {w: i for i, w in enumerate(b["keys"])}
    ua, ub = unit(a["vectors"]), unit(b["vectors"])
    shared = []
    for w in a["keys"][skip:skip + n]:
        if w not in ib:
            continue
        sa, sb = ua @ ua[ia[w]], ub @ ub[ib[w]]
        sa[ia[w]] = sb[ib[w]] = -np.inf
        na = {a["keys"][i] for i in np.argsort(-sa)[:k]}
        nb = {b["keys"][i] for i in np.argsort(-sb)[:k]}
        shared.append(len(na & nb) / k)
    return float(np.mean(shared))


GENSIM_SCRIPT = """
import sys
from gensim.models import FastText
text, out, sg, bucket = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
FastText(corpus_file=text, sg=sg, bucket=bucket, seed=1, **{settings!r}).save(out)
"""


def whole_commands(text: Path, sg: bool, args, out: Path) -> dict[str, list[str] | None]:
    """Each peer's command that reads the text file, trains and writes its model (None: not installed)."""
    arch = "skipgram" if sg else "cbow"
    built = HERE.parent / "build" / "fasttext" / "fasttext"  # benchmarks/build_fasttext.sh
    ft = args.fasttext_bin or shutil.which("fasttext") or (str(built) if built.exists() else None)
    flags = fasttext_kwargs(sg, args.bucket, SETTINGS["epochs"])
    flags.pop("model")
    return {
        "wordvec": [sys.executable, "-m", "wordvec", "train", "--preset", "fasttext", "--model", arch, "--dataset",
                    str(text), "--tokenizer", "simple", "--threads", str(SETTINGS["workers"]), "--bucket",
                    str(args.bucket), "--seed", "1", "--no-progress", "--out", str(out / "run")],
        "gensim": [sys.executable, "-c", GENSIM_SCRIPT.format(settings=SETTINGS), str(text), str(out / "model"),
                   str(int(sg)), str(args.bucket)] if available("gensim") else None,
        "fasttext": [ft, arch, "-input", str(text), "-output", str(out / "model"), "-verbose", "0",
                     *[x for k, v in flags.items() for x in (f"-{k}", str(v))]] if ft and os.access(ft, os.X_OK)
        else None,
    }


def timed(cmd: list[str], tmp: Path) -> dict:
    """Wall seconds and peak RSS of one process, from /usr/bin/time -v; its outputs removed after."""
    out = tmp / "whole"  # whole_commands' output folder
    out.mkdir()
    try:
        proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")})
    finally:
        shutil.rmtree(out)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{proc.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr).group(1)
    seconds = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return {"wall": seconds, "peak_mb": rss / 1024}


def fmt(x, spec=",.0f", missing="-") -> str:
    return missing if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)


def speed_tables(texts: dict, libs: list[str], args, tmp: Path) -> None:
    rows, quality = [], []
    for corpus, text in texts.items():
        for arch, sg in (("skip-gram", True), ("CBOW", False)):
            runs = {lib: [] for lib in libs}
            for _ in range(args.repeats):  # interleaved: other work on the machine hits all alike
                for lib in libs:
                    runs[lib].append(launch(lib, "tweets" if corpus == "tweets" else "speed", text, sg, 1, args,
                                            tmp))
            med = {lib: _median(runs[lib]) for lib in libs}
            rows.append((corpus, arch, med))
            print(f"  {corpus} {arch}: " + ", ".join(f"{lib} {med[lib]['words_per_second']:,.0f} words/s"
                                                       for lib in libs), flush=True)
            if corpus == "tweets":
                floor = overlap(med["gensim"], launch("gensim", "tweets", text, sg, 2, args, tmp))
                quality.append((arch, med, floor))
    ft = "fasttext" in libs
    print("\n| corpus | arch | wordvec words/s | gensim words/s | fastText words/s | wordvec / gensim | "
          "wordvec / fastText | vocab + train words/s: wordvec / gensim / fastText | peak MB (growth): wordvec / "
          "gensim / fastText |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for corpus, arch, med in rows:
        w, g, f = (med.get(lib) for lib in LIBS)
        print(f"| {corpus} ({w['raw_words'] / 1e6:.2f} M tokens, {w['vocab']:,} words) | {arch} | "
              f"{w['words_per_second']:,.0f} | {g['words_per_second']:,.0f} | "
              f"{fmt(f and f['words_per_second'])} | {w['words_per_second'] / g['words_per_second']:.2f}x | "
              f"{fmt(f and w['words_per_second'] / f['words_per_second'], '.2f')}{'x' if ft else ''} | "
              f"{w['total_words_per_second']:,.0f} / {g['total_words_per_second']:,.0f} / "
              f"{fmt(f and f['total_words_per_second'])} | "
              + " / ".join(f"{r['peak_mb']:,.0f} ({r['growth_mb']:,.0f})" if r else "-" for r in (w, g, f)) + " |")
    print("\n| tweets | misspelling recall@10: wordvec | gensim | fastText | neighbour overlap wordvec-gensim | "
          "fastText-gensim | gensim-gensim (seeds 1, 2) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for arch, med, floor in quality:
        w, g, f = (med.get(lib) for lib in LIBS)
        print(f"| {arch} | {w['recall']:.3f} | {g['recall']:.3f} | {fmt(f and f['recall'], '.3f')} | "
              f"{overlap(w, g):.3f} | {fmt(f and overlap(f, g), '.3f')} | {floor:.3f} |")


def whole_table(texts: dict, args, tmp: Path) -> None:
    if not Path("/usr/bin/time").exists():
        print("\nwhole processes: not measured (/usr/bin/time is missing)")
        return
    print(f"\nwhole processes: read the text file, train, write the model; median of {args.repeats} runs")
    print("| corpus | arch | wordvec wall s | gensim wall s | fastText (CLI) wall s | wordvec peak MB | "
          "gensim peak MB | fastText peak MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for corpus, text in texts.items():
        for arch, sg in (("skip-gram", True), ("CBOW", False)):
            cmds = whole_commands(text, sg, args, tmp / "whole")
            runs = {lib: [] for lib in LIBS}
            for _ in range(args.repeats):
                for lib, cmd in cmds.items():
                    if cmd:
                        runs[lib].append(timed(cmd, tmp))
            med = {lib: {k: statistics.median(r[k] for r in rs) for k in ("wall", "peak_mb")} if rs else {}
                   for lib, rs in runs.items()}
            print(f"| {corpus} | {arch} | " + " | ".join(fmt(med[lib].get("wall"), ".2f") for lib in LIBS) + " | "
                  + " | ".join(fmt(med[lib].get("peak_mb")) for lib in LIBS) + " |", flush=True)


def pairs_table(text: Path, libs: list[str], args, tmp: Path) -> None:
    print("\n| enwiki sample | arch | peer | vocab | WordSim-353 Spearman (coverage) | every pair, unseen words "
          "from n-grams | SimLex-999 Spearman (coverage) | every pair |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for arch, sg in (("skip-gram", True), ("CBOW", False)):
        for lib, seed in [(lib, 1) for lib in libs] + [("gensim", 2)]:  # gensim's seed 2: the noise
            r = launch(lib, "pairs", text, sg, seed, args, tmp)
            cells = [f"{p['spearman']:.3f} ({p['coverage']:.0%}) | {p['spearman_all']:.3f}"
                     for p in r["pairs"].values()]
            name = NAMES[lib] + (f", seed {seed}" if lib == "gensim" else "")
            print(f"| {r['raw_words'] / 1e6:.2f} M tokens | {arch} | {name} | {r['vocab']:,} | " + " | ".join(cells)
                  + " |", flush=True)


def downstream_table(text: Path, libs: list[str], args, tmp: Path) -> None:
    rows, share = [], None
    for lib in libs:
        d = launch(lib, "downstream", text, True, 1, args, tmp)["downstream"]
        share = d["unseen_share"]
        if lib == "wordvec":
            rows.append(("TF-IDF (same tokens, folds)", {"embedding": d["all_words"]["tfidf"], "subsets": {
                "unseen": {"embedding": d["all_words"]["subsets"]["unseen"]["tfidf"]}}}))
            rows.append(("wordvec Word2Vec (vocabulary words)", d["word2vec"]))
            rows.append(("wordvec FastText, vocabulary words only", d["vocab_only"]))
        rows.append((f"{NAMES[lib]}, every word (unseen from n-grams)", d["all_words"]))
    print(f"\ntweets, skip-gram: downstream F1 of class 1 (mean vectors, logistic regression, 5 folds); "
          f"{share:.1%} of tweets hold a word outside the vocabulary")
    print("| features | F1, all tweets | F1, tweets with an unseen word |")
    print("|---|---:|---:|")
    for name, d in rows:
        a, u = d["embedding"]["f1"], d["subsets"]["unseen"]["embedding"]["f1"]
        print(f"| {name} | {a['mean']:.3f} ± {a['std']:.3f} | {u['mean']:.3f} ± {u['std']:.3f} |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--big-tokens", type=int, default=2_000_000)
    ap.add_argument("--bucket", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="runs per library and setting (median)")
    ap.add_argument("--tweets", type=int, default=0, help="the first N tweets only (0: all)")
    ap.add_argument("--fasttext-bin", help="fastText's command-line tool (default: `fasttext` on PATH, else "
                                           "build/fasttext/fasttext from benchmarks/build_fasttext.sh)")
    ap.add_argument("--quick", action="store_true", help="one run each, 8,000 tweets, a 100k-token generated "
                                                         "corpus and 100k of enwiki, 100k buckets")
    ap.add_argument("--only", action="append", choices=PARTS, help="these tables only (repeatable; default all)")
    ap.add_argument("--one", nargs=5, metavar=("LIB", "TASK", "TEXT", "SG", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.tweets, args.big_tokens, args.bucket, args.repeats = 8_000, 100_000, 100_000, 1
    if args.one:
        lib, task, text, sg, seed = args.one
        return one(lib, task, Path(text), sg == "1", int(seed), args.bucket, args.dataset, args.out)

    if args.fasttext_bin and not (os.path.isfile(args.fasttext_bin) and os.access(args.fasttext_bin, os.X_OK)):
        raise SystemExit(f"vs_fasttext: --fasttext-bin {args.fasttext_bin} is not an executable file; build "
                         f"fastText's tool with: bash benchmarks/build_fasttext.sh")
    libs = [lib for lib in LIBS if lib == "wordvec" or available(lib)]
    if "gensim" not in libs:
        raise SystemExit("vs_fasttext: gensim is needed (the reference peer and its test data): "
                         "pip install \"wordvec[bench]\"")
    missing = [lib for lib in LIBS if lib not in libs]
    print(f"settings: {SETTINGS}, bucket {args.bucket:,}; each training in its own process; peers: "
          f"{', '.join(libs)}" + (f" ({', '.join(missing)} not installed)" if missing else ""))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tweets = tweet_sentences(Path(args.dataset) / "train.csv")[:args.tweets or None]
        texts = {"tweets": write_corpus(tweets, tmp / "tweets.txt"),
                 f"generated-{args.big_tokens / 1e6:g}M": write_corpus(generated_corpus(args.big_tokens),
                                                                       tmp / "generated.txt")}
        wiki = write_corpus(enwiki_sentences(100_000 if args.quick else None), tmp / "enwiki.txt") \
            if "pairs" in (args.only or PARTS) else None
        only = set(args.only or PARTS)
        if "speed" in only:
            speed_tables(texts, libs, args, tmp)
        if "whole" in only:
            whole_table({"tweets": texts["tweets"]}, args, tmp)
        if "pairs" in only:
            pairs_table(wiki, libs, args, tmp)
        if "downstream" in only:
            downstream_table(texts["tweets"], libs, args, tmp)


if __name__ == "__main__":
    main()
