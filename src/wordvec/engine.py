"""The word2vec engine: skip-gram / CBOW with negative sampling or hierarchical softmax, gensim's recipe.

`train_word2vec(config, vocab, encoded)` is the one entry point. Two backends share the recipe (subsampling with
word2vec.c's formula redrawn every epoch, a reduced window drawn uniformly in 1..window per centre word, noise
proportional to count**ns_exponent, a Huffman tree for hs, the learning rate decaying linearly from `lr` to `min_lr`
over all epochs, input vectors uniform in +-0.5/vector_size and output vectors zero):

* ``numba`` (CPU; the default there): compiled Hogwild SGD kernels (`wordvec.kernels`), one example at a time,
  as word2vec.c and gensim do, on `threads` Python threads that release the GIL. The corpus is cut into chunks of
  tokens; each chunk has its own random stream (seeded from seed, epoch and chunk index) and its own slice of the
  learning-rate schedule, so with ``threads=1`` results are bit-identical for the same seed. With more threads the
  chunks interleave and update the shared matrices without locks (racy by design, like gensim's workers): the
  result differs from run to run in the last digits, not in quality.
* ``torch`` (any device; always used on CUDA): batches of `batch_size` centre words are cut out of the subsampled
  token array on the device, their contexts/negatives/tree paths gathered as tensors, the sigmoid gradients
  computed in closed form and applied with `index_add_` (sparse minibatch SGD, no autograd); a row hit several
  times in one batch moves by the mean of its updates (see `_averaged_add`), so smaller batches learn faster per
  epoch. Deterministic on CPU for the same seed; on CUDA `index_add_` sums in a nondeterministic order.

Pairs are never materialised for the whole corpus: the corpus is one int32 id array plus document offsets.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .config import Config
from .errors import WordvecError
from .train import TrainResult
from .vocab import Encoded, Vocab, alias_table, huffman_tree, keep_probabilities, noise_distribution


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


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda' when a GPU is visible, else 'cpu'; a CUDA request without a GPU is an error."""
    from .train import resolve_device as _resolve

    return str(_resolve(device))


def _init_vectors(config: Config, n_words: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """gensim's initialisation: input uniform in [-1, 1)/dim (word2vec.c uses half that), output zero."""
    rng = np.random.default_rng(config.seed)
    dim = config.vector_size
    syn0 = ((rng.random((n_words, dim), dtype=np.float32) * 2.0 - 1.0) / dim).astype(np.float32)
    syn1 = np.zeros((n_out, dim), dtype=np.float32)
    return syn0, syn1


def _chunk_seed(seed: int, epoch: int, chunk: int) -> int:
    return (seed * 0x9E3779B1 + epoch * 0x85EBCA77 + chunk * 0xC2B2AE3D + 0x27D4EB2F) % (2 ** 63)


def train_word2vec(config: Config, vocab: Vocab, encoded: Encoded, progress: bool = True) -> TrainResult:
    """Train skip-gram or CBOW (mean, or sum with cbow_mean=False) with negative sampling, hierarchical softmax or
    both heads (both_heads); see the module doc.

    Returns a TrainResult: input_vectors (syn0), output_vectors (syn1neg; None for hs alone), the hs inner-node
    vectors (syn1) in extra_tensors['hs.weight'], the mean loss per example for each epoch, wall seconds, and counts:
    words = in-vocabulary tokens x epochs (before subsampling), effective_words = tokens kept by subsampling,
    pairs = (centre, context) pairs trained.
    """
    _check(config, vocab, encoded)
    device = resolve_device(config.device)
    backend = config.backend
    if device.startswith("cuda") or backend == "torch":
        if config.both_heads or not config.cbow_mean:
            raise WordvecError("both_heads and cbow_mean=False are trained by the numba CPU kernels only; "
                               "use --device cpu --backend numba (or auto)")
        return _train_torch(config, vocab, encoded, device, progress)
    return _train_numba(config, vocab, encoded, progress)


# --- numba / Hogwild ----------------------------------------------------------------------------------------------

def _heads(config: Config) -> tuple[int, int]:
    """(hs, negative) as the kernels take them: hierarchical softmax on/off, noise words (0: no ns head)."""
    hs = 1 if config.loss == "hs" else 0
    negative = int(config.negative) if (not hs or config.both_heads) else 0
    return hs, negative


def _tables(config: Config, vocab: Vocab):
    """keep-probabilities, the Huffman paths (codes, points, lengths, inner-node count; hs) and the noise alias
    table (prob, alias; ns). A head that does not train gets one-element placeholders and 0 rows."""
    keep = keep_probabilities(vocab.counts, config.sample)
    hs, negative = _heads(config)
    if hs:
        tree = huffman_tree(vocab.counts)
        codes, points, lengths, n_inner = tree.codes, tree.points, tree.lengths, tree.n_inner
    else:
        codes, points, lengths, n_inner = (np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32),
                                            np.zeros(1, np.int32), 0)
    if negative:
        prob, alias = alias_table(noise_distribution(vocab.counts, config.ns_exponent))
    else:
        prob, alias = np.ones(1, np.float32), np.zeros(1, np.int32)
    return keep, codes, points, lengths, n_inner, prob, alias


def warm_up(config: Config | None = None) -> None:
    """Compile (or load from numba's on-disk cache) the kernel `config` will run, by training a three-word corpus
    through the same code path, so timings exclude the JIT. Without a config, every kernel."""
    configs = [config] if config is not None else [Config(model="skipgram"), Config(model="cbow")]
    counts = np.array([3, 3, 2])
    vocab = Vocab(["a", "b", "c"], counts)
    encoded = Encoded(np.array([0, 1, 2, 1, 0, 2, 1, 0], dtype=np.int32), np.array([0, 4, 8], dtype=np.int64))
    for c in configs:
        if c.model in ("skipgram", "cbow") and c.loss in ("ns", "hs"):
            _train_numba(c.replace(epochs=1, threads=1, vector_size=4), vocab, encoded, progress=False)


def chunk_bounds(offsets: np.ndarray, chunk: int) -> list[int]:
    """Token positions cutting the corpus into jobs of about `chunk` tokens, at document starts where one is near
    (within half a chunk); only a document longer than that is split (windows are then cut at the split, as gensim
    cuts sentences at 10,000 words)."""
    n = int(offsets[-1])
    targets = np.arange(chunk, n, chunk, dtype=np.int64)
    nxt = offsets[np.minimum(np.searchsorted(offsets, targets), len(offsets) - 1)]
    cuts = np.where(nxt - targets < chunk // 2, nxt, targets)
    return sorted({0, n, *[int(c) for c in cuts if 0 < c < n]})


def _train_numba(config: Config, vocab: Vocab, encoded: Encoded, progress: bool) -> TrainResult:
    from .kernels import kernel_for

    threads = config.threads or os.cpu_count() or 1
    keep, codes, points, lengths, n_inner, prob, alias = _tables(config, vocab)
    hs, negative = _heads(config)
    # syn0 first, from the seed; then the output matrix of config.loss (zeros), then the second head's (zeros)
    syn0, out = _init_vectors(config, len(vocab), n_inner if hs else len(vocab))
    placeholder = np.zeros((1, 1), np.float32)
    syn1 = out if hs else placeholder
    syn1neg = (np.zeros_like(syn0) if hs else out) if negative else placeholder
    ids = np.ascontiguousarray(encoded.ids, dtype=np.int32)
    offsets = np.ascontiguousarray(encoded.offsets, dtype=np.int64)
    n = len(ids)
    chunk = int(min(100_000, max(10_000, n // (8 * threads))))
    bounds = chunk_bounds(offsets, chunk)
    n_chunks = len(bounds) - 1
    total = n * config.epochs
    a0, a1 = float(config.lr), float(config.min_lr)
    kernel = kernel_for(config.model == "skipgram")

    def alpha_at(done: int) -> float:
        return a0 - (a0 - a1) * (done / total)

    def job(epoch: int, c: int):
        s, e = bounds[c], bounds[c + 1]
        done = epoch * n
        return kernel(ids, offsets, s, e, syn0, syn1, codes, points, lengths, syn1neg, prob, alias, keep, hs, negative,
                      int(config.window), bool(config.reduced_window), alpha_at(done + s), alpha_at(done + e),
                      _chunk_seed(config.seed, epoch, c), bool(config.shared_negatives), bool(config.cbow_mean))

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
    finally:
        if pool is not None:
            pool.shutdown()
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0
    return _result(config, syn0, out, epoch_losses, seconds, "cpu", n, kept_total, pairs_total,
                   syn1neg=syn1neg if hs and negative else None)


def _result(config, syn0, out, losses, seconds, device, n, kept, pairs, syn1neg=None) -> TrainResult:
    """`out` is the output matrix of config.loss: syn1neg for 'ns', the inner-node vectors for 'hs' (saved as
    hs.weight); with both heads, `syn1neg` is the negative-sampling one and becomes the output vectors."""
    hs = config.loss == "hs"
    return TrainResult(
        input_vectors=syn0, output_vectors=syn1neg if hs else out, epoch_losses=losses, seconds=seconds,
        device=device, words=int(n) * config.epochs, effective_words=int(kept), pairs=int(pairs),
        extra_tensors={"hs.weight": out} if hs else {},
    )


def _progress_bar(progress: bool, total: int):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, desc="word2vec", unit="chunk", leave=False)


# --- torch, batched ------------------------------------------------------------------------------------------------

def _train_torch(config: Config, vocab: Vocab, encoded: Encoded, device: str, progress: bool) -> TrainResult:
    import torch

    from .models import Word2VecWeights

    dev = torch.device(device)
    threads = config.threads or os.cpu_count() or 1
    old_threads = torch.get_num_threads()
    if dev.type == "cpu":
        torch.set_num_threads(threads)
    try:
        return _torch_loop(config, vocab, encoded, dev, progress, Word2VecWeights)
    finally:
        torch.set_num_threads(old_threads)


def _averaged_add(weight, index, updates, n_rows) -> None:
    """weight[i] += mean of the updates aimed at row i in this batch.

    Summing them instead (what one-at-a-time SGD approximates) diverges when a row is hit hundreds of times in one
    batch (a frequent word, the Huffman root, a tiny vocabulary): the summed step is no longer small. Averaging
    keeps every step the size of one SGD step, so any batch size is stable.
    """
    hits = torch_bincount(index, n_rows)
    weight.index_add_(0, index, updates / hits[index].unsqueeze(1))


def torch_bincount(index, n_rows):
    import torch

    return torch.bincount(index, minlength=n_rows).clamp_(min=1).to(torch.float32)


def _torch_loop(config, vocab, encoded, dev, progress, Word2VecWeights) -> TrainResult:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(config.seed)
    gen = torch.Generator(device=dev).manual_seed(config.seed)
    v, dim, window = len(vocab), config.vector_size, int(config.window)
    hs = config.loss == "hs"
    sg = config.model == "skipgram"
    keep_np = keep_probabilities(vocab.counts, config.sample)
    if hs:
        tree = huffman_tree(vocab.counts)
        n_out = tree.n_inner
        points = torch.from_numpy(tree.points.astype(np.int64)).to(dev)
        labels_hs = torch.from_numpy(1.0 - tree.codes.astype(np.float32)).to(dev)
        path_mask = (torch.arange(tree.codes.shape[1])[None, :] < torch.from_numpy(tree.lengths)[:, None]).to(dev)
    else:
        n_out = v
        prob_np, alias_np = alias_table(noise_distribution(vocab.counts, config.ns_exponent))
        prob = torch.from_numpy(prob_np).to(dev)
        alias = torch.from_numpy(alias_np.astype(np.int64)).to(dev)
    syn0_np, syn1_np = _init_vectors(config, v, n_out)
    weights = Word2VecWeights(torch.from_numpy(syn0_np), torch.from_numpy(syn1_np)).to(dev)
    syn0, syn1 = weights.input.weight.data, weights.output.weight.data
    keep = torch.from_numpy(keep_np).to(dev)
    ids = torch.from_numpy(encoded.ids).to(dev)
    lengths = torch.from_numpy(np.diff(encoded.offsets)).to(dev)
    doc = torch.repeat_interleave(torch.arange(encoded.n_docs, device=dev, dtype=torch.int32), lengths)
    n = len(encoded)
    total = n * config.epochs
    a0, a1 = float(config.lr), float(config.min_lr)
    bsz = int(config.batch_size)
    offs = torch.cat([torch.arange(-window, 0, device=dev), torch.arange(1, window + 1, device=dev)])
    dist = offs.abs()
    k = int(config.negative)

    def negatives(shape):
        i = torch.randint(0, v, shape, device=dev, generator=gen)
        u = torch.rand(shape, device=dev, generator=gen)
        return torch.where(u < prob[i], i, alias[i])

    epoch_losses: list[float] = []
    kept_total = 0
    pairs_total = 0
    bar = None
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    t0 = time.perf_counter()
    with torch.no_grad():
        for epoch in range(config.epochs):
            if config.sample > 0:
                mask = torch.rand(n, device=dev, generator=gen) < keep[ids.long()]
                kept, kdoc = ids[mask].long(), doc[mask]
            else:
                kept, kdoc = ids.long(), doc
            m = int(kept.shape[0])
            kept_total += m
            loss_sum = torch.zeros((), device=dev, dtype=torch.float64)
            examples = 0
            n_batches = (m + bsz - 1) // bsz
            bar = _progress_bar(progress, n_batches)
            for s in range(0, m, bsz):
                e = min(m, s + bsz)
                pos = torch.arange(s, e, device=dev)
                centre = kept[s:e]
                q = pos[:, None] + offs[None, :]
                qc = q.clamp(0, m - 1)
                valid = (q >= 0) & (q < m) & (kdoc[qc] == kdoc[s:e, None])
                if config.reduced_window:
                    b = torch.randint(1, window + 1, (e - s, 1), device=dev, generator=gen)
                    valid &= dist[None, :] <= b
                ctx = kept[qc]
                frac = (epoch * n + (s + e) / 2 * n / max(m, 1)) / total
                alpha = a0 - (a0 - a1) * frac
                if sg:
                    rows, cols = valid.nonzero(as_tuple=True)
                    inp = ctx[rows, cols]  # context word predicts the centre word (word2vec.c's order)
                    tgt_word = centre[rows]
                    pairs_total += int(inp.shape[0])
                    examples += int(inp.shape[0])
                    vin = syn0[inp]
                else:
                    count = valid.sum(1)
                    has = count > 0
                    validf = valid.to(syn0.dtype)
                    vin = (syn0[ctx] * validf[..., None]).sum(1) / count.clamp(min=1)[:, None].to(syn0.dtype)
                    tgt_word = centre
                    pairs_total += int(count.sum())
                    examples += int(has.sum())
                if hs:
                    targets = points[tgt_word]
                    labels = labels_hs[tgt_word]
                    weight = path_mask[tgt_word].to(syn0.dtype)
                else:
                    negs = negatives((tgt_word.shape[0], k))
                    targets = torch.cat([tgt_word[:, None], negs], 1)
                    labels = torch.zeros(targets.shape, device=dev, dtype=syn0.dtype)
                    labels[:, 0] = 1.0
                    weight = torch.ones(targets.shape, device=dev, dtype=syn0.dtype)
                    weight[:, 1:] = (negs != tgt_word[:, None]).to(syn0.dtype)
                if not sg:
                    weight = weight * has[:, None].to(syn0.dtype)
                vout = syn1[targets]
                f = torch.einsum("be,bke->bk", vin, vout)
                sign = 2.0 * labels - 1.0
                loss_sum += (-F.logsigmoid(sign * f) * weight).sum().double()
                g = (labels - torch.sigmoid(f)) * weight * alpha
                grad_in = torch.einsum("bk,bke->be", g, vout)
                grad_out = g[..., None] * vin[:, None, :]
                _averaged_add(syn1, targets.reshape(-1), grad_out.reshape(-1, dim), n_out)
                if sg:
                    _averaged_add(syn0, inp, grad_in, v)
                else:
                    r, c = valid.nonzero(as_tuple=True)
                    _averaged_add(syn0, ctx[r, c], grad_in[r], v)
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
            epoch_losses.append(float(loss_sum) / examples if examples else float("nan"))
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    seconds = time.perf_counter() - t0
    where = str(dev) if dev.type == "cpu" else f"cuda:{dev.index or 0}"
    return _result(config, syn0.cpu().numpy().copy(), syn1.cpu().numpy().copy(), epoch_losses, seconds, where, n,
                   kept_total, pairs_total)


__all__ = ["train_word2vec", "warm_up", "resolve_device"]
