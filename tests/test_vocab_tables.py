"""The word2vec tables match their formulas on small inputs: subsampling, noise, Huffman codes."""

import numpy as np
import pytest

from wordvec.errors import WordvecError
from wordvec.vocab import Vocab, alias_table, huffman_tree, keep_probabilities, noise_distribution


def alias_probabilities(prob: np.ndarray, alias: np.ndarray) -> np.ndarray:
    """The distribution an alias table samples from: 1/n per slot, split between i and alias[i]."""
    n = prob.size
    out = prob.astype(np.float64) / n
    np.add.at(out, alias, (1.0 - prob.astype(np.float64)) / n)
    return out


def test_keep_probabilities_formula():
    counts = np.array([1000, 100, 10, 1])
    sample = 1e-2
    t = sample * counts.sum()
    expected = np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)
    np.testing.assert_allclose(keep_probabilities(counts, sample), expected, rtol=1e-6)
    assert keep_probabilities(counts, sample)[0] < 1.0 and keep_probabilities(counts, sample)[-1] == 1.0
    assert np.all(keep_probabilities(counts, 0.0) == 1.0)


def test_vocab_methods_use_counts():
    v = Vocab(["a", "b", "c"], [8, 4, 1])
    np.testing.assert_allclose(v.keep_probabilities(1e-1), keep_probabilities(v.counts, 1e-1))
    np.testing.assert_allclose(v.noise_distribution(0.75), noise_distribution(v.counts, 0.75))
    assert v.huffman().code(0) == huffman_tree(v.counts).code(0)


def test_noise_distribution_and_samplers():
    counts = np.array([100, 10, 1, 50, 0])
    p = noise_distribution(counts, 0.75)
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(p, expected)
    prob, alias = alias_table(p)
    np.testing.assert_allclose(alias_probabilities(prob, alias), p, atol=1e-7)
    with pytest.raises(WordvecError):
        noise_distribution(np.array([0, 0]))


def test_kernel_draws_follow_the_noise_distribution():
    from wordvec.kernels import sample_noise

    p = noise_distribution(np.array([100, 10, 1, 50, 7]))
    prob, alias = alias_table(p)
    draws = sample_noise(prob, alias, 200_000, 7)
    freq = np.bincount(draws, minlength=p.size) / draws.size
    np.testing.assert_allclose(freq, p, atol=0.005)


def test_huffman_hand_computed():
    # merges: (1,1)->n0 [word3 code0, word4 code1]; (2,n0)->n1; (3,n1)->n2; (5,n2)->n3 = root
    h = huffman_tree(np.array([5, 3, 2, 1, 1]))
    assert [h.code(w) for w in range(5)] == [[0], [1, 0], [1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
    assert [h.point(w) for w in range(5)] == [[3], [3, 2], [3, 2, 1], [3, 2, 1, 0], [3, 2, 1, 0]]
    assert h.n_inner == 4


def test_huffman_prefix_free_and_optimal_lengths():
    rng = np.random.default_rng(0)
    counts = rng.zipf(1.5, size=300).clip(max=10 ** 6)
    h = huffman_tree(counts)
    codes = ["".join(map(str, h.code(w))) for w in range(len(counts))]
    assert len(set(codes)) == len(codes)
    srt = sorted(codes)
    assert not any(b.startswith(a) for a, b in zip(srt, srt[1:]))  # prefix-free
    assert abs(sum(2.0 ** -len(c) for c in codes) - 1.0) < 1e-9  # a full binary tree (Kraft equality)
    more = counts[:, None] > counts[None, :]
    assert np.all((h.lengths[:, None] <= h.lengths[None, :])[more])  # more frequent words never get longer codes
    assert np.all(h.points[:, 0] == len(counts) - 2)  # every path starts at the root
    assert h.points.max() <= len(counts) - 2


def test_huffman_code_lengths_match_gensim():
    gensim_w2v = pytest.importorskip("gensim.models.word2vec")
    from gensim.models import KeyedVectors

    counts = np.array([50, 30, 30, 12, 9, 9, 4, 2, 1, 1])
    kv = KeyedVectors(vector_size=2)
    for i, c in enumerate(counts):
        kv.add_vector(f"w{i}", np.zeros(2))
        kv.set_vecattr(f"w{i}", "count", int(c))
    gensim_w2v._assign_binary_codes(kv)
    ours = huffman_tree(counts)
    lengths = [len(kv.get_vecattr(f"w{i}", "code")) for i in range(len(counts))]
    assert lengths == ours.lengths.tolist()
    assert abs(sum(c * l for c, l in zip(counts, lengths)) - (counts * ours.lengths).sum()) == 0


def test_huffman_single_word_and_empty():
    h = huffman_tree(np.array([7]))
    assert h.code(0) == [0] and h.point(0) == [0]
    with pytest.raises(WordvecError):
        huffman_tree(np.array([], dtype=np.int64))
