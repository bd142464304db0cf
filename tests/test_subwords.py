"""fastText's n-grams and hash buckets against gensim's implementation (compute_ngrams_bytes, ft_hash_bytes,
ft_ngram_hashes) on thousands of words, non-ASCII and the tweets' own; the vocabulary CSR; bad settings."""

from __future__ import annotations

import numpy as np
import pytest

from fasttext_data import MADE_UP, gensim_fasttext, random_words, tweet_words
from wordvec import subwords
from wordvec.errors import WordvecError

SETTINGS = [(3, 6), (1, 1), (0, 2), (2, 5), (5, 3), (1, 10), (4, 4)]


@pytest.fixture(scope="module")
def words():
    return MADE_UP + random_words(3000)


@pytest.fixture(scope="module")
def gensim_inner():
    gensim_fasttext()
    import gensim.models.fasttext_inner as inner

    return inner


@pytest.mark.parametrize("min_n,max_n", SETTINGS)
def test_ngrams_are_gensims(gensim_inner, words, min_n, max_n):
    for w in words:
        assert subwords.ngrams(w, min_n, max_n) == gensim_inner.compute_ngrams_bytes(w, min_n, max_n), w


def test_hash_is_gensims_signed_char_fnv(gensim_inner, words):
    grams = {g for w in words[:800] for g in gensim_inner.compute_ngrams_bytes(w, 1, 6)}
    assert any(max(g) >= 128 for g in grams)  # the sign-extension case is exercised
    for g in grams:
        assert subwords.ft_hash(g) == gensim_inner.ft_hash_bytes(g)
    # a byte >= 128 is sign-extended: hashing it unsigned gives another value
    unsigned = ((subwords.FNV_OFFSET ^ 0xE9) * subwords.FNV_PRIME) & 0xFFFFFFFF
    assert subwords.ft_hash(b"\xe9") == gensim_inner.ft_hash_bytes(b"\xe9") != unsigned


@pytest.mark.parametrize("min_n,max_n,bucket", [(3, 6, 2_000_000), (1, 3, 7), (0, 2, 1), (2, 5, 1000)])
def test_vectorised_buckets_are_gensims(words, min_n, max_n, bucket):
    ft = gensim_fasttext()
    offsets, ids = subwords.hash_ngrams(words, min_n, max_n, bucket)
    assert offsets[0] == 0 and offsets[-1] == len(ids) and ids.dtype == np.int64
    for i, w in enumerate(words):
        assert ids[offsets[i]:offsets[i + 1]].tolist() == ft.ft_ngram_hashes(w, min_n, max_n, bucket), w
        assert subwords.ngram_hashes(w, min_n, max_n, bucket) == ft.ft_ngram_hashes(w, min_n, max_n, bucket)


def test_the_tweets_words_hash_as_in_gensim():
    ft = gensim_fasttext()
    words = tweet_words()
    assert len(words) > 5000 and any(not w.isascii() for w in words)
    offsets, ids = subwords.hash_ngrams(words, 3, 6, 2_000_000)
    for i, w in enumerate(words):
        assert ids[offsets[i]:offsets[i + 1]].tolist() == ft.ft_ngram_hashes(w, 3, 6, 2_000_000), w


def test_blocks_do_not_change_the_result(monkeypatch, words):
    whole = subwords.hash_ngrams(words, 2, 5, 5000)
    monkeypatch.setattr(subwords, "_BLOCK_CELLS", 7)
    small = subwords.hash_ngrams(words, 2, 5, 5000)
    np.testing.assert_array_equal(whole[0], small[0])
    np.testing.assert_array_equal(whole[1], small[1])


def test_vocab_rows_put_each_word_first_then_its_buckets_after_the_vocabulary(words):
    offsets, ids = subwords.hash_ngrams(words, 3, 6, 1000)
    r_off, rows = subwords.vocab_rows(words, 3, 6, 1000)
    assert rows.dtype == np.int32 and len(r_off) == len(words) + 1
    v = len(words)
    for i in range(v):
        row = rows[r_off[i]:r_off[i + 1]]
        assert row[0] == i
        assert (row[1:] - v).tolist() == ids[offsets[i]:offsets[i + 1]].tolist()
    assert rows[1:].max() < v + 1000


def test_no_buckets_or_no_lengths_give_no_ngrams():
    for args in [(3, 6, 0), (5, 3, 100), (0, 0, 100)]:
        offsets, ids = subwords.hash_ngrams(["hello", "x"], *args)
        assert offsets.tolist() == [0, 0, 0] and len(ids) == 0
    r_off, rows = subwords.vocab_rows(["hello", "x"], 3, 6, 0)
    assert r_off.tolist() == [0, 1, 2] and rows.tolist() == [0, 1]
    assert subwords.hash_ngrams([], 3, 6, 100)[0].tolist() == [0]
    # the wrapped word itself counts when it is short enough; the lone '<' and '>' never do
    assert subwords.ngrams("a", 1, 3) == [b"<a", b"<a>", b"a", b"a>"]


@pytest.mark.parametrize("args", [(-1, 6, 10), (3, -2, 10), (3, 6, -1), (3.0, 6, 10), (3, 6, 1 << 31), (True, 6, 1)])
def test_bad_settings_are_one_clear_error(args):
    with pytest.raises(WordvecError, match="min_n|max_n|bucket"):
        subwords.hash_ngrams(["word"], *args)


def test_a_huge_max_n_costs_only_the_longest_word():
    assert subwords.ngram_hashes("abc", 1, 10**9, 100) == subwords.ngram_hashes("abc", 1, 5, 100)


def test_lone_surrogates_are_hashed_not_refused():
    offsets, ids = subwords.hash_ngrams(["a\udcffb"], 3, 6, 100)
    assert offsets[-1] > 0
