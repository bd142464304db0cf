"""Pictures of a run: the loss curve (the lab's plot, plus held-out loss) and a 2-D map of the vectors.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot state, no display needed) and saved to a temp
file in the target folder, then renamed, so a crash never leaves a half-written PNG.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import WordvecError, require
from .files import atomic_open

log = logging.getLogger("wordvec")

MAP_SIZE = (12, 9)  # inches; at MAP_DPI this is 1440 x 1080 pixels
MAP_DPI = 120
LOSS_SIZE = (8, 5)
LOSS_DPI = 120


def _figure(size, dpi):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path) -> Path:
    """The PNG appears whole or not at all."""
    path = Path(path)
    if not path.parent.is_dir():
        raise WordvecError(f"cannot write {path}: folder {path.parent} does not exist")
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=fig.dpi)
    return path


# ------------------------------------------------------------------------------------------------- loss


def loss_name(config: dict | None) -> str:
    """What the loss of a run is, for an axis: the lab's full softmax is a negative log-likelihood; negative
    sampling and hierarchical softmax minimise other objectives, and their values are not comparable with it."""
    config = config or {}
    loss = config.get("loss", "softmax")
    if loss == "hs" and config.get("both_heads"):
        return "hierarchical softmax + negative-sampling loss"
    return {"softmax": "NLL (full softmax)", "ns": "negative-sampling loss", "hs": "hierarchical-softmax loss"
            }.get(loss, "loss")


def plot_loss(path, train_losses: Sequence[float], heldout_losses: Sequence[float] | None = None,
              points: dict | None = None, ylabel: str = "NLL (full softmax)") -> Path:
    """The lab's plot — epoch vs mean loss, red line 'Loss' — with the held-out loss as a second line when there
    is one, so overfitting shows as the two curves parting, and the loss every N words (metrics.json's
    `loss_points`) as a thin line under the epoch means, so a one-epoch run draws a curve. `ylabel` names the
    objective (`loss_name`)."""
    from matplotlib.ticker import MaxNLocator

    train = np.asarray(list(train_losses), dtype=float)
    held = np.asarray(list(heldout_losses or []), dtype=float)
    if not len(train) and not len(held):
        raise WordvecError("no losses to plot: the run recorded none (epoch_losses is empty)")
    fig = _figure(LOSS_SIZE, LOSS_DPI)
    ax = fig.add_subplot()
    marker = "o" if max(len(train), len(held)) <= 30 else None  # a 1-epoch run is still visible
    words, loss = np.asarray((points or {}).get("words") or [], float), (points or {}).get("loss") or []
    per = float((points or {}).get("epoch_words") or 0)
    if len(words) > 1 and len(words) == len(loss) and per > 0:
        ax.plot(words / per, np.asarray(loss, dtype=float), color="salmon", linewidth=0.8,
                label=f"Loss every {int(points['every']):,} words")
    if len(train):
        ax.plot(np.arange(1, len(train) + 1), train, "r", marker=marker, label="Loss (epoch mean)")
    if len(held):
        ax.plot(np.arange(1, len(held) + 1), held, color="tab:blue", linestyle="--", marker=marker,
                label="Held-out loss")
    ax.set_xlabel("Epoch")
    ax.set_ylabel(ylabel)
    ax.set_title("Training loss" + (" and held-out loss" if len(held) else "") + " per epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return _save(fig, path)


# ------------------------------------------------------------------------------------------------- map


def pca_2d(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first two principal components through numpy's SVD, and the share of the variance each explains."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 2:
        return np.zeros((len(x), 2)), np.zeros(2)
    centred = x - x.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    total = float((sv ** 2).sum())
    share = (sv[:2] ** 2) / total if total > 0 else np.zeros(min(2, len(sv)))
    pad = 2 - xy.shape[1]  # a 1-D embedding still gets 2 columns
    return np.pad(xy, ((0, 0), (0, pad))), np.pad(share, (0, 2 - len(share)))


def project_2d(x: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """2-D coordinates: PCA through numpy's SVD (fast, deterministic) or t-SNE (local structure, slower)."""
    x = np.asarray(x, dtype=np.float64)
    if method == "pca":
        return pca_2d(x)[0]
    if method == "tsne":
        TSNE = require("sklearn.manifold", "--method tsne").TSNE

        if len(x) < 4:
            raise WordvecError(f"t-SNE needs at least 4 words to place, got {len(x)}; use --method pca")
        perplexity = float(min(30, (len(x) - 1) / 3))
        return TSNE(n_components=2, metric="cosine", init="pca", perplexity=perplexity,
                    random_state=seed).fit_transform(x)
    raise WordvecError(f"unknown map method {method!r}; use 'pca' or 'tsne'")


def _neighbours(kv, idx: int, topn: int) -> np.ndarray:
    """Ids of the `topn` nearest words of row `idx`: `KeyedVectors.most_similar`'s, the word itself excluded (the
    same words, in the same order, as `wordvec neighbors`)."""
    return np.asarray([kv.key_to_index[w] for w, _ in kv.most_similar(kv.index_to_key[idx], topn=topn)],
                      dtype=np.int64)


class _Placer:
    """Greedy label placement: a label is drawn only where it does not cover one already placed (important
    labels go first), trying a few offsets before giving up — this keeps dense maps readable."""

    OFFSETS = [(4, 3), (4, -10), (-4, 3), (-4, -10), (0, 9), (0, -14)]  # points from the dot
    FAR = [(dx * r, dy * r) for r in (1, 2) for dx, dy in
           [(14, 12), (14, -20), (-14, 12), (-14, -20), (22, -4), (-22, -4), (0, 22), (0, -26)]]  # with a leader

    def __init__(self, fig, ax):
        self.ax = ax
        self.renderer = fig.canvas.get_renderer()
        self.boxes = np.empty((0, 4))  # x0, y0, x1, y1 in display pixels

    def _free(self, bb) -> bool:
        b = self.boxes
        return not np.any((b[:, 0] < bb.x1) & (b[:, 2] > bb.x0) & (b[:, 1] < bb.y1) & (b[:, 3] > bb.y0))

    def place(self, x, y, text, must: bool = False, **kw):
        tries = self.OFFSETS + (self.FAR if must else [])
        for k, (dx, dy) in enumerate(tries + ([tries[0]] if must else [])):
            ha = "left" if dx >= 0 else "right"
            t = self.ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, **kw)
            bb = t.get_window_extent(self.renderer).expanded(1.02, 1.05)
            if self._free(bb) or k == len(tries):  # the last try (must only): overlap rather than lose it
                self.boxes = np.vstack([self.boxes, [bb.x0, bb.y0, bb.x1, bb.y1]])
                if len(self.OFFSETS) <= k < len(tries):  # moved away: a thin line back to its dot
                    t.remove()
                    t = self.ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha,
                                         arrowprops=dict(arrowstyle="-", lw=0.5, alpha=0.6,
                                                         color=kw.get("color", "0.5")), **kw)
                return t
            t.remove()
        return None


def _glyphs() -> frozenset:
    """The characters the default font draws itself (read from its character map: matplotlib warns once per
    missing glyph, or draws a last-resort box)."""
    global _GLYPHS
    if _GLYPHS is None:
        from fontTools.ttLib import TTFont
        from matplotlib.font_manager import FontProperties, findfont

        _GLYPHS = frozenset(map(chr, TTFont(findfont(FontProperties()), lazy=True).getBestCmap()))
    return _GLYPHS


_GLYPHS: frozenset | None = None
_C1 = re.compile("[\x80-\x9f]")


def _printable(text: str) -> str:
    """`text` as the font can draw it. Emoji whose UTF-8 bytes were read as Latin-1 (the tweets' `ð\x9f\x98\x82`)
    are decoded back first (the font has many emoji); characters it still lacks are dropped, and a word made only
    of those is shown by its code points (U+1F99C), so it is still there."""
    if _C1.search(text):
        try:  # a sequence cut short (a tweet truncated mid-emoji) is dropped
            text = text.encode("latin-1").decode("utf-8", errors="ignore")
        except UnicodeError:  # not Latin-1 throughout: not that mix-up
            pass
    glyphs = _glyphs()
    if all(c in glyphs for c in text):
        return text
    kept = "".join(c for c in text if c in glyphs)
    return kept if kept.strip() else " ".join(f"U+{ord(c):04X}" for c in text)[:40]


def _drawable(keys: list[str], ids: set[int]) -> list[str]:
    """The words at `ids` made printable (`_printable`); the others left as they are."""
    keys = list(keys)
    for i in ids:
        keys[i] = _printable(keys[i])
    return keys


def plot_map(path, kv, method: str = "pca", top: int = 150, words: Sequence[str] | None = None,
             topn: int = 10, title: str | None = None) -> Path:
    """A 2-D map of the vectors: the `top` most frequent words as small grey labels, each queried word and its
    `topn` neighbours in one colour. Unknown query words are skipped with a note on stderr."""
    keys = list(kv.index_to_key)
    if not keys:
        raise WordvecError("no vectors to plot: the vocabulary is empty")
    vn = np.asarray(kv.get_normed_vectors(), dtype=np.float32)
    words = list(words or [])
    ids = np.asarray([kv.get_index(w, -1) for w in words], dtype=np.int64)  # the rule of every query
    for w in (w for w, i in zip(words, ids) if i < 0):
        log.warning("plot: %r is not in the vocabulary; left off the map", w)
    if words and (ids < 0).all():
        raise WordvecError(f"none of the words {', '.join(words)} is in the vocabulary; pick others with --words")
    groups: list[tuple[str, int, np.ndarray]] = []  # (label, query id, neighbour ids)
    seen_q: set[int] = set()
    for w, i in zip(words, ids):
        if i >= 0 and i not in seen_q:
            seen_q.add(int(i))
            groups.append((keys[i] if keys[i] == w else f"{w} ({keys[i]})", int(i), _neighbours(kv, int(i), topn)))
    groups = [(_printable(label), q, nb) for label, q, nb in groups]

    frequent = kv.most_frequent(int(top))
    coloured = [i for _, q, nb in groups for i in (q, *nb)]
    chosen = np.unique(np.concatenate([frequent, np.asarray(coloured, dtype=np.int64)]))
    xy = dict(zip(chosen.tolist(), project_2d(vn[chosen], method)))
    share = pca_2d(vn[chosen])[1] if method == "pca" else None  # for the axes (a second small SVD)
    keys = _drawable(keys, set(chosen.tolist()))

    fig = _figure(MAP_SIZE, MAP_DPI)
    ax = fig.add_subplot()
    pts = np.array([xy[i] for i in chosen])
    ax.scatter(pts[:, 0], pts[:, 1], s=6, color="0.6", alpha=0.5, linewidths=0, zorder=1)
    pad = 0.06 * (np.ptp(pts, axis=0) + 1e-9)  # room for labels at the edges
    ax.set_xlim(pts[:, 0].min() - pad[0], pts[:, 0].max() + pad[0])
    ax.set_ylim(pts[:, 1].min() - pad[1], pts[:, 1].max() + pad[1])
    how = {"pca": "PCA", "tsne": "t-SNE"}[method]
    ax.set_title(_printable(title) if title else f"Word vectors, {how} map of the {len(frequent)} most frequent words"
                 + (f"; query words with their {topn} nearest neighbours" if groups else ""), fontsize=11)
    explained = (lambda k: f" ({share[k]:.1%} of the variance)") if share is not None else (lambda k: "")
    ax.set_xlabel(f"{how} 1{explained(0)}")
    ax.set_ylabel(f"{how} 2{explained(1)}")
    ax.tick_params(labelsize=7)
    fig.tight_layout()  # fix the layout (title included) before measuring label boxes in pixels

    placer = _Placer(fig, ax)
    if coloured:  # labels keep off the coloured dots too
        d = ax.transData.transform(np.array([xy[i] for i in set(coloured)]))
        placer.boxes = np.hstack([d - 3.5, d + 3.5])
    colours = [f"C{k % 10}" for k in range(len(groups))]
    owner: dict[int, int] = {}
    for g, (_, q, nb) in enumerate(groups):  # first group that claims a word colours it
        for i in (q, *nb.tolist()):
            owner.setdefault(i, g)
    for g, (label, q, nb) in enumerate(groups):  # query words first: they must always be legible
        ax.scatter(*xy[q], s=160, marker="*", color=colours[g], edgecolors="black", linewidths=0.6, zorder=4,
                   label=f"{label} + {len(nb)} neighbours")
        placer.place(*xy[q], keys[q], must=True, fontsize=11, fontweight="bold", color=colours[g], zorder=6,
                     bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=colours[g], alpha=0.8))
    for g, (_, q, nb) in enumerate(groups):
        mine = [i for i in nb.tolist() if owner[i] == g and i != q and i not in seen_q]
        if mine:
            p = np.array([xy[i] for i in mine])
            ax.scatter(p[:, 0], p[:, 1], s=28, color=colours[g], alpha=0.9, zorder=3)
            for i in mine:
                placer.place(*xy[i], keys[i], must=True, fontsize=8.5, color=colours[g], zorder=5)
    skipped = 0
    for i in frequent.tolist():
        if i in owner:
            continue
        if placer.place(*xy[i], keys[i], fontsize=6.5, color="0.35", alpha=0.8, zorder=2) is None:
            skipped += 1

    if skipped:
        ax.text(0.995, 0.005, f"{skipped} grey labels hidden to avoid overlap", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=7, color="0.4")
    if groups:
        ax.legend(loc="best", fontsize=9, framealpha=0.85, title="query word (colour)", title_fontsize=9)
    return _save(fig, path)


__all__ = ["plot_loss", "plot_map", "project_2d", "pca_2d", "loss_name"]
