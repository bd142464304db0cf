"""The kernels' optional `lockf` (gensim's vectors_lockf): one factor per word on its input-row updates. Without
it (None) or with all ones the result is the same, bit for bit; a factor 0 freezes a row exactly; the output
matrices train either way. Both implementations, every head and architecture."""

import numpy as np
import pytest

from wordvec import kernels
from wordvec.vocab import alias_table, huffman_tree, keep_probabilities, noise_distribution

from test_kernels import need_c_kernels

COUNTS = np.array([40, 30, 22, 15, 11, 9, 6, 4, 3, 2])
V, DIM = len(COUNTS), 24  # 24: the C kernels' 16- and 4-wide loops both run


@pytest.fixture(params=["c", "numba"])
def impl(request):
    if request.param == "c":
        need_c_kernels()
    return kernels.implementation(request.param)


def run(impl, sg, hs, negative, shared, lockf):
    rng = np.random.default_rng(3)
    ids = rng.integers(0, V, 600).astype(np.int32)
    offsets = np.array([0, 150, 300, 450, 600], dtype=np.int64)
    syn0 = ((rng.random((V, DIM)) - 0.5) / DIM).astype(np.float32)
    syn1 = np.zeros((V - 1, DIM), np.float32)
    syn1neg = np.zeros((V, DIM), np.float32)
    tree = huffman_tree(COUNTS)
    prob, alias = alias_table(noise_distribution(COUNTS))
    keep = keep_probabilities(COUNTS, 0.0)
    fn = impl.train_skipgram if sg else impl.train_cbow
    kw = {} if lockf is None else {"lockf": lockf}
    fn(ids, offsets, 0, len(ids), syn0, syn1, tree.codes, tree.points, tree.lengths, syn1neg, prob, alias, keep,
       hs, negative, 5, True, 0.05, 0.01, 7, shared, True, **kw)
    return syn0, syn1, syn1neg


CASES = [(1, 0, 5, True), (1, 0, 5, False), (1, 1, 0, False), (1, 1, 5, False), (0, 0, 5, False), (0, 1, 3, False)]


@pytest.mark.parametrize("sg,hs,negative,shared", CASES)
def test_all_ones_is_no_lockf(impl, sg, hs, negative, shared):
    plain = run(impl, sg, hs, negative, shared, None)
    ones = run(impl, sg, hs, negative, shared, np.ones(V, np.float32))
    for a, b in zip(plain, ones):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("sg,hs,negative,shared", CASES)
def test_zero_freezes_rows(impl, sg, hs, negative, shared):
    start = run(impl, sg, hs, negative, shared, np.zeros(V, np.float32))[0]  # every row frozen: syn0 as it began
    rng = np.random.default_rng(3)
    ids = rng.integers(0, V, 600)  # noqa: F841  (the same stream as run(): its first draw)
    begin = ((rng.random((V, DIM)) - 0.5) / DIM).astype(np.float32)
    assert np.array_equal(start, begin)
    lockf = np.ones(V, np.float32)
    lockf[[0, 3]] = 0.0
    lockf[5] = 0.5
    syn0, _, _ = run(impl, sg, hs, negative, shared, lockf)
    plain = run(impl, sg, hs, negative, shared, None)[0]
    assert np.array_equal(syn0[[0, 3]], begin[[0, 3]])
    moved = np.abs(syn0 - begin).sum(axis=1)
    assert (moved[[1, 2, 4, 6]] > 0).all()
    assert 0 < moved[5] < np.abs(plain - begin).sum(axis=1)[5] * 1.5


def test_lockf_checked(impl):
    with pytest.raises(ValueError, match="lockf has 3 entries"):
        run(impl, 1, 0, 5, True, np.ones(3, np.float32))
    with pytest.raises(TypeError, match="lockf"):
        run(impl, 1, 0, 5, True, np.ones(V, np.float64))
