"""Intrinsic evaluation of word vectors: word-pair similarity correlation and analogy accuracy, as reports.

The computation is `KeyedVectors`' own (`kv.evaluate_word_pairs` / `kv.evaluate_word_analogies`, gensim's key rule:
the first `restrict_vocab` keys, case-insensitive by default, the first of several case variants standing for
all), so both paths give the same numbers; this module only reports them as dicts, with `oov_ratio` a fraction
in [0, 1] rather than gensim's percentage. Query words unknown as such go through the run's own tokenizer (a
stemmed vocabulary holds `run`, not `running`). Pair files are streamed.
"""

from __future__ import annotations

import math
import warnings

from .errors import require
from .vectors import read_analogies, read_word_pairs

# ------------------------------------------------------------------------------------------------- helpers


def _num(x) -> float | None:
    """JSON-safe float: NaN/inf (undefined correlation, empty section) become None."""
    x = float(x)
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------------------------------------- word pairs


def evaluate_word_pairs(kv, path, restrict_vocab: int = 300000, case_insensitive: bool = True) -> dict:
    """Spearman and Pearson correlation between human scores and cosine similarity, over the pairs whose both
    words are among the first `restrict_vocab` keys; the rest count towards `oov_ratio`. Columns are split on a
    tab when a line has one, else on whitespace."""
    stats = require("scipy.stats", "the word-pair evaluation")

    human, sims, ok = kv._pair_similarities(path, None, "utf8", restrict_vocab, case_insensitive)
    n = int(ok.sum())
    rho = rho_p = r = r_p = float("nan")
    if n >= 3:
        with warnings.catch_warnings():  # constant input: NaN is the honest answer, no warning spam
            warnings.simplefilter("ignore")
            rho, rho_p = stats.spearmanr(human[ok], sims[ok])
            r, r_p = stats.pearsonr(human[ok], sims[ok])
    return {"file": str(path), "pairs": len(human), "n": n, "oov": len(human) - n,
            "oov_ratio": (len(human) - n) / len(human), "spearman": _num(rho), "spearman_p": _num(rho_p),
            "pearson": _num(r), "pearson_p": _num(r_p)}


# ------------------------------------------------------------------------------------------------- analogies


def evaluate_word_analogies(kv, path, restrict_vocab: int = 300000, case_insensitive: bool = True) -> dict:
    """Accuracy per section and overall with 3CosAdd, over questions whose 4 words are all among the first
    `restrict_vocab` keys (gensim's semantics); the others are skipped and counted in `oov_ratio`."""
    sections, ok, correct = kv._analogy_outcomes(path, restrict_vocab, case_insensitive)
    rows, start = [], 0
    for name, qs in sections:
        m = slice(start, start + len(qs))
        start += len(qs)
        c, used = int(correct[m].sum()), int(ok[m].sum())
        rows.append({"section": name, "correct": c, "incorrect": used - c, "skipped": len(qs) - used,
                     "accuracy": c / used if used else None})
    c, used = int(correct.sum()), int(ok.sum())
    return {"file": str(path), "sections": rows, "questions": len(ok), "n": used, "correct": c,
            "accuracy": c / used if used else None, "oov_ratio": (len(ok) - used) / len(ok)}


__all__ = ["evaluate_word_pairs", "evaluate_word_analogies", "read_word_pairs", "read_analogies"]
