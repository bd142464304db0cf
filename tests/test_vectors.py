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


# ------------------------------------------------------------------------------------------------- gensim's API


def test_gensim_constructor_and_adding():
    kv = KeyedVectors(3, count=2)
    assert len(kv) == 2 and kv.index_to_key == [None, None] and kv.vectors.shape == (2, 3)
    assert kv.add_vector("a", [1, 2, 3]) == 0 and kv.index_to_key == ["a", None]  # fills the reserved slot
    assert kv.add_vector("b", np.array([0, 1, 0])) == 1
    assert kv.add_vector("c", np.array([0, 0, 1])) == 2 and len(kv) == 3  # no slot left: appended
    assert kv.add_vector("a", [9, 9, 9]) == 0 and kv["a"].tolist() == [1, 2, 3]  # a known key keeps its vector
    kv.add_vectors(["a", "d"], np.array([[5, 5, 5], [1, 1, 0]]))
    assert kv["a"].tolist() == [1, 2, 3] and kv["d"].tolist() == [1, 1, 0]
    kv.add_vectors(["a", "e"], [np.array([5, 5, 5]), np.array([0, 2, 0])], replace=True)
    assert kv["a"].tolist() == [5, 5, 5] and kv.index_to_key == ["a", "b", "c", "d", "e"]
    kv["f"] = np.array([2, 2, 2])
    kv[["a", "g"]] = np.array([[7, 7, 7], [3, 3, 3]])
    assert kv.index_to_key == list("abcdefg") and kv["a"].tolist() == [7, 7, 7]
    np.testing.assert_array_equal(kv[["g", "b"]], [[3, 3, 3], [0, 1, 0]])
    assert kv[0].tolist() == [7, 7, 7] and kv.get_index(6) == 6  # ints that are not keys are row numbers
    assert "g" in kv and 0 in kv and 7 not in kv and "zz" not in kv and kv.get_index("zz", -1) == -1
    assert kv.key_to_index == {k: i for i, k in enumerate("abcdefg")} and kv.vector_size == 3
    with pytest.raises(ValueError):
        kv.add_vector("h", [1, 2])  # wrong size
    with pytest.raises(ValueError, match="more than once"):
        kv.add_vectors(["x", "x"], np.zeros((2, 3)))
    with pytest.raises(KeyError, match="Key 'zz'|'zz' is not in the vocabulary"):
        kv.get_index("zz")
    assert KeyedVectors(vector_size=4, dtype=np.float64).vectors.dtype == np.float64


def test_vecattrs_and_sorting():
    kv = KeyedVectors(2)
    kv.add_vectors(["x", "y", "z", "w"], np.arange(8, dtype=np.float32).reshape(4, 2), extras={"count": [1, 5, 3, 5]})
    assert kv.get_vecattr("y", "count") == 5 and kv.counts.tolist() == [1, 5, 3, 5]
    kv.set_vecattr("x", "tag", 2.5)
    assert kv.expandos["tag"].tolist() == [2.5, 0, 0, 0]
    with pytest.raises(KeyError, match="no 'nope' attribute"):
        kv.get_vecattr("x", "nope")
    kv.fill_norms()
    kv.sort_by_descending_frequency()
    assert kv.index_to_key == ["y", "w", "z", "x"]  # ties keep their order
    assert kv.counts.tolist() == [5, 5, 3, 1] and kv.expandos["tag"].tolist() == [0, 0, 0, 2.5]
    np.testing.assert_array_equal(kv["x"], [0, 1]) and np.testing.assert_array_equal(kv.vectors[0], [2, 3])
    assert kv.key_to_index["x"] == 3 and kv.most_similar("x", topn=1)[0][0] in kv.index_to_key
    with pytest.raises(KeyError, match="no counts"):
        KeyedVectors(["a"], np.ones((1, 2))).sort_by_descending_frequency()


def test_norms_and_unit_normalize():
    v = np.array([[3, 4], [0, 0], [1, 0]], dtype=np.float32)
    kv = KeyedVectors(["a", "b", "c"], v)
    kv.fill_norms()
    np.testing.assert_allclose(kv.norms, [5, 0, 1])
    np.testing.assert_allclose(kv.get_normed_vectors(), [[0.6, 0.8], [0, 0], [1, 0]])  # zero rows stay zero
    kv.unit_normalize_all()
    np.testing.assert_allclose(kv.vectors, [[0.6, 0.8], [0, 0], [1, 0]])
    kv.vectors[2] = [0, 3]
    kv.fill_norms(force=True)
    np.testing.assert_allclose(kv.get_normed_vectors()[2], [0, 1])


def test_get_mean_vector_by_hand(royal):
    n = _unit(royal.vectors.astype(np.float64))
    np.testing.assert_allclose(royal.get_mean_vector(["king", "queen"]), (n[0] + n[1]) / 2, atol=1e-6)
    np.testing.assert_allclose(royal.get_mean_vector(["king", "queen"], weights=[2, -1]), (2 * n[0] - n[1]) / 3,
                               atol=1e-6)  # divided by the sum of |weights|
    np.testing.assert_allclose(royal.get_mean_vector(["king", "man"], pre_normalize=False),
                               royal.vectors[[0, 2]].mean(0), atol=1e-6)
    np.testing.assert_allclose(royal.get_mean_vector(["king", "nope"], post_normalize=True), n[0], atol=1e-6)
    np.testing.assert_allclose(royal.get_mean_vector(["nope"]), np.zeros(4))
    with pytest.raises(KeyError):
        royal.get_mean_vector(["king", "nope"], ignore_missing=False)
    with pytest.raises(ValueError, match="no input"):
        royal.get_mean_vector([])
    with pytest.raises(ValueError, match="same length"):
        royal.get_mean_vector(["king", "queen"], weights=[1])


def test_most_similar_gensim_forms_by_hand(royal):
    n = _unit(royal.vectors.astype(np.float64))

    def ref(q, exclude, topn=3):
        s = n @ (q / np.linalg.norm(q))
        return [royal.index_to_key[i] for i in np.argsort(-s, kind="stable") if i not in exclude][:topn]

    def words(res):
        return [w for w, _ in res]

    v = np.array([0.5, 2.0, 0.1, 0.0], dtype=np.float32)
    got = royal.most_similar([("king", 2.0), "woman"], [("man", 0.5)], topn=3)  # a tuple's weight is literal
    assert words(got) == ref(2 * n[0] + n[3] + 0.5 * n[2], {0, 2, 3})
    assert words(royal.most_similar(positive=["king", v], topn=3)) == ref(n[0] + v, {0})  # vectors raw, not excluded
    assert words(royal.most_similar(positive=royal.vectors[[4, 5]], topn=3)) == ref(royal.vectors[4] + royal.vectors[5],
                                                                            set())
    assert words(royal.most_similar("apple", "car", topn=2)) == ref(n[4] - n[7], {4, 7}, 2)
    got = royal.most_similar("apple", topn=2, clip_start=3, clip_end=7)
    s = n[3:7] @ n[4]
    assert words(got) == [royal.index_to_key[3 + i] for i in np.argsort(-s) if 3 + i != 4][:2]
    np.testing.assert_allclose(royal.most_similar("apple", topn=None, restrict_vocab=5), n[:5] @ n[4], atol=1e-6)
    assert royal.most_similar("apple", topn=0) == []
    with pytest.raises(ValueError, match="no input"):
        royal.most_similar()
    with pytest.raises(NotImplementedError, match="indexer"):
        royal.most_similar("apple", indexer=object())
    with pytest.raises(WordvecError, match="zero"):
        royal.most_similar(positive=["king"], negative=["king"])
    with pytest.raises(ValueError, match="shape"):
        royal.most_similar(positive=[np.ones(3)])


def test_other_queries_by_hand(royal):
    n = _unit(royal.vectors.astype(np.float64))
    s = n @ n[0]
    closer = [royal.index_to_key[i] for i in range(8) if i != 0 and s[i] > s[4]]
    assert royal.closer_than("king", "apple") == closer and royal.rank("king", "apple") == len(closer) + 1
    with pytest.warns(DeprecationWarning):
        assert royal.words_closer_than("king", "apple") == closer
    top3 = np.sort(np.delete(s, 0))[::-1][:3]
    assert royal.relative_cosine_similarity("king", "queen", topn=3) == pytest.approx(s[1] / top3.sum(), rel=1e-5)
    assert royal.most_similar_to_given("king", ["apple", "man", "car"]) == ["apple", "man", "car"][
        int(np.argmax(s[[4, 2, 7]]))]
    np.testing.assert_allclose(royal.distances("king", ["queen", "car"]), 1 - s[[1, 7]], atol=1e-6)
    np.testing.assert_allclose(royal.distances("king"), 1 - s, atol=1e-6)
    np.testing.assert_allclose(KeyedVectors.cosine_similarities(royal.vectors[0], royal.vectors[1:3]), s[1:3],
                               atol=1e-6)
    with pytest.raises(ZeroDivisionError):
        royal.n_similarity([], ["king"])
    with pytest.raises(NotImplementedError, match="Doc2Vec"):
        royal.similarity_unseen_docs(["king"], ["queen"])
    assert royal.doesnt_match(["apple"]) == "apple"
    with pytest.raises(ValueError, match="none of the words"):
        royal.doesnt_match(["nope", "nada"])


def test_wmdistance_needs_pot(royal, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ot", None)  # as if POT were not installed
    with pytest.raises(ImportError, match="pip install POT"):
        royal.wmdistance(["king"], ["queen"])


def test_wmdistance_by_hand(royal):
    ot = pytest.importorskip("ot")
    n = _unit(royal.vectors.astype(np.float64))
    # one word against one word: the whole mass moves, the distance is the Euclidean distance of the unit vectors
    assert royal.wmdistance(["king"], ["apple", "nope"]) == pytest.approx(np.linalg.norm(n[0] - n[4]), rel=1e-6)
    assert royal.wmdistance(["king", "king"], ["king"]) == 0.0 and royal.wmdistance(["nope"], ["king"]) == np.inf
    m = np.linalg.norm(n[[0, 1]][:, None] - n[[2, 3, 4]][None], axis=2)
    assert royal.wmdistance(["king", "queen"], ["man", "woman", "apple"]) == pytest.approx(
        ot.emd2(np.full(2, 0.5), np.full(3, 1 / 3), m), rel=1e-6)


# ------------------------------------------------------------------------------------------------- save / load


def test_save_load_round_trip(tmp_path, royal):
    royal.set_vecattr("car", "weight", 0.5)
    kv = KeyedVectors(["run", "walk"], np.eye(2, dtype=np.float32), counts=[3, 1], tokenizer="lab")
    for src in (royal, kv):
        path = src.save(tmp_path / "kv.safetensors")
        for mmap in (None, "r"):
            back = KeyedVectors.load(path, mmap=mmap)
            assert back.index_to_key == src.index_to_key and back.tokenizer == src.tokenizer
            np.testing.assert_array_equal(back.vectors, src.vectors)
            assert back.expandos.keys() == src.expandos.keys()
            for k in src.expandos:
                np.testing.assert_array_equal(back.expandos[k], src.expandos[k])
    assert back.get_index("running") == 0  # the tokenizer came back
    ints = KeyedVectors(2)
    ints.add_vectors([10, 20], np.eye(2))
    assert KeyedVectors.load(ints.save(tmp_path / "ints.safetensors")).index_to_key == [10, 20]


def test_save_uses_the_state_file_convention(tmp_path, royal):
    """The metadata of wordvec's other state files: one JSON string under "wordvec" with format, version, kind."""
    import json

    from safetensors import safe_open

    with safe_open(str(royal.save(tmp_path / "kv.safetensors")), framework="numpy") as f:
        header = json.loads(f.metadata()["wordvec"])
    crc = header.pop("crc32")
    assert header == {"format": "wordvec-state", "version": 1, "kind": "keyedvectors", "tokenizer": None}
    assert set(crc) == {"vectors", "keys.utf8", "keys.offsets", "attr.count"}


def test_load_mmap_maps_the_file_without_copying(tmp_path, royal):
    import json
    import struct

    from safetensors.numpy import load_file

    path = royal.save(tmp_path / "kv.safetensors")
    kv = KeyedVectors.load(path, mmap="r")
    assert isinstance(kv.vectors, np.memmap) and not kv.vectors.flags.writeable
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    start = 8 + n + json.loads(raw[8:8 + n])["vectors"]["data_offsets"][0]
    assert kv.vectors.offset == start and start % 8 == 0
    assert kv.most_similar("king", topn=1) == royal.most_similar("king", topn=1)
    other = load_file(str(path))  # any safetensors reader opens it
    np.testing.assert_array_equal(other["vectors"], royal.vectors)
    assert bytes(other["keys.utf8"]).decode() == "".join(royal.index_to_key)


def test_load_refuses_damaged_files(tmp_path, royal):
    path = royal.save(tmp_path / "kv.safetensors")
    raw = path.read_bytes()
    for name, data in [("short", raw[:-10]), ("junk", b"\x05\x00\x00\x00\x00\x00\x00\x00{oops"),
                       ("empty", b""), ("huge", b"\xff" * 16)]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(WordvecError, match=name):
            KeyedVectors.load(tmp_path / name)
    with pytest.raises(NotImplementedError):
        KeyedVectors.load(path, mmap="r+")


def test_reads_the_earlier_safetensors_export(tmp_path):
    from safetensors.numpy import save_file

    save_file({"vectors": np.eye(2, dtype=np.float32)}, str(tmp_path / "old.safetensors"),
              metadata={"wordvec.index_to_key": '["a", "b"]', "wordvec.counts": "[5, 2]", "wordvec.format": "1"})
    kv = KeyedVectors.load(tmp_path / "old.safetensors")
    assert kv.index_to_key == ["a", "b"] and kv.counts.tolist() == [5, 2]


# ------------------------------------------------------------------------------------------------- no torch


def test_queries_and_word2vec_files_never_import_torch(tmp_path):
    """A fresh interpreter: build, query, save and load vectors, then check torch was never imported."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import sys
        import numpy as np
        from wordvec.vectors import KeyedVectors
        rng = np.random.default_rng(0)
        kv = KeyedVectors([f"w{{i}}" for i in range(500)], rng.standard_normal((500, 16)).astype(np.float32),
                          counts=np.arange(500, 0, -1))
        kv.most_similar("w1", topn=5); kv.most_similar(positive=["w1", "w2"], negative=["w3"])
        kv.most_similar_cosmul("w1"); kv.similarity("w1", "w2"); kv.doesnt_match(["w1", "w2", "w3"])
        kv.n_similarity(["w1"], ["w2"]); kv.closer_than("w1", "w2"); kv.get_mean_vector(["w1", "w2"])
        for binary in (False, True):
            kv.save_word2vec_format(r"{tmp_path}/v.bin", binary=binary)
            KeyedVectors.load_word2vec_format(r"{tmp_path}/v.bin", binary=binary).most_similar("w4")
        KeyedVectors.load(kv.save(r"{tmp_path}/v.safetensors"), mmap="r").most_similar("w9")
        import wordvec.export, wordvec.evaluate
        assert "torch" not in sys.modules, sorted(m for m in sys.modules if m.startswith("torch"))
        print("ok")
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
