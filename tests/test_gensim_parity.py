"""KeyedVectors against gensim 4 on the same vectors (both loaded from one word2vec file): every query method,
the evaluation methods on gensim's own wordsim353.tsv / questions-words.txt, and wmdistance when POT is there."""

import logging
import warnings

import numpy as np
import pytest

from wordvec.vectors import KeyedVectors

gensim_models = pytest.importorskip("gensim.models")
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")
gensim_utils = pytest.importorskip("gensim.test.utils")

WORDSIM = gensim_utils.datapath("wordsim353.tsv")
QUESTIONS = gensim_utils.datapath("questions-words.txt")


def _analogy_words():
    words = []
    for line in open(QUESTIONS, encoding="utf-8"):
        if not line.startswith(":"):
            words += line.split()
    return list(dict.fromkeys(words))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(ours, gensim's) from one text file: the test sets' words (lower-case, plus some upper-case variants)
    with random vectors, where a few hundred analogy answers are planted (d = b - a + c + noise) so that the
    accuracy is neither 0 nor 1."""
    rng = np.random.default_rng(42)
    words = [w.lower() for w in _analogy_words()]
    for line in open(WORDSIM, encoding="utf-8"):
        if not line.startswith("#"):
            words += [w.lower() for w in line.split("\t")[:2]]
    words = list(dict.fromkeys(words))
    words += ["Athens", "GREECE", "Love"]  # case variants after their lower-case forms
    words += [f"filler{i}" for i in range(300)]
    vecs = rng.standard_normal((len(words), 32)).astype(np.float32)
    index = {w: i for i, w in enumerate(words)}
    planted = set()
    for line in open(QUESTIONS, encoding="utf-8"):
        if line.startswith(":") or rng.random() > 0.05:
            continue
        a, b, c, d = (index[w.lower()] for w in line.split())
        if d in planted or {a, b, c} & planted:
            continue
        vecs[d] = vecs[b] - vecs[a] + vecs[c] + 0.3 * rng.standard_normal(32)
        planted.add(d)
    order = rng.permutation(len(words) - 3)  # mix the filler in, keep the variants after their originals
    words = [words[i] for i in order] + words[-3:]
    vecs = np.concatenate([vecs[order], vecs[-3:]])
    path = tmp_path_factory.mktemp("parity") / "vectors.txt"
    KeyedVectors(words, vecs).save_word2vec_format(path)
    return KeyedVectors.load_word2vec_format(path), gensim_models.KeyedVectors.load_word2vec_format(str(path))


def _same(ours, theirs, atol=1e-5):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=atol)


QUERIES = [
    dict(positive="king"),
    dict(positive=["king", "woman"], negative=["man"], topn=7),
    dict(positive=[("king", 2.0), "woman"], negative=[("man", 0.5)]),  # a tuple's weight is taken as given
    dict(positive=["paris", ("france", -1.0)], negative=["berlin"], topn=4),
    dict(positive="boy", negative="girl"),
    dict(positive=["dog"], topn=5, restrict_vocab=500),
    dict(positive=["dog"], topn=5, clip_start=100, clip_end=900),
    dict(positive=[3, 17], negative=[5]),  # ints are row numbers
]


@pytest.mark.parametrize("query", QUERIES)
def test_most_similar_like_gensim(pair, query):
    ours, g = pair
    _same(ours.most_similar(**query), g.most_similar(**query))


def test_vectors_as_queries_like_gensim(pair):
    ours, g = pair
    v = np.random.default_rng(0).standard_normal(32).astype(np.float32) * 3
    rows = g.vectors[[10, 20]]
    for q in [dict(positive=[v]), dict(positive=["king", v], negative=["man"]), dict(positive=rows),
              dict(positive=[(v, 0.5), "queen"]), dict(positive=["king"], negative=[g["man"] * 2])]:
        _same(ours.most_similar(**q), g.most_similar(**q))
    _same(ours.similar_by_vector(v, topn=4), g.similar_by_vector(v, topn=4))
    _same(ours.similar_by_word("king", topn=4), g.similar_by_word("king", topn=4))
    _same(ours.similar_by_key("king", topn=4), g.similar_by_key("king", topn=4))
    np.testing.assert_allclose(ours.most_similar("king", topn=None), g.most_similar("king", topn=None), atol=1e-5)
    np.testing.assert_allclose(ours.most_similar("king", topn=None, restrict_vocab=50),
                               g.most_similar("king", topn=None, restrict_vocab=50), atol=1e-5)
    for q in [dict(positive=["king", "woman"], negative=["man"]), dict(positive=[v]), dict(positive="king",
                                                                                            negative="queen")]:
        _same(ours.most_similar_cosmul(**q), g.most_similar_cosmul(**q), atol=1e-4)
    # gensim 4.4 ignores restrict_vocab in most_similar_cosmul, against its documentation; wordvec follows the
    # documentation, so the scores are gensim's first 100
    np.testing.assert_allclose(ours.most_similar_cosmul("king", topn=None, restrict_vocab=100),
                               g.most_similar_cosmul("king", topn=None)[:100], rtol=1e-5)


def test_pairwise_like_gensim(pair):
    ours, g = pair
    assert ours.similarity("king", "queen") == pytest.approx(float(g.similarity("king", "queen")), abs=1e-6)
    assert ours.distance("king", "queen") == pytest.approx(float(g.distance("king", "queen")), abs=1e-6)
    for a, b in [(["king", "man"], ["queen", "woman", "girl"]), (["dog"], ["cat"])]:
        assert ours.n_similarity(a, b) == pytest.approx(float(g.n_similarity(a, b)), abs=1e-6)
    for ws in [["king", "queen", "man", "banana"], ["dog", "cat", "car", "bus", "apple"]]:
        assert ours.doesnt_match(ws) == g.doesnt_match(ws)
    np.testing.assert_allclose(ours.distances("king", ["queen", "man"]), g.distances("king", ["queen", "man"]),
                               atol=1e-6)
    np.testing.assert_allclose(ours.distances(g["king"]), g.distances(g["king"]), atol=1e-6)
    np.testing.assert_allclose(ours.cosine_similarities(g["king"], g.vectors[:50]),
                               g.cosine_similarities(g["king"], g.vectors[:50]), atol=1e-6)
    assert ours.closer_than("king", "queen") == g.closer_than("king", "queen")
    assert ours.rank("king", "queen") == g.rank("king", "queen")
    assert ours.rank("king", "king") == 1
    assert ours.relative_cosine_similarity("king", "queen", topn=5) == pytest.approx(
        g.relative_cosine_similarity("king", "queen", topn=5), rel=1e-5)
    assert ours.most_similar_to_given("king", ["queen", "dog", "car"]) == \
        g.most_similar_to_given("king", ["queen", "dog", "car"])
    for kw in [{}, dict(weights=[2, -1, 0.5]), dict(pre_normalize=False), dict(post_normalize=True),
               dict(weights=[1, 1, 1], pre_normalize=False, post_normalize=True)]:
        np.testing.assert_allclose(ours.get_mean_vector(["king", "queen", "zzz-unknown"], **kw),
                                   g.get_mean_vector(["king", "queen", "zzz-unknown"], **kw), atol=1e-6)
    np.testing.assert_allclose(ours.get_mean_vector(["king", g["dog"]]), g.get_mean_vector(["king", g["dog"]]),
                               atol=1e-6)


def test_doesnt_match_ignores_unknown_words_with_a_warning(pair, caplog):
    ours, g = pair
    with caplog.at_level(logging.WARNING, logger="wordvec"):
        assert ours.doesnt_match(["king", "queen", "zzz-unknown", "banana"]) == \
            g.doesnt_match(["king", "queen", "zzz-unknown", "banana"])
    assert "zzz-unknown" in caplog.text


@pytest.mark.parametrize("kw", [{}, dict(dummy4unknown=True), dict(case_insensitive=False),
                                dict(restrict_vocab=800)])
def test_evaluate_word_pairs_like_gensim(pair, kw):
    ours, g = pair
    got, want = ours.evaluate_word_pairs(WORDSIM, **kw), g.evaluate_word_pairs(WORDSIM, **kw)
    np.testing.assert_allclose([got[0][0], got[0][1], got[1][0], got[1][1]],
                               [want[0][0], want[0][1], want[1][0], want[1][1]], rtol=1e-6, atol=1e-9)
    assert got[2] == pytest.approx(want[2])


@pytest.mark.parametrize("kw", [{}, dict(dummy4unknown=True), dict(case_insensitive=False),
                                dict(restrict_vocab=1000)])
def test_evaluate_word_analogies_like_gensim(pair, kw):
    ours, g = pair
    score, sections = ours.evaluate_word_analogies(QUESTIONS, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g_score, g_sections = g.evaluate_word_analogies(QUESTIONS, **kw)
    assert 0 < score < 1
    assert score == pytest.approx(g_score)
    assert [s["section"] for s in sections] == [s["section"] for s in g_sections]
    for s, gs in zip(sections, g_sections):
        assert s["correct"] == gs["correct"] and s["incorrect"] == gs["incorrect"], s["section"]


def test_evaluate_word_analogies_cosmul(pair):
    """gensim 4.4 ignores similarity_function (always 3CosAdd); wordvec uses 3CosMul when asked, so the reference
    is gensim's most_similar_cosmul answer, question by question."""
    ours, g = pair
    score, sections = ours.evaluate_word_analogies(QUESTIONS, similarity_function="most_similar_cosmul")
    correct = set(sections[-1]["correct"])
    asked = correct | set(sections[-1]["incorrect"])
    checked = 0
    for question in sorted(asked)[::10]:
        a, b, c, d = (w.lower() for w in question)
        if any(w.upper() != w.lower() and w.capitalize() in g.key_to_index for w in (a, b, c)):
            continue  # a case variant of a question word: gensim's query would not exclude it
        best = next(w for w, _ in g.most_similar_cosmul(positive=[b, c], negative=[a], topn=10)
                    if w.upper() not in question[:3])
        assert (best.upper() == question[3]) == (question in correct), question
        checked += 1
    assert checked > 50 and 0 < score < 1


def test_wmdistance_like_gensim(pair):
    pytest.importorskip("ot")
    ours, g = pair
    docs = [(["king", "queen", "zzz-unknown"], ["man", "woman", "boy"]), (["dog"], ["dog", "dog"]),
            (["paris", "france"], ["berlin"]), (["zzz"], ["dog"])]
    for d1, d2 in docs:
        for norm in (True, False):
            assert ours.wmdistance(d1, d2, norm=norm) == pytest.approx(g.wmdistance(d1, d2, norm=norm), rel=1e-5)
