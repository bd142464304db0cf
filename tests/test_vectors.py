"""KeyedVectors: known answers on planted vectors, brute-force references on random ones, errors with suggestions."""

import json

import numpy as np
import pytest

from wordvec.errors import WordvecError
from wordvec.vectors import KeyedVectors, UnknownWordError


def _unit(m):
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


@pytest.fixture
def royal():
    """Planted: gender and royalty axes, so king - man + woman is exactly queen's direction."""
    words = ["king", "queen", "man", "woman", "apple", "banana", "cherry", "car"]
    v = np.array([
        [1, 1, 0, 0.1], [1, -1, 0, 0.1], [0, 1, 0, 0.1], [0, -1, 0, 0.1],
        [0, 0, 1, 0.2], [0.1, 0, 1, 0.3], [0, 0.1, 1, 0.25], [0.3, 0.2, -1, 2.0],
    ], dtype=np.float32)
    return KeyedVectors(words, v, counts=np.arange(8, 0, -1))


@pytest.fixture
def rand_kv():
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(3000)]
    return KeyedVectors(words, rng.standard_normal((3000, 40)).astype(np.float32), counts=rng.integers(1, 99, 3000))


def _ref_most_similar(kv, pos, neg, topn):
    n = _unit(kv.vectors.astype(np.float64))
    q = sum(n[kv.key_to_index[w]] for w in pos) - sum(n[kv.key_to_index[w]] for w in neg)
    q = q / np.linalg.norm(q)
    scores = n @ q
    order = [i for i in np.argsort(-scores, kind="stable") if kv.index_to_key[i] not in set(pos) | set(neg)]
    return [kv.index_to_key[i] for i in order[:topn]], scores


def test_basics(royal):
    assert len(royal) == 8 and royal.vector_size == 4
    assert royal.key_to_index["queen"] == 1 and royal.index_to_key[3] == "woman"
    assert "king" in royal and "prince" not in royal
    np.testing.assert_array_equal(royal["man"], royal.vectors[2])
    assert royal[["man", "king"]].shape == (2, 4)
    np.testing.assert_allclose(np.linalg.norm(royal.get_vector("car", norm=True)), 1, rtol=1e-6)
    assert royal.get_normed_vectors() is royal.get_normed_vectors() or np.shares_memory(
        royal.get_normed_vectors(), royal.get_normed_vectors())  # cached, not recomputed


def test_analogy_king_man_woman(royal):
    top = royal.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert top[0][0] == "queen"
    assert {"king", "woman", "man"}.isdisjoint(w for w, _ in top)
    assert royal.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"


def test_most_similar_matches_bruteforce(rand_kv):
    for pos, neg in [(["w1"], []), (["w5", "w9"], ["w11"]), ("w42", None)]:
        got = rand_kv.most_similar(positive=pos, negative=neg, topn=15)
        p = [pos] if isinstance(pos, str) else pos
        ref, scores = _ref_most_similar(rand_kv, p, neg or [], 15)
        assert [w for w, _ in got] == ref
        np.testing.assert_allclose([s for _, s in got], scores[[rand_kv.key_to_index[w] for w in ref]], atol=1e-5)


def test_fast_path_is_exact(rand_kv, monkeypatch):
    """The int8 pre-scan + exact rescoring must return exactly the float32 answer."""
    monkeypatch.setattr(KeyedVectors, "FAST_MIN_ROWS", 10)
    for pos, neg in [(["w3"], []), (["w100", "w7"], ["w2"])]:
        got = rand_kv.most_similar(positive=pos, negative=neg, topn=10)
        ref, _ = _ref_most_similar(rand_kv, pos, neg, 10)
        assert [w for w, _ in got] == ref
    # planted cluster: w0's ten neighbours stand far above the rest, so the error bound proves the pre-scan
    rng = np.random.default_rng(11)
    v = rng.standard_normal((5000, 64)).astype(np.float32)
    v[:12] = v[0] + 0.3 * rng.standard_normal((12, 64))
    kv = KeyedVectors([f"w{i}" for i in range(5000)], v)
    ref, _ = _ref_most_similar(kv, ["w0"], [], 10)
    assert [w for w, _ in kv.most_similar("w0", topn=10)] == ref
    hit = kv._fast_topk(kv.get_normed_vectors()[0], 11, len(kv))
    if kv._fast_ok:  # the int8 kernel exists on this build: the bound must prove the result
        assert hit is not None and [kv.index_to_key[i] for i in hit[1].tolist()][1:] == ref


def test_restrict_vocab_and_vectors_as_queries(rand_kv):
    got = rand_kv.most_similar("w2500", topn=5, restrict_vocab=100)
    assert all(rand_kv.key_to_index[w] < 100 for w, _ in got)
    vec = rand_kv["w17"]
    by_vec = rand_kv.most_similar(positive=[vec], topn=3)
    assert by_vec[0][0] == "w17" and by_vec[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(rand_kv.most_similar("w1", topn=None)) == len(rand_kv)


def test_cosmul_matches_reference(rand_kv):
    n = _unit(rand_kv.vectors.astype(np.float64))
    a, b, c = (rand_kv.key_to_index[w] for w in ("w10", "w20", "w30"))
    s = lambda i: (1 + n @ n[i]) / 2  # noqa: E731
    scores = s(a) * s(b) / (s(c) + 1e-6)
    order = [i for i in np.argsort(-scores) if i not in (a, b, c)][:10]
    got = rand_kv.most_similar_cosmul(positive=["w10", "w20"], negative=["w30"], topn=10)
    assert [w for w, _ in got] == [rand_kv.index_to_key[i] for i in order]


def test_pairwise(royal):
    n = _unit(royal.vectors.astype(np.float64))
    assert royal.similarity("king", "queen") == pytest.approx(n[0] @ n[1], abs=1e-6)
    assert royal.distance("king", "queen") == pytest.approx(1 - n[0] @ n[1], abs=1e-6)
    raw = royal.vectors.astype(np.float64)
    m1, m2 = _unit(raw[[0, 1]].mean(0)), _unit(raw[[4, 5]].mean(0))  # gensim: means of the raw vectors
    assert royal.n_similarity(["king", "queen"], ["apple", "banana"]) == pytest.approx(m1 @ m2, abs=1e-6)
    assert royal.doesnt_match(["apple", "banana", "cherry", "king"]) == "king"
    assert royal.doesnt_match(["apple", "car", "banana", "cherry"]) == "car"
    idx = [0, 1, 2, 7]
    ref = ["king", "queen", "man", "car"][int(np.argmin(n[idx] @ _unit(n[idx].mean(0))))]
    assert royal.doesnt_match(["king", "queen", "man", "car"]) == ref


def test_unknown_word_suggests(royal):
    with pytest.raises(WordvecError, match=r"'quen' is not in the vocabulary.*queen"):
        royal.most_similar("quen")
    with pytest.raises(KeyError):  # gensim-style code catching KeyError still works
        royal["bannana"]
    try:
        royal.similarity("king", "bannana")
    except UnknownWordError as e:
        assert "banana" in str(e) and not str(e).startswith("'\"")


def test_suggestions_fast_on_big_vocab():
    import time

    rng = np.random.default_rng(0)
    codes = rng.integers(97, 123, (300_000, 8), dtype=np.uint8).tobytes()
    words = list(dict.fromkeys(codes[i:i + 8 - i % 5].decode() for i in range(0, len(codes), 8)))
    kv = KeyedVectors(words, np.zeros((len(words), 2), np.float32))
    target = words[123]
    t = time.perf_counter()
    assert target in kv.suggest(target + "x")
    assert time.perf_counter() - t < 5


def test_tokenizer_queries():
    kv = KeyedVectors(["run", "walk", "jump", "swim"], np.eye(4, dtype=np.float32) + 0.1, tokenizer="lab")
    assert "running" in kv and kv.get_index("Running") == 0
    assert kv.most_similar("running", topn=3)[0][0] != "run"  # the query word itself is excluded
    with pytest.raises(WordvecError, match="preprocessed"):
        kv.most_similar("the")  # a stopword tokenises to nothing and is not a raw key either


def test_bad_construction():
    with pytest.raises(WordvecError, match="one row per word"):
        KeyedVectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(WordvecError, match="more than once"):
        KeyedVectors(["a", "a"], np.zeros((2, 2)))
    with pytest.raises(WordvecError):
        KeyedVectors(["a"], np.zeros((1, 2)), tokenizer="nope")


# ------------------------------------------------------------------------------------------------- runs


def make_run(tmp, words, embed, expand=None, vectors="input", tokenizer="simple"):
    """A run directory as the training pipeline writes it."""
    from safetensors.numpy import save_file

    from wordvec.export import save_word2vec_format

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "metrics.json").write_text(json.dumps({"config": {"tokenizer": tokenizer, "vectors": vectors}}))
    (tmp / "vocab.txt").write_text("".join(f"{w}\t{100 - i}\n" for i, w in enumerate(words)))
    chosen = {"input": embed, "output": expand, "mean": None if expand is None else (embed + expand) / 2}[vectors]
    save_word2vec_format(tmp / "vectors.txt", words, chosen)
    tensors = {"embed.weight": embed} if expand is None else {"embed.weight": embed, "expand.weight": expand}
    save_file(tensors, str(tmp / "model.safetensors"))
    return tmp


def test_load_run(tmp_path):
    rng = np.random.default_rng(1)
    words = ["good", "bad", "school", "day", "run"]
    emb, exp = rng.standard_normal((2, 5, 6)).astype(np.float32)
    run = make_run(tmp_path / "r", words, emb, exp, vectors="output")
    kv = KeyedVectors.load_run(run)
    np.testing.assert_allclose(kv.vectors, exp, rtol=1e-6)
    assert kv.index_to_key == words and kv.counts.tolist() == [100, 99, 98, 97, 96] and kv.tokenizer == "simple"
    np.testing.assert_array_equal(KeyedVectors.load_run(run, which="input").vectors, emb)
    np.testing.assert_allclose(KeyedVectors.load_run(run, which="mean").vectors, (emb + exp) / 2, rtol=1e-6)


def test_load_run_errors(tmp_path):
    with pytest.raises(WordvecError, match="wordvec train --out"):
        KeyedVectors.load_run(tmp_path / "missing")
    run = make_run(tmp_path / "hs", ["a", "b"], np.ones((2, 3), np.float32))
    with pytest.raises(WordvecError, match="no expand.weight"):
        KeyedVectors.load_run(run, which="output")
    (run / "vectors.txt").unlink()
    with pytest.raises(WordvecError, match="vectors.txt is missing"):
        KeyedVectors.load_run(run)
