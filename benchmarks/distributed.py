"""Skip-gram on one process and on two (torchrun, gloo), on this machine: words/s, the share of time spent
synchronising, bytes exchanged per word, and quality — downstream F1 on the tweets and neighbour overlap, beside
gensim's own seed-to-seed overlap (the noise floor).

Every run is a whole `wordvec train` command (the same tokens: the tweets with the lab tokenizer, and a synthetic
corpus with planted word groups, so that neighbours mean something at any size). Settings: sgns preset (window 5,
negative 5, vector 100, sample 1e-3, 5 epochs), the cores split evenly: 1 process x 2 threads, 2 processes x 1 thread.

Synchronisation: every --tweets-sync-words words per process on the tweets (the default of `--sync-words`: a
corpus of 1 M words a run needs frequent syncs to stay within 0.01 F1 of one process), every --sync-words on the
planted corpus (large corpora tolerate longer rounds). Last, `scaling_model.py` turns the 2-process planted run
into predictions for 8, 64 and 256 ranks (docs/scaling.md).

Run: python benchmarks/distributed.py [--dataset PATH] [--planted-tokens 20000000] [--sync-words 100000]
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

from scaling_model import report  # noqa: E402
from vs_gensim import QUERIES, downstream_f1, neighbours  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "OMP_NUM_THREADS": "1"}


def train(args: list[str], nproc: int, threads: int, out: Path) -> dict:
    wordvec = ["train", "--preset", "sgns", "--no-progress", "-q", "--threads", str(threads), "--out", str(out),
               "--overwrite", *args]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}"]
    cmd = [*(launcher if nproc > 1 else [sys.executable]), "-m", "wordvec", *wordvec]
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return json.loads((out / "metrics.json").read_text())


def planted_corpus(path: Path, n_tokens: int, groups: int = 2000, per_group: int = 20, seed: int = 0) -> dict:
    """Sentences of 10 words: 7 from one word group (groups drawn Zipf-like), 3 from anywhere. Words of a group
    co-occur; a good model puts a word's group mates among its nearest neighbours."""
    rng = np.random.default_rng(seed)
    words = np.array([f"g{g}w{i}" for g in range(groups) for i in range(per_group)])
    p = 1 / np.arange(1, groups + 1) ** 0.8
    p /= p.sum()
    with open(path, "w") as f:
        for lo in range(0, n_tokens, 1_000_000):
            n_sent = min(1_000_000, n_tokens - lo) // 10
            g = rng.choice(groups, n_sent, p=p)
            own = g[:, None] * per_group + rng.integers(0, per_group, (n_sent, 7))
            other = rng.integers(0, len(words), (n_sent, 3))
            sent = np.concatenate([own, other], axis=1)
            rng.permuted(sent, axis=1, out=sent)
            f.write("\n".join(" ".join(row) for row in words[sent]) + "\n")
    return {"groups": groups, "per_group": per_group}


def group_recall(keys, vectors, per_group: int, sample: int = 500, seed: int = 0) -> float:
    """Share of a word's top-(per_group-1) neighbours that are its group mates, over a sample of words."""
    rng = np.random.default_rng(seed)
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    group = np.array([k.split("w")[0] for k in keys])
    hits = []
    for i in rng.choice(len(keys), min(sample, len(keys)), replace=False):
        sims = v @ v[i]
        sims[i] = -np.inf
        top = np.argpartition(-sims, per_group - 1)[:per_group - 1]
        hits.append(np.mean(group[top] == group[i]))
    return float(np.mean(hits))


def load(run: Path):
    from wordvec.rundir import load_vectors

    kv = load_vectors(run)
    return kv.index_to_key, kv.vectors


def jaccard(a, b) -> float:
    vals = []
    for q in QUERIES:
        x, y = neighbours(*a, q), neighbours(*b, q)
        if x or y:
            vals.append(len(x & y) / len(x | y))
    return float(np.mean(vals))


def gensim_vectors(sentences, seed: int):
    from gensim.models import Word2Vec

    m = Word2Vec(sentences, vector_size=100, window=5, negative=5, sample=1e-3, epochs=5, min_count=5, workers=2,
                 sg=1, seed=seed)
    return list(m.wv.index_to_key), m.wv.vectors


def lab_tweets(dataset: str) -> tuple[list[list[str]], np.ndarray]:
    """The tweets' training split in lab tokens, and their labels."""
    from wordvec.corpus import load_corpus
    from wordvec.preprocess import LabTokenizer

    splits = load_corpus(dataset)
    tok = LabTokenizer()
    return [tok(t) for t in splits["train"].texts], np.asarray(splits["train"].labels)


def write_tokens(path: Path, token_lists) -> Path:
    path.write_text("".join(" ".join(t) + "\n" for t in token_lists))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default=str(HERE.parent.parent / "shared" / "data" / "tweets_hate_speech_detection"))
    ap.add_argument("--planted-tokens", type=int, default=20_000_000)
    ap.add_argument("--sync-words", type=int, default=100_000, help="words per process between syncs, planted corpus")
    ap.add_argument("--tweets-sync-words", type=int, default=20_000, help="the same on the tweets")
    args = ap.parse_args()
    tweets, labels = lab_tweets(args.dataset)
    rows, quality = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tweet_file = write_tokens(tmp / "tweets.txt", tweets)
        planted = tmp / "planted.txt"
        info = planted_corpus(planted, args.planted_tokens)
        corpora = [("tweets", ["--dataset", str(tweet_file), "--tokenizer", "simple"], args.tweets_sync_words),
                   (f"planted {args.planted_tokens / 1e6:g}M", ["--dataset", str(planted), "--tokenizer", "simple"],
                    args.sync_words)]
        for name, data, sync_words in corpora:
            runs = {}
            for nproc, threads, seed in ((1, 2, 1), (2, 1, 1), (1, 2, 2)):
                out = tmp / f"{name.split()[0]}-{nproc}-{seed}"
                m = train([*data, "--seed", str(seed), "--sync-words", str(sync_words)], nproc, threads, out)
                runs[(nproc, seed)] = (m, load(out))
                if seed == 1:
                    sync = m.get("sync") or {}
                    share = sync.get("seconds", 0.0) / m["train_seconds"]
                    per_word = sync.get("bytes_sent_by_rank0", 0) * nproc / m["words"] if sync else 0.0
                    rows.append((name, nproc, threads, sync_words, m["train_seconds"], m["words_per_second"], share,
                                 per_word,
                                 sync.get("syncs", 0)))
                    print(f"  {name} {nproc}x{threads}: {m['words_per_second']:,.0f} words/s", flush=True)
            quality[name] = runs
        print("\n| corpus | processes x threads | sync words | train s | words/s | vs 1 process | sync share | "
              "bytes/word | syncs |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, nproc, threads, sync_words, sec, wps, share, per_word, syncs in rows:
            base = next(r[5] for r in rows if r[0] == name and r[1] == 1)
            sw = f"{sync_words:,}" if nproc > 1 else ""
            print(f"| {name} | {nproc} x {threads} | {sw} | {sec:.2f} | {wps:,.0f} | {wps / base:.2f}x | "
                  f"{share:.1%} | {per_word:.1f} | {syncs} |")

        print(f"\nquality, tweets (F1 of class 1, 5-fold; Jaccard of the top-10 neighbours of {'/'.join(QUERIES)})")
        t = quality["tweets"]
        f1 = {k: downstream_f1(*v[1], tweets, labels)[1] for k, v in t.items()}
        g1, g2 = gensim_vectors(tweets, 1), gensim_vectors(tweets, 2)
        print("| | F1 5-fold | Jaccard with 1 process (seed 1) |")
        print("|---|---:|---:|")
        print(f"| 1 process, seed 1 | {f1[(1, 1)]:.3f} | |")
        print(f"| 2 processes, seed 1 | {f1[(2, 1)]:.3f} | {jaccard(t[(1, 1)][1], t[(2, 1)][1]):.2f} |")
        print(f"| 1 process, seed 2 | {f1[(1, 2)]:.3f} | {jaccard(t[(1, 1)][1], t[(1, 2)][1]):.2f} |")
        print(f"| gensim seed 1 vs seed 2 (noise floor) | {downstream_f1(*g1, tweets, labels)[1]:.3f} | "
              f"{jaccard(g1, g2):.2f} |")
        name = corpora[1][0]
        p = quality[name]
        print(f"\nquality, {name} (share of each word's {info['per_group'] - 1} nearest neighbours that are its "
              f"planted group mates, 500 words)")
        print("| | group recall | Jaccard with 1 process (seed 1) |")
        print("|---|---:|---:|")
        for key, label in (((1, 1), "1 process, seed 1"), ((2, 1), "2 processes, seed 1"),
                           ((1, 2), "1 process, seed 2")):
            jac = "" if key == (1, 1) else f"{jaccard_all(p[(1, 1)][1], p[key][1]):.2f}"
            print(f"| {label} | {group_recall(*p[key][1], info['per_group']):.3f} | {jac} |")
        print(f"\npredicted at scale, from the 2-process run on the {name} corpus (benchmarks/scaling_model.py)")
        report(tmp / f"{name.split()[0]}-2-1", [8, 64, 256], [args.sync_words, 4 * args.sync_words])


def jaccard_all(a, b, sample: int = 300, seed: int = 0) -> float:
    """Mean Jaccard of the top-10 neighbours of a sample of words (the planted corpus has no query words)."""
    keys_a, va = a
    keys_b, vb = b
    idx_b = {k: i for i, k in enumerate(keys_b)}
    rng = np.random.default_rng(seed)
    na = va / np.maximum(np.linalg.norm(va, axis=1, keepdims=True), 1e-12)
    nb = vb / np.maximum(np.linalg.norm(vb, axis=1, keepdims=True), 1e-12)
    out = []
    for i in rng.choice(len(keys_a), min(sample, len(keys_a)), replace=False):
        if keys_a[i] not in idx_b:
            continue
        j = idx_b[keys_a[i]]
        sa, sb = na @ na[i], nb @ nb[j]
        sa[i], sb[j] = -np.inf, -np.inf
        ta = {keys_a[k] for k in np.argpartition(-sa, 10)[:10]}
        tb = {keys_b[k] for k in np.argpartition(-sb, 10)[:10]}
        out.append(len(ta & tb) / len(ta | tb))
    return float(np.mean(out))


if __name__ == "__main__":
    main()
