"""The last Word2Vec / KeyedVectors gaps (issue 16 item 3), each against gensim 4 on the same input: syn1's shape
and the Huffman 'code' / 'point' vecattrs, a negative ns_exponent, vectors_lockf and intersect_word2vec_format,
vectors_for_all, distance / n_similarity, train() after load on unknown words, the warnings and progress lines,
predict_output_word's ties and load's misuse."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import numpy as np
import pytest

import wordvec
from wordvec import KeyedVectors, Word2Vec
from wordvec.vocab import noise_distribution

gensim_models = pytest.importorskip("gensim.models")
GWord2Vec, GKeyedVectors = gensim_models.Word2Vec, gensim_models.KeyedVectors
SRC = Path(wordvec.__file__).parent


def corpus(n_sentences=400, vocab=60, seed=0):
    """Sentences of Zipf-distributed words w0..w{vocab-1} (distinct counts for most words)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    return [[f"w{i}" for i in rng.choice(vocab, size=rng.integers(5, 15), p=p)] for _ in range(n_sentences)]


SENTENCES = corpus()
COMMON = dict(vector_size=16, min_count=1, workers=1, seed=3, epochs=2)


# --- syn1 and the Huffman vecattrs ----------------------------------------------------------------------------

def test_syn1_shape_and_huffman_vecattrs_as_gensim():
    ours = Word2Vec(SENTENCES, hs=1, negative=0, **COMMON)
    theirs = GWord2Vec(SENTENCES, hs=1, negative=0, **COMMON)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert ours.syn1.shape == theirs.syn1.shape == (len(ours.wv), 16)
    assert ours.syn1[:-1].any()  # trained rows
    assert not ours.syn1[-1].any() and not theirs.syn1[-1].any()  # the unused last row
    counts = ours.wv.counts
    cost = {}
    for name, m in (("ours", ours), ("gensim", theirs)):
        codes = [m.wv.get_vecattr(w, "code") for w in m.wv.index_to_key]
        points = [m.wv.get_vecattr(w, "point") for w in m.wv.index_to_key]
        assert {c.dtype for c in codes} == {np.dtype(np.uint8)} and {p.dtype for p in points} == {np.dtype(np.uint32)}
        assert all(len(c) == len(p) and p[0] == len(m.wv) - 2 for c, p in zip(codes, points))  # root first
        cost[name] = sum(int(n) * len(c) for n, c in zip(counts, codes))
    assert cost["ours"] == cost["gensim"]  # both optimal; tied counts may pair up differently


def test_huffman_vecattrs_equal_gensims_without_tied_counts():
    freq = {f"w{i}": 1000 - 7 * i + (i * i) % 5 for i in range(90)}  # distinct counts
    assert len(set(freq.values())) == len(freq)
    ours, theirs = Word2Vec(hs=1, negative=0, **COMMON), GWord2Vec(hs=1, negative=0, **COMMON)
    ours.build_vocab_from_freq(freq)
    theirs.build_vocab_from_freq(freq)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    for word in ours.wv.index_to_key:
        for attr in ("code", "point"):
            a, b = ours.wv.get_vecattr(word, attr), theirs.wv.get_vecattr(word, attr)
            assert a.dtype == b.dtype and np.array_equal(a, b), (word, attr, a, b)
    assert ours.syn1.shape == theirs.syn1.shape


def test_syn1_is_the_live_matrix_and_survives_save_load(tmp_path):
    model = Word2Vec(SENTENCES, hs=1, negative=0, **COMMON)
    before = model.syn1.copy()
    model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    assert not np.array_equal(model.syn1, before)  # the view handed out is the matrix training writes
    assert not model.syn1[-1].any()
    model.save(tmp_path / "m.model")
    loaded = Word2Vec.load(tmp_path / "m.model")
    assert np.array_equal(loaded.syn1, model.syn1)
    assert np.array_equal(loaded.wv.get_vecattr("w3", "code"), model.wv.get_vecattr("w3", "code"))
    model.wv.save(tmp_path / "kv")  # the object vecattrs are left out, not refused
    assert KeyedVectors.load(tmp_path / "kv").index_to_key == model.wv.index_to_key
    model.syn1 = np.ones((len(model.wv), 16), np.float32)  # gensim's shape assigned back
    assert model.syn1.shape == (len(model.wv), 16) and model.syn1[:-1].all() and not model.syn1[-1].any()


# --- a negative ns_exponent -----------------------------------------------------------------------------------

@pytest.mark.parametrize("exponent", [-0.5, 0.0, 0.75])
def test_ns_exponent_noise_as_gensim(exponent):
    ours = Word2Vec(SENTENCES, ns_exponent=exponent, **COMMON)
    theirs = GWord2Vec(SENTENCES, ns_exponent=exponent, **COMMON)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    g = np.diff(np.concatenate([[0], theirs.cum_table.astype(np.float64)])) / float(theirs.cum_table[-1])
    mine = noise_distribution(ours.wv.counts, exponent)
    np.testing.assert_allclose(mine, g, atol=2e-9)
    if exponent < 0:  # rare words drawn more than frequent ones
        assert mine[-1] > mine[0]
    assert np.isfinite(ours.wv.vectors).all()


def test_ns_exponent_that_overflows_is_refused_in_the_apis_words():
    model = Word2Vec(vector_size=8, min_count=1, workers=1, ns_exponent=200.0)
    model.build_vocab([["a"] * 50 + ["b"] * 30])
    with pytest.raises(wordvec.WordvecError) as e:
        model.train([["a"] * 50 + ["b"] * 30], total_examples=1, epochs=1)
    assert "overflow" in str(e.value) and "--" not in str(e.value) and "ns_exponent" in str(e.value)


# --- vectors_lockf and intersect_word2vec_format --------------------------------------------------------------

@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("heads", [dict(hs=1, negative=5), dict(hs=0, negative=5), dict(hs=1, negative=0)])
def test_locking_as_gensims_test(sg, heads):
    """gensim's test_locking, on both: a row with lockf 0 does not move, the others do."""
    for cls in (Word2Vec, GWord2Vec):
        model = cls(vector_size=4, min_count=1, sg=sg, window=5, workers=1, seed=1, **heads)
        model.build_vocab(SENTENCES)
        locked0, unlocked1 = model.wv.vectors[0].copy(), model.wv.vectors[1].copy()
        model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)
        model.wv.vectors_lockf[0] = 0.0
        model.train(SENTENCES, total_examples=model.corpus_count, epochs=model.epochs)
        assert not (unlocked1 == model.wv.vectors[1]).all(), cls
        assert (locked0 == model.wv.vectors[0]).all(), cls


def test_all_ones_lockf_trains_what_no_lockf_trains():
    plain = Word2Vec(SENTENCES, **COMMON)
    ones = Word2Vec(**COMMON)
    ones.build_vocab(SENTENCES)
    ones.wv.vectors_lockf = np.ones(len(ones.wv), dtype=np.float32)
    ones.train(SENTENCES, total_examples=ones.corpus_count, epochs=ones.epochs)
    assert np.array_equal(plain.wv.vectors, ones.wv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_intersect_word2vec_format_as_gensim(tmp_path, binary):
    """Start from pretrained vectors: the shared words take the file's vectors and are frozen (lockf 0.0); the rest
    train. Same vectors as gensim after the merge, and in both the merged rows stay put through training."""
    rng = np.random.default_rng(5)
    words = ["w0", "w2", "w5", "unknown1", "w7", "unknown2"]
    pre = KeyedVectors(words, rng.standard_normal((len(words), 16)).astype(np.float32))
    path = tmp_path / ("pre.bin" if binary else "pre.txt")
    pre.save_word2vec_format(path, binary=binary)
    pre.save_word2vec_format(tmp_path / "pre.txt")  # gensim 4.4 reads binary files here with np.fromstring, which
    models = []                                     # numpy 2 removed: it reads the text twin
    for cls in (Word2Vec, GWord2Vec):
        model = cls(**COMMON)
        model.build_vocab(SENTENCES)
        model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)  # gensim needs a full array here
        ours = cls is Word2Vec
        model.wv.intersect_word2vec_format(str(path if ours else tmp_path / "pre.txt"), lockf=0.0,
                                           binary=binary and ours)
        models.append(model)
    ours, theirs = models
    np.testing.assert_array_equal(ours.wv.vectors_lockf, theirs.wv.vectors_lockf)
    np.testing.assert_allclose(ours.wv.vectors, theirs.wv.vectors, rtol=1e-6)
    merged = [ours.wv.key_to_index[w] for w in ("w0", "w2", "w5", "w7")]
    np.testing.assert_array_equal(ours.wv.vectors[merged], pre[["w0", "w2", "w5", "w7"]])
    for model in models:
        before = model.wv.vectors.copy()
        model.train(SENTENCES, total_examples=model.corpus_count, epochs=1)
        assert np.array_equal(model.wv.vectors[merged], before[merged])
        assert not np.array_equal(model.wv.vectors[1], before[1])


def test_intersect_default_lockf_and_wrong_dimension(tmp_path):
    path = tmp_path / "pre.txt"
    KeyedVectors(["w1", "zz"], np.ones((2, 16), np.float32)).save_word2vec_format(path)
    model = Word2Vec(**COMMON)
    model.build_vocab(SENTENCES)
    assert model.wv.vectors_lockf.shape == (1,)  # gensim's default: one factor for all
    model.wv.intersect_word2vec_format(path, lockf=0.25)  # gensim raises IndexError here; we widen the array
    assert model.wv.vectors_lockf.shape == (len(model.wv),)
    assert model.wv.vectors_lockf[model.wv.key_to_index["w1"]] == 0.25
    assert (np.delete(model.wv.vectors_lockf, model.wv.key_to_index["w1"]) == 1.0).all()
    wrong = tmp_path / "wrong.txt"
    KeyedVectors(["w1"], np.ones((1, 8), np.float32)).save_word2vec_format(wrong)
    for kv in (model.wv, GWord2Vec(SENTENCES, **COMMON).wv):
        with pytest.raises(ValueError, match="incompatible vector size 8"):
            kv.intersect_word2vec_format(str(wrong))


def test_frozen_rows_stay_frozen_after_save_and_load(tmp_path):
    model = Word2Vec(**COMMON)
    model.build_vocab(SENTENCES)
    model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)
    model.wv.vectors_lockf[[0, 4]] = 0.0
    model.save(tmp_path / "m.model")
    loaded = Word2Vec.load(tmp_path / "m.model")
    np.testing.assert_array_equal(loaded.wv.vectors_lockf, model.wv.vectors_lockf)
    before = loaded.wv.vectors.copy()
    loaded.train(SENTENCES, total_examples=loaded.corpus_count, epochs=1)
    assert np.array_equal(loaded.wv.vectors[[0, 4]], before[[0, 4]]) and not np.array_equal(loaded.wv.vectors[1],
                                                                                               before[1])
    plain = Word2Vec(SENTENCES, **COMMON)
    plain.save(tmp_path / "plain.model")
    assert Word2Vec.load(tmp_path / "plain.model").wv.vectors_lockf.shape == (1,)  # all ones: nothing saved


def test_bad_lockf_is_one_clear_error():
    model = Word2Vec(**COMMON)
    model.build_vocab(SENTENCES)
    model.wv.vectors_lockf = np.ones(3, np.float32)
    with pytest.raises(wordvec.WordvecError, match="vectors_lockf must hold one finite factor per word"):
        model.train(SENTENCES, total_examples=model.corpus_count, epochs=1)
    model.wv.vectors_lockf = np.full(len(model.wv), np.nan, np.float32)
    with pytest.raises(wordvec.WordvecError, match="NaN"):
        model.train(SENTENCES, total_examples=model.corpus_count, epochs=1)


# --- KeyedVectors ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kv_pair(tmp_path_factory):
    rng = np.random.default_rng(11)
    words = [f"k{i}" for i in range(300)]
    path = tmp_path_factory.mktemp("kv") / "v.txt"
    KeyedVectors(words, rng.standard_normal((300, 24)).astype(np.float32)).save_word2vec_format(path)
    ours, theirs = KeyedVectors.load_word2vec_format(path), GKeyedVectors.load_word2vec_format(str(path))
    for kv in (ours, theirs):
        for i, w in enumerate(words):
            kv.set_vecattr(w, "count", 1000 - i)
    return ours, theirs


@pytest.mark.parametrize("copy_vecattrs", [False, True])
@pytest.mark.parametrize("allow_inference", [True, False])
def test_vectors_for_all_as_gensim(kv_pair, copy_vecattrs, allow_inference):
    ours, theirs = kv_pair
    keys = ["k5", "nope", "k1", "k5", "k299", "k0", "also-nope"]
    a = ours.vectors_for_all(keys, allow_inference=allow_inference, copy_vecattrs=copy_vecattrs)
    b = theirs.vectors_for_all(keys, allow_inference=allow_inference, copy_vecattrs=copy_vecattrs)
    assert a.index_to_key == b.index_to_key == ["k5", "k1", "k299", "k0"]
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert ("count" in a.expandos) == copy_vecattrs  # gensim invents descending counts without copy_vecattrs
    if copy_vecattrs:
        assert [a.get_vecattr(k, "count") for k in a.index_to_key] == \
            [b.get_vecattr(k, "count") for k in b.index_to_key]
    a.vectors[0] += 1  # a copy, not a view of the original
    assert not np.array_equal(a.vectors[0], ours["k5"])
    assert ours.vectors_for_all([]).vectors.shape == (0, 24)


def test_distance_to_itself_is_zero_and_n_similarity_is_similarity(kv_pair):
    ours, theirs = kv_pair
    g_noise = [theirs.distance(w, w) for w in ours.index_to_key]
    assert any(d != 0 for d in g_noise)  # gensim's float32 arithmetic: the case this fixes
    assert all(ours.distance(w, w) == 0.0 for w in ours.index_to_key)
    rng = np.random.default_rng(0)
    for a, b in rng.choice(ours.index_to_key, size=(200, 2)).tolist():
        assert ours.n_similarity([a], [b]) == ours.similarity(a, b)  # bit for bit
        assert theirs.n_similarity([a], [b]) == theirs.similarity(a, b)
        assert ours.similarity(a, b) == pytest.approx(float(theirs.similarity(a, b)), abs=1e-6)
        assert ours.distance(a, b) == pytest.approx(float(theirs.distance(a, b)), abs=1e-6)
    assert ours.n_similarity(["k1", "k2"], ["k3"]) == pytest.approx(float(theirs.n_similarity(["k1", "k2"], ["k3"])),
                                                                    abs=1e-6)
    for kv in (ours, theirs):
        with pytest.raises(ZeroDivisionError):
            kv.n_similarity([], ["k1"])


# --- train() after load, and messages in the API's words -------------------------------------------------------

def test_train_after_load_on_unknown_words_as_gensim(tmp_path):
    ours = Word2Vec(SENTENCES, **COMMON)
    theirs = GWord2Vec(SENTENCES, **COMMON)
    ours.save(tmp_path / "ours.model")
    theirs.save(str(tmp_path / "theirs.model"))
    ours, theirs = Word2Vec.load(tmp_path / "ours.model"), GWord2Vec.load(str(tmp_path / "theirs.model"))
    before = ours.wv.vectors.copy()
    for kwargs in (dict(total_examples=1, epochs=1), dict(total_examples=1, epochs=3)):
        got = ours.train([["hello", "world"]], **kwargs)
        assert got == theirs.train([["hello", "world"]], **kwargs)
    assert got == (0, 6)
    assert np.array_equal(ours.wv.vectors, before)


def _messages(path: Path) -> list[str]:
    """The string constants of a module that contain a '--' followed by a letter (a command-line flag)."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"(?<![\w-])--[a-z]",
                                                                                        node.value):
            found.append(node.value)
    return found


def test_no_flag_in_the_api_modules_messages():
    """word2vec.py and vectors.py word their messages for the API; the only mention of the command line is the
    `wordvec train --resume` a training checkpoint needs (it is the only way to continue one)."""
    for name in ("word2vec.py", "vectors.py"):
        bad = [m for m in _messages(SRC / name) if "wordvec train --resume" not in m]
        assert not bad, (name, bad)


@pytest.mark.parametrize("make", [
    lambda: Word2Vec([["a", "b"]], min_count=5, vector_size=8),  # nothing reaches min_count
    lambda: Word2Vec([["a", "b", "a", "b"]], min_count=1, vector_size=8, workers=10_000_000),
    lambda: Word2Vec([["a", "b", "a", "b"]], min_count=1, vector_size=8, window=0),
    lambda: Word2Vec([["a", "b", "a", "b"]], min_count=1, vector_size=8, alpha=float("nan")),
    lambda: Word2Vec([["a"], ["b"]], min_count=1, vector_size=8),  # no pair at all
    lambda: Word2Vec([["a", "b", "a", "b"]], min_count=1, vector_size=8, workers=512),  # more workers than cores
])
def test_errors_reached_from_the_api_name_no_flag(make, caplog):
    caplog.set_level(logging.WARNING, logger="wordvec")
    try:
        make()
    except Exception as e:  # noqa: BLE001 (the message is what is checked)
        assert not re.search(r"(?<![\w-])--[a-z]", str(e)), str(e)
    for record in caplog.records:
        assert not re.search(r"(?<![\w-])--[a-z]", record.getMessage()), record.getMessage()


# --- gensim's warnings and progress lines -----------------------------------------------------------------------

def _logged(caplog, name, level=logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == name and r.levelno == level]


def test_warnings_at_gensims_moments(caplog):
    caplog.set_level(logging.INFO)
    for cls, logger in ((Word2Vec, "wordvec"), (GWord2Vec, "gensim.models.word2vec")):
        caplog.clear()
        model = cls(SENTENCES, hs=1, negative=5, **COMMON)
        both = [m for m in _logged(caplog, logger) if m.startswith("Both hierarchical softmax")]
        assert len(both) == 1, cls
        caplog.clear()
        model.train(SENTENCES, total_examples=model.corpus_count, epochs=1)  # alpha starts above where it ended
        assert "Effective 'alpha' higher than previous training cycles" in _logged(caplog, logger), cls
        caplog.clear()
        model.train(SENTENCES, total_examples=model.corpus_count + 5, epochs=2, start_alpha=0.0001,
                    end_alpha=0.0001)
        warned = _logged(caplog, logger)
        assert "Effective 'alpha' higher than previous training cycles" not in warned, cls
        mismatch = [m for m in warned if "supplied example count" in m]
        assert mismatch == [f"EPOCH {e}: supplied example count ({len(SENTENCES)}) did not equal expected count "
                            f"({len(SENTENCES) + 5})" for e in (0, 1)], (cls, warned)
        caplog.clear()
        model.train(SENTENCES, total_words=123, epochs=1, start_alpha=0.0001, end_alpha=0.0001)
        words = sum(map(len, SENTENCES))
        assert [m for m in _logged(caplog, logger) if "raw word count" in m] == [
            f"EPOCH 0: supplied raw word count ({words}) did not equal expected count (123)"], cls


def test_an_empty_corpus_warns_as_gensim(caplog):
    caplog.set_level(logging.WARNING)
    got = {}
    for cls, logger in ((Word2Vec, "wordvec"), (GWord2Vec, "gensim.models.word2vec")):
        model = cls(**COMMON)
        model.build_vocab(SENTENCES)
        caplog.clear()
        got[cls] = model.train([], total_examples=1, epochs=2), _logged(caplog, logger)
    assert got[Word2Vec] == got[GWord2Vec]
    assert got[Word2Vec][0] == (0, 0) and len(got[Word2Vec][1]) == 4 and "empty iterator" in got[Word2Vec][1][0]


def test_progress_lines_as_gensim(caplog):
    caplog.set_level(logging.INFO, logger="wordvec")
    big = corpus(n_sentences=20_000, vocab=500, seed=1)
    model = Word2Vec(vector_size=8, min_count=1, workers=1, epochs=2)
    model.build_vocab(big)
    model.train(big, total_examples=model.corpus_count, epochs=2, report_delay=0.0)
    lines = _logged(caplog, "wordvec", logging.INFO)
    progress = [m for m in lines if " - PROGRESS: " in m]
    assert progress and all(re.fullmatch(r"EPOCH [01] - PROGRESS: at \d+\.\d\d% examples, \d+ words/s", m)
                            for m in progress), progress
    assert {m.split()[1] for m in progress} == {"0", "1"}  # gensim 4.4 counts epochs from 0
    ends = [m for m in lines if re.match(r"EPOCH \d: training on \d+ raw words", m)]
    assert [m.split(":")[0] for m in ends] == ["EPOCH 0", "EPOCH 1"]
    caplog.clear()
    model.train(big, total_words=model.corpus_total_words, epochs=1, report_delay=0.0)
    assert any(re.fullmatch(r"EPOCH 0 - PROGRESS: at \d+\.\d\d% words, \d+ words/s", m)
               for m in _logged(caplog, "wordvec", logging.INFO))


# --- predict_output_word's ties ----------------------------------------------------------------------------------

@pytest.mark.parametrize("trained", [False, True])
def test_predict_output_word_order_as_gensim(trained):
    """The same matrices in both models: the same words in the same order, ties included (untrained output
    weights are all zero: every word ties)."""
    ours = Word2Vec(**COMMON)
    ours.build_vocab(SENTENCES)
    theirs = GWord2Vec(**COMMON)
    theirs.build_vocab(SENTENCES)
    if trained:
        ours.train(SENTENCES, total_examples=ours.corpus_count, epochs=1)
        ours.syn1neg[5] = ours.syn1neg[9]  # two rows that tie exactly
    theirs.wv.vectors[:] = ours.wv.vectors
    theirs.syn1neg[:] = ours.syn1neg
    for context in (["w1", "w2"], ["w3"], ["w0", "w10", "zzz"]):
        for topn in (1, 5, 20, len(ours.wv) + 3):
            a, b = ours.predict_output_word(context, topn=topn), theirs.predict_output_word(context, topn=topn)
            assert [w for w, _ in a] == [w for w, _ in b], (context, topn)
            np.testing.assert_array_equal([p for _, p in a], [p for _, p in b])


# --- load's misuse ------------------------------------------------------------------------------------------------

def test_load_misuse_raises_gensims_types(tmp_path):
    ours = Word2Vec(SENTENCES, **COMMON)
    theirs = GWord2Vec(SENTENCES, **COMMON)
    ours.save(tmp_path / "ours.model")
    theirs.save(str(tmp_path / "theirs.model"))
    with pytest.raises(AttributeError, match="called on a class object"):
        theirs.load(str(tmp_path / "theirs.model"))
    with pytest.raises(AttributeError, match="called on a class object") as e:
        ours.load(tmp_path / "ours.model")
    assert isinstance(e.value, wordvec.WordvecError)
    assert isinstance(Word2Vec.load(tmp_path / "ours.model"), Word2Vec)
    ours.wv.save(tmp_path / "ours.kv")
    theirs.wv.save(str(tmp_path / "theirs.kv"))
    with pytest.raises(AttributeError, match="can't be loaded by"):
        GWord2Vec.load(str(tmp_path / "theirs.kv"))
    with pytest.raises(AttributeError, match="can't be loaded by Word2Vec.*KeyedVectors.load"):
        Word2Vec.load(tmp_path / "ours.kv")
    with pytest.raises(wordvec.WordvecError, match="pickle"):  # gensim's pickles stay refused
        Word2Vec.load(tmp_path / "theirs.model")
    with pytest.raises(TypeError):  # so does a list of strings
        Word2Vec(["a sentence as a string", "another"], min_count=1)


# --- one top-k routine for neighbours --------------------------------------------------------------------------

def test_report_map_and_most_similar_give_the_same_neighbours_and_ties():
    """Rows 3..8 are copies of one vector (exact ties): the report's, the map's and most_similar's neighbours are
    the same words in the same order, ties in row order (`vectors.top_k`)."""
    from wordvec import plots
    from wordvec.pipeline import nearest
    from wordvec.vectors import top_k

    rng = np.random.default_rng(2)
    vecs = rng.standard_normal((40, 8)).astype(np.float32)
    vecs[3:9] = vecs[20] * 2 + 0.01 * rng.standard_normal(8).astype(np.float32)
    vecs[3:9] = vecs[3]
    kv = KeyedVectors([f"t{i}" for i in range(40)], vecs)
    want = [w for w, _ in kv.most_similar("t20", topn=10)]
    assert want[:6] == [f"t{i}" for i in range(3, 9)]  # the tied block, in row order
    assert nearest(kv, "t20", 10) == want
    assert [kv.index_to_key[i] for i in plots._neighbours(kv, 20, 10)] == want
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    assert top_k(scores, 4).tolist() == [1, 2, 4, 3]


# --- the worst values ------------------------------------------------------------------------------------------

def test_lockf_and_intersect_refuse_bad_values_in_one_line(tmp_path):
    path = tmp_path / "pre.txt"
    KeyedVectors(["w1"], np.ones((1, 16), np.float32)).save_word2vec_format(path)
    model = Word2Vec(**COMMON)
    model.build_vocab(SENTENCES)
    before = model.wv.vectors.copy()
    for bad in (float("nan"), float("inf"), "0", None, True):
        with pytest.raises(wordvec.WordvecError, match="lockf must be a finite number"):
            model.wv.intersect_word2vec_format(path, lockf=bad)
    assert np.array_equal(model.wv.vectors, before) and model.wv.vectors_lockf.shape == (1,)
    (tmp_path / "bad.txt").write_text("2 16\nw1 " + " ".join(["1"] * 16) + "\nw2 1 2\n")
    with pytest.raises(wordvec.WordvecError):  # a damaged file changes nothing
        model.wv.intersect_word2vec_format(tmp_path / "bad.txt")
    assert np.array_equal(model.wv.vectors, before)
    model.wv.vectors_lockf = ["a", "b"]
    with pytest.raises(wordvec.WordvecError, match="vectors_lockf must be numbers"):
        model.train(SENTENCES, total_examples=model.corpus_count, epochs=1)


def test_intersect_into_mapped_vectors(tmp_path):
    kv = KeyedVectors(["a", "b", "c"], np.zeros((3, 4), np.float32))
    kv.save(tmp_path / "kv")
    mapped = KeyedVectors.load(tmp_path / "kv", mmap="r")
    KeyedVectors(["b", "z"], np.ones((2, 4), np.float32)).save_word2vec_format(tmp_path / "pre.txt")
    assert mapped.intersect_word2vec_format(tmp_path / "pre.txt") == 1
    assert mapped["b"].tolist() == [1.0] * 4 and mapped["a"].tolist() == [0.0] * 4
    assert KeyedVectors.load(tmp_path / "kv")["b"].tolist() == [0.0] * 4  # the file is untouched
