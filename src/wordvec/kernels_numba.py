"""The numba implementation of the CPU kernels: the fallback where the C extension (`wordvec._kernels`) was not
built, or when WORDVEC_KERNELS=numba asks for it. `wordvec.kernels` documents the algorithm and the arguments and
picks the implementation; this module is imported only then, so a process that trains with the C kernels never
loads numba (libLLVM) or scipy (which numba's first call imports).

The code is cut the way gensim's and fastText's loops are: one small helper per concern (`_subsample`,
`_window`, `_ns_update`, `_hs_update`, `_ns_shared` / `_ns_shared_subword` for shared negatives, `_cbow_combine` /
`_cbow_scatter`), inlined by numba into one entry point per architecture (`train_skipgram`, `train_cbow`);
numba compiles (or loads from its cache) only the one that is called.

Why the helpers look the way they do: numba adds a reference-count increment and decrement (atomic operations,
on counters that the threads share) for every array handed to an inlined function, and removes the pair only when
nothing between them may release an array: no nested helper that takes arrays, no exception path. A per-example
helper that kept them was measurably slower than the hand-inlined loop. So the sigmoid tables are module constants
(`_sig_grad` takes scalars), a noise draw returns the alias-table bucket and lets the caller read `prob` /
`alias`, the entry points use error_model="numpy" (no ZeroDivisionError path in `%`), and the shared-negatives
helper handles a whole window per call. For the same reason each architecture has its own loop over documents and
centre words rather than one driver with an architecture flag: a per-centre-word helper would bring the counts
back, and a flag would make numba type and compile both architectures into each entry point.

`cache=True` stores the compiled machine code on disk, so only the first run pays the JIT compile: under
NUMBA_CACHE_DIR when that is set, else in `__pycache__` next to this file, else (a read-only site-packages) in the
user's cache directory (~/.cache/numba).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernel_args import ARRAYS, SIGNATURE, bind

EXP_TABLE_SIZE = 1000
MAX_EXP = 6.0


def sigmoid_tables() -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(x) and log(sigmoid(x)) sampled on [-MAX_EXP, MAX_EXP) (word2vec.c's EXP_TABLE)."""
    x = (np.arange(EXP_TABLE_SIZE, dtype=np.float64) / EXP_TABLE_SIZE * 2.0 - 1.0) * MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    return sig.astype(np.float32), np.log(sig).astype(np.float32)


_SCALE = EXP_TABLE_SIZE / MAX_EXP / 2.0
_LOG_TINY = np.float32(np.log(1.0 / (1.0 + np.exp(MAX_EXP))))  # log sigmoid(-MAX_EXP), loss floor outside the table
_SIG, _LOGSIG = sigmoid_tables()  # numba freezes global arrays into the compiled code as constants


# --- random numbers ----------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _seed_state(seed):
    """The xorshift64* state for a chunk seed (never 0, where xorshift would stay)."""
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E109)
    if state == 0:
        state = np.uint64(1)
    return state


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
def _alias_draw(state, n):
    """One draw for the alias method: (state, bucket i uniform in [0, n), u uniform in [0, 1)); the noise word is
    i if u < prob[i] else alias[i], read by the caller."""
    state, r = _rand(state)
    return state, np.int64((r >> np.uint64(32)) % np.uint64(n)), _uniform(r << np.uint64(32))


# --- per-token helpers -------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _subsample(ids, a, b, keep, buf, state):
    """Copy the tokens ids[a:b] that survive subsampling (kept with probability keep[w]) to buf[0:m]; returns
    (state, m)."""
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
    return state, m


@njit(cache=True, nogil=True, inline="always")
def _window(state, i, m, window, reduced_window):
    """The context span [lo, hi) of position i in a document of m kept words: `window` words each side, or a
    window drawn uniformly in 1..window (word2vec's reduced window); returns (state, lo, hi)."""
    if reduced_window:
        state, r = _rand(state)
        win = 1 + np.int64((r >> np.uint64(33)) % np.uint64(window))
    else:
        win = window
    return state, max(0, i - win), min(m, i + win + 1)


@njit(cache=True, nogil=True, inline="always")
def _sig_grad(f, label):
    """(label - sigmoid(f), loss); outside [-MAX_EXP, MAX_EXP] the sigmoid is saturated and, as in gensim, the
    example makes no update (the loss is still counted). A NaN score (diverged weights) makes no update and a NaN
    loss, which ends the run with the divergence line; it never reaches the table index (NaN cast to int is
    undefined: the kernels are compiled without fastmath's no-NaN assumption for this test)."""
    if not (f > -MAX_EXP and f < MAX_EXP):
        if f >= MAX_EXP:
            return np.float32(0.0), (np.float32(0.0) if label > 0.5 else -_LOG_TINY + f - MAX_EXP)
        if f <= -MAX_EXP:
            return np.float32(0.0), (-_LOG_TINY - f - MAX_EXP if label > 0.5 else np.float32(0.0))
        return np.float32(0.0), f
    i = int((f + MAX_EXP) * _SCALE)
    if label > 0.5:
        return label - _SIG[i], -_LOGSIG[i]
    return label - _SIG[i], -_LOGSIG[EXP_TABLE_SIZE - 1 - i]


# --- one objective for one input vector --------------------------------------------------------------------------
# The input vector is a row of a matrix, inp[row] (syn0[context] for skip-gram, the combined context neu1[0] for
# CBOW): the matrix and the row index, not a row view, so no array is built per example. Each helper adds its input
# gradient to `work` and updates its output rows at once; the caller applies `work`.

@njit(cache=True, nogil=True, inline="always")
def _ns_update(inp, row, syn1neg, word, negative, prob, alias, alpha, work, state, loss):
    """Negative sampling: `word` is the positive target, `negative` noise words are drawn (a draw equal to `word`
    is skipped, as in word2vec.c), and so is one outside the matrix (an alias table not built for it). Returns
    (state, loss, whether a draw fell outside)."""
    dim = inp.shape[1]
    n_vocab = syn1neg.shape[0]
    bad = False
    for q in range(negative + 1):
        if q == 0:
            target = np.int64(word)
            label = np.float32(1.0)
        else:
            state, i, u = _alias_draw(state, n_vocab)
            target = i if u < prob[i] else np.int64(alias[i])
            if target < 0 or target >= n_vocab:
                bad = True
                continue
            if target == word:
                continue
            label = np.float32(0.0)
        f = np.float32(0.0)
        for k in range(dim):
            f += inp[row, k] * syn1neg[target, k]
        g, l = _sig_grad(f, label)
        loss += l
        g *= alpha
        if g == 0.0:  # saturated (or a NaN score): no update, as in the C kernels
            continue
        for k in range(dim):
            work[k] += g * syn1neg[target, k]
            syn1neg[target, k] += g * inp[row, k]
    return state, loss, bad


@njit(cache=True, nogil=True, inline="always")
def _hs_update(inp, row, syn1, codes, points, lengths, word, alpha, work, loss):
    """Hierarchical softmax: one binary decision per inner node on the Huffman path of `word` (label 1 - code).
    A path longer than the table or a node outside syn1 (a tree not built for them) is skipped. Returns (loss,
    whether the tree held such an index)."""
    dim = inp.shape[1]
    length = lengths[word]
    if length < 0 or length > points.shape[1]:
        return loss, True
    bad = False
    for p in range(length):
        node = points[word, p]
        if node < 0 or node >= syn1.shape[0]:
            bad = True
            continue
        f = np.float32(0.0)
        for k in range(dim):
            f += inp[row, k] * syn1[node, k]
        g, l = _sig_grad(f, np.float32(1.0 - codes[word, p]))
        loss += l
        g *= alpha
        if g == 0.0:
            continue
        for k in range(dim):
            work[k] += g * syn1[node, k]
            syn1[node, k] += g * inp[row, k]
    return loss, bad


@njit(cache=True, nogil=True, inline="always")
def _objective(inp, row, word, syn1, codes, points, lengths, syn1neg, hs, negative, prob, alias, alpha, work, state,
               loss):
    """Every head the run trains, for one example predicting `word` from inp[row] (the C kernels' objective table:
    hs, then ns). Returns (state, loss, whether an index fell outside)."""
    bad = False
    if hs:
        loss, h = _hs_update(inp, row, syn1, codes, points, lengths, word, alpha, work, loss)
        bad |= h
    if negative > 0:
        state, loss, h = _ns_update(inp, row, syn1neg, word, negative, prob, alias, alpha, work, state, loss)
        bad |= h
    return state, loss, bad


@njit(cache=True, nogil=True, inline="always")
def _lockf(lockf, w):
    """The factor on word w's input-row update (gensim's vectors_lockf); an empty array: 1 for every word."""
    return lockf[w] if lockf.shape[0] else np.float32(1.0)


@njit(cache=True, nogil=True, inline="always")
def _shared_draw(centre, syn1neg, negative, prob, alias, out_rows, out_grad, targets, state):
    """Shared negatives: the centre and its `negative` noise words in targets, their output rows copied to out_rows
    (they stay at their old values for the window), out_grad zeroed. Returns (state, whether a draw fell outside
    syn1neg)."""
    dim = syn1neg.shape[1]
    targets[0] = centre
    for q in range(1, negative + 1):
        state, j, u = _alias_draw(state, syn1neg.shape[0])
        targets[q] = j if u < prob[j] else alias[j]
        if targets[q] < 0 or targets[q] >= syn1neg.shape[0]:
            return state, True
    for q in range(negative + 1):
        t = targets[q]
        for k in range(dim):
            out_rows[q, k] = syn1neg[t, k]
            out_grad[q, k] = 0.0
    return state, False


@njit(cache=True, nogil=True, inline="always")
def _gather(sub_offsets, sub_rows, syn0, w, neu1):
    """neu1[0] = the mean of word w's input rows (the subword input: its own row and its n-gram buckets)."""
    dim = syn0.shape[1]
    a, b = sub_offsets[w], sub_offsets[w + 1]
    for k in range(dim):
        neu1[0, k] = 0.0
    for r in range(a, b):
        row = sub_rows[r]
        for k in range(dim):
            neu1[0, k] += syn0[row, k]
    inv = np.float32(1.0 / (b - a))
    for k in range(dim):
        neu1[0, k] *= inv


@njit(cache=True, nogil=True, inline="always")
def _scatter(sub_offsets, sub_rows, syn0, w, work, lockf):
    """Add work (times each row's lockf factor) to every input row of word w, unscaled (fastText's update)."""
    dim = syn0.shape[1]
    for r in range(sub_offsets[w], sub_offsets[w + 1]):
        row = sub_rows[r]
        lf = _lockf(lockf, row)
        for k in range(dim):
            syn0[row, k] += lf * work[k]


@njit(cache=True, nogil=True, inline="always")
def _ns_shared(buf, i, lo, hi, syn0, syn1neg, negative, prob, alias, alpha, out_rows, out_grad, targets, grads,
               state, lockf):
    """Skip-gram NS for the window buf[lo:hi] of centre buf[i], Ji et al. 2016: the `negative` noise words are
    drawn once and shared by all its context words. The k+1 output rows are copied to `out_rows` and stay at their
    old values while every context row is scored against them; each context row gets its update right after its
    own k+1 gradients (so it is read once), the output rows get the summed update at the end. A draw outside
    syn1neg skips the window. Returns (state, loss, whether a draw fell outside)."""
    dim = syn0.shape[1]
    centre = buf[i]
    state, bad = _shared_draw(centre, syn1neg, negative, prob, alias, out_rows, out_grad, targets, state)
    if bad:
        return state, 0.0, True
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
            g, l = _sig_grad(f, np.float32(1.0) if q == 0 else np.float32(0.0))
            loss += l
            grads[q] = g * alpha
        for q in range(negative + 1):
            g = grads[q]
            for k in range(dim):
                out_grad[q, k] += g * syn0[ctx, k]
        lf = _lockf(lockf, ctx)
        for q in range(negative + 1):
            g = grads[q]
            for k in range(dim):
                syn0[ctx, k] += lf * (g * out_rows[q, k])
    for q in range(negative + 1):
        if q > 0 and targets[q] == centre:
            continue
        t = targets[q]
        for k in range(dim):
            syn1neg[t, k] += out_grad[q, k]
    return state, loss, False


@njit(cache=True, nogil=True, inline="always")
def _ns_shared_subword(buf, i, lo, hi, syn0, syn1neg, negative, prob, alias, alpha, neu1, work, targets, grads, state,
                       sub_offsets, sub_rows, lockf):
    """Skip-gram with the subword input and shared negatives for the window buf[lo:hi] of centre buf[i] (the C
    kernels' subword_shared_centre): the noise words drawn once; each scored once against the centre's mean input
    at its value when the window starts and counted once per pair whose target it is not; the context words
    trained one after the other; then the noise rows' share of the input gradient (at their values after the
    positives) and their summed updates. A draw outside syn1neg skips the window. Returns (state, loss, whether a
    draw fell outside)."""
    dim = syn0.shape[1]
    n_words = syn1neg.shape[0]
    for q in range(1, negative + 1):
        state, j, u = _alias_draw(state, n_words)
        targets[q] = j if u < prob[j] else alias[j]
        if targets[q] < 0 or targets[q] >= n_words:
            return state, 0.0, True
    _gather(sub_offsets, sub_rows, syn0, buf[i], neu1)
    for k in range(dim):
        work[k] = 0.0
    n_pairs = hi - lo - 1
    loss = 0.0
    for q in range(1, negative + 1):
        t = targets[q]
        count = n_pairs
        for j in range(lo, hi):
            if j != i and buf[j] == t:
                count -= 1
        grads[q] = 0.0
        if count == 0:
            continue
        f = np.float32(0.0)
        for k in range(dim):
            f += neu1[0, k] * syn1neg[t, k]
        g, l = _sig_grad(f, np.float32(0.0))
        grads[q] = np.float32(count) * (g * alpha)
        loss += count * np.float64(l)
    for j in range(lo, hi):
        if j != i:  # the positive target alone: no draw
            state, loss, _ = _ns_update(neu1, 0, syn1neg, buf[j], 0, prob, alias, alpha, work, state, loss)
    for q in range(1, negative + 1):
        g = grads[q]
        if g != 0.0:
            t = targets[q]
            for k in range(dim):
                work[k] += g * syn1neg[t, k]
    for q in range(1, negative + 1):
        g = grads[q]
        if g != 0.0:
            t = targets[q]
            for k in range(dim):
                syn1neg[t, k] += g * neu1[0, k]
    _scatter(sub_offsets, sub_rows, syn0, buf[i], work, lockf)
    return state, loss, False


# --- CBOW: the context in, the error out -------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _cbow_combine(buf, i, lo, hi, syn0, neu1, work, cbow_mean, sub_offsets, sub_rows):
    """neu1[0] = mean (cbow_mean) or sum of the context vectors of position i; zeroes work. With subwords, of all
    the input rows of all the context words (fastText's CBOW: one bag of rows). Returns how many vectors."""
    dim = syn0.shape[1]
    for k in range(dim):
        neu1[0, k] = 0.0
        work[k] = 0.0
    count = hi - lo - 1
    if sub_offsets.shape[0]:
        count = 0
        for j in range(lo, hi):
            if j != i:
                ctx = buf[j]
                for r in range(sub_offsets[ctx], sub_offsets[ctx + 1]):
                    row = sub_rows[r]
                    count += 1
                    for k in range(dim):
                        neu1[0, k] += syn0[row, k]
    else:
        for j in range(lo, hi):
            if j != i:
                ctx = buf[j]
                for k in range(dim):
                    neu1[0, k] += syn0[ctx, k]
    if cbow_mean:
        inv = np.float32(1.0 / count)
        for k in range(dim):
            neu1[0, k] *= inv
    return count


@njit(cache=True, nogil=True, inline="always")
def _cbow_scatter(buf, i, lo, hi, syn0, work, cbow_mean, lockf, count, sub_offsets, sub_rows):
    """Add the error to every context vector (every input row of every context word with subwords). For the sum
    (cbow_mean=0) gensim divides it by the number of vectors summed first (observed with gensim 4); the mean passes
    it on unchanged, as word2vec.c does."""
    dim = syn0.shape[1]
    if not cbow_mean:
        inv = np.float32(1.0 / count)
        for k in range(dim):
            work[k] *= inv
    for j in range(lo, hi):
        if j != i:
            ctx = buf[j]
            if sub_offsets.shape[0]:
                _scatter(sub_offsets, sub_rows, syn0, ctx, work, lockf)
                continue
            lf = _lockf(lockf, ctx)
            for k in range(dim):
                syn0[ctx, k] += lf * work[k]


# --- the compiled loops: one per architecture ---------------------------------------------------------------------
# Both take the arguments of the entry points (wordvec.kernels lists them), checked by `_checked`, and return
# (loss sum, examples, kept words, pairs, whether a Huffman or alias table held an index outside its matrix).
# fastmath without its no-NaN / no-inf assumptions: `_sig_grad` must see a NaN score to keep it out of the table.
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _train_skipgram(ids, offsets, start, stop, syn0, syn1, codes, points, lengths, syn1neg, prob, alias, keep,
                   hs, negative, window, reduced_window, alpha0, alpha1, seed, shared_negatives, cbow_mean, lockf,
                   sub_offsets, sub_rows):
    """Skip-gram on one chunk: each context word of a centre word predicts the centre word (word2vec.c's order)."""
    dim = syn0.shape[1]
    state = _seed_state(seed)
    work = np.empty(dim, dtype=np.float32)
    buf = np.empty(stop - start, dtype=np.int32)
    subs = sub_offsets.shape[0] > 0
    shared = negative > 0 and shared_negatives and not hs
    n_out = negative + 1 if shared else 1
    out_rows = np.empty((n_out, dim), dtype=np.float32)
    out_grad = np.empty((n_out, dim), dtype=np.float32)
    targets = np.empty(n_out, dtype=np.int64)
    grads = np.empty(n_out, dtype=np.float32)
    neu1 = np.empty((1, dim), dtype=np.float32)
    loss = 0.0
    bad = False
    examples = 0
    kept_words = 0
    pairs = 0
    total = max(stop - start, 1)
    d = np.searchsorted(offsets, start, side="right") - 1  # first document touching [start, stop)
    while d < offsets.shape[0] - 1 and offsets[d] < stop:
        a = max(offsets[d], start)
        b = min(offsets[d + 1], stop)
        d += 1
        if b <= a:
            continue
        state, m = _subsample(ids, a, b, keep, buf, state)
        kept_words += m
        alpha = np.float32(alpha0 + (alpha1 - alpha0) * ((a - start) / total))
        for i in range(m):
            state, lo, hi = _window(state, i, m, window, reduced_window)
            if shared:
                count = hi - lo - 1
                if count <= 0:
                    continue
                pairs += count
                examples += count
                if subs:
                    state, l, h = _ns_shared_subword(buf, i, lo, hi, syn0, syn1neg, negative, prob, alias, alpha,
                                                     neu1, work, targets, grads, state, sub_offsets, sub_rows, lockf)
                else:
                    state, l, h = _ns_shared(buf, i, lo, hi, syn0, syn1neg, negative, prob, alias, alpha, out_rows,
                                             out_grad, targets, grads, state, lockf)
                loss += l
                bad |= h
                continue
            centre = buf[i]
            if subs:  # fastText's order: the centre's rows, gathered once, predict each word of the window; their
                # gradients are summed and added to the centre's rows once (negatives drawn per pair)
                _gather(sub_offsets, sub_rows, syn0, centre, neu1)
                for k in range(dim):
                    work[k] = 0.0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    ctx = buf[j]
                    pairs += 1
                    examples += 1
                    state, loss, h = _objective(neu1, 0, ctx, syn1, codes, points, lengths, syn1neg, hs, negative,
                                                prob, alias, alpha, work, state, loss)
                    bad |= h
                _scatter(sub_offsets, sub_rows, syn0, centre, work, lockf)
                continue
            for j in range(lo, hi):
                if j == i:
                    continue
                ctx = buf[j]
                pairs += 1
                examples += 1
                for k in range(dim):
                    work[k] = 0.0
                state, loss, h = _objective(syn0, ctx, centre, syn1, codes, points, lengths, syn1neg, hs, negative,
                                            prob, alias, alpha, work, state, loss)
                bad |= h
                lf = _lockf(lockf, ctx)
                for k in range(dim):
                    syn0[ctx, k] += lf * work[k]
    return loss, examples, kept_words, pairs, bad


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _train_cbow(ids, offsets, start, stop, syn0, syn1, codes, points, lengths, syn1neg, prob, alias, keep,
               hs, negative, window, reduced_window, alpha0, alpha1, seed, shared_negatives, cbow_mean, lockf,
               sub_offsets, sub_rows):
    """CBOW on one chunk: the combined context (mean or sum) predicts the centre word."""
    dim = syn0.shape[1]
    state = _seed_state(seed)
    neu1 = np.empty((1, dim), dtype=np.float32)
    work = np.empty(dim, dtype=np.float32)
    buf = np.empty(stop - start, dtype=np.int32)
    loss = 0.0
    bad = False
    examples = 0
    kept_words = 0
    pairs = 0
    total = max(stop - start, 1)
    d = np.searchsorted(offsets, start, side="right") - 1  # first document touching [start, stop)
    while d < offsets.shape[0] - 1 and offsets[d] < stop:
        a = max(offsets[d], start)
        b = min(offsets[d + 1], stop)
        d += 1
        if b <= a:
            continue
        state, m = _subsample(ids, a, b, keep, buf, state)
        kept_words += m
        alpha = np.float32(alpha0 + (alpha1 - alpha0) * ((a - start) / total))
        for i in range(m):
            state, lo, hi = _window(state, i, m, window, reduced_window)
            count = hi - lo - 1
            if count <= 0:
                continue
            pairs += count
            examples += 1
            centre = buf[i]
            n_in = _cbow_combine(buf, i, lo, hi, syn0, neu1, work, cbow_mean, sub_offsets, sub_rows)
            state, loss, h = _objective(neu1, 0, centre, syn1, codes, points, lengths, syn1neg, hs, negative, prob,
                                        alias, alpha, work, state, loss)
            bad |= h
            _cbow_scatter(buf, i, lo, hi, syn0, work, cbow_mean, lockf, n_in, sub_offsets, sub_rows)
    return loss, examples, kept_words, pairs, bad


@njit(cache=True, nogil=True)
def _sample_noise(prob, alias, n_draws, seed):
    """`n_draws` negatives drawn exactly as the training kernels draw them (for tests of the noise distribution)."""
    state = _seed_state(seed)
    out = np.empty(n_draws, dtype=np.int64)
    for n in range(n_draws):
        state, i, u = _alias_draw(state, prob.shape[0])
        out[n] = i if u < prob[i] else alias[i]
    return out


# --- the entry points: the C extension's argument checks, then the compiled loop ---------------------------------

_F32_MAX = float(np.finfo(np.float32).max)
#: name -> (dtype, ndim, written by the loop), from `kernel_args.ARGS`: as the C kernels take them
_ARRAYS = {a.name: (np.dtype(a.kind), a.ndim, a.written) for a in ARRAYS}


def _array(func, name, a):
    dtype, ndim, written = _ARRAYS[name]
    if not isinstance(a, np.ndarray) or a.dtype != np.dtype(dtype) or a.ndim != ndim:
        got = f"{a.ndim}-D {a.dtype}" if isinstance(a, np.ndarray) else type(a).__name__
        raise TypeError(f"{func}: {name} must be a {ndim}-D numpy array of {np.dtype(dtype)}, got {got}")
    if not a.flags.c_contiguous or (written and not a.flags.writeable):
        raise ValueError(f"{func}: {name} must be a C-contiguous{', writable' if written else ''} array of "
                         f"{np.dtype(dtype)} (np.ascontiguousarray{' or .copy()' if written else ''})")
    return a


def _int(func, name, x) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{func}: {name} must be an integer, got {type(x).__name__}")
    return int(x)


def _float(func, name, x) -> float:
    if isinstance(x, (str, bytes)) or not hasattr(x, "__float__"):
        raise TypeError(f"{func}: {name} must be a number, got {type(x).__name__}")
    return float(x)


def _checked(func: str, args: tuple, kwargs: dict) -> dict:
    """The arguments (`kernel_args.ARGS`, positional or by keyword) as the compiled loop takes them, by name, after
    the checks the C kernels make (TypeError for a wrong type, ValueError for a wrong shape, range or overlap): the
    loop itself trusts them."""
    given = bind(func, args, kwargs)
    for arg in ARRAYS:
        _array(func, arg.name, given[arg.name])
    (ids, offsets, start, stop, syn0, syn1, codes, points, lengths, syn1neg, prob, alias, keep, hs, negative, window,
     reduced_window, alpha0, alpha1, seed, shared_negatives, cbow_mean, lockf, sub_offsets, sub_rows) = given.values()
    start, stop = _int(func, "start", start), _int(func, "stop", stop)
    negative, window = _int(func, "negative", negative), _int(func, "window", window)
    seed = _int(func, "seed", seed) % 2 ** 64
    alpha0, alpha1 = _float(func, "alpha0", alpha0), _float(func, "alpha1", alpha1)
    hs = 1 if hs else 0
    n_in, dim = syn0.shape
    sub_offsets, sub_rows = _subword_arrays(func, sub_offsets, sub_rows, n_in)
    n_words = len(sub_offsets) - 1 if len(sub_offsets) else n_in
    if not 0 <= start <= stop <= len(ids):
        raise ValueError(f"{func}: need 0 <= start <= stop <= len(ids) = {len(ids)}, got start {start}, "
                         f"stop {stop}")
    if not 1 <= window <= 2 ** 31 - 1:
        raise ValueError(f"{func}: window must be in 1..2**31-1, got {window}")
    if n_in > 2 ** 31 - 1:
        raise ValueError(f"{func}: syn0 has {n_in} rows; word ids are int32")
    if not 0 <= negative <= 1 << 20:
        raise ValueError(f"{func}: negative must be in 0..{1 << 20}, got {negative}")
    words = "sub_offsets words" if len(sub_offsets) else "syn0 rows"
    if len(keep) != n_words:
        raise ValueError(f"{func}: keep has {len(keep)} entries, {words} {n_words}")
    written = [syn0]
    if negative > 0:
        if syn1neg.shape != (n_words, dim):
            raise ValueError(f"{func}: syn1neg must have the shape of syn0 {(n_words, dim)}, got {syn1neg.shape}"
                             + (" (one row per word of sub_offsets)" if len(sub_offsets) else ""))
        if len(prob) != n_words or len(alias) != n_words:
            raise ValueError(f"{func}: prob and alias must have one entry per word ({n_words}), got {len(prob)} "
                             f"and {len(alias)}")
        written.append(syn1neg)
    if hs:
        if syn1.shape[1] != dim or syn1.shape[0] < 1:
            raise ValueError(f"{func}: syn1 must have shape (inner nodes, {dim}), got {syn1.shape}")
        if len(codes) != n_words or codes.shape != points.shape or len(lengths) != n_words:
            raise ValueError(f"{func}: codes and points must have the same shape ({n_words}, max code length) and "
                             f"lengths {n_words} entries")
        written.append(syn1)
    if any(np.may_share_memory(x, y) for i, x in enumerate(written) for y in written[i + 1:]):
        raise ValueError(f"{func}: syn0, syn1 and syn1neg must not share memory")
    if not (abs(alpha0) <= _F32_MAX and abs(alpha1) <= _F32_MAX):
        raise ValueError(f"{func}: alpha0 and alpha1 must be finite as float32, got {alpha0:g} and {alpha1:g}")
    if any(np.may_share_memory(ids, m) for m in written):
        raise ValueError(f"{func}: ids must not share memory with a matrix it trains")
    if any(np.may_share_memory(x, m) for x in (sub_offsets, sub_rows) for m in written):
        raise ValueError(f"{func}: sub_offsets and sub_rows must not share memory with a matrix it trains")
    if stop > start:
        chunk = ids[start:stop]
        lo, hi = int(chunk.min()), int(chunk.max())
        if lo < 0 or hi >= n_words:
            t = start + int(np.argmax((chunk < 0) | (chunk >= n_words)))
            raise ValueError(f"{func}: ids[{t}] = {int(ids[t])} is outside the vocabulary of {n_words} words")
    return {**given, "start": start, "stop": stop, "hs": hs, "negative": negative, "window": window,
            "reduced_window": bool(reduced_window), "alpha0": alpha0, "alpha1": alpha1,
            "seed": seed - 2 ** 64 if seed >= 2 ** 63 else seed, "shared_negatives": bool(shared_negatives),
            "cbow_mean": bool(cbow_mean), "lockf": _lockf_array(func, lockf, n_in), "sub_offsets": sub_offsets,
            "sub_rows": sub_rows}


_NO_LOCKF = np.zeros(0, dtype=np.float32)


def _lockf_array(func, lockf, n_words: int) -> np.ndarray:
    """None: the empty array (every factor 1); else a float32 vector with one factor per word, as the C kernels
    take it."""
    if lockf is None:
        return _NO_LOCKF
    if not isinstance(lockf, np.ndarray) or lockf.dtype != np.float32 or lockf.ndim != 1:
        got = f"{lockf.ndim}-D {lockf.dtype}" if isinstance(lockf, np.ndarray) else type(lockf).__name__
        raise TypeError(f"{func}: lockf must be a 1-D numpy array of float32, got {got}")
    if not lockf.flags.c_contiguous:
        raise ValueError(f"{func}: lockf must be a C-contiguous array of float32 (np.ascontiguousarray)")
    if len(lockf) != n_words:
        raise ValueError(f"{func}: lockf has {len(lockf)} entries, syn0 {n_words} rows")
    return lockf


_NO_OFFSETS, _NO_ROWS = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)


def _subword_arrays(func, sub_offsets, sub_rows, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """None, None: empty arrays (word2vec's input); else the CSR checked as the C kernels check it (offsets from 0
    to len(sub_rows), increasing, every row inside syn0)."""
    if (sub_offsets is None) != (sub_rows is None):
        raise TypeError(f"{func}: give sub_offsets and sub_rows together (or neither)")
    if sub_offsets is None:
        return _NO_OFFSETS, _NO_ROWS
    for name, a, dtype in (("sub_offsets", sub_offsets, np.int64), ("sub_rows", sub_rows, np.int32)):
        if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != 1:
            got = f"{a.ndim}-D {a.dtype}" if isinstance(a, np.ndarray) else type(a).__name__
            raise TypeError(f"{func}: {name} must be a 1-D numpy array of {np.dtype(dtype)}, got {got}")
        if not a.flags.c_contiguous:
            raise ValueError(f"{func}: {name} must be a C-contiguous array of {np.dtype(dtype)} "
                             f"(np.ascontiguousarray)")
    if len(sub_offsets) < 1 or sub_offsets[0] != 0 or sub_offsets[-1] != len(sub_rows):
        raise ValueError(f"{func}: sub_offsets must start at 0 and end at len(sub_rows) = {len(sub_rows)}")
    step = np.diff(sub_offsets)
    if np.any(step <= 0):
        w = int(np.argmax(step <= 0))
        raise ValueError(f"{func}: sub_offsets must increase (every word has at least one input row); "
                         f"sub_offsets[{w}] = {int(sub_offsets[w])}, sub_offsets[{w + 1}] = {int(sub_offsets[w + 1])}")
    if len(sub_rows) and (int(sub_rows.min()) < 0 or int(sub_rows.max()) >= n_in):
        r = int(np.argmax((sub_rows < 0) | (sub_rows >= n_in)))
        raise ValueError(f"{func}: sub_rows[{r}] = {int(sub_rows[r])} is outside syn0's {n_in} rows")
    if len(sub_offsets) == 1:  # no words: the loop reads no row, and an empty array would mean "no subwords"
        return np.zeros(1, dtype=np.int64), _NO_ROWS
    return sub_offsets, sub_rows


def _run(func, loop, args: dict):
    loss, examples, kept, pairs, bad = loop(**args)
    if bad:
        raise ValueError(f"{func}: the Huffman tree (points, lengths) or the alias table holds an index outside its "
                         f"matrix; build them from this vocabulary")
    return loss, examples, kept, pairs


def train_skipgram(*args, **kwargs):
    """Skip-gram on one chunk: each context word of a centre word predicts the centre word (word2vec.c's order).
    Takes `kernel_args.ARGS`; returns (loss sum, examples, kept words, pairs)."""
    return _run("train_skipgram", _train_skipgram, _checked("train_skipgram", args, kwargs))


def train_cbow(*args, **kwargs):
    """CBOW on one chunk: the combined context (mean or sum) predicts the centre word. Takes `kernel_args.ARGS`;
    returns (loss sum, examples, kept words, pairs)."""
    return _run("train_cbow", _train_cbow, _checked("train_cbow", args, kwargs))


train_skipgram.__signature__ = train_cbow.__signature__ = SIGNATURE


def sample_noise(prob, alias, n_draws, seed):
    """`n_draws` negatives (int64) drawn exactly as the training kernels draw them (for tests of the noise
    distribution)."""
    prob, alias = _array("sample_noise", "prob", prob), _array("sample_noise", "alias", alias)
    n_draws, seed = _int("sample_noise", "n_draws", n_draws), _int("sample_noise", "seed", seed) % 2 ** 64
    if len(prob) < 1 or len(alias) != len(prob) or n_draws < 0:
        raise ValueError(f"sample_noise: prob and alias must have the same length >= 1 (got {len(prob)} and "
                         f"{len(alias)}) and n_draws >= 0")
    out = _sample_noise(prob, alias, n_draws, seed - 2 ** 64 if seed >= 2 ** 63 else seed)
    if n_draws and (out.min() < 0 or out.max() >= len(prob)):
        raise ValueError("sample_noise: alias holds an index outside the table")
    return out


__all__ = ["train_skipgram", "train_cbow", "sample_noise", "sigmoid_tables", "EXP_TABLE_SIZE",
           "MAX_EXP"]
