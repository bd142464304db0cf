"""Judge trained vectors: word-pair correlation, analogy accuracy, a downstream classifier on the dataset's own
labels (next to a TF-IDF baseline), and the held-out loss the trainer recorded.

Names and semantics follow gensim's `evaluate_word_pairs` / `evaluate_word_analogies` so numbers are
comparable, with two differences: query words go through the run's own tokenizer (a stemmed vocabulary holds
`run`, not `running`), and `oov_ratio` is a fraction in [0, 1], not a percentage.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import WordvecError
from .files import atomic_open
from .vectors import pair_similarities, predict_3cosadd, read_analogies, read_word_pairs

SIF_A = 1e-3  # Arora et al.'s smoothing constant: weight a / (a + p(w))


# ------------------------------------------------------------------------------------------------- helpers


def resolve_keys(kv, words: Sequence[str], case_insensitive: bool = True, restrict_vocab: int | None = None
                 ) -> np.ndarray:
    """Vocabulary ids of `words` (-1 where unknown or outside the top `restrict_vocab`), looked up the way the
    run was trained: lower-cased, then through the kv's tokenizer when it has one (one token or it is OOV)."""
    limit = len(kv.index_to_key) if restrict_vocab is None else min(int(restrict_vocab), len(kv.index_to_key))
    memo: dict[str, int] = {}
    out = np.full(len(words), -1, dtype=np.int64)
    for i, word in enumerate(words):  # over the query words, not the vocabulary
        idx = memo.get(word)
        if idx is None:
            w = word.lower() if case_insensitive else word
            idx = kv.get_index(w, default=-1)  # KeyedVectors' own lookup: the single token, else the word
            idx = idx if 0 <= idx < limit else -1
            memo[word] = idx
        out[i] = idx
    return out


def kv_tokenizer(kv) -> Callable[[str], list[str]] | None:
    """The kv's preprocessing as a callable: KeyedVectors stores its name ('lab', 'simple')."""
    tok = getattr(kv, "_tokenize", None) or getattr(kv, "tokenizer", None)
    if isinstance(tok, str):
        from .preprocess import get_tokenizer

        tok = get_tokenizer(tok)
    return tok


def _normed(kv) -> np.ndarray:
    return np.asarray(kv.get_normed_vectors(), dtype=np.float32)


def _num(x) -> float | None:
    """JSON-safe float: NaN/inf (undefined correlation, empty section) become None."""
    x = float(x)
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------------------------------------- word pairs


def evaluate_word_pairs(kv, path, restrict_vocab: int = 300000, case_insensitive: bool = True) -> dict:
    """Spearman and Pearson correlation between human scores and cosine similarity, over the pairs whose both
    words are among the `restrict_vocab` most frequent; the rest count towards `oov_ratio`."""
    from scipy import stats

    w1, w2, human = read_word_pairs(path)
    i1 = resolve_keys(kv, w1, case_insensitive, restrict_vocab)
    i2 = resolve_keys(kv, w2, case_insensitive, restrict_vocab)
    ok = (i1 >= 0) & (i2 >= 0)
    vn = _normed(kv)
    sims = pair_similarities(vn, i1[ok], i2[ok])
    n = int(ok.sum())
    rho = rho_p = r = r_p = float("nan")
    if n >= 3:
        with warnings.catch_warnings():  # constant input: NaN is the honest answer, no warning spam
            warnings.simplefilter("ignore")
            rho, rho_p = stats.spearmanr(human[ok], sims)
            r, r_p = stats.pearsonr(human[ok], sims)
    return {"file": str(path), "pairs": len(human), "n": n, "oov": len(human) - n,
            "oov_ratio": (len(human) - n) / len(human), "spearman": _num(rho), "spearman_p": _num(rho_p),
            "pearson": _num(r), "pearson_p": _num(r_p)}


# ------------------------------------------------------------------------------------------------- analogies


def evaluate_word_analogies(kv, path, restrict_vocab: int = 300000, case_insensitive: bool = True) -> dict:
    """Accuracy per section and overall with 3CosAdd, over questions whose 4 words are all among the
    `restrict_vocab` most frequent (gensim's semantics); the others are skipped and counted in `oov_ratio`."""
    sections = read_analogies(path)
    limit = min(int(restrict_vocab), len(kv.index_to_key))
    flat = [w for _, qs in sections for question in qs for w in question]
    ids = resolve_keys(kv, flat, case_insensitive, limit).reshape(-1, 4)
    section_of = np.repeat(np.arange(len(sections)), [len(qs) for _, qs in sections])
    ok = (ids >= 0).all(axis=1)
    correct = np.zeros(len(ids), dtype=bool)
    if ok.any():
        vn = _normed(kv)
        correct[ok] = predict_3cosadd(vn, ids[ok], limit) == ids[ok, 3]
    rows = []
    for s, (name, qs) in enumerate(sections):
        m = section_of == s
        c, used = int((correct & m).sum()), int((ok & m).sum())
        rows.append({"section": name, "correct": c, "incorrect": used - c, "skipped": len(qs) - used,
                     "accuracy": c / used if used else None})
    c, used = int(correct.sum()), int(ok.sum())
    return {"file": str(path), "sections": rows, "questions": len(ids), "n": used, "correct": c,
            "accuracy": c / used if used else None, "oov_ratio": (len(ids) - used) / len(ids)}


# ------------------------------------------------------------------------------------------------- downstream


def text_vectors(kv, token_lists: Sequence[Sequence[str]], sif: bool = False, a: float = SIF_A
                 ) -> tuple[np.ndarray, float, float]:
    """Mean vector per text (SIF weights a / (a + p(w)) when `sif`) as one sparse-matrix product.

    Returns (X, share of tokens out of vocabulary, share of texts with no known token: their row is zero)."""
    from scipy import sparse

    k2i = kv.key_to_index
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    ids = np.fromiter((k2i.get(w, -1) for toks in token_lists for w in toks), dtype=np.int64,
                      count=int(lengths.sum()))
    rows = np.repeat(np.arange(len(token_lists)), lengths)
    known = ids >= 0
    ids, rows = ids[known], rows[known]
    vectors = np.asarray(kv.vectors if hasattr(kv, "vectors") else kv.get_vectors(), dtype=np.float32)
    if sif:
        counts = getattr(kv, "counts", None)
        if counts is None:
            raise WordvecError("SIF weighting needs word counts, and these vectors have none; "
                               "drop --sif or load the vectors from a run directory (vocab.txt holds the counts)")
        counts = np.asarray(counts, dtype=np.float64)
        weight = (a / (a + counts / counts.sum()))[ids]
    else:
        weight = np.ones(len(ids))
    m = sparse.csr_matrix((weight, (rows, ids)), shape=(len(token_lists), len(vectors)))
    total = np.asarray(m.sum(axis=1)).ravel()
    x = np.asarray(m @ vectors, dtype=np.float64)
    nonzero = total > 0
    x[nonzero] /= total[nonzero, None]
    n_tok = max(int(lengths.sum()), 1)
    return x, 1 - int(known.sum()) / n_tok, float((~nonzero).mean()) if len(x) else 0.0


def _identity(tokens):
    return tokens


def _scores(y_true, y_pred, positive) -> dict:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=[positive], zero_division=0)
    return {"f1": float(f[0]), "precision": float(p[0]), "recall": float(r[0]),
            "accuracy": float(accuracy_score(y_true, y_pred))}


def _summary(folds: list[dict]) -> dict:
    return {k: {"mean": float(np.mean([f[k] for f in folds])), "std": float(np.std([f[k] for f in folds]))}
            for k in folds[0]}


def downstream(kv, texts: Sequence, labels, tokenizer: Callable[[str], list[str]] | None = None, folds: int = 5,
               sif: bool = False, seed: int = 0) -> dict:
    """Can a linear classifier read the label off the mean tweet vector? Stratified k-fold logistic regression
    (class_weight='balanced': the hate-speech class is ~7%, so plain accuracy would reward ignoring it),
    F1/precision/recall of class 1 (or the largest label), next to TF-IDF + the same classifier on the same
    tokens and folds so the number has a yardstick.

    `texts` are strings (tokenised with `tokenizer`, default the kv's own, else whitespace) or token lists."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if labels is None:
        raise WordvecError("the downstream evaluation needs labels, and this dataset has none; "
                           "give a dataset with a label column (--label-column NAME)")
    y = np.asarray(labels)
    if len(y) != len(texts):
        raise WordvecError(f"downstream: {len(texts)} texts but {len(y)} labels")
    classes, per_class = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise WordvecError(f"downstream: every label is {classes[0]!r}; a classifier needs at least two classes")
    if folds < 2 or per_class.min() < folds:
        raise WordvecError(f"downstream: {folds}-fold cross-validation needs at least {max(folds, 2)} texts per "
                           f"class (the rarest class has {per_class.min()}); lower --folds (minimum 2)")
    positive = 1 if 1 in classes else classes.max()
    tok = tokenizer or kv_tokenizer(kv) or str.split
    token_lists = [t if isinstance(t, (list, tuple)) else tok(t) for t in texts]

    x, oov_tokens, empty = text_vectors(kv, token_lists, sif=sif)
    docs = np.empty(len(token_lists), dtype=object)
    docs[:] = token_lists
    emb_folds, tfidf_folds = [], []
    for tr, te in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y):
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced"))
        clf.fit(x[tr], y[tr])
        emb_folds.append(_scores(y[te], clf.predict(x[te]), positive))
        tfidf = TfidfVectorizer(analyzer=_identity)  # the same tokens, no re-tokenising
        base = LogisticRegression(max_iter=1000, class_weight="balanced")
        base.fit(tfidf.fit_transform(docs[tr]), y[tr])
        tfidf_folds.append(_scores(y[te], base.predict(tfidf.transform(docs[te])), positive))
    return {"texts": len(y), "folds": folds, "positive_label": positive.item() if hasattr(positive, "item")
            else positive, "positive_share": float((y == positive).mean()), "sif": bool(sif),
            "class_weight": "balanced", "oov_token_ratio": oov_tokens, "empty_texts": empty,
            "embedding": _summary(emb_folds), "tfidf": _summary(tfidf_folds)}


# ------------------------------------------------------------------------------------------------- a run


def read_metrics(run_dir) -> dict:
    path = Path(run_dir) / "metrics.json"
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise WordvecError(f"{run_dir} is not a run directory (no metrics.json); train one with `wordvec train`") \
            from None
    except json.JSONDecodeError as e:
        raise WordvecError(f"{path}: line {e.lineno}: not valid JSON ({e.msg}); the run is damaged, retrain it") \
            from None


def write_json_atomic(path, data: dict) -> None:
    """A crash never leaves a half-written metrics.json."""
    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, allow_nan=False)
        f.write("\n")


def loss_table(metrics: dict) -> dict | None:
    """Training and held-out loss per epoch, side by side, from what the trainer recorded."""
    train = metrics.get("epoch_losses") or []
    held = metrics.get("heldout_losses") or []
    if not train and not held:
        return None
    n = max(len(train), len(held))
    pad = lambda xs: [_num(v) if v is not None else None for v in xs] + [None] * (n - len(xs))  # noqa: E731
    return {"epoch": list(range(1, n + 1)), "train": pad(train), "heldout": pad(held)}


def evaluate_run(run_dir, pairs=None, analogies=None, downstream: bool = False, folds: int = 5, sif: bool = False,
                 restrict_vocab: int = 300000) -> dict:
    """Run the asked evaluations on a run directory, merge them into metrics.json under `evaluation`, return them."""
    from .vectors import KeyedVectors

    run_dir = Path(run_dir)
    metrics = read_metrics(run_dir)
    kv = KeyedVectors.load_run(run_dir)
    results: dict = {}
    loss = loss_table(metrics)
    if loss:
        results["loss"] = loss
    if pairs:
        results["pairs"] = evaluate_word_pairs(kv, pairs, restrict_vocab=restrict_vocab)
    if analogies:
        results["analogies"] = evaluate_word_analogies(kv, analogies, restrict_vocab=restrict_vocab)
    if downstream:
        results["downstream"] = _downstream_run(kv, metrics.get("config") or {}, folds, sif)
    metrics = read_metrics(run_dir)  # re-read: keep anything written meanwhile
    metrics["evaluation"] = {**(metrics.get("evaluation") or {}), **results}
    write_json_atomic(run_dir / "metrics.json", metrics)
    return results


_downstream = downstream  # evaluate_run's `downstream` flag shadows the function inside it


def _downstream_run(kv, config: dict, folds: int, sif: bool) -> dict:
    from .corpus import load_corpus
    from .preprocess import get_tokenizer

    label_column = config.get("label_column") or "label"
    splits = load_corpus(config.get("dataset"), config.get("text_column") or "tweet", label_column)
    train = splits["train"]
    if train.labels is None:
        raise WordvecError(f"dataset {config.get('dataset')} has no integer labels in column '{label_column}'; "
                           f"the downstream evaluation needs them (train with --label-column NAME)")
    tok = get_tokenizer(config.get("tokenizer") or "lab")
    res = _downstream(kv, list(train.texts), train.labels, tokenizer=tok, folds=folds, sif=sif,
                      seed=int(config.get("seed", 0) or 0))
    return {"dataset": str(config.get("dataset")), **res}


# ------------------------------------------------------------------------------------------------- table


def _f(x, spec=".3f") -> str:
    return "-" if x is None else format(x, spec)


def format_table(results: dict) -> str:
    """The evaluation as aligned plain text, one block per evaluation that was run."""
    out: list[str] = []
    if "pairs" in results:
        p = results["pairs"]
        out += [f"word pairs  {p['file']}",
                f"  pairs used {p['n']}/{p['pairs']}  (out of vocabulary {p['oov_ratio']:.1%})",
                f"  Spearman rho {_f(p['spearman'])}  (p={_f(p['spearman_p'], '.2g')})",
                f"  Pearson r    {_f(p['pearson'])}  (p={_f(p['pearson_p'], '.2g')})", ""]
    if "analogies" in results:
        a = results["analogies"]
        width = max([len(s["section"]) for s in a["sections"]] + [7])
        out += [f"analogies  {a['file']}  (3CosAdd; {a['oov_ratio']:.1%} of questions skipped as out of vocabulary)",
                f"  {'section':<{width}}  {'correct':>7}  {'asked':>6}  {'skipped':>7}  accuracy"]
        for s in a["sections"]:
            used = s["correct"] + s["incorrect"]
            out.append(f"  {s['section']:<{width}}  {s['correct']:>7}  {used:>6}  {s['skipped']:>7}  "
                       f"{_f(s['accuracy'], '.1%') if s['accuracy'] is not None else '-'}")
        acc = _f(a["accuracy"], ".1%") if a["accuracy"] is not None else "-"
        out += [f"  {'overall':<{width}}  {a['correct']:>7}  {a['n']:>6}  {a['questions'] - a['n']:>7}  {acc}", ""]
    if "downstream" in results:
        d = results["downstream"]
        out += [f"downstream  {d.get('dataset', '')}  {d['texts']} texts, {d['folds']}-fold stratified, "
                f"class {d['positive_label']} = {d['positive_share']:.1%}, logistic regression (balanced)",
                f"  tokens out of vocabulary {d['oov_token_ratio']:.1%}, texts with no known token "
                f"{d['empty_texts']:.1%}",
                f"  {'metric':<13}  {'vectors' + (' (SIF)' if d['sif'] else ' (mean)'):>17}  {'TF-IDF':>17}"]
        for k in ("f1", "precision", "recall", "accuracy"):
            e, t = d["embedding"][k], d["tfidf"][k]
            name = f"{k} ({d['positive_label']})" if k != "accuracy" else k
            out.append(f"  {name:<13}  {e['mean']:>9.3f} ± {e['std']:.3f}  {t['mean']:>9.3f} ± {t['std']:.3f}")
        out.append("")
    if "loss" in results:
        lo = results["loss"]
        out.append(f"loss per epoch  {'epoch':>5}  {'train':>8}  {'held-out':>8}")
        for e, tr, he in zip(lo["epoch"], lo["train"], lo["heldout"]):
            out.append(f"                {e:>5}  {_f(tr, '8.4f')}  {_f(he, '8.4f')}")
        out.append("")
    return "\n".join(out).rstrip() + "\n" if out else "nothing evaluated\n"


__all__ = ["evaluate_word_pairs", "evaluate_word_analogies", "downstream", "text_vectors", "evaluate_run",
           "format_table", "read_word_pairs", "read_analogies", "resolve_keys", "write_json_atomic"]
