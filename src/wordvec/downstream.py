"""Downstream evaluation: can a linear classifier read the dataset's own labels off the text vectors? Next to a
TF-IDF baseline on the same tokens and folds, so the number has a yardstick.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .errors import WordvecError, require

SIF_A = 1e-3  # Arora et al.'s smoothing constant: weight a / (a + p(w))


def kv_tokenizer(kv) -> Callable[[str], list[str]] | None:
    """The kv's preprocessing as a callable: KeyedVectors stores its name ('lab', 'simple')."""
    tok = getattr(kv, "_tokenize", None) or getattr(kv, "tokenizer", None)
    if isinstance(tok, str):
        from .preprocess import get_tokenizer

        tok = get_tokenizer(tok)
    return tok



def text_vectors(kv, token_lists: Sequence[Sequence[str]], sif: bool = False, a: float = SIF_A
                 ) -> tuple[np.ndarray, float, float]:
    """Mean vector per text (SIF weights a / (a + p(w)) when `sif`) as one sparse-matrix product.

    Returns (X, share of tokens out of vocabulary, share of texts with no known token: their row is zero)."""
    sparse = require("scipy.sparse", "text vectors")

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
               sif: bool = False, seed: int = 0, subsets: dict | None = None) -> dict:
    """Can a linear classifier read the label off the mean tweet vector? Stratified k-fold logistic regression
    (class_weight='balanced': the hate-speech class is ~7%, so plain accuracy would reward ignoring it),
    F1/precision/recall of class 1 (or the largest label), next to TF-IDF + the same classifier on the same
    tokens and folds so the number has a yardstick.

    `texts` are strings (tokenised with `tokenizer`, default the kv's own, else whitespace) or token lists.
    `subsets` {name: boolean mask over texts} also scores each fold's test texts inside the mask (the same
    classifiers: how the rows do on, say, the texts with unseen words)."""
    require("sklearn", "the downstream evaluation")
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
    if folds < 2:
        raise WordvecError(f"downstream: --folds must be at least 2 (cross-validation), got {folds}")
    if per_class.min() < folds:
        raise WordvecError(f"downstream: {folds}-fold cross-validation needs at least {max(folds, 2)} texts per "
                           f"class (the rarest class has {per_class.min()}); lower --folds (minimum 2) or give more labelled texts")
    positive = 1 if 1 in classes else classes.max()
    if subsets is not None and not isinstance(subsets, dict):
        raise WordvecError(f"downstream: subsets must be a dict {{name: mask}}, got {type(subsets).__name__}")
    masks = {name: np.asarray(m, dtype=bool) for name, m in (subsets or {}).items()}
    for name, m in masks.items():
        if m.shape != y.shape or not m.any():
            raise WordvecError(f"downstream: subset {name!r} needs one flag per text ({len(y)}) and at least one "
                               f"text; got {m.shape[0] if m.ndim else 0} flags, {int(m.sum())} set")
    tok = tokenizer or kv_tokenizer(kv) or str.split
    token_lists = [t if isinstance(t, (list, tuple)) else tok(t) for t in texts]

    x, oov_tokens, empty = text_vectors(kv, token_lists, sif=sif)
    docs = np.empty(len(token_lists), dtype=object)
    docs[:] = token_lists
    emb_folds, tfidf_folds = [], []
    parts = {name: ([], []) for name in masks}
    for tr, te in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y):
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced"))
        clf.fit(x[tr], y[tr])
        emb_pred = clf.predict(x[te])
        emb_folds.append(_scores(y[te], emb_pred, positive))
        tfidf = TfidfVectorizer(analyzer=_identity)  # the same tokens, no re-tokenising
        base = LogisticRegression(max_iter=1000, class_weight="balanced")
        base.fit(tfidf.fit_transform(docs[tr]), y[tr])
        tfidf_pred = base.predict(tfidf.transform(docs[te]))
        tfidf_folds.append(_scores(y[te], tfidf_pred, positive))
        for name, m in masks.items():
            inside = m[te]
            if inside.any():
                parts[name][0].append(_scores(y[te][inside], emb_pred[inside], positive))
                parts[name][1].append(_scores(y[te][inside], tfidf_pred[inside], positive))
    return {"texts": len(y), "folds": folds, "positive_label": positive.item() if hasattr(positive, "item")
            else positive, "positive_share": float((y == positive).mean()), "sif": bool(sif),
            "class_weight": "balanced", "oov_token_ratio": oov_tokens, "empty_texts": empty,
            "embedding": _summary(emb_folds), "tfidf": _summary(tfidf_folds),
            **({"subsets": {name: {"texts": int(masks[name].sum()), "embedding": _summary(e), "tfidf": _summary(t)}
                            for name, (e, t) in parts.items()}} if masks else {})}


__all__ = ["downstream", "text_vectors", "kv_tokenizer", "SIF_A"]
