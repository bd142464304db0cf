"""The numba kernels against a plain-numpy transcription of word2vec's updates, step by step on tiny documents.

The reference keeps every (context, centre) example in order, looks the sigmoid up in the same table, and makes
the noise deterministic (an alias table whose every bucket points at one word), so the kernel's output must match
it to float32 rounding (the kernels are compiled with fastmath, so not bit for bit).
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from wordvec.kernels import EXP_TABLE_SIZE, MAX_EXP, kernel_for, sigmoid_tables, train_cbow, train_skipgram
from wordvec.vocab import huffman_tree

SIG, LOGSIG = sigmoid_tables()
V, DIM, NOISE = 6, 8, 5  # every negative draw returns word NOISE
COUNTS = np.array([9, 7, 5, 4, 2, 1])


def sigmoid_step(f, label, alpha):
    """(alpha * (label - sigmoid(f)), loss) with word2vec's table; no update outside [-MAX_EXP, MAX_EXP]."""
    assert abs(f) < MAX_EXP, "choose smaller starting vectors: the reference does not model saturation"
    i = int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2.0))
    loss = -LOGSIG[i] if label == 1 else -LOGSIG[EXP_TABLE_SIZE - 1 - i]
    return alpha * (label - SIG[i]), loss


def head_updates(h, word, syn1, syn1neg, tree, negative, alpha):
    """Input gradient of one input vector h, updating the output rows in place (hs first, then ns)."""
    work = np.zeros_like(h)
    loss = 0.0
    if tree is not None:
        for code, node in zip(tree.code(word), tree.point(word)):
            g, l = sigmoid_step(h @ syn1[node], 1 - code, alpha)
            work += g * syn1[node]
            syn1[node] += g * h
            loss += l
    for q in range(negative + 1 if negative else 0):
        target, label = (word, 1) if q == 0 else (NOISE, 0)
        if q > 0 and target == word:
            continue
        g, l = sigmoid_step(h @ syn1neg[target], label, alpha)
        work += g * syn1neg[target]
        syn1neg[target] += g * h
        loss += l
    return work, loss


def reference(doc, syn0, syn1, syn1neg, sg, hs, negative, window, alpha, shared=False, cbow_mean=True):
    """One pass over one document, fixed window, no subsampling, constant alpha; returns (loss, examples, pairs)."""
    tree = huffman_tree(COUNTS) if hs else None
    loss, examples, pairs = 0.0, 0, 0
    for i, centre in enumerate(doc):
        ctx = [doc[j] for j in range(max(0, i - window), min(len(doc), i + window + 1)) if j != i]
        if not ctx:
            continue
        pairs += len(ctx)
        if sg and shared:
            targets = [centre] + [NOISE] * negative
            rows = syn1neg[targets].copy()  # the output rows stay at their old values for the whole window
            out_grad = np.zeros_like(rows)
            for c in ctx:
                h = syn0[c].copy()
                for q, t in enumerate(targets):
                    if q > 0 and t == centre:
                        continue
                    g, l = sigmoid_step(h @ rows[q], 1 if q == 0 else 0, alpha)
                    out_grad[q] += g * h
                    syn0[c] += g * rows[q]
                    loss += l
                examples += 1
            for q, t in enumerate(targets):
                if q == 0 or t != centre:
                    syn1neg[t] += out_grad[q]
        elif sg:
            for c in ctx:
                work, l = head_updates(syn0[c].copy(), centre, syn1, syn1neg, tree, negative, alpha)
                syn0[c] += work
                loss += l
                examples += 1
        else:
            h = syn0[ctx].sum(0)
            if cbow_mean:
                h /= len(ctx)
            work, l = head_updates(h, centre, syn1, syn1neg, tree, negative, alpha)
            if not cbow_mean:
                work /= len(ctx)  # gensim's cbow_mean=0 spreads the error over the context words
            for c in ctx:
                syn0[c] += work
            loss += l
            examples += 1
    return loss, examples, pairs


def run_kernel(doc, syn0, syn1, syn1neg, sg, hs, negative, window, alpha, shared=False, cbow_mean=True):
    tree = huffman_tree(COUNTS)
    ids = np.asarray(doc, np.int32)
    offsets = np.array([0, len(ids)], np.int64)
    keep = np.ones(V, np.float32)
    prob, alias = np.zeros(V, np.float32), np.full(V, NOISE, np.int32)  # every draw: NOISE
    return kernel_for(sg)(ids, offsets, 0, len(ids), syn0, syn1, tree.codes, tree.points, tree.lengths, syn1neg,
                          prob, alias, keep, int(hs), negative, window, False, alpha, alpha, 1, shared, cbow_mean)


DOC = [0, 2, 1, 3, 0, 4, 5, 2, 1, 0, 3]


def start_vectors(seed):
    rng = np.random.default_rng(seed)
    syn0 = rng.uniform(-0.5, 0.5, (V, DIM)).astype(np.float32)
    syn1 = rng.uniform(-0.5, 0.5, (V - 1, DIM)).astype(np.float32)  # nonzero, so the first steps move syn0 too
    syn1neg = rng.uniform(-0.5, 0.5, (V, DIM)).astype(np.float32)
    return syn0, syn1, syn1neg


CASES = [  # (sg, hs, negative, shared, cbow_mean)
    (1, 0, 3, False, True), (1, 0, 3, True, True), (1, 1, 0, False, True), (1, 1, 3, False, True),
    (0, 0, 3, False, True), (0, 1, 0, False, True), (0, 1, 3, False, True),
    (0, 0, 3, False, False), (0, 1, 0, False, False), (0, 1, 2, False, False),
]


@pytest.mark.parametrize("sg,hs,negative,shared,cbow_mean", CASES)
def test_kernel_matches_the_numpy_reference(sg, hs, negative, shared, cbow_mean):
    ref = [m.astype(np.float64) for m in start_vectors(0)]
    got = start_vectors(0)
    want = reference(DOC, *ref, sg, hs, negative, 2, 0.05, shared, cbow_mean)
    loss, examples, kept, pairs = run_kernel(DOC, *got, sg, hs, negative, 2, 0.05, shared, cbow_mean)
    assert (examples, kept, pairs) == (want[1], len(DOC), want[2])
    assert loss == pytest.approx(want[0], rel=1e-5)
    for name, a, b in zip(("syn0", "syn1", "syn1neg"), got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    moved = [not np.array_equal(a, b) for a, b in zip(got, start_vectors(0))]
    assert moved == [True, bool(hs), negative > 0], "a head that trains moves its matrix, and only then"


def test_cbow_steps_by_hand():
    """Three words, window 1, one noise word (always word 2), written out without the reference's helpers:
    h = mean (or sum) of the context rows; for the centre (label 1) and the noise word (label 0, skipped when it
    is the centre) g = alpha * (label - sigmoid(h . out)), out += g * h; each context row moves by the summed
    g * out (for the sum divided by the context size first, gensim's choice)."""
    for cbow_mean in (True, False):
        syn0 = np.array([[0.1, 0.2], [0.3, -0.1], [0.0, 0.4]], np.float32)
        syn1neg = np.array([[0.2, 0.1], [0.5, -0.3], [0.1, 0.1]], np.float32)
        s0, s1 = syn0.astype(np.float64), syn1neg.astype(np.float64)
        tree = huffman_tree(np.array([3, 2, 1]))
        keep, prob, alias = np.ones(3, np.float32), np.zeros(3, np.float32), np.full(3, 2, np.int32)
        train_cbow(np.array([0, 1, 2], np.int32), np.array([0, 3], np.int64), 0, 3, syn0,
                   np.zeros((1, 1), np.float32), tree.codes, tree.points, tree.lengths, syn1neg, prob, alias, keep,
                   0, 1, 1, False, 0.5, 0.5, 1, False, cbow_mean)
        for centre, ctx in ((0, [1]), (1, [0, 2]), (2, [1])):
            h = s0[ctx].sum(0) / (len(ctx) if cbow_mean else 1)
            work = np.zeros(2)
            for target, label in ((centre, 1), (2, 0)):
                if label == 0 and target == centre:
                    continue
                g, _ = sigmoid_step(h @ s1[target], label, 0.5)
                work += g * s1[target]
                s1[target] += g * h
            s0[ctx] += work if cbow_mean else work / len(ctx)
        np.testing.assert_allclose(syn0, s0, rtol=1e-6)
        np.testing.assert_allclose(syn1neg, s1, rtol=1e-6)


def test_sum_and_mean_differ():
    a, b = start_vectors(1), start_vectors(1)
    run_kernel(DOC, *a, 0, 0, 3, 2, 0.05, cbow_mean=True)
    run_kernel(DOC, *b, 0, 0, 3, 2, 0.05, cbow_mean=False)
    assert not np.allclose(a[0], b[0])


def test_kernel_for_picks_the_architecture():
    assert kernel_for(True) is train_skipgram and kernel_for(False) is train_cbow


def test_only_the_kernel_that_runs_is_compiled():
    """In a fresh process, training one architecture compiles (or loads from the cache) that entry point only."""
    code = textwrap.dedent("""
        from wordvec.config import Config
        from wordvec.engine import train_word2vec, warm_up
        from wordvec.kernels import train_cbow, train_skipgram
        from wordvec.vocab import build_and_encode

        def compiled(k):
            return len(k.signatures), sum(k.stats.cache_hits.values()) + sum(k.stats.cache_misses.values())

        vocab, enc = build_and_encode([["a", "b", "c", "a", "b"]] * 20, min_count=1)
        warm_up(Config(model="cbow", loss="hs", device="cpu"))
        after_warm = compiled(train_skipgram), compiled(train_cbow)
        train_word2vec(Config(model="cbow", loss="hs", vector_size=8, epochs=1, sample=0.0, device="cpu", threads=1,
                              backend="numba", progress=False), vocab, enc, progress=False)
        print(repr((after_warm, (compiled(train_skipgram), compiled(train_cbow)))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    after_warm, after_train = eval(out.stdout.strip().splitlines()[-1])
    assert after_warm == ((0, 0), (1, 1)), "warm_up(config) loads exactly the config's kernel"
    assert after_train == ((0, 0), (1, 1)), "training adds no second signature and never touches skip-gram"
