"""The CPU kernels, both implementations (C: wordvec._kernels; numba: wordvec.kernels_numba): each against a
plain-numpy transcription of word2vec's updates, step by step on tiny documents; the two against each other on a
small corpus (same random stream, same counts, the same vectors to float rounding); bad arguments to the C kernels;
what a fresh process imports.

The reference keeps every (context, centre) example in order, looks the sigmoid up in the same table, and makes
the noise deterministic (an alias table whose every bucket points at one word), so a kernel's output must match
it to float32 rounding (both implementations let the compiler reorder sums, so not bit for bit).
"""

import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from wordvec import kernels
from wordvec.errors import WordvecError
from wordvec.kernels_numba import EXP_TABLE_SIZE, MAX_EXP, sigmoid_tables
from wordvec.vocab import alias_table, huffman_tree, keep_probabilities, noise_distribution

SIG, LOGSIG = sigmoid_tables()
V, DIM, NOISE = 6, 8, 5  # every negative draw returns word NOISE
COUNTS = np.array([9, 7, 5, 4, 2, 1])


def c_kernels_built() -> bool:
    try:
        from wordvec import _kernels  # noqa: F401
    except ImportError:
        return False
    return True


def need_c_kernels() -> None:
    """Skip where the extension could not be built (no C compiler at install); CI builds it, so there it fails."""
    if not c_kernels_built():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the C kernels (wordvec._kernels) are not built; CI has gcc and Python's headers, so "
                        "`pip install -e .` must build them", pytrace=False)
        pytest.skip("the C kernels are not built here (no C compiler at install); the numba kernels run")


@pytest.fixture(params=["c", "numba"])
def impl(request):
    """Each kernel implementation in turn."""
    if request.param == "c":
        need_c_kernels()
    return kernels.implementation(request.param)


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


def run_kernel(impl, doc, syn0, syn1, syn1neg, sg, hs, negative, window, alpha, shared=False, cbow_mean=True):
    tree = huffman_tree(COUNTS)
    ids = np.asarray(doc, np.int32)
    offsets = np.array([0, len(ids)], np.int64)
    keep = np.ones(V, np.float32)
    prob, alias = np.zeros(V, np.float32), np.full(V, NOISE, np.int32)  # every draw: NOISE
    kernel = impl.train_skipgram if sg else impl.train_cbow
    return kernel(ids, offsets, 0, len(ids), syn0, syn1, tree.codes, tree.points, tree.lengths, syn1neg, prob, alias,
                  keep, int(hs), negative, window, False, alpha, alpha, 1, shared, cbow_mean)


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
def test_kernel_matches_the_numpy_reference(impl, sg, hs, negative, shared, cbow_mean):
    ref = [m.astype(np.float64) for m in start_vectors(0)]
    got = start_vectors(0)
    want = reference(DOC, *ref, sg, hs, negative, 2, 0.05, shared, cbow_mean)
    loss, examples, kept, pairs = run_kernel(impl, DOC, *got, sg, hs, negative, 2, 0.05, shared, cbow_mean)
    assert (examples, kept, pairs) == (want[1], len(DOC), want[2])
    assert loss == pytest.approx(want[0], rel=1e-5)
    for name, a, b in zip(("syn0", "syn1", "syn1neg"), got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    moved = [not np.array_equal(a, b) for a, b in zip(got, start_vectors(0))]
    assert moved == [True, bool(hs), negative > 0], "a head that trains moves its matrix, and only then"


def test_cbow_steps_by_hand(impl):
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
        impl.train_cbow(np.array([0, 1, 2], np.int32), np.array([0, 3], np.int64), 0, 3, syn0,
                        np.zeros((1, 1), np.float32), tree.codes, tree.points, tree.lengths, syn1neg, prob, alias,
                        keep, 0, 1, 1, False, 0.5, 0.5, 1, False, cbow_mean)
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


def test_sum_and_mean_differ(impl):
    a, b = start_vectors(1), start_vectors(1)
    run_kernel(impl, DOC, *a, 0, 0, 3, 2, 0.05, cbow_mean=True)
    run_kernel(impl, DOC, *b, 0, 0, 3, 2, 0.05, cbow_mean=False)
    assert not np.allclose(a[0], b[0])


def test_a_saturated_sigmoid_makes_no_update(impl):
    """Vectors so large that every score is outside [-6, 6]: nothing moves, the loss still counts."""
    syn0, syn1, syn1neg = (np.full(s, 3.0, np.float32) for s in ((V, DIM), (V - 1, DIM), (V, DIM)))
    before = [m.copy() for m in (syn0, syn1, syn1neg)]
    loss, examples, _, _ = run_kernel(impl, DOC, syn0, syn1, syn1neg, 1, 1, 3, 2, 0.05)
    assert all(np.array_equal(a, b) for a, b in zip((syn0, syn1, syn1neg), before))
    assert loss > 0 and examples > 0


# --- the two implementations against each other ----------------------------------------------------------------

def small_corpus(n=4000, v=60, seed=0):
    """Zipf-ish ids cut into documents of 1 to 30 words, its vocabulary's tables, and a word with count 0."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, v + 1)
    ids = rng.choice(v, n, p=p / p.sum()).astype(np.int32)
    cuts = np.cumsum(rng.integers(1, 31, n))
    offsets = np.r_[0, cuts[cuts < n], n].astype(np.int64)
    counts = np.bincount(ids, minlength=v) + 1
    return ids, offsets, counts


AGREE = [  # (sg, hs, negative, shared, cbow_mean)
    (1, 0, 5, False, True), (1, 0, 5, True, True), (1, 1, 0, False, True), (1, 1, 3, False, True),
    (0, 0, 5, False, True), (0, 1, 0, False, True), (0, 1, 3, False, True), (0, 0, 5, False, False),
    (0, 1, 0, False, False),
]


def train_epochs(impl, sg, hs, negative, shared, cbow_mean, n=2000, v=60, alpha=0.025, epochs=3, dim=24):
    """A few epochs over small_corpus with everything on: subsampling, the reduced window, alpha decaying across
    each chunk and epoch, a new seed per epoch, two chunks per epoch (the second starts inside a document)."""
    ids, offsets, counts = small_corpus(n, v)
    v = len(counts)
    tree = huffman_tree(counts)
    prob, alias = alias_table(noise_distribution(counts, 0.75))
    keep = keep_probabilities(counts, 1e-2)
    rng = np.random.default_rng(7)
    syn0 = ((rng.random((v, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    syn1 = rng.uniform(-0.1, 0.1, (v - 1, dim)).astype(np.float32)
    syn1neg = rng.uniform(-0.1, 0.1, (v, dim)).astype(np.float32)
    kernel = impl.train_skipgram if sg else impl.train_cbow
    totals = []
    cut = len(ids) // 2 + 3
    for epoch in range(epochs):
        for start, stop in ((0, cut), (cut, len(ids))):
            a0 = alpha * (1 - (epoch * len(ids) + start) / (epochs * len(ids)))
            a1 = alpha * (1 - (epoch * len(ids) + stop) / (epochs * len(ids)))
            totals.append(kernel(ids, offsets, start, stop, syn0, syn1, tree.codes, tree.points, tree.lengths,
                                 syn1neg, prob, alias, keep, hs, negative, 4, True, a0, a1, 11 * epoch + start,
                                 shared, cbow_mean))
    return (syn0, syn1, syn1neg), totals


@pytest.mark.parametrize("sg,hs,negative,shared,cbow_mean", AGREE)
def test_c_and_numba_train_the_same_vectors(sg, hs, negative, shared, cbow_mean):
    """The same arguments through both: the same random stream (identical counts), the same vectors to float
    rounding after three epochs (on an AVX2 CPU they sum in the same order and agree to the last bit)."""
    need_c_kernels()
    c_mats, c_tot = train_epochs(kernels.implementation("c"), sg, hs, negative, shared, cbow_mean)
    n_mats, n_tot = train_epochs(kernels.implementation("numba"), sg, hs, negative, shared, cbow_mean)
    assert [t[1:] for t in c_tot] == [t[1:] for t in n_tot], "examples, kept words and pairs per chunk"
    assert all(t[3] > 0 for t in c_tot)
    for (c_loss, *_), (n_loss, *_) in zip(c_tot, n_tot):
        assert c_loss == pytest.approx(n_loss, rel=1e-4)
    for name, c, n in zip(("syn0", "syn1", "syn1neg"), c_mats, n_mats):
        assert np.linalg.norm(c - n) <= 1e-5 * np.linalg.norm(n), name
        np.testing.assert_allclose(c, n, rtol=1e-3, atol=1e-5 * np.abs(n).max(), err_msg=name)


def test_the_noise_draws_are_the_same_stream():
    need_c_kernels()
    prob, alias = alias_table(noise_distribution(np.array([100, 10, 1, 50, 7, 0, 3])))
    c = kernels.implementation("c").sample_noise(prob, alias, 50_000, 12345)
    n = kernels.implementation("numba").sample_noise(prob, alias, 50_000, 12345)
    assert c.dtype == np.int64 and np.array_equal(c, n)
    assert not np.array_equal(c, kernels.implementation("c").sample_noise(prob, alias, 50_000, 12346))


def test_keyword_arguments_name_the_same_parameters(impl):
    """Called by name, in another order, a kernel trains exactly as called by position."""
    ids, offsets, counts = small_corpus(500)
    v = len(counts)
    prob, alias = alias_table(noise_distribution(counts, 0.75))
    args = dict(ids=ids, offsets=offsets, start=0, stop=len(ids), syn0=None, syn1=np.zeros((1, 1), np.float32),
                codes=np.zeros((1, 1), np.uint8), points=np.zeros((1, 1), np.int32), lengths=np.zeros(1, np.int32),
                syn1neg=None, prob=prob, alias=alias, keep=keep_probabilities(counts, 1e-2), hs=0, negative=3,
                window=3, reduced_window=True, alpha0=0.05, alpha1=0.01, seed=5, shared_negatives=True,
                cbow_mean=True)
    out = []
    for by_name in (False, True):
        syn0 = np.linspace(-0.05, 0.05, v * DIM, dtype=np.float32).reshape(v, DIM)
        full = {**args, "syn0": syn0, "syn1neg": np.zeros((v, DIM), np.float32)}
        got = impl.train_skipgram(**dict(reversed(full.items()))) if by_name else impl.train_skipgram(*full.values())
        out.append((got, syn0))
    assert out[0][0] == out[1][0] and np.array_equal(out[0][1], out[1][1])
    assert out[0][0][3] > 0


def test_kernel_for_follows_wordvec_kernels(monkeypatch):
    monkeypatch.setenv("WORDVEC_KERNELS", "numba")
    from wordvec import kernels_numba

    assert kernels.kernel_for(True) is kernels_numba.train_skipgram
    assert kernels.kernel_for(False) is kernels_numba.train_cbow
    monkeypatch.setenv("WORDVEC_KERNELS", "fortran")
    with pytest.raises(WordvecError, match="WORDVEC_KERNELS='fortran'"):
        kernels.kernel_for(True)
    monkeypatch.delenv("WORDVEC_KERNELS")
    want = "wordvec._kernels" if c_kernels_built() else "wordvec.kernels_numba"
    assert kernels.implementation().__name__ == want, "without WORDVEC_KERNELS: C where it was built"
    if c_kernels_built():
        monkeypatch.setenv("WORDVEC_KERNELS", "c")
        from wordvec import _kernels

        assert kernels.kernel_for(True) is _kernels.train_skipgram and kernels.kernel_for(False) is _kernels.train_cbow


def test_without_the_c_kernels_numba_runs(monkeypatch):
    """Where the extension was not built (no compiler at install), the numba kernels run; asking for C says how
    to get it."""
    import wordvec

    monkeypatch.setitem(sys.modules, "wordvec._kernels", None)  # makes `from . import _kernels` fail
    monkeypatch.delattr(wordvec, "_kernels", raising=False)
    monkeypatch.delenv("WORDVEC_KERNELS", raising=False)
    assert kernels.implementation().__name__ == "wordvec.kernels_numba"
    monkeypatch.setenv("WORDVEC_KERNELS", "c")
    with pytest.raises(WordvecError, match="not built.*C compiler.*WORDVEC_KERNELS=numba"):
        kernels.kernel_for(True)


def test_the_gil_is_released_while_a_kernel_runs(impl):
    """The engine trains chunks on several threads: while a kernel runs on one, Python keeps running on another.
    A kernel that held the GIL would let no tick of the main thread fall inside a call."""
    ids, offsets, counts = small_corpus(50_000, 500)
    prob, alias = alias_table(noise_distribution(counts, 0.75))
    none2, syn0 = np.zeros((1, 1), np.float32), np.full((len(counts), 100), 0.01, np.float32)
    syn1neg = np.zeros_like(syn0)

    def call(stop):
        impl.train_skipgram(ids, offsets, 0, stop, syn0, none2, np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32),
                            np.zeros(1, np.int32), syn1neg, prob, alias, np.ones(len(counts), np.float32), 0, 5, 5,
                            True, 0.025, 0.0001, 1, False, True)

    call(10)  # numba compiles (holding the GIL) before the timed calls
    spans = []

    def train():
        while sum(t1 - t0 for t0, t1 in spans) < 0.3 and len(spans) < 200:
            t0 = time.perf_counter()
            call(len(ids))
            spans.append((t0, time.perf_counter()))

    thread = threading.Thread(target=train)
    ticks = []
    thread.start()
    while thread.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    thread.join()
    inside = sum(any(t0 < t < t1 for t0, t1 in spans) for t in ticks)
    assert inside >= 50, f"Python ran {inside} times during {len(spans)} kernel calls"


# --- bad arguments: TypeError / ValueError, never a crash ------------------------------------------------------

BAD_CALLS = """
import importlib, json, sys
import numpy as np
K = importlib.import_module(sys.argv[1])
from wordvec.vocab import alias_table, huffman_tree, noise_distribution

v, dim = 6, 4
counts = np.array([9, 7, 5, 4, 2, 1])
tree = huffman_tree(counts)
prob, alias = alias_table(noise_distribution(counts))

def args(**over):
    a = dict(ids=np.array([0, 1, 2, 3, 4, 5, 0, 1], np.int32), offsets=np.array([0, 4, 8], np.int64), start=0,
             stop=8, syn0=np.full((v, dim), 0.1, np.float32), syn1=np.zeros((v - 1, dim), np.float32),
             codes=tree.codes, points=tree.points, lengths=tree.lengths, syn1neg=np.zeros((v, dim), np.float32),
             prob=prob, alias=alias, keep=np.ones(v, np.float32), hs=1, negative=2, window=2, reduced_window=True,
             alpha0=0.025, alpha1=0.01, seed=1, shared_negatives=False, cbow_mean=True)
    a.update(over)
    return list(a.values())

def readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a

big, big2 = np.zeros((v, 2 * dim), np.float32), np.zeros((2 * v, dim), np.float32)
cases = {
    "ids float64": args(ids=np.zeros(8)),
    "ids int64": args(ids=np.zeros(8, np.int64)),
    "ids a list": args(ids=[0, 1, 2, 3, 4, 5, 0, 1]),
    "ids None": args(ids=None),
    "ids 2-D": args(ids=np.zeros((2, 4), np.int32)),
    "ids strided": args(ids=np.zeros(16, np.int32)[::2]),
    "ids out of the vocabulary": args(ids=np.array([0, 1, 2, 3, 4, 6, 0, 1], np.int32)),
    "ids negative": args(ids=np.array([0, 1, 2, -1, 4, 5, 0, 1], np.int32)),
    "offsets int32": args(offsets=np.array([0, 4, 8], np.int32)),
    "syn0 float64": args(syn0=np.zeros((v, dim))),
    "syn0 big-endian": args(syn0=np.zeros((v, dim), ">f4")),
    "syn0 1-D": args(syn0=np.zeros(v * dim, np.float32)),
    "syn0 not contiguous": args(syn0=big[:, ::2]),
    "syn0 Fortran order": args(syn0=np.asfortranarray(np.zeros((v, dim), np.float32))),
    "syn0 read-only": args(syn0=readonly(np.zeros((v, dim), np.float32))),
    "syn1neg read-only": args(syn1neg=readonly(np.zeros((v, dim), np.float32))),
    "syn1 read-only": args(syn1=readonly(np.zeros((v - 1, dim), np.float32))),
    "syn1neg wrong rows": args(syn1neg=np.zeros((v + 1, dim), np.float32)),
    "syn1neg wrong width": args(syn1neg=np.zeros((v, dim + 1), np.float32)),
    "syn1 wrong width": args(syn1=np.zeros((v - 1, dim + 1), np.float32)),
    "syn0 is syn1neg": (lambda m: args(syn0=m, syn1neg=m))(np.zeros((v, dim), np.float32)),
    "syn1neg overlaps syn0": args(syn0=big2[:v], syn1neg=big2[v - 1:2 * v - 1]),
    "prob short": args(prob=prob[:-1]),
    "alias float32": args(alias=alias.astype(np.float32)),
    "keep short": args(keep=np.ones(v - 1, np.float32)),
    "codes int32": args(codes=tree.codes.astype(np.int32)),
    "points narrower than codes": args(points=tree.points[:, :-1].copy()),
    "lengths short": args(lengths=tree.lengths[:-1].copy()),
    "start > stop": args(start=5, stop=4),
    "stop past the ids": args(stop=9),
    "start negative": args(start=-1),
    "window 0": args(window=0),
    "negative -1": args(negative=-1),
    "seed a float": args(seed=1.5),
    "alpha a string": args(alpha0="fast"),
    "alias outside the table": args(alias=np.full(v, 99, np.int32), prob=np.zeros(v, np.float32)),
    "points outside syn1": args(points=np.full_like(tree.points, 99)),
    "lengths longer than the codes": args(lengths=np.full(v, 99, np.int32)),
    "alpha beyond float32": args(alpha0=4e38),
    "alpha NaN": args(alpha1=float("nan")),
    "ids inside syn0": (lambda m: args(syn0=m, ids=m.reshape(-1).view(np.int32)[:8], stop=8))(
        np.zeros((v, dim), np.float32)),
}
out = {}
for name, a in cases.items():
    for fn in (K.train_skipgram, K.train_cbow):
        try:
            fn(*a)
            out[name] = "no error"
        except (TypeError, ValueError) as e:
            out[name] = type(e).__name__
        except Exception as e:
            out[name] = "unexpected " + type(e).__name__ + ": " + str(e)
for name, call in {"too few arguments": lambda: K.train_skipgram(*args()[:-1]),
                   "an unknown keyword": lambda: K.train_cbow(*args()[:-1], cbow_mean=True, colour=1),
                   "sample_noise alias short": lambda: K.sample_noise(prob, alias[:-1], 10, 1),
                   "sample_noise negative draws": lambda: K.sample_noise(prob, alias, -1, 1)}.items():
    try:
        call()
        out[name] = "no error"
    except (TypeError, ValueError) as e:
        out[name] = type(e).__name__
K.train_skipgram(*args())  # and after all that, a good call still trains
print(json.dumps(out))
"""


@pytest.mark.parametrize("module", ["wordvec._kernels", "wordvec.kernels_numba"])
def test_bad_arguments_raise_and_never_crash(module):
    """Run in a child process: a crash there fails this test instead of killing the test run. Both
    implementations make the same checks."""
    if module == "wordvec._kernels":
        need_c_kernels()
    out = subprocess.run([sys.executable, "-c", BAD_CALLS, module], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"the child died (exit {out.returncode}): {out.stderr[-2000:]}"
    results = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    wrong = {name: r for name, r in results.items() if r not in ("TypeError", "ValueError")}
    assert not wrong, wrong
    for name in ("ids float64", "syn0 float64", "ids a list", "codes int32", "too few arguments"):
        assert results[name] == "TypeError", name
    for name in ("syn0 read-only", "syn0 not contiguous", "syn1neg wrong rows", "ids out of the vocabulary",
                 "alias outside the table", "points outside syn1", "window 0", "alpha beyond float32", "alpha NaN",
                 "ids inside syn0"):
        assert results[name] == "ValueError", name


# --- what a process loads -----------------------------------------------------------------------------------------

def _fresh(code: str, **env) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_cpu_skipgram_imports_neither_numba_nor_scipy_nor_torch():
    """With the C kernels, a whole CPU skip-gram run (warm-up included) loads none of them."""
    need_c_kernels()
    code = """
        import sys
        from wordvec import Word2Vec
        model = Word2Vec([["a", "b", "c", "d"], ["b", "c", "d", "e"]] * 40, vector_size=8, min_count=1, epochs=2,
                         workers=2, device="cpu")
        model.wv.most_similar("a", topn=2)
        print(sorted(m for m in ("numba", "llvmlite", "scipy", "torch") if m in sys.modules))
    """
    assert _fresh(code, WORDVEC_KERNELS="") == "[]"
    assert "numba" in _fresh(code, WORDVEC_KERNELS="numba"), "the check sees numba when it is loaded"


def test_only_the_kernel_that_runs_is_compiled():
    """With numba, in a fresh process, training one architecture compiles (or loads from the cache) that entry
    point only."""
    code = """
        from wordvec.config import Config
        from wordvec.engine import train_word2vec, warm_up
        from wordvec.kernels_numba import _train_cbow as train_cbow, _train_skipgram as train_skipgram
        from wordvec.vocab import build_and_encode

        def compiled(k):
            return len(k.signatures), sum(k.stats.cache_hits.values()) + sum(k.stats.cache_misses.values())

        vocab, enc = build_and_encode([["a", "b", "c", "a", "b"]] * 20, min_count=1)
        warm_up(Config(model="cbow", loss="hs", device="cpu"))
        after_warm = compiled(train_skipgram), compiled(train_cbow)
        train_word2vec(Config(model="cbow", loss="hs", vector_size=8, epochs=1, sample=0.0, device="cpu", threads=1,
                              backend="hogwild", progress=False), vocab, enc, progress=False)
        print(repr((after_warm, (compiled(train_skipgram), compiled(train_cbow)))))
    """
    after_warm, after_train = eval(_fresh(code, WORDVEC_KERNELS="numba"))
    assert after_warm == ((0, 0), (1, 1)), "warm_up(config) loads exactly the config's kernel"
    assert after_train == ((0, 0), (1, 1)), "training adds no second signature and never touches skip-gram"
