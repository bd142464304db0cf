"""The skip-gram / CBOW recipe as batched tensor operations: the backend for CUDA (and `--backend torch` on CPU).

Batches of `batch_size` centre words are cut out of the subsampled token array on the device; their contexts,
negatives and Huffman paths are gathered as tensors, the sigmoid gradients computed in closed form and applied
with `index_add_` (sparse minibatch SGD, no autograd). A row hit several times in one batch moves by the mean of
its updates (`_averaged_add`), so any batch size is stable, and smaller batches learn faster per epoch.
Deterministic on CPU for the same seed; on CUDA `index_add_` sums in a nondeterministic order.

The recipe (subsampling, reduced window, noise distribution, Huffman tree, linear learning-rate decay, gensim's
initialisation) is the one `wordvec.engine` documents; this module only changes how it is executed.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .config import Config
from .vocab import Encoded, Vocab, alias_table, huffman_tree, keep_probabilities, noise_distribution
from .weights import TrainResult, init_vectors


def train_torch(config: Config, vocab: Vocab, encoded: Encoded, device: str, progress: bool = False,
                callback=None) -> TrainResult:
    """Train `config` (skipgram/cbow, ns/hs) on `device`; `callback(epoch, loss, None)` after every epoch."""
    dev = torch.device(device)
    threads = config.threads or os.cpu_count() or 1
    old_threads = torch.get_num_threads()
    if dev.type == "cpu":
        torch.set_num_threads(threads)
    try:
        return _loop(config, vocab, encoded, dev, progress, callback)
    finally:
        torch.set_num_threads(old_threads)


def _averaged_add(weight, index, updates, n_rows) -> None:
    """weight[i] += mean of the updates aimed at row i in this batch.

    Summing them instead (what one-at-a-time SGD approximates) diverges when a row is hit hundreds of times in one
    batch (a frequent word, the Huffman root, a tiny vocabulary): the summed step is no longer small. Averaging
    keeps every step the size of one SGD step, so any batch size is stable.
    """
    hits = torch.bincount(index, minlength=n_rows).clamp_(min=1).to(weight.dtype)
    weight.index_add_(0, index, updates / hits[index].unsqueeze(1))


def _progress_bar(progress: bool, total: int):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="word2vec", unit="batch", leave=False)


def _loop(config, vocab, encoded, dev, progress, callback) -> TrainResult:
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
    syn0_np, syn1_np = init_vectors(config.seed, v, n_out, dim)
    syn0, syn1 = torch.from_numpy(syn0_np).to(dev), torch.from_numpy(syn1_np).to(dev)
    keep = torch.from_numpy(keep_np).to(dev)
    ids = torch.from_numpy(np.ascontiguousarray(encoded.ids)).to(dev)
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
            bar = _progress_bar(progress, (m + bsz - 1) // bsz)
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
            if callback is not None:
                callback(epoch, epoch_losses[-1], None)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    seconds = time.perf_counter() - t0
    where = "cpu" if dev.type == "cpu" else f"cuda:{dev.index or 0}"
    syn0_out, syn1_out = syn0.cpu().numpy().copy(), syn1.cpu().numpy().copy()
    return TrainResult(
        input_vectors=syn0_out, output_vectors=None if hs else syn1_out, epoch_losses=epoch_losses,
        seconds=seconds, device=where, words=n * config.epochs, effective_words=int(kept_total),
        pairs=int(pairs_total), extra_tensors={"hs.weight": syn1_out} if hs else {},
    )


__all__ = ["train_torch"]
