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

from .errors import WordvecError
from .vectors import resolve_keys

# ------------------------------------------------------------------------------------------------- helpers


def _normed(kv) -> np.ndarray:
    return np.asarray(kv.get_normed_vectors(), dtype=np.float32)


def _open_lines(path) -> list[str]:
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        raise WordvecError(f"evaluation file {path} does not exist; check the path") from None
    except IsADirectoryError:
        raise WordvecError(f"evaluation file {path} is a folder; give a file") from None
    except UnicodeDecodeError as e:
        raise WordvecError(f"{path} is not valid UTF-8 ({e.reason} at byte {e.start}); re-save it as UTF-8") from None


def _num(x) -> float | None:
    """JSON-safe float: NaN/inf (undefined correlation, empty section) become None."""
    x = float(x)
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------------------------------------- word pairs


def read_word_pairs(path) -> tuple[list[str], list[str], np.ndarray]:
    """Parse a WordSim-353 / SimLex-999 style file: `word1<TAB>word2<TAB>score`, `#` comments, blank lines."""
    a, b, scores = [], [], []
    for lineno, raw in enumerate(_open_lines(path), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t") if "\t" in line else line.split()
        cols = [c.strip() for c in cols]
        if len(cols) != 3:
            raise WordvecError(f"{path}: line {lineno}: expected 3 tab-separated columns (word1, word2, score), "
                               f"found {len(cols)}: {line[:80]!r}")
        try:
            score = float(cols[2])
        except ValueError:
            score = float("nan")
        if not math.isfinite(score):
            raise WordvecError(f"{path}: line {lineno}: score {cols[2]!r} is not a number")
        a.append(cols[0])
        b.append(cols[1])
        scores.append(score)
    if not scores:
        raise WordvecError(f"{path} holds no word pairs (only comments or blank lines)")
    return a, b, np.asarray(scores, dtype=np.float64)


def evaluate_word_pairs(kv, path, restrict_vocab: int = 300000, case_insensitive: bool = True) -> dict:
    """Spearman and Pearson correlation between human scores and cosine similarity, over the pairs whose both
    words are among the `restrict_vocab` most frequent; the rest count towards `oov_ratio`."""
    from scipy import stats

    w1, w2, human = read_word_pairs(path)
    i1 = resolve_keys(kv, w1, case_insensitive, restrict_vocab)
    i2 = resolve_keys(kv, w2, case_insensitive, restrict_vocab)
    ok = (i1 >= 0) & (i2 >= 0)
    vn = _normed(kv)
    sims = np.einsum("ij,ij->i", vn[i1[ok]], vn[i2[ok]]).astype(np.float64)
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


def read_analogies(path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Parse `questions-words.txt`: `: section` headers, then `a b c d` lines (a is to b as c is to d)."""
    sections: list[tuple[str, list]] = []
    for lineno, raw in enumerate(_open_lines(path), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(":"):
            sections.append((line[1:].strip() or f"section {len(sections) + 1}", []))
            continue
        words = line.split()
        if len(words) != 4:
            raise WordvecError(f"{path}: line {lineno}: an analogy needs 4 words (a b c d), found {len(words)}: "
                               f"{line[:80]!r}")
        if not sections:
            sections.append(("analogies", []))
        sections[-1][1].append(tuple(words))
    if not any(q for _, q in sections):
        raise WordvecError(f"{path} holds no analogy questions")
    return sections


def _predict_3cosadd(vn: np.ndarray, q: np.ndarray, candidates: np.ndarray, chunk_cells: int = 1 << 24
                     ) -> np.ndarray:
    """Best answer id for each (a, b, c) row of `q`: argmax cos(x, b - a + c) over the rows `candidates`, the
    three question words excluded. Questions are batched so the score matrix stays under `chunk_cells`."""
    cand = vn[candidates]
    position = np.full(len(vn), -1, dtype=np.int64)
    position[candidates] = np.arange(len(candidates))
    out = np.empty(len(q), dtype=np.int64)
    step = max(1, chunk_cells // max(len(candidates), 1))
    for s in range(0, len(q), step):  # chunks of questions, each one matrix product over the candidates
        qq = q[s:s + step]
        target = vn[qq[:, 1]] - vn[qq[:, 0]] + vn[qq[:, 2]]
        scores = target @ cand.T
        rows, cols = np.nonzero(position[qq[:, :3]] >= 0)
        scores[rows, position[qq[:, :3]][rows, cols]] = -np.inf
        out[s:s + step] = candidates[scores.argmax(axis=1)]
    return out


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
        correct[ok] = _predict_3cosadd(vn, ids[ok], kv.most_frequent(limit)) == ids[ok, 3]
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
