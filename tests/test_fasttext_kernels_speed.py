"""What the speed work on the subword kernels must not change. The C kernels sum a word's (or a CBOW window's)
input rows 32 columns at a time in registers, then 8, 4 and one at a time: every vector width against the numpy
reference, so no column block is summed wrong. They ask for the rows of the words ahead (the next centre, the word
entering the next CBOW window, the next document's first tokens): on documents of every awkward length, chunks cut
inside documents, subsampling and reduced windows, the C and numba kernels still train the same vectors with the
same counts (a look-ahead that read past a document or the chunk, or took a random number, would show here).
"""

import numpy as np
import pytest

from test_fasttext_kernels import BUCKET, DOC, csr, reference, run_kernel
from test_kernels import COUNTS, V, need_c_kernels
from wordvec import kernels
from wordvec.vocab import alias_table, huffman_tree, noise_distribution


@pytest.fixture(params=["c", "numba"])
def impl(request):
    if request.param == "c":
        need_c_kernels()
    return kernels.implementation(request.param)


def vectors(dim: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-0.2, 0.2, (V + BUCKET, dim)).astype(np.float32),
            rng.uniform(-0.5, 0.5, (V - 1, dim)).astype(np.float32),
            rng.uniform(-0.5, 0.5, (V, dim)).astype(np.float32))


@pytest.mark.parametrize("dim", [1, 3, 4, 12, 32, 45, 100])
@pytest.mark.parametrize("sg", [1, 0])
def test_every_column_block_sums_the_rows(impl, dim, sg):
    """dim 1 and 3: the scalar columns; 4, 12: a 4-column block; 32, 100: 32-column blocks and the rest."""
    offsets, rows = csr()
    ref = [m.astype(np.float64) for m in vectors(dim)]
    got = vectors(dim)
    want = reference(DOC, *ref, sg, 1, 3, 2, 0.05, False, True, offsets, rows)
    loss, examples, _, pairs = run_kernel(impl, DOC, *got, sg, 1, 3, 2, 0.05, False, True, offsets, rows)
    assert (examples, pairs) == want[1:]
    assert loss == pytest.approx(want[0], rel=1e-5)
    for name, a, b in zip(("syn0", "syn1", "syn1neg"), got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    assert np.any(got[0][V:] != vectors(dim)[0][V:]), "the bucket rows trained"


def chunked_args(dim: int, window: int, start: int, stop: int):
    """Documents of 0, 1, 2, 3, window + 2 and more tokens, words kept with probability 1 or less, reduced
    windows, a real noise table, the chunk [start, stop) cut where asked."""
    rng = np.random.default_rng(3)
    lengths = [1, 0, 2, 1, 3, window + 2, 1, 0, 17, 2, window + 3, 1, 40, 1]
    ids = rng.integers(0, V, sum(lengths)).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    sub_offsets, sub_rows = csr()
    tree = huffman_tree(COUNTS)
    prob, alias = alias_table(noise_distribution(COUNTS, 0.75))
    syn0, syn1, syn1neg = vectors(dim, 5)
    return dict(ids=ids, offsets=offsets, start=start, stop=min(stop, len(ids)), syn0=syn0, syn1=syn1,
                codes=tree.codes, points=tree.points, lengths=tree.lengths, syn1neg=syn1neg, prob=prob, alias=alias,
                keep=np.array([0.4, 0.7, 1, 1, 1, 1], np.float32), hs=True, negative=3, window=window,
                reduced_window=True, alpha0=0.05, alpha1=0.01, seed=11, shared_negatives=True, cbow_mean=True,
                sub_offsets=sub_offsets, sub_rows=sub_rows)


@pytest.mark.parametrize("sg", [True, False])
@pytest.mark.parametrize("window,start,stop", [(1, 0, 10 ** 6), (5, 0, 10 ** 6), (5, 4, 31), (5, 13, 14),
                                               (50, 3, 70), (5, 60, 10 ** 6)])
def test_the_look_ahead_changes_nothing(sg, window, start, stop):
    need_c_kernels()
    c, numba = (kernels.implementation(name) for name in ("c", "numba"))
    runs = []
    for impl in (c, numba):
        args = chunked_args(12, window, start, stop)
        result = (impl.train_skipgram if sg else impl.train_cbow)(**args)
        runs.append((result, args["syn0"], args["syn1"], args["syn1neg"]))
    (rc, *mc), (rn, *mn) = runs
    assert rc[1:] == rn[1:]
    assert rc[0] == pytest.approx(rn[0], rel=1e-5)
    for name, a, b in zip(("syn0", "syn1", "syn1neg"), mc, mn):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    trained = rc[3] > 0
    assert trained or stop - start == 1, "every chunk of more than one token has pairs"
    assert np.any(mc[0] != vectors(12, 5)[0]) == trained
