"""The vectorised windowizer (issue #2 item 5) against the lab's per-row, per-pair Python."""

from __future__ import annotations

import numpy as np
import pytest

import lab_reference as lab
from wordvec.errors import WordvecError
from wordvec.vocab import Encoded
from wordvec.windows import all_pairs, count_pairs, offsets_for


def _ref_pairs(docs, window):
    tok2id = {i: i for d in docs for i in d}  # docs are already ids: identity mapping
    return lab.all_windows(docs, tok2id, window)


def _check(docs, window, chunk=1 << 20):
    enc = Encoded.from_docs(docs)
    got = all_pairs(enc, window, chunk=chunk)
    assert got.dtype == np.int64 and got.ndim == 2 and got.shape[1] == 2
    assert [tuple(p) for p in got.tolist()] == _ref_pairs(docs, window)
    assert count_pairs(enc, window) == len(got)
    return got


EDGE_DOCS = {
    "empty corpus": [],
    "one empty doc": [[]],
    "one token": [[5]],
    "two tokens": [[5, 6]],
    "window larger than doc": [[1, 2, 3]],
    "empty docs between": [[], [1, 2, 3], [], [], [4], [5, 6, 7, 8], []],
    "repeated ids": [[3, 3, 3, 3, 3, 3, 3, 3]],
    "long doc": [list(range(20))],
    "many short docs": [[i, i + 1] for i in range(30)] + [[9]] * 5,
}


@pytest.mark.parametrize("window", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("name", list(EDGE_DOCS))
def test_edge_cases(name, window):
    _check(EDGE_DOCS[name], window)


def test_known_small_case():
    # by hand from SPEC 1.5: doc [10, 11, 12], window 3
    got = all_pairs(Encoded.from_docs([[10, 11, 12]]), 3)
    assert got.tolist() == [[10, 11], [10, 12], [11, 10], [11, 12], [12, 10], [12, 11]]


@pytest.mark.parametrize("chunk", [1, 2, 7, 64])
def test_chunk_boundaries(chunk):
    rng = np.random.default_rng(0)
    docs = [rng.integers(0, 50, rng.integers(0, 12)).tolist() for _ in range(60)]
    for window in (1, 3, 5):
        _check(docs, window, chunk=chunk)


def test_random_docs():
    rng = np.random.default_rng(1)
    docs = [rng.integers(0, 1000, rng.integers(0, 40)).tolist() for _ in range(500)]
    for window in (1, 2, 3, 5, 8):
        _check(docs, window)


def test_real_sample_matches_lab_windowizer(lab_data):
    n = 3000
    vocab = lab_data.vocab
    token_docs = [lab.remove_rare_tokens(t, vocab.tok2id) for t in lab_data.train_tokens[:n]]
    expected = lab.all_windows(token_docs, vocab.tok2id, 3)
    enc = Encoded(lab_data.train_enc.ids[:lab_data.train_enc.offsets[n]], lab_data.train_enc.offsets[:n + 1])
    got = all_pairs(enc, 3)
    assert [tuple(p) for p in got.tolist()] == expected
    # and the same prefix of the whole-corpus pairs
    assert np.array_equal(lab_data.train_pairs[:len(expected)], got)


@pytest.mark.parametrize("window", [0, -1])
def test_window_below_one_is_an_error(window):
    enc = Encoded.from_docs([[1, 2, 3]])
    with pytest.raises(WordvecError, match="window"):
        all_pairs(enc, window)
    with pytest.raises(WordvecError, match="window"):
        count_pairs(enc, window)
    with pytest.raises(WordvecError, match="window"):
        offsets_for(window)


def test_offsets_order():
    assert offsets_for(3).tolist() == [-3, -2, -1, 1, 2, 3]
