"""FastTextKeyedVectors against gensim's on the same fastText model: composed vectors, unseen words (mean of their
n-gram rows), `in`, queries on unseen words, vectors_for_all; wordvec's own file (no pickle); the CSR sums."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys

import numpy as np
import pytest

from fasttext_data import datapath, gensim_fasttext, random_words
from wordvec import FastTextKeyedVectors, KeyedVectors, WordvecError, fasttext, load_facebook_vectors
from wordvec.vectors import UnknownWordError, UnsupportedError

CLOSE = {"rtol": 1e-5, "atol": 1e-6}
UNSEEN = ["landlord", "steamtrain", "happpy", "#loveislove", "пароходы", "日本", "😀", "é", "ab", "x" * 30]


@pytest.fixture(scope="module")
def pair():
    """(wordvec's, gensim's) vectors of crime-and-punishment.bin."""
    ft = gensim_fasttext()
    path = datapath("crime-and-punishment.bin")
    return load_facebook_vectors(path), ft.load_facebook_vectors(path)


def test_composed_vectors_are_gensims(pair):
    ours, theirs = pair
    assert ours.index_to_key == theirs.index_to_key
    assert (ours.min_n, ours.max_n, ours.bucket) == (theirs.min_n, theirs.max_n, theirs.bucket)
    np.testing.assert_array_equal(ours.vectors_vocab, theirs.vectors_vocab)
    np.testing.assert_array_equal(ours.vectors_ngrams, theirs.vectors_ngrams)
    np.testing.assert_allclose(ours.vectors, theirs.vectors, **CLOSE)
    assert [b.tolist() for b in ours.buckets_word] == [b.tolist() for b in theirs.buckets_word]
    # and not merely the word rows: (row + n-gram rows) / (1 + n)
    i = ours.key_to_index["landlady"]
    b = ours.buckets_word[i]
    np.testing.assert_allclose(ours.vectors[i], (ours.vectors_vocab[i] + ours.vectors_ngrams[b].sum(0)) / (1 + len(b)),
                               **CLOSE)


def test_unseen_words_are_the_mean_of_their_ngrams_as_in_gensim(pair):
    ours, theirs = pair
    for w in UNSEEN + random_words(300, seed=3):
        if not w:
            continue
        assert not ours.has_index_for(w) or w in theirs.key_to_index
        np.testing.assert_allclose(ours[w], theirs[w], **CLOSE)
        np.testing.assert_allclose(ours.get_vector(w, norm=True), theirs.get_vector(w, norm=True), **CLOSE)
    np.testing.assert_allclose(ours[UNSEEN + ["landlady"]], np.stack([theirs[w] for w in UNSEEN + ["landlady"]]),
                               **CLOSE)


def test_in_and_has_index_for_follow_gensim(pair):
    ours, theirs = pair
    for w in UNSEEN + ["landlady", "", 3]:
        if isinstance(w, str):
            assert (w in ours) == (w in theirs)
        assert ours.has_index_for(w) == theirs.has_index_for(w)


def test_a_word_without_ngrams_is_the_zero_vector_as_in_gensim(pair, caplog):
    ours, theirs = pair
    with caplog.at_level(logging.WARNING, logger="wordvec"):
        vec = ours[""]
    assert "could not extract any n-grams" in caplog.text
    np.testing.assert_array_equal(vec, theirs[""])
    assert not vec.any()
    with pytest.raises(UnknownWordError, match="no character n-grams"):
        ours.most_similar("")


def test_queries_on_unseen_words_match_gensim(pair):
    ours, theirs = pair
    for w in ["landlord", "steamtrain", "раскольников"]:
        a, b = ours.most_similar(w, topn=10), theirs.most_similar(w, topn=10)
        assert [k for k, _ in a] == [k for k, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], **CLOSE)
        assert ours.similarity(w, "landlady") == pytest.approx(theirs.similarity(w, "landlady"), abs=1e-5)
    a = ours.most_similar(positive=["landlord", "landlady"], negative=["steamtrain"], topn=5)
    b = theirs.most_similar(positive=["landlord", "landlady"], negative=["steamtrain"], topn=5)
    assert [k for k, _ in a] == [k for k, _ in b]
    assert ours.n_similarity(["landlord", "he"], ["steamtrain"]) == pytest.approx(
        theirs.n_similarity(["landlord", "he"], ["steamtrain"]), abs=1e-5)
    assert ours.doesnt_match(["landlord", "landlady", "steamtrain"]) == \
        theirs.doesnt_match(["landlord", "landlady", "steamtrain"])
    assert ours.most_similar_to_given("landlord", ["he", "steamtrain", "landlady"]) == \
        theirs.most_similar_to_given("landlord", ["he", "steamtrain", "landlady"])
    np.testing.assert_allclose(ours.get_sentence_vector(["landlord", "he"]),
                               theirs.get_sentence_vector(["landlord", "he"]), **CLOSE)


@pytest.mark.parametrize("allow_inference", [True, False])
@pytest.mark.parametrize("copy_vecattrs", [True, False])
def test_vectors_for_all_is_gensims(pair, allow_inference, copy_vecattrs):
    ours, theirs = pair
    keys = ["landlord", "he", "landlady", "he", "steamtrain", "日本"] + ours.index_to_key[:20]
    a = ours.vectors_for_all(keys, allow_inference=allow_inference, copy_vecattrs=copy_vecattrs)
    b = theirs.vectors_for_all(keys, allow_inference=allow_inference, copy_vecattrs=copy_vecattrs)
    assert type(a) is KeyedVectors and a.index_to_key == b.index_to_key
    np.testing.assert_allclose(a.vectors, b.vectors, **CLOSE)
    if copy_vecattrs:
        assert a.get_vecattr("he", "count") == b.get_vecattr("he", "count")
    else:
        assert a.counts is None


def test_without_buckets_an_unseen_word_is_a_key_error():
    kv = FastTextKeyedVectors.from_arrays(["a", "b"], np.eye(2, dtype=np.float32), np.zeros((0, 2)), 3, 6)
    assert "zz" not in kv and "a" in kv
    np.testing.assert_array_equal(kv.vectors, np.eye(2))
    with pytest.raises(KeyError):
        kv["zz"]


def test_gensims_constructor_and_repr():
    kv = FastTextKeyedVectors(4, 3, 6, 10, count=0)
    assert kv.vectors_ngrams.shape == (10, 4) and kv.vectors_vocab.shape == (0, 4) and len(kv) == 0
    assert "bucket=10" in repr(kv)
    with pytest.raises(WordvecError):
        FastTextKeyedVectors(4, -1, 6, 10)


def test_save_and_load_keep_everything(pair, tmp_path):
    ours, _ = pair
    path = ours.save(tmp_path / "ft.kv")
    for mmap in (None, "r"):
        back = FastTextKeyedVectors.load(path, mmap=mmap)
        assert back.index_to_key == ours.index_to_key and (back.min_n, back.max_n, back.bucket) == (3, 6, 100)
        np.testing.assert_array_equal(back.vectors, ours.vectors)
        np.testing.assert_array_equal(back["landlord"], ours["landlord"])
        np.testing.assert_array_equal(back.counts, ours.counts)
    assert isinstance(FastTextKeyedVectors.load(path, mmap="r").vectors_ngrams, np.memmap)
    with pytest.raises(WordvecError, match="fasttextkeyedvectors"):
        KeyedVectors.load(path)


def test_gensim_pickles_are_refused_with_the_conversion(tmp_path):
    path = tmp_path / "old.kv"
    path.write_bytes(pickle.dumps({"not": "loaded"}, protocol=4))
    with pytest.raises(WordvecError, match="pickle.*save_facebook_model"):
        FastTextKeyedVectors.load(path)


def test_a_damaged_file_is_one_error(pair, tmp_path):
    ours, _ = pair
    path = ours.save(tmp_path / "ft.kv")
    data = bytearray(path.read_bytes())
    # a NaN written over the data area: read into memory, the tensor fails its checksum; mapped (not checksummed,
    # that would read it all), the NaN itself is refused
    header = int.from_bytes(data[:8], "little")
    data[8 + header:8 + header + 4] = np.float32("nan").tobytes()
    (tmp_path / "nan.kv").write_bytes(bytes(data))
    with pytest.raises(WordvecError, match="fails its checksum"):
        FastTextKeyedVectors.load(tmp_path / "nan.kv")
    with pytest.raises(WordvecError, match="NaN"):
        FastTextKeyedVectors.load(tmp_path / "nan.kv", mmap="r")
    (tmp_path / "cut.kv").write_bytes(path.read_bytes()[:-10])
    with pytest.raises(WordvecError):
        FastTextKeyedVectors.load(tmp_path / "cut.kv")


def test_adding_words_is_refused_clearly(pair):
    ours, _ = pair
    with pytest.raises(UnsupportedError, match="vectors_for_all"):
        ours.add_vector("new", np.zeros(5))


def test_sorting_keeps_each_word_with_its_vector():
    rng = np.random.default_rng(0)
    words = ["rare", "common", "mid"]
    kv = FastTextKeyedVectors.from_arrays(words, rng.normal(size=(3, 4)), rng.normal(size=(50, 4)), 2, 4,
                                          counts=[1, 10, 5])
    before = {w: kv[w].copy() for w in words}
    kv.sort_by_descending_frequency()
    assert kv.index_to_key == ["common", "mid", "rare"]
    for w in words:
        np.testing.assert_allclose(kv[w], before[w], **CLOSE)


@pytest.mark.parametrize("cells", [1, 3, 1 << 22])
def test_mean_rows_is_a_plain_loop(monkeypatch, cells):
    monkeypatch.setattr(fasttext, "_SUM_CELLS", cells)
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 5, size=40)
    counts[[0, 7, 39]] = 0
    offsets = np.concatenate([[0], np.cumsum(counts)])
    ids = rng.integers(0, 30, size=offsets[-1])
    matrix = rng.normal(size=(30, 3)).astype(np.float32)
    base = rng.normal(size=(40, 3)).astype(np.float32)
    got_mean = fasttext.mean_rows(offsets, ids, matrix)
    got_base = fasttext.mean_rows(offsets, ids, matrix, base=base)
    for i in range(40):
        rows = matrix[ids[offsets[i]:offsets[i + 1]]]
        np.testing.assert_allclose(got_mean[i], rows.mean(0) if len(rows) else 0, **CLOSE)
        np.testing.assert_allclose(got_base[i], (base[i] + rows.sum(0)) / (1 + len(rows)), **CLOSE)


def test_reading_and_querying_a_bin_never_imports_torch():
    path = datapath("crime-and-punishment.bin")
    code = (f"import sys, wordvec; wv = wordvec.load_facebook_vectors({path!r}); wv.most_similar('landlord'); "
            f"wv.vectors_for_all(['x', 'he']); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr
