"""Measurements behind docs/lab-questions.md: the lab's three open questions, answered on the tweets.

    python benchmarks/lab_questions.py [--dataset PATH] [--epochs 30] [--folds 5] [--threads 1]
                                       [--img docs/img/overfitting.png]

Prints Markdown tables (paste them into the doc) and writes the train vs held-out loss plot.

1. Overfitting: the lab model (LAB preset) trained for `--epochs` epochs, training loss vs held-out loss on the
   test split's pairs after every epoch; per-pair loss grouped by how often the pair occurs in train (memorising
   rare co-occurrences); neighbour drift between epoch 3 (the lab) and the last epoch; the two count baselines
   (unigram, memorised co-occurrence table).
2. Neighbours and how to improve them: the lab model vs skip-gram/CBOW with negative sampling and subsampling
   (wordvec's engine) on the same tokens, neighbour lists and downstream F1 of class 1 (`wordvec.downstream.downstream`,
   stratified k-fold logistic regression on mean tweet vectors, same folds for every row), plus variations
   (min_count, window, epochs, dimension, more text, no subsampling).

Everything runs on CPU with `--threads` threads (default 1: stable timings on a shared machine, and the engine is
bit-reproducible with one thread). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from wordvec.config import CBOW, LAB, SGNS
from wordvec.corpus import load_corpus
from wordvec.downstream import downstream
from wordvec.plots import plot_loss
from wordvec.preprocess import LabTokenizer
from wordvec.pipeline import fit
from wordvec.vectors import KeyedVectors
from wordvec.vocab import build_and_encode
from wordvec.windows import all_pairs

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "tweets_hate_speech_detection"
QUERY = ("good", "bad", "school", "day")


def default_dataset() -> str:
    return os.environ.get("WORDVEC_DATASET") or (str(SHARED) if SHARED.exists() else "tweets_hate_speech_detection")


def kv_of(vocab, vectors) -> KeyedVectors:
    return KeyedVectors(vocab.id2tok, vectors, counts=vocab.counts, tokenizer="lab")


def neighbours(kv: KeyedVectors, word: str, k: int = 10) -> list[str]:
    return [w for w, _ in kv.most_similar(word, topn=k)]


def md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def per_pair_loss(input_vectors: np.ndarray, output_vectors: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Cross-entropy of each (centre, context) pair under the lab model: -log softmax(in[context] @ out.T)[centre]."""
    inp = torch.from_numpy(input_vectors).double()
    out = torch.from_numpy(output_vectors).double()
    logits = inp @ out.T  # (V, V): row = context word
    lse = torch.logsumexp(logits, dim=1)
    centre = torch.from_numpy(pairs[:, 0])
    context = torch.from_numpy(pairs[:, 1])
    return (lse[context] - logits[context, centre]).numpy()


def pair_keys(pairs: np.ndarray, v: int) -> np.ndarray:
    return pairs[:, 1].astype(np.int64) * v + pairs[:, 0].astype(np.int64)  # (context, centre)


def question_1(args, vocab, train_enc, test_enc) -> dict:
    print("\n## 1. Overfitting\n")
    cfg = LAB.replace(epochs=args.epochs, threads=args.threads, progress=False)
    print(f"LAB preset (embed {cfg.vector_size}, window {cfg.window}, AdamW lr {cfg.lr}, batch {cfg.batch_size}, "
          f"seed {cfg.seed}), {cfg.epochs} epochs, {args.threads} thread(s)\n")
    long = fit(cfg, vocab, train_enc, test_enc, progress=False)
    lab = fit(LAB.replace(threads=args.threads, progress=False), vocab, train_enc, test_enc, progress=False)
    same = np.allclose(lab.epoch_losses, long.epoch_losses[:3])
    print(f"training time: {long.seconds:.1f} s for {cfg.epochs} epochs; the 3-epoch run repeats the first 3 epochs "
          f"of the long one: {same}\n")
    rows = []
    best = int(np.argmin(long.heldout_losses))
    for e, (t, h) in enumerate(zip(long.epoch_losses, long.heldout_losses), 1):
        mark = " (min held-out)" if e - 1 == best else ""
        rows.append([f"{e}{mark}", f"{t:.4f}", f"{h:.4f}", f"{h - t:+.4f}"])
    print(md_table(["epoch", "train loss", "held-out loss (test pairs)", "gap"], rows))
    img = Path(args.img)
    img.parent.mkdir(parents=True, exist_ok=True)
    plot_loss(img, long.epoch_losses, long.heldout_losses)
    print(f"\nplot: {img}")

    # count baselines: what "no learning" and "pure memorisation" score on the same pairs
    v = len(vocab)
    train_pairs = all_pairs(train_enc, cfg.window)
    test_pairs = all_pairs(test_enc, cfg.window)
    uni = np.bincount(train_pairs[:, 0], minlength=v).astype(np.float64)
    uni /= uni.sum()
    uni_train = float(-np.log(uni[train_pairs[:, 0]]).mean())
    uni_test = float(-np.log(np.maximum(uni[test_pairs[:, 0]], 1e-300)).mean())
    tk = pair_keys(train_pairs, v)
    keys, counts = np.unique(tk, return_counts=True)
    ctx_count = np.bincount(train_pairs[:, 1], minlength=v).astype(np.float64)
    p_mem = counts / ctx_count[keys // v]
    idx = np.searchsorted(keys, tk)
    mem_train = float(-np.log(p_mem[idx]).mean())  # the lowest training loss any model can reach
    hk = pair_keys(test_pairs, v)
    pos = np.clip(np.searchsorted(keys, hk), 0, len(keys) - 1)
    seen = keys[pos] == hk
    train_count_of_test = np.where(seen, counts[pos], 0)
    print("\nCount baselines on the same pairs (loss = mean -log p(centre | context)):\n")
    print(md_table(["model", "train loss", "held-out loss"], [
        ["unigram p(centre), ignores the context", f"{uni_train:.4f}", f"{uni_test:.4f}"],
        ["memorised table count(context, centre) / count(context)", f"{mem_train:.4f}",
         f"infinite: {100 * (~seen).mean():.1f}% of held-out pairs never occur in train"],
    ]))

    # where the loss goes: per-pair loss by how often the pair occurs in train
    print("\nMean per-pair loss by the pair's number of occurrences in train (epoch 3 vs last epoch):\n")
    tr3 = per_pair_loss(lab.input_vectors, lab.output_vectors, train_pairs)
    trN = per_pair_loss(long.input_vectors, long.output_vectors, train_pairs)
    te3 = per_pair_loss(lab.input_vectors, lab.output_vectors, test_pairs)
    teN = per_pair_loss(long.input_vectors, long.output_vectors, test_pairs)
    train_count = counts[idx]
    bins = [(0, 0, "0 (unseen)"), (1, 1, "1"), (2, 5, "2-5"), (6, 50, "6-50"), (51, 10 ** 9, "> 50")]
    rows = []
    for lo, hi, name in bins:
        m_tr = (train_count >= lo) & (train_count <= hi)
        m_te = (train_count_of_test >= lo) & (train_count_of_test <= hi)
        cell = lambda a, m: f"{a[m].mean():.3f}" if m.any() else "-"  # noqa: E731
        rows.append([name, f"{100 * m_tr.mean():.1f}%", cell(tr3, m_tr), cell(trN, m_tr),
                     f"{100 * m_te.mean():.1f}%", cell(te3, m_te), cell(teN, m_te)])
    rows.append(["all", "100%", f"{tr3.mean():.3f}", f"{trN.mean():.3f}", "100%", f"{te3.mean():.3f}",
                 f"{teN.mean():.3f}"])
    print(md_table(["train count of pair", "share of train pairs", "train loss ep 3", f"train loss ep {cfg.epochs}",
                    "share of held-out pairs", "held-out loss ep 3", f"held-out loss ep {cfg.epochs}"], rows))

    kv3 = kv_of(vocab, lab.output_vectors)
    kvN = kv_of(vocab, long.output_vectors)
    print(f"\nNeighbour drift (expand.weight, top 10): epoch 3 vs epoch {cfg.epochs}\n")
    rows = []
    for w in QUERY:
        a, b = neighbours(kv3, w), neighbours(kvN, w)
        rows.append([w, len(set(a) & set(b)), ", ".join(a), ", ".join(b)])
    print(md_table(["word", "shared of 10", "epoch 3", f"epoch {cfg.epochs}"], rows))
    return {"lab": lab, "long": long}


def question_1_capacity(args, vocab, train_enc, test_enc) -> None:
    """The same run with a wider embedding: more parameters per word, more room to memorise."""
    cfg = LAB.replace(vector_size=args.big_dim, epochs=args.epochs, threads=args.threads, progress=False)
    print(f"\n### Capacity: the LAB preset with embed {cfg.vector_size} instead of {LAB.vector_size}, "
          f"{cfg.epochs} epochs\n")
    res = fit(cfg, vocab, train_enc, test_enc, progress=False)
    best = int(np.argmin(res.heldout_losses))
    rows = [[f"{e}{' (min held-out)' if e - 1 == best else ''}", f"{t:.4f}", f"{h:.4f}", f"{h - t:+.4f}"]
            for e, (t, h) in enumerate(zip(res.epoch_losses, res.heldout_losses), 1)
            if e in (1, 2, 3, 5, 10, 15, 20, 25, 30, cfg.epochs) or e - 1 == best]
    print(md_table(["epoch", "train loss", "held-out loss (test pairs)", "gap"], rows))
    img = Path(args.img)
    img = img.with_name(f"{img.stem}_dim{cfg.vector_size}{img.suffix}")
    plot_loss(img, res.epoch_losses, res.heldout_losses)
    print(f"\ntraining time: {res.seconds:.1f} s; plot: {img}")
    kv3 = kv_of(vocab, fit(cfg.replace(epochs=3), vocab, train_enc, progress=False).output_vectors)
    kvN = kv_of(vocab, res.output_vectors)
    rows = []
    for w in QUERY:
        a, b = neighbours(kv3, w), neighbours(kvN, w)
        rows.append([w, len(set(a) & set(b)), ", ".join(b)])
    print(f"\nNeighbours at epoch {cfg.epochs} (embed {cfg.vector_size}) and overlap with its own epoch 3:\n")
    print(md_table(["word", "shared with epoch 3", f"epoch {cfg.epochs}"], rows))


def question_2(args, splits, tokens, test_tokens, vocab, train_enc, lab_runs) -> None:
    print("\n## 2. Neighbours and how to improve them\n")
    labels = splits["train"].labels
    th = args.threads

    def engine_run(name, cfg, token_lists=tokens, min_count=None):
        mc = cfg.min_count if min_count is None else min_count
        if token_lists is tokens and mc == vocab_mc:
            voc, enc = vocab, train_enc
        else:
            voc, enc = build_and_encode(token_lists, mc)
        res = fit(cfg.replace(min_count=mc, threads=th, progress=False), voc, enc, progress=False)
        return name, cfg.replace(min_count=mc), voc, res, res.input_vectors

    vocab_mc = LAB.min_count
    same = dict(min_count=vocab_mc)
    runs = []
    lab, long = lab_runs["lab"], lab_runs["long"]
    runs.append(("lab, 3 ep, output vectors (the lab's choice)", LAB, vocab, lab, lab.output_vectors))
    runs.append(("lab, 3 ep, input vectors", LAB, vocab, lab, lab.input_vectors))
    runs.append((f"lab, {args.epochs} ep, output vectors", LAB.replace(epochs=args.epochs), vocab, long,
                 long.output_vectors))
    runs.append(engine_run("skip-gram NS, dim 50, window 3 (lab's size)",
                           SGNS.replace(vector_size=50, window=3), **same))
    runs.append(engine_run("skip-gram NS (sgns preset)", SGNS, **same))
    runs.append(engine_run("CBOW NS (cbow preset)", CBOW, **same))
    runs.append(engine_run("skip-gram NS, no subsampling (sample 0)", SGNS.replace(sample=0.0), **same))
    runs.append(engine_run("skip-gram NS, min_count 5", SGNS, min_count=5))
    runs.append(engine_run("skip-gram NS, window 10", SGNS.replace(window=10), **same))
    runs.append(engine_run("skip-gram NS, 20 epochs", SGNS.replace(epochs=20), **same))
    runs.append(engine_run("skip-gram NS, dim 300", SGNS.replace(vector_size=300), **same))
    runs.append(engine_run("skip-gram NS, + test-split tweets (49k tweets)", SGNS,
                           token_lists=tokens + test_tokens, **same))
    runs.append(engine_run("CBOW NS, + test-split tweets, 20 epochs", CBOW.replace(epochs=20),
                           token_lists=tokens + test_tokens, **same))

    rows, tfidf, kvs = [], None, {}
    for name, cfg, voc, res, vecs in runs:
        kv = kv_of(voc, vecs)
        kvs[name] = kv
        t = time.perf_counter()
        d = downstream(kv, tokens, labels, folds=args.folds)
        tfidf = d["tfidf"]
        f1 = d["embedding"]["f1"]
        rows.append([name, cfg.model if cfg.model != "softmax" else "softmax (lab)", cfg.vector_size, cfg.window,
                     cfg.min_count, cfg.epochs, len(voc), f"{res.seconds:.1f}",
                     f"{f1['mean']:.3f} ± {f1['std']:.3f}", f"{d['embedding']['precision']['mean']:.3f}",
                     f"{d['embedding']['recall']['mean']:.3f}", f"{100 * d['oov_token_ratio']:.1f}%"])
        print(f"  [{name}: downstream {time.perf_counter() - t:.0f} s]", flush=True)
    print(f"\nDownstream: mean tweet vector -> logistic regression (balanced classes), {args.folds}-fold stratified "
          f"CV on the {len(labels):,} train tweets, class 1 = {100 * (labels == 1).mean():.1f}%; same folds for all.\n")
    print(md_table(["vectors", "model", "dim", "window", "min_count", "epochs", "vocab", "train s",
                    "F1 class 1 (mean ± sd)", "precision", "recall", "OOV tokens"], rows))
    f1 = tfidf["f1"]
    print(f"\nTF-IDF + logistic regression on the same tokens and folds: F1 {f1['mean']:.3f} ± {f1['std']:.3f}, "
          f"precision {tfidf['precision']['mean']:.3f}, recall {tfidf['recall']['mean']:.3f}")

    show = [runs[0][0], runs[2][0], "skip-gram NS (sgns preset)", "CBOW NS (cbow preset)",
            "skip-gram NS, + test-split tweets (49k tweets)"]
    for w in QUERY:
        print(f"\nNeighbours of '{w}':\n")
        print(md_table(["vectors", "10 nearest (cosine)"], [[n, ", ".join(neighbours(kvs[n], w))] for n in show]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=default_dataset())
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--img", default=str(ROOT / "docs" / "img" / "overfitting.png"))
    ap.add_argument("--big-dim", type=int, default=300, help="embedding size of the capacity run (question 1)")
    ap.add_argument("--only", choices=["1", "1b", "2"], default=None, help="run one part only")
    args = ap.parse_args()
    torch.set_num_threads(max(1, args.threads))

    t0 = time.perf_counter()
    splits = load_corpus(args.dataset)
    tok = LabTokenizer()
    tokens = [tok(t) for t in splits["train"].texts]
    test_tokens = [tok(t) for t in splits["test"].texts]
    vocab, train_enc = build_and_encode(tokens, LAB.min_count)
    test_enc = vocab.encode(test_tokens)
    print(f"# lab_questions: {len(tokens):,} train / {len(test_tokens):,} test tweets, vocab {len(vocab):,}, "
          f"{len(train_enc):,} train tokens, {len(test_enc):,} test tokens; torch {torch.__version__}, "
          f"{args.threads} thread(s)")
    lab_runs = question_1(args, vocab, train_enc, test_enc) if args.only in (None, "1") else None
    if args.only in (None, "1b"):
        question_1_capacity(args, vocab, train_enc, test_enc)
    if args.only in (None, "2"):
        if lab_runs is None:
            lab_runs = {"lab": fit(LAB.replace(threads=args.threads, progress=False), vocab, train_enc, progress=False),
                        "long": fit(LAB.replace(epochs=args.epochs, threads=args.threads, progress=False), vocab,
                                    train_enc, progress=False)}
        question_2(args, splits, tokens, test_tokens, vocab, train_enc, lab_runs)
    print(f"\ntotal: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
