"""Intrinsic evaluation of word vectors: word-pair similarity correlation and analogy accuracy.

Names and semantics follow gensim's `evaluate_word_pairs` / `evaluate_word_analogies` so numbers are
comparable, with two differences: query words go through the run's own tokenizer (a stemmed vocabulary holds
`run`, not `running`), and `oov_ratio` is a fraction in [0, 1], not a percentage.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import WordvecError, require
from .vectors import pair_similarities, predict_3cosadd, read_analogies, read_word_pairs, resolve_keys

# ------------------------------------------------------------------------------------------------- helpers


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
    stats = require("scipy.stats", "the word-pair evaluation")
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
        correct[ok] = predict_3cosadd(vn, ids[ok], kv.most_frequent(limit)) == ids[ok, 3]
    rows = []
    for s, (name, qs) in enumerate(sections):
        m = section_of == s
        c, used = int((correct & m).sum()), int((ok & m).sum())
        rows.append({"section": name, "correct": c, "incorrect": used - c, "skipped": len(qs) - used,
                     "accuracy": c / used if used else None})
    c, used = int(correct.sum()), int(ok.sum())
    return {"file": str(path), "sections": rows, "questions": len(ids), "n": used, "correct": c,
            "accuracy": c / used if used else None, "oov_ratio": (len(ids) - used) / len(ids)}


__all__ = ["evaluate_word_pairs", "evaluate_word_analogies", "read_word_pairs", "read_analogies", "resolve_keys"]
