"""The subword input of the CPU kernels (fastText's model), both implementations, against a slow numpy
transcription of the same update on tiny documents: a word's input vector is the mean of its rows (its own and its
n-gram buckets, `subwords.vocab_rows`), and the input gradient is added, unscaled, to each of them (fastText's
`Model::update`). Skip-gram takes fastText's order (the centre word's rows predict each word of its window) and
adds the window's summed gradient once; CBOW's input is the mean of all the rows of all its context words. Then:
the identity CSR is word2vec's CBOW, and every bad CSR is refused before the loop runs.
"""

import numpy as np
import pytest

from test_kernels import COUNTS, DIM, NOISE, V, head_updates, sigmoid_step
from wordvec.subwords import vocab_rows
from wordvec.vocab import huffman_tree

WORDS = ["apple", "apples", "maple", "ample", "pal", "é"]  # shared n-grams, and collisions in 11 buckets
BUCKET = 11
DOC = [0, 2, 1, 3, 0, 4, 5, 2, 1, 0, 3]


@pytest.fixture(params=["c", "numba"])
def impl(request):
    from test_kernels import need_c_kernels

    from wordvec import kernels

    if request.param == "c":
        need_c_kernels()
    return kernels.implementation(request.param)


def csr():
    offsets, rows = vocab_rows(WORDS, 2, 4, BUCKET)
    return offsets.astype(np.int64), rows.astype(np.int32)


def start_vectors(seed):
    rng = np.random.default_rng(seed)
    syn0 = rng.uniform(-0.2, 0.2, (V + BUCKET, DIM)).astype(np.float32)  # CBOW sums ~40 rows: stay unsaturated
    syn1 = rng.uniform(-0.5, 0.5, (V - 1, DIM)).astype(np.float32)
    syn1neg = rng.uniform(-0.5, 0.5, (V, DIM)).astype(np.float32)
    return syn0, syn1, syn1neg


def reference(doc, syn0, syn1, syn1neg, sg, hs, negative, window, alpha, shared, cbow_mean, offsets, rows):
    """One pass over one document, fixed window, no subsampling, constant alpha; returns (loss, examples, pairs)."""
    tree = huffman_tree(COUNTS) if hs else None
    rows_of = [list(rows[offsets[w]:offsets[w + 1]]) for w in range(V)]
    loss, examples, pairs = 0.0, 0, 0
    for i, centre in enumerate(doc):
        ctx = [doc[j] for j in range(max(0, i - window), min(len(doc), i + window + 1)) if j != i]
        if not ctx:
            continue
        pairs += len(ctx)
        if sg and shared and negative and not hs:  # shared negatives: each noise row scored once per window
            h = syn0[rows_of[centre]].mean(0)
            total = np.zeros_like(h)
            count = sum(c != NOISE for c in ctx)  # the pairs whose target the noise word is not
            noise = []
            for _ in range(negative if count else 0):  # at its value when the window starts
                g, l = sigmoid_step(h @ syn1neg[NOISE], 0, alpha)
                noise.append(count * g)
                loss += count * l
            for c in ctx:  # the positives, one after the other
                g, l = sigmoid_step(h @ syn1neg[c], 1, alpha)
                total += g * syn1neg[c]
                syn1neg[c] += g * h
                loss += l
                examples += 1
            for g in noise:
                total += g * syn1neg[NOISE]
            for g in noise:
                syn1neg[NOISE] += g * h
            for r in rows_of[centre]:
                syn0[r] += total
        elif sg:  # fastText's order: the centre's mean predicts each context word; one summed update after the window
            h = syn0[rows_of[centre]].mean(0)
            total = np.zeros_like(h)
            for c in ctx:
                work, l = head_updates(h, c, syn1, syn1neg, tree, negative, alpha)
                total += work
                loss += l
                examples += 1
            for r in rows_of[centre]:  # a row listed twice (a hash collision) gets the gradient twice
                syn0[r] += total
        else:
            bag = [r for c in ctx for r in rows_of[c]]
            h = syn0[bag].sum(0)
            if cbow_mean:
                h /= len(bag)
            work, l = head_updates(h, centre, syn1, syn1neg, tree, negative, alpha)
            if not cbow_mean:
                work /= len(bag)
            for r in bag:
                syn0[r] += work
            loss += l
            examples += 1
    return loss, examples, pairs


def run_kernel(impl, doc, syn0, syn1, syn1neg, sg, hs, negative, window, alpha, shared, cbow_mean, offsets, rows,
               **over):
    tree = huffman_tree(COUNTS)
    ids = np.asarray(doc, np.int32)
    args = dict(ids=ids, offsets=np.array([0, len(ids)], np.int64), start=0, stop=len(ids), syn0=syn0, syn1=syn1,
                codes=tree.codes, points=tree.points, lengths=tree.lengths, syn1neg=syn1neg,
                prob=np.zeros(V, np.float32), alias=np.full(V, NOISE, np.int32), keep=np.ones(V, np.float32),
                hs=bool(hs), negative=negative, window=window, reduced_window=False, alpha0=alpha, alpha1=alpha,
                seed=1, shared_negatives=shared, cbow_mean=cbow_mean, sub_offsets=offsets, sub_rows=rows)
    args.update(over)
    return (impl.train_skipgram if sg else impl.train_cbow)(**args)


CASES = [  # (sg, hs, negative, shared, cbow_mean)
    (1, 0, 3, False, True), (1, 0, 3, True, True), (1, 1, 0, False, True), (1, 1, 3, False, True),
    (0, 0, 3, False, True), (0, 1, 0, False, True), (0, 1, 3, False, True), (0, 0, 3, False, False),
]


def test_the_rows_share_buckets():
    """The test data exercises what matters: words share n-gram rows, and some word lists a row twice."""
    offsets, rows = csr()
    per_word = [rows[offsets[w]:offsets[w + 1]] for w in range(V)]
    assert all(r[0] == w and len(r) > 1 for w, r in enumerate(per_word))
    assert len(set(per_word[0][1:]) & set(per_word[1][1:])) > 0
    assert any(len(set(r)) < len(r) for r in per_word)


@pytest.mark.parametrize("sg,hs,negative,shared,cbow_mean", CASES)
def test_subword_kernel_matches_the_numpy_reference(impl, sg, hs, negative, shared, cbow_mean):
    offsets, rows = csr()
    ref = [m.astype(np.float64) for m in start_vectors(0)]
    got = start_vectors(0)
    want = reference(DOC, *ref, sg, hs, negative, 2, 0.05, shared, cbow_mean, offsets, rows)
    loss, examples, kept, pairs = run_kernel(impl, DOC, *got, sg, hs, negative, 2, 0.05, shared, cbow_mean, offsets,
                                             rows)
    assert (examples, kept, pairs) == (want[1], len(DOC), want[2])
    assert loss == pytest.approx(want[0], rel=1e-5)
    for name, a, b in zip(("syn0", "syn1", "syn1neg"), got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    start = start_vectors(0)[0]
    moved = np.any(got[0] != start, axis=1)
    assert moved[V:].any() and moved[:V].all(), "the word rows and the bucket rows both train"
    untouched = np.setdiff1d(np.arange(V + BUCKET), rows)
    assert not moved[untouched].any(), "a bucket no word uses never moves"


@pytest.mark.parametrize("sg,hs,negative,shared,cbow_mean", [c for c in CASES if not c[0]])
def test_one_row_per_word_is_word2vecs_cbow(impl, sg, hs, negative, shared, cbow_mean):
    """For CBOW the identity CSR trains what no CSR trains (the same sums)."""
    a, b = start_vectors(1), start_vectors(1)
    a, b = [m[:V].copy() if i == 0 else m for i, m in enumerate(a)], [m[:V].copy() if i == 0 else m for i, m in
                                                                      enumerate(b)]
    ident = np.arange(V + 1, dtype=np.int64), np.arange(V, dtype=np.int32)
    ra = run_kernel(impl, DOC, *a, sg, hs, negative, 2, 0.05, shared, cbow_mean, *ident)
    rb = run_kernel(impl, DOC, *b, sg, hs, negative, 2, 0.05, shared, cbow_mean, None, None)
    assert ra[1:] == rb[1:] and ra[0] == pytest.approx(rb[0], rel=1e-6)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)


def test_lockf_is_one_factor_per_row(impl):
    """lockf with subwords has one entry per syn0 row: a frozen bucket row keeps its exact value."""
    offsets, rows = csr()
    syn0, syn1, syn1neg = start_vectors(2)
    before = syn0.copy()
    lockf = np.ones(V + BUCKET, np.float32)
    frozen = int(rows[offsets[0] + 1])
    lockf[frozen] = 0.0
    run_kernel(impl, DOC, syn0, syn1, syn1neg, 1, 0, 3, 2, 0.05, False, True, offsets, rows, lockf=lockf)
    np.testing.assert_array_equal(syn0[frozen], before[frozen])
    assert not np.array_equal(syn0[0], before[0])
    with pytest.raises(ValueError, match="lockf has 6 entries"):
        run_kernel(impl, DOC, *start_vectors(2), 1, 0, 3, 2, 0.05, False, True, offsets, rows,
                   lockf=np.ones(V, np.float32))


def bad_csrs():
    offsets, rows = csr()
    out_of_range = rows.copy()
    out_of_range[5] = V + BUCKET
    negative = rows.copy()
    negative[3] = -1
    flat = offsets.copy()
    flat[2] = flat[1]
    return [
        (offsets, out_of_range, ValueError, r"sub_rows\[5\] = 17 is outside syn0's 17 rows"),
        (offsets, negative, ValueError, r"sub_rows\[3\] = -1 is outside"),
        (flat, rows, ValueError, "sub_offsets must increase"),
        (offsets[:-1], rows, ValueError, "end at len"),
        (offsets - 1, rows, ValueError, "start at 0"),
        (offsets[:1], rows[:0], ValueError, "keep has 6 entries, sub_offsets words 0"),
        (offsets[:4], rows[:offsets[3]], ValueError, "keep has 6 entries, sub_offsets words 3"),
        (offsets.astype(np.int32), rows, TypeError, "sub_offsets must be a 1-D"),
        (offsets, rows.astype(np.int64), TypeError, "sub_rows must be a 1-D"),
        (offsets, None, TypeError, "together"),
        (None, rows, TypeError, "together"),
        (offsets, rows[::2], ValueError, "C-contiguous"),
    ]


@pytest.mark.parametrize("case", range(len(bad_csrs())))
def test_a_bad_csr_is_refused_before_the_loop(impl, case):
    offsets, rows, exc, message = bad_csrs()[case]
    syn0, syn1, syn1neg = start_vectors(3)
    before = syn0.copy()
    with pytest.raises(exc, match=message):
        run_kernel(impl, DOC, syn0, syn1, syn1neg, 1, 1, 3, 2, 0.05, False, True, offsets, rows)
    np.testing.assert_array_equal(syn0, before)


def test_ids_index_words_not_rows(impl):
    """With subwords the ids, keep, the noise and the output rows are per word (V), syn0 has more rows."""
    offsets, rows = csr()
    syn0, syn1, syn1neg = start_vectors(4)
    with pytest.raises(ValueError, match="outside the vocabulary of 6 words"):
        run_kernel(impl, [0, 1, V + 2, 3], syn0, syn1, syn1neg, 1, 0, 3, 2, 0.05, False, True, offsets, rows)
    with pytest.raises(ValueError, match="syn1neg must have the shape"):
        run_kernel(impl, DOC, syn0, syn1, np.zeros((V + BUCKET, DIM), np.float32), 1, 0, 3, 2, 0.05, False, True,
                   offsets, rows)


def test_the_csr_must_not_share_memory_with_a_trained_matrix(impl):
    offsets, rows = csr()
    syn0, syn1, syn1neg = start_vectors(5)
    alias = syn0.view(np.int32).ravel()[:len(rows)]
    alias[:] = rows  # valid rows, which training would overwrite with floats
    with pytest.raises(ValueError, match="must not share memory"):
        run_kernel(impl, DOC, syn0, syn1, syn1neg, 1, 0, 3, 2, 0.05, False, True, offsets, alias)
