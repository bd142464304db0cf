"""The word2vec engine: skip-gram / CBOW with negative sampling or hierarchical softmax, gensim's recipe.

`train_word2vec(config, vocab, encoded)` is the one entry point. Two backends share the recipe (subsampling with
word2vec.c's formula redrawn every epoch, a reduced window drawn uniformly in 1..window per centre word, noise
proportional to count**ns_exponent, a Huffman tree for hs, the learning rate decaying linearly from `lr` to `min_lr`
over all epochs, input vectors uniform in [-1, 1)/vector_size as gensim does, output vectors zero):

* ``numba`` (CPU; the default there): compiled Hogwild SGD kernels (`wordvec.kernels`), one example at a time,
  as word2vec.c and gensim do, on `threads` Python threads that release the GIL. The corpus is cut into chunks of
  tokens; each chunk has its own random stream (seeded from seed, epoch and chunk index) and its own slice of the
  learning-rate schedule, so with ``threads=1`` results are bit-identical for the same seed. With more threads the
  chunks interleave and update the shared matrices without locks (racy by design, like gensim's workers): the
  result differs from run to run in the last digits, not in quality.
* ``torch`` (any device; always used on CUDA): batched tensor operations, in `wordvec.engine_torch` (imported
  only when it runs, so a CPU run never loads torch).

Pairs are never materialised for the whole corpus: the corpus is one int32 id array plus document offsets.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .config import Config
from .devices import resolve_device
from .errors import WordvecError
from .vocab import Encoded, Vocab, alias_table, huffman_tree, keep_probabilities, noise_distribution
from .weights import TrainResult, init_vectors


def _check(config: Config, vocab: Vocab, encoded: Encoded) -> None:
    config.validate()
    if config.model not in ("skipgram", "cbow"):
        raise WordvecError(f"the word2vec engine trains --model skipgram or cbow, got {config.model!r} "
                           f"(the lab's full-softmax network is trained by wordvec.train)")
    if config.loss not in ("ns", "hs"):
        raise WordvecError(f"the word2vec engine trains --loss ns or hs, got {config.loss!r}")
    if len(vocab) == 0:
        raise WordvecError("the vocabulary is empty; lower --min-count or give a larger corpus")
    if len(encoded) == 0:
        raise WordvecError("the corpus has no in-vocabulary tokens to train on; check --dataset and --min-count")
    ids = encoded.ids
    if ids.dtype != np.int32:
        raise WordvecError(f"encoded token ids must be int32, got {ids.dtype}")
    if int(ids.min()) < 0 or int(ids.max()) >= len(vocab):
        raise WordvecError("encoded token ids fall outside the vocabulary; encode the corpus with this vocabulary")
    off = encoded.offsets
    if off.ndim != 1 or off.size < 2 or off[0] != 0 or off[-1] != len(ids) or np.any(np.diff(off) < 0):
        raise WordvecError("document offsets must start at 0, never decrease and end at the number of tokens")
    if not np.any(np.diff(off) >= 2):
        raise WordvecError("there are no training pairs: every document has fewer than two in-vocabulary words; "
                           "lower --min-count or give a larger corpus")


def _chunk_seed(seed: int, epoch: int, chunk: int) -> int:
    return (seed * 0x9E3779B1 + epoch * 0x85EBCA77 + chunk * 0xC2B2AE3D + 0x27D4EB2F) % (2 ** 63)


def train_word2vec(config: Config, vocab: Vocab, encoded: Encoded, progress: bool = True,
                   callback=None) -> TrainResult:
    """Train skip-gram or CBOW (cbow_mean=1) with negative sampling or hierarchical softmax; see the module doc.

    Returns a TrainResult: input_vectors (syn0), output_vectors (syn1neg; None for hs, whose inner-node vectors
    are in extra_tensors['hs.weight']), the mean loss per example for each epoch, wall seconds, and counts:
    words = in-vocabulary tokens x epochs (before subsampling), effective_words = tokens kept by subsampling,
    pairs = (centre, context) pairs trained. `callback(epoch, mean loss, None)` runs after every epoch.
    """
    _check(config, vocab, encoded)
    device = resolve_device(config.device)
    backend = config.backend
    if device.startswith("cuda") or backend == "torch":
        from .engine_torch import train_torch

        return train_torch(config, vocab, encoded, device, progress, callback)
    return _train_numba(config, vocab, encoded, progress, callback)


# --- numba / Hogwild ----------------------------------------------------------------------------------------------

def _tables(config: Config, vocab: Vocab):
    keep = keep_probabilities(vocab.counts, config.sample)
    v = len(vocab)
    if config.loss == "ns":
        prob, alias = alias_table(noise_distribution(vocab.counts, config.ns_exponent))
        codes = np.zeros((1, 1), np.uint8)
        points = np.zeros((1, 1), np.int32)
        lengths = np.zeros(1, np.int32)
        n_out = v
    else:
        prob, alias = np.ones(1, np.float32), np.zeros(1, np.int32)
        tree = huffman_tree(vocab.counts)
        codes, points, lengths = tree.codes, tree.points, tree.lengths
        n_out = tree.n_inner
    return keep, prob, alias, codes, points, lengths, n_out


def warm_up() -> None:
    """Compile (or load from the on-disk cache) every kernel variant on a tiny corpus, so timings exclude the JIT."""
    from .kernels import sigmoid_tables, train_chunk

    sig, logsig = sigmoid_tables()
    ids = np.array([0, 1, 2, 1, 0, 2, 1], dtype=np.int32)
    offsets = np.array([0, 4, 7], dtype=np.int64)
    counts = np.array([3, 3, 2])
    tree = huffman_tree(counts)
    prob, alias = alias_table(noise_distribution(counts))
    keep = keep_probabilities(counts, 1e-3)
    for sg in (1, 0):
        for hs in (0, 1):
            syn0 = np.full((3, 4), 0.1, np.float32)
            syn1 = np.zeros((3, 4), np.float32)
            train_chunk(ids, offsets, 0, 7, syn0, syn1, keep, prob, alias, tree.codes, tree.points, tree.lengths,
                        sig, logsig, sg, hs, 2, 2, True, 0.025, 0.02, 1, True)


def chunk_bounds(offsets: np.ndarray, chunk: int) -> list[int]:
    """Token positions cutting the corpus into jobs of about `chunk` tokens, at document starts where one is near
    (within half a chunk); only a document longer than that is split (windows are then cut at the split, as gensim
    cuts sentences at 10,000 words)."""
    n = int(offsets[-1])
    targets = np.arange(chunk, n, chunk, dtype=np.int64)
    nxt = offsets[np.minimum(np.searchsorted(offsets, targets), len(offsets) - 1)]
    cuts = np.where(nxt - targets < chunk // 2, nxt, targets)
    return sorted({0, n, *[int(c) for c in cuts if 0 < c < n]})


def _train_numba(config: Config, vocab: Vocab, encoded: Encoded, progress: bool, callback=None) -> TrainResult:
    from .kernels import sigmoid_tables, train_chunk

    threads = config.threads or os.cpu_count() or 1
    keep, prob, alias, codes, points, lengths, n_out = _tables(config, vocab)
    sig, logsig = sigmoid_tables()
    syn0, syn1 = init_vectors(config.seed, len(vocab), n_out, config.vector_size)
    ids = np.ascontiguousarray(encoded.ids, dtype=np.int32)
    offsets = np.ascontiguousarray(encoded.offsets, dtype=np.int64)
    n = len(ids)
    chunk = int(min(100_000, max(10_000, n // (8 * threads))))
    bounds = chunk_bounds(offsets, chunk)
    n_chunks = len(bounds) - 1
    total = n * config.epochs
    a0, a1 = float(config.lr), float(config.min_lr)
    sg = 1 if config.model == "skipgram" else 0
    hs = 1 if config.loss == "hs" else 0
    negative = int(config.negative) if not hs else 0
    shared = bool(config.shared_negatives)  # only skip-gram with NS uses it

    def alpha_at(done: int) -> float:
        return a0 - (a0 - a1) * (done / total)

    def job(epoch: int, c: int):
        s, e = bounds[c], bounds[c + 1]
        done = epoch * n
        return train_chunk(ids, offsets, s, e, syn0, syn1, keep, prob, alias, codes, points, lengths, sig, logsig,
                           sg, hs, negative, int(config.window), bool(config.reduced_window),
                           alpha_at(done + s), alpha_at(done + e), _chunk_seed(config.seed, epoch, c),
                           shared)

    bar = _progress_bar(progress, config.epochs * n_chunks)
    epoch_losses: list[float] = []
    kept_total = 0
    pairs_total = 0
    t0 = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    try:
        for epoch in range(config.epochs):
            if pool is None:
                results = []
                for c in range(n_chunks):
                    results.append(job(epoch, c))
                    if bar is not None:
                        bar.update(1)
            else:
                futures = [pool.submit(job, epoch, c) for c in range(n_chunks)]
                results = []
                for f in futures:
                    results.append(f.result())
                    if bar is not None:
                        bar.update(1)
            loss = sum(r[0] for r in results)
            examples = sum(r[1] for r in results)
            kept_total += sum(r[2] for r in results)
            pairs_total += sum(r[3] for r in results)
            epoch_losses.append(float(loss / examples) if examples else float("nan"))
            if bar is not None:
                bar.set_postfix(epoch=epoch + 1, loss=f"{epoch_losses[-1]:.4f}")
            if callback is not None:
                callback(epoch, epoch_losses[-1], None)
    finally:
        if pool is not None:
            pool.shutdown()
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0
    return _result(config, syn0, syn1, epoch_losses, seconds, "cpu", n, kept_total, pairs_total)


def _result(config, syn0, syn1, losses, seconds, device, n, kept, pairs) -> TrainResult:
    hs = config.loss == "hs"
    return TrainResult(
        input_vectors=syn0, output_vectors=None if hs else syn1, epoch_losses=losses, seconds=seconds,
        device=device, words=int(n) * config.epochs, effective_words=int(kept), pairs=int(pairs),
        extra_tensors={"hs.weight": syn1} if hs else {},
    )


def _progress_bar(progress: bool, total: int):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, desc="word2vec", unit="chunk", leave=False)


__all__ = ["train_word2vec", "warm_up", "chunk_bounds"]
