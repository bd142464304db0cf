"""Export/import: gensim interoperability, round trips, malformed files, atomic writes, projector, CLI."""

import os

import numpy as np
import pytest

from wordvec.cli import main
from wordvec.errors import WordvecError
from fakes import make_run
from wordvec.export import save_projector
from wordvec.rundir import export_run, load_vectors
from wordvec.vectors import KeyedVectors, load_word2vec_format, save_word2vec_format

gensim_models = pytest.importorskip("gensim.models")


@pytest.fixture
def kv():
    rng = np.random.default_rng(3)
    words = [f"wörd{i}" for i in range(500)] + ["@user", "#love"]
    return KeyedVectors(words, rng.standard_normal((len(words), 16)).astype(np.float32),
                        counts=rng.integers(1, 1000, len(words)))


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_ours_same_neighbours(tmp_path, kv, binary):
    path = save_word2vec_format(tmp_path / "v.w2v", kv.index_to_key, kv.vectors, binary=binary)
    g = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert g.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(g.vectors, kv.vectors)
    for q in ["wörd0", "wörd77", "@user"]:
        assert [w for w, _ in g.most_similar(q, topn=10)] == [w for w, _ in kv.most_similar(q, topn=10)]
    ana = dict(positive=["wörd1", "wörd2"], negative=["wörd3"], topn=10)
    assert [w for w, _ in g.most_similar(**ana)] == [w for w, _ in kv.most_similar(**ana)]
    assert [w for w, _ in g.most_similar_cosmul(**ana)] == [w for w, _ in kv.most_similar_cosmul(**ana)]
    assert g.doesnt_match(["wörd1", "wörd2", "wörd3", "wörd4"]) == kv.doesnt_match(["wörd1", "wörd2", "wörd3",
                                                                                     "wörd4"])


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_gensim_files(tmp_path, kv, binary):
    g = gensim_models.KeyedVectors(16)
    g.add_vectors(kv.index_to_key, kv.vectors)
    path = tmp_path / "g.w2v"
    g.save_word2vec_format(str(path), binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_allclose(back.vectors, kv.vectors, rtol=1e-6)


@pytest.mark.parametrize("binary", [False, True])
def test_round_trip_exact(tmp_path, kv, binary):
    path = save_word2vec_format(tmp_path / "v", kv.index_to_key, kv.vectors, binary=binary)
    back = load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)  # %.9g round-trips float32


def test_reads_word2vec_c_text_with_trailing_space(tmp_path):
    (tmp_path / "c.txt").write_text("2 3\nfoo 1.0 2.0 3.0 \nbar -1 0 0.5 \n")
    kv = load_word2vec_format(tmp_path / "c.txt")
    assert kv.index_to_key == ["foo", "bar"] and kv.vectors[1].tolist() == [-1, 0, 0.5]


def test_safetensors_round_trip(tmp_path, kv):
    path = kv.save(tmp_path / "v.safetensors")
    back = KeyedVectors.load(path)
    assert back.index_to_key == kv.index_to_key and back.counts.tolist() == kv.counts.tolist()
    np.testing.assert_array_equal(back.vectors, kv.vectors)


@pytest.mark.parametrize("text, where", [
    ("3 2\na 1 2\nb 3 4\n", "line 4 \\(end of file\\)"),  # header says 3 rows, file has 2
    ("1 2\na 1 2\nb 3 4\n", "line 3"),  # more rows than the header
    ("2 2\na 1 2\nb 3 4 5\n", "line 3"),  # dimension disagrees
    ("2 2\na 1 2\nb 3 x\n", "line 3.*'x' is not a number"),
    ("two 2\na 1 2\n", "line 1"),
])
def test_malformed_text(tmp_path, text, where):
    (tmp_path / "bad.txt").write_text(text)
    with pytest.raises(WordvecError, match=f"bad.txt: {where}"):
        load_word2vec_format(tmp_path / "bad.txt")


def test_truncated_binary(tmp_path, kv):
    path = save_word2vec_format(tmp_path / "v.bin", kv.index_to_key, kv.vectors, binary=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(WordvecError, match=r"v.bin: entry 502 of 502.*truncated"):
        load_word2vec_format(path, binary=True)


def test_unwritable_path_and_no_partial_file(tmp_path, kv, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WordvecError, match="cannot write"):
        save_word2vec_format(blocker / "v.txt", kv.index_to_key, kv.vectors)

    def fail(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(WordvecError, match="No space left"):
        save_word2vec_format(tmp_path / "out.txt", kv.index_to_key, kv.vectors)
    assert os.listdir(tmp_path) == ["file"]  # neither the target nor the temporary remains


def test_words_with_spaces_refused(tmp_path):
    with pytest.raises(WordvecError, match="'a b'"):
        save_word2vec_format(tmp_path / "v.txt", ["ok", "a b"], np.zeros((2, 2)))
    assert not (tmp_path / "v.txt").exists()


def test_projector(tmp_path, kv):
    out = save_projector(tmp_path / "proj", kv, limit=50)
    vecs = np.loadtxt(out / "vectors.tsv", delimiter="\t")
    meta = (out / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert vecs.shape == (50, 16) and len(meta) == 51 and meta[0] == "word\tcount"
    top = np.argsort(-kv.counts, kind="stable")[:50]
    assert [m.split("\t")[0] for m in meta[1:]] == [kv.index_to_key[i] for i in top]
    np.testing.assert_allclose(vecs, kv.vectors[top], rtol=1e-5, atol=1e-6)
    assert out == tmp_path / "proj" / "wordvec"  # layout and several exports: tests/test_plots_tb.py
    cfg = (tmp_path / "proj" / "projector_config.pbtxt").read_text()
    assert 'tensor_path: "wordvec/vectors.tsv"' in cfg and 'metadata_path: "wordvec/metadata.tsv"' in cfg


@pytest.fixture
def run_dir(tmp_path):
    rng = np.random.default_rng(5)
    words = ["good", "bad", "school", "day", "love", "hate"]
    emb, exp = rng.standard_normal((2, 6, 8)).astype(np.float32)
    return make_run(tmp_path / "run", words, emb, exp, vectors="mean")


@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary", "safetensors", "projector"])
def test_cli_export(tmp_path, run_dir, fmt, capsys):
    out = tmp_path / ("proj" if fmt == "projector" else "out.vec")
    assert main(["export", str(run_dir), "--format", fmt, "--out", str(out), "--vectors", "input"]) == 0
    assert str(out) in capsys.readouterr().out
    want = load_vectors(run_dir, which="input")
    if fmt == "projector":
        got = np.loadtxt(out / run_dir.name / "vectors.tsv", delimiter="\t")
        np.testing.assert_allclose(got, want.vectors, rtol=1e-5, atol=1e-6)
        return
    got = KeyedVectors.load(out) if fmt == "safetensors" else load_word2vec_format(out, binary="binary" in fmt)
    assert got.index_to_key == want.index_to_key
    np.testing.assert_array_equal(got.vectors, want.vectors)


def test_cli_export_default_vectors_and_errors(tmp_path, run_dir, capsys):
    out = export_run(run_dir, "word2vec-text", tmp_path / "v.txt")
    np.testing.assert_array_equal(load_word2vec_format(out).vectors, load_vectors(run_dir).vectors)
    assert main(["export", str(tmp_path / "nope"), "--format", "safetensors", "--out", str(tmp_path / "x")]) == 2
    assert "wordvec train --out" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
