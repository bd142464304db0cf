"""Training fastText's subword model (`wordvec.FastText`): against gensim's FastText on the tweets (the neighbours of
frequent words overlap; misspellings the corpus never holds find their true word as often), gensim 4's lifecycle
(build_vocab / train / continue / callbacks / save / load), the composed vectors, and Facebook's .bin that gensim
reads with the same vectors."""

import logging

import numpy as np
import pytest

from fasttext_quality import frequent_words, misspellings, neighbour_overlap, recall_at, tweet_sentences
from wordvec import FastText, FastTextKeyedVectors, Word2Vec, WordvecError
from wordvec.subwords import ngram_hashes
from wordvec.test.utils import common_texts

gensim_models = pytest.importorskip("gensim.models")

SETTINGS = dict(vector_size=50, window=5, min_count=5, sg=1, negative=5, epochs=5, bucket=200_000, workers=2,
                seed=1)


@pytest.fixture(scope="module")
def tweets(shared_data):
    return tweet_sentences(shared_data / "train.csv")


@pytest.fixture(scope="module")
def both(tweets):
    """(ours, gensim's) FastText on the tweets, the same settings."""
    logging.getLogger("gensim").setLevel(logging.WARNING)
    return FastText(tweets, **SETTINGS), gensim_models.FastText(tweets, **SETTINGS)


def test_misspellings_find_their_word_as_with_gensim(tweets, both):
    ours, theirs = both
    pairs = misspellings(tweets, 200)
    assert len(pairs) == 200 and not any(typo in ours.wv.key_to_index for typo, _ in pairs)
    mine, gensims = recall_at(ours.wv, pairs), recall_at(theirs.wv, pairs)
    assert mine >= 0.45 and mine >= gensims - 0.08, (mine, gensims)


def test_frequent_words_have_gensims_neighbours(both):
    ours, theirs = both
    assert ours.wv.index_to_key == theirs.wv.index_to_key  # the same vocabulary, in the same order
    overlap = neighbour_overlap(ours.wv, theirs.wv, frequent_words(theirs.wv, 100))
    assert overlap >= 0.5, overlap  # two gensim seeds agree on about 0.7


def test_the_vectors_are_composed_as_fasttext_composes_them(both):
    ours, _ = both
    wv = ours.wv
    v = len(wv)
    assert np.shares_memory(wv.vectors_vocab, ours._weights.syn0) and wv.vectors_ngrams.shape == (200_000, 50)
    for word in ("father", wv.index_to_key[0], wv.index_to_key[-1]):
        i, buckets = wv.get_index(word), ngram_hashes(word, 3, 6, 200_000)
        want = (ours._weights.syn0[i] + ours._weights.syn0[[v + b for b in buckets]].sum(0)) / (1 + len(buckets))
        np.testing.assert_allclose(wv[word], want, rtol=1e-5, atol=1e-7)
    unseen = "fatherzz"
    buckets = ngram_hashes(unseen, 3, 6, 200_000)
    np.testing.assert_allclose(wv[unseen], wv.vectors_ngrams[buckets].mean(0), rtol=1e-5, atol=1e-7)
    assert unseen in wv and not wv.has_index_for(unseen)


def test_gensim_reads_the_facebook_file_with_the_same_vectors(both, tmp_path):
    ours, _ = both
    path = ours.save_facebook_model(tmp_path / "tweets.bin")
    loaded = gensim_models.fasttext.load_facebook_model(str(path))
    assert loaded.wv.index_to_key == ours.wv.index_to_key
    for word in ("father", "love", "happpy", "tommorow", "#loveislove"):
        np.testing.assert_allclose(loaded.wv[word], ours.wv[word], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loaded.wv.vectors, ours.wv.vectors, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sg,hs,negative", [(1, 0, 5), (0, 0, 5), (1, 1, 0), (0, 1, 0)])
def test_each_architecture_and_head_trains(sg, hs, negative):
    model = FastText(common_texts * 40, vector_size=16, min_count=1, sg=sg, hs=hs, negative=negative, epochs=10,
                     bucket=500, workers=1, sample=0, seed=3)
    start = FastText(common_texts * 40, vector_size=16, min_count=1, sg=sg, hs=hs, negative=negative, epochs=1,
                     bucket=500, workers=1, sample=0, seed=3)
    start.init_weights()
    assert np.isfinite(model.wv.vectors).all() and model.train_result.pairs > 0
    assert not np.allclose(model.wv.vectors_ngrams, start.wv.vectors_ngrams), "the bucket rows train"
    assert model.wv.similarity("graph", "trees") > model.wv.similarity("graph", "human")  # common_texts' two topics


def test_one_worker_is_bit_identical_and_seeds_differ():
    kw = dict(vector_size=16, min_count=1, epochs=3, bucket=300, workers=1)
    a, b = FastText(common_texts * 20, seed=5, **kw), FastText(common_texts * 20, seed=5, **kw)
    np.testing.assert_array_equal(a._weights.syn0, b._weights.syn0)
    assert not np.array_equal(a._weights.syn0, FastText(common_texts * 20, seed=6, **kw)._weights.syn0)


def test_save_load_continue(tmp_path):
    model = FastText(vector_size=16, min_count=1, bucket=400, workers=1, min_n=2, max_n=4)
    model.build_vocab(common_texts * 20)
    model.train(common_texts * 20, total_examples=model.corpus_count, epochs=3)
    path = model.save(tmp_path / "ft.model")
    loaded = FastText.load(path)
    assert isinstance(loaded.wv, FastTextKeyedVectors) and (loaded.min_n, loaded.max_n, loaded.bucket) == (2, 4, 400)
    for word in ("graph", "graphz", "xyz"):
        np.testing.assert_array_equal(loaded.wv[word], model.wv[word])
    before = loaded.wv["graphz"].copy()
    loaded.train(common_texts * 20, total_examples=model.corpus_count, epochs=2)
    assert not np.array_equal(loaded.wv["graphz"], before), "continued training moves the n-gram rows"
    assert np.shares_memory(loaded.wv.vectors_ngrams, loaded._weights.syn0)
    mapped = FastText.load(path, mmap="r")
    mapped.train(common_texts * 20, total_examples=model.corpus_count, epochs=1)
    assert np.isfinite(mapped.wv.vectors).all()


def test_update_vocab_adds_words_and_keeps_the_buckets():
    model = FastText(common_texts * 20, vector_size=16, min_count=1, bucket=300, workers=1)
    ngrams = model.wv.vectors_ngrams.copy()
    model.build_vocab([["brandnew", "graph"]] * 10, update=True)
    assert model.wv.has_index_for("brandnew") and model._weights.syn0.shape == (len(model.wv) + 300, 16)
    np.testing.assert_array_equal(model.wv.vectors_ngrams, ngrams)
    model.train([["brandnew", "graph"]] * 10, total_examples=10, epochs=1)
    assert np.isfinite(model.wv["brandnew"]).all()


def test_callbacks_see_every_epoch():
    from wordvec.models.callbacks import CallbackAny2Vec

    class Count(CallbackAny2Vec):
        def __init__(self):
            self.epochs = 0

        def on_epoch_end(self, model):
            self.epochs += 1

    count = Count()
    FastText(common_texts * 10, vector_size=8, min_count=1, bucket=100, epochs=4, callbacks=[count], workers=1)
    assert count.epochs == 4


def test_files_of_the_other_model_are_refused(tmp_path):
    ft = FastText(common_texts, vector_size=8, min_count=1, bucket=50, workers=1).save(tmp_path / "ft.model")
    w2v = Word2Vec(common_texts, vector_size=8, min_count=1, workers=1).save(tmp_path / "w2v.model")
    with pytest.raises(WordvecError, match="holds a FastText model; load it with FastText.load"):
        Word2Vec.load(ft)
    with pytest.raises(WordvecError, match="holds a Word2Vec model; load it with Word2Vec.load"):
        FastText.load(w2v)


def test_without_ngrams_it_is_word2vec_with_fasttext_vectors():
    model = FastText(common_texts * 20, vector_size=8, min_count=1, max_n=0, workers=1)
    assert model.bucket == 0 and model.wv.vectors_ngrams.shape == (0, 8)
    np.testing.assert_array_equal(model.wv.vectors, model.wv.vectors_vocab)
    with pytest.raises(KeyError):
        model.wv["unseen"]


@pytest.mark.parametrize("kwargs,message", [
    (dict(min_n=-1), "min_n must be a non-negative integer"),
    (dict(bucket=2 ** 31), "bucket must be below 2"),
    (dict(max_n=101), "max_n 101 is beyond any real run"),
])
def test_bad_settings_are_one_clear_error(kwargs, message):
    with pytest.raises(WordvecError, match=message):
        FastText(common_texts, vector_size=8, min_count=1, bucket=kwargs.pop("bucket", 50), workers=1, **kwargs)


def test_a_word2vec_run_identity_is_unchanged_and_a_fasttext_one_names_its_buckets():
    """Resume compares these: a word2vec checkpoint written before the subword fields existed still matches."""
    from wordvec.config import Config

    assert not {"subwords", "min_n", "max_n", "bucket"} & set(Config().identity_dict())
    assert Config().identity_dict() == {k: v for k, v in Config().to_dict().items()
                                        if k not in ("subwords", "min_n", "max_n", "bucket")}
    d = Config(subwords=True, bucket=10).identity_dict()
    assert (d["subwords"], d["min_n"], d["max_n"], d["bucket"]) == (True, 3, 6, 10)
