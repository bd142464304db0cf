"""The windowizer: (target, context) pairs from a sliding window, vectorised.

`all_pairs` gives exactly the lab's pairs in the lab's order (position i, then offset j = -w..w, j != 0, both
inside the same document), computed for the whole corpus with array arithmetic instead of a loop per pair.
"""

from __future__ import annotations

import numpy as np

from .errors import WordvecError
from .vocab import Encoded


def offsets_for(window: int) -> np.ndarray:
    """The window's relative positions in the lab's order: -w..-1, 1..w."""
    if window < 1:
        raise WordvecError(f"--window must be at least 1, got {window}")
    return np.array([j for j in range(-window, window + 1) if j != 0], dtype=np.int64)


def all_pairs(corpus: Encoded, window: int = 3, chunk: int = 1 << 20) -> np.ndarray:
    """All (target, context) id pairs, shape (N, 2), int64, in the lab's order.

    Works in chunks of positions so the (positions x 2*window) scratch arrays stay small on big corpora.
    """
    js = offsets_for(window)
    ids = corpus.ids.astype(np.int64, copy=False)
    n = ids.shape[0]
    if n == 0:
        return np.zeros((0, 2), dtype=np.int64)
    doc_of = np.repeat(np.arange(corpus.n_docs), corpus.lengths)
    parts = []
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        pos = np.arange(lo, hi)
        d = doc_of[lo:hi]
        start, end = corpus.offsets[d], corpus.offsets[d + 1]
        ctx = pos[:, None] + js[None, :]
        valid = (ctx >= start[:, None]) & (ctx < end[:, None])  # row-major mask keeps order i, then j
        rows, cols = np.nonzero(valid)
        parts.append(np.stack([ids[pos[rows]], ids[ctx[rows, cols]]], axis=1))
    return np.concatenate(parts)


def count_pairs(corpus: Encoded, window: int) -> int:
    """Number of pairs `all_pairs` would return, without making them: sum over docs of sum_j max(0, len - |j|)."""
    lengths = corpus.lengths
    return int(sum(np.maximum(0, lengths - abs(int(j))).sum() for j in offsets_for(window)))


__all__ = ["offsets_for", "all_pairs", "count_pairs"]
