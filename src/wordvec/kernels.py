"""The CPU hot loop: numba-compiled Hogwild kernels for skip-gram / CBOW x negative sampling / hierarchical softmax.

The approach of word2vec.c and gensim's Cython: plain SGD, one (centre, context) example at a time, updating the
shared weight matrices in place without locks ("Hogwild"); several threads each run a kernel on their own slice of
the corpus with the GIL released (`nogil=True`). One kernel call trains one *chunk*: a token range of the encoded
corpus (document boundaries come from the offsets; windows never cross them). Inside a call, everything that
word2vec does per token happens in compiled code: subsampling, the reduced window, negative draws (alias table),
the sigmoid (table lookup) and the updates, with the learning rate decaying linearly across the chunk.
Skip-gram with negative sampling can instead share one negative draw per centre word across its context words
(Ji et al. 2016, `shared_negatives`): k+1 output-row loads and k draws per centre word instead of per pair.

Randomness is a xorshift64* stream seeded per chunk, so a chunk's draws do not depend on which thread runs it.

`cache=True` stores the compiled machine code next to this file, so only the first run pays the JIT compile.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EXP_TABLE_SIZE = 1000
MAX_EXP = 6.0


def sigmoid_tables() -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(x) and log(sigmoid(x)) sampled on [-MAX_EXP, MAX_EXP) (word2vec.c's EXP_TABLE)."""
    x = (np.arange(EXP_TABLE_SIZE, dtype=np.float64) / EXP_TABLE_SIZE * 2.0 - 1.0) * MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    return sig.astype(np.float32), np.log(sig).astype(np.float32)


_SCALE = EXP_TABLE_SIZE / MAX_EXP / 2.0
_LOG_TINY = np.float32(np.log(1.0 / (1.0 + np.exp(MAX_EXP))))  # log sigmoid(-MAX_EXP), loss floor outside the table


@njit(cache=True, nogil=True, inline="always")
def _rand(state):
    """xorshift64*: returns (new state, 64-bit random)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, state * np.uint64(2685821657736338717)


@njit(cache=True, nogil=True, inline="always")
def _uniform(r):
    """A float in [0, 1) from the top 24 bits of a 64-bit random."""
    return np.float32(r >> np.uint64(40)) * np.float32(1.0 / 16777216.0)


@njit(cache=True, nogil=True, inline="always")
def _sig_grad(f, label, sig, logsig):
    """(label - sigmoid(f), loss); outside [-MAX_EXP, MAX_EXP] the sigmoid is saturated and, as in gensim, the
    example makes no update (the loss is still counted)."""
    if f >= MAX_EXP:
        return np.float32(0.0), (np.float32(0.0) if label > 0.5 else -_LOG_TINY + f - MAX_EXP)
    if f <= -MAX_EXP:
        return np.float32(0.0), (-_LOG_TINY - f - MAX_EXP if label > 0.5 else np.float32(0.0))
    i = int((f + MAX_EXP) * _SCALE)
    if label > 0.5:
        return label - sig[i], -logsig[i]
    return label - sig[i], -logsig[EXP_TABLE_SIZE - 1 - i]


@njit(cache=True, nogil=True, inline="always")
def _draw_negative(state, prob, alias, n):
    state, r = _rand(state)
    i = np.int64((r >> np.uint64(32)) % np.uint64(n))
    if _uniform(r << np.uint64(32)) >= prob[i]:
        i = alias[i]
    return state, i


@njit(cache=True, nogil=True, inline="always")
def _sg_ns_shared(buf, i, lo, hi, syn0, syn1, out_rows, out_grad, targets, grads, negative, state, prob, alias,
                  n_vocab, alpha, sig, logsig):
    """Skip-gram NS for one centre word, Ji et al. 2016: the `negative` noise words are drawn once and shared by
    all context words buf[lo:hi] (less i). The k+1 output rows are copied to `out_rows` and stay at their old
    values while every context row is scored against them; each context row gets its update right after its own
    k+1 gradients (so it is read once), the output rows get the summed update at the end. Returns (state, loss)."""
    dim = syn0.shape[1]
    centre = buf[i]
    targets[0] = centre
    for q in range(1, negative + 1):
        state, targets[q] = _draw_negative(state, prob, alias, n_vocab)
    for q in range(negative + 1):
        t = targets[q]
        for k in range(dim):
            out_rows[q, k] = syn1[t, k]
            out_grad[q, k] = 0.0
    loss = 0.0
    for j in range(lo, hi):
        if j == i:
            continue
        ctx = buf[j]
        for q in range(negative + 1):
            if q > 0 and targets[q] == centre:
                grads[q] = 0.0
                continue
            f = np.float32(0.0)
            for k in range(dim):
                f += syn0[ctx, k] * out_rows[q, k]
            g, l = _sig_grad(f, np.float32(1.0) if q == 0 else np.float32(0.0), sig, logsig)
            loss += l
            grads[q] = g * alpha
        for q in range(negative + 1):
            g = grads[q]
            for k in range(dim):
                out_grad[q, k] += g * syn0[ctx, k]
        for q in range(negative + 1):
            g = grads[q]
            for k in range(dim):
                syn0[ctx, k] += g * out_rows[q, k]
    for q in range(negative + 1):
        if q > 0 and targets[q] == centre:
            continue
        t = targets[q]
        for k in range(dim):
            syn1[t, k] += out_grad[q, k]
    return state, loss


@njit(cache=True, nogil=True, fastmath=True)
def train_chunk(ids, offsets, start, stop, syn0, syn1, keep, prob, alias, codes, points, lengths,
                sig, logsig, sg, hs, negative, window, reduced_window, alpha0, alpha1, seed, shared_negatives):
    """Train on tokens ids[start:stop] (documents cut by `offsets`); returns (loss sum, examples, kept words, pairs).

    syn0: input vectors (V, E). syn1: output vectors — syn1neg (V, E) for negative sampling or the inner-node
    vectors (V-1, E) for hierarchical softmax. sg: 1 skip-gram, 0 CBOW (mean of the context). The learning rate
    goes linearly from alpha0 at the first token to alpha1 at the last. An *example* is one (context -> centre)
    pair for skip-gram, one centre word for CBOW; the loss is summed over examples. shared_negatives (skip-gram
    with NS only): draw the negatives once per centre word and share them across its context words (Ji et al.
    2016, see `_sg_ns_shared`) instead of fresh draws per pair.
    """
    n_vocab = syn0.shape[0]
    dim = syn0.shape[1]
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E109)
    if state == 0:
        state = np.uint64(1)
    neu1 = np.empty(dim, dtype=np.float32)
    work = np.empty(dim, dtype=np.float32)
    buf = np.empty(stop - start, dtype=np.int32)
    shared = sg != 0 and hs == 0 and shared_negatives
    n_out = negative + 1 if shared else 1
    out_rows = np.empty((n_out, dim), dtype=np.float32)
    out_grad = np.empty((n_out, dim), dtype=np.float32)
    targets = np.empty(n_out, dtype=np.int64)
    grads = np.empty(n_out, dtype=np.float32)
    loss = 0.0
    examples = 0
    kept_words = 0
    pairs = 0
    total = max(stop - start, 1)
    # first document touching [start, stop)
    d = np.searchsorted(offsets, start, side="right") - 1
    n_docs = offsets.shape[0] - 1
    while d < n_docs and offsets[d] < stop:
        a = max(offsets[d], start)
        b = min(offsets[d + 1], stop)
        d += 1
        if b <= a:
            continue
        # subsample this document's tokens into buf[0:m]
        m = 0
        for t in range(a, b):
            w = ids[t]
            kp = keep[w]
            if kp < 1.0:
                state, r = _rand(state)
                if _uniform(r) >= kp:
                    continue
            buf[m] = w
            m += 1
        kept_words += m
        alpha = np.float32(alpha0 + (alpha1 - alpha0) * ((a - start) / total))
        for i in range(m):
            if reduced_window:
                state, r = _rand(state)
                win = 1 + np.int64((r >> np.uint64(33)) % np.uint64(window))
            else:
                win = window
            lo = max(0, i - win)
            hi = min(m, i + win + 1)
            centre = buf[i]
            if shared:
                count = hi - lo - 1
                if count <= 0:
                    continue
                pairs += count
                examples += count
                state, l = _sg_ns_shared(buf, i, lo, hi, syn0, syn1, out_rows, out_grad, targets, grads,
                                         negative, state, prob, alias, n_vocab, alpha, sig, logsig)
                loss += l
            elif sg:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    ctx = buf[j]
                    pairs += 1
                    examples += 1
                    for k in range(dim):
                        work[k] = 0.0
                    if hs:
                        for p in range(lengths[centre]):
                            node = points[centre, p]
                            f = np.float32(0.0)
                            for k in range(dim):
                                f += syn0[ctx, k] * syn1[node, k]
                            g, l = _sig_grad(f, np.float32(1.0 - codes[centre, p]), sig, logsig)
                            loss += l
                            g *= alpha
                            for k in range(dim):
                                work[k] += g * syn1[node, k]
                                syn1[node, k] += g * syn0[ctx, k]
                    else:
                        for q in range(negative + 1):
                            if q == 0:
                                target = centre
                                label = np.float32(1.0)
                            else:
                                state, target = _draw_negative(state, prob, alias, n_vocab)
                                if target == centre:
                                    continue
                                label = np.float32(0.0)
                            f = np.float32(0.0)
                            for k in range(dim):
                                f += syn0[ctx, k] * syn1[target, k]
                            g, l = _sig_grad(f, label, sig, logsig)
                            loss += l
                            g *= alpha
                            for k in range(dim):
                                work[k] += g * syn1[target, k]
                                syn1[target, k] += g * syn0[ctx, k]
                    for k in range(dim):
                        syn0[ctx, k] += work[k]
            else:
                count = hi - lo - 1
                if count <= 0:
                    continue
                pairs += count
                examples += 1
                for k in range(dim):
                    neu1[k] = 0.0
                    work[k] = 0.0
                for j in range(lo, hi):
                    if j != i:
                        ctx = buf[j]
                        for k in range(dim):
                            neu1[k] += syn0[ctx, k]
                inv = np.float32(1.0 / count)
                for k in range(dim):
                    neu1[k] *= inv
                if hs:
                    for p in range(lengths[centre]):
                        node = points[centre, p]
                        f = np.float32(0.0)
                        for k in range(dim):
                            f += neu1[k] * syn1[node, k]
                        g, l = _sig_grad(f, np.float32(1.0 - codes[centre, p]), sig, logsig)
                        loss += l
                        g *= alpha
                        for k in range(dim):
                            work[k] += g * syn1[node, k]
                            syn1[node, k] += g * neu1[k]
                else:
                    for q in range(negative + 1):
                        if q == 0:
                            target = centre
                            label = np.float32(1.0)
                        else:
                            state, target = _draw_negative(state, prob, alias, n_vocab)
                            if target == centre:
                                continue
                            label = np.float32(0.0)
                        f = np.float32(0.0)
                        for k in range(dim):
                            f += neu1[k] * syn1[target, k]
                        g, l = _sig_grad(f, label, sig, logsig)
                        loss += l
                        g *= alpha
                        for k in range(dim):
                            work[k] += g * syn1[target, k]
                            syn1[target, k] += g * neu1[k]
                for j in range(lo, hi):
                    if j != i:
                        ctx = buf[j]
                        for k in range(dim):
                            syn0[ctx, k] += work[k]
    return loss, examples, kept_words, pairs


@njit(cache=True, nogil=True)
def sample_noise(prob, alias, n_draws, seed):
    """`n_draws` negatives drawn exactly as the training kernel draws them (for tests of the noise distribution)."""
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E109)
    out = np.empty(n_draws, dtype=np.int64)
    n = prob.shape[0]
    for i in range(n_draws):
        state, out[i] = _draw_negative(state, prob, alias, n)
    return out
__all__ = ["train_chunk", "sample_noise", "sigmoid_tables", "EXP_TABLE_SIZE", "MAX_EXP"]
