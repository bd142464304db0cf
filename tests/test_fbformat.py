"""Facebook's .bin files: gensim's shipped models read as gensim reads them (in-vocabulary and unseen words,
hyperparameters, output matrix); what wordvec writes, gensim and wordvec read back; crafted and damaged files
(lying sizes, truncation, NaN, supervised / quantized models) give one FastTextFileError before any large
allocation; the command line (`neighbors` on a .bin, `export --format fasttext-vec|fasttext-bin`)."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from fakes import make_run
from fasttext_data import GENSIM_FILES, datapath, gensim_fasttext, random_words
from wordvec import KeyedVectors, WordvecError, load_facebook_model, load_facebook_vectors, save_facebook_model
from wordvec import fbformat
from wordvec.fasttext import FastTextModel, save_facebook_vectors
from wordvec.fbformat import FastTextFileError, FastTextTruncatedError, FastTextUnsupportedError
from wordvec.vectors import UnsupportedError

CLOSE = {"rtol": 1e-5, "atol": 1e-6}
UNSEEN = ["landlord", "steamtrain", "happpy", "#loveislove", "日本", "😀"] + random_words(50, seed=7)


def same_as_gensim(ours, theirs):
    """wordvec's model equals gensim's: words, counts, every matrix, unseen words, hyperparameters."""
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    np.testing.assert_array_equal(ours.wv.counts, [theirs.wv.get_vecattr(w, "count") for w in theirs.wv.index_to_key])
    np.testing.assert_array_equal(ours.wv.vectors_vocab, theirs.wv.vectors_vocab)
    np.testing.assert_array_equal(ours.wv.vectors_ngrams, theirs.wv.vectors_ngrams)
    np.testing.assert_allclose(ours.wv.vectors, theirs.wv.vectors, **CLOSE)
    for w in UNSEEN:
        if w:
            np.testing.assert_allclose(ours.wv[w], theirs.wv[w], **CLOSE)
    for name in ("vector_size", "window", "epochs", "negative", "hs", "sg", "min_count", "sample",
                 "corpus_total_words"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert (ours.wv.min_n, ours.wv.max_n, ours.wv.bucket) == (theirs.wv.min_n, theirs.wv.max_n, theirs.wv.bucket)
    np.testing.assert_array_equal(ours.syn1neg if ours.negative else ours.syn1,
                                  theirs.syn1neg if theirs.negative else theirs.syn1)


@pytest.mark.parametrize("name", GENSIM_FILES)
def test_gensims_files_read_as_gensim_reads_them(name):
    ft = gensim_fasttext()
    path = datapath(name)
    same_as_gensim(load_facebook_model(path), ft.load_facebook_model(path))
    ours, theirs = load_facebook_vectors(path), ft.load_facebook_vectors(path)
    np.testing.assert_allclose(ours.vectors, theirs.vectors, **CLOSE)
    np.testing.assert_allclose(ours["landlord"], theirs["landlord"], **CLOSE)


def test_a_loaded_model_says_it_cannot_train_yet():
    m = load_facebook_model(datapath("toy-model.bin"))
    for call in (m.train, m.build_vocab):
        with pytest.raises(UnsupportedError, match="to train subword vectors, use wordvec.FastText"):
            call([["a", "b"]], total_examples=1, epochs=1)


def test_supervised_models_are_refused_as_gensim_refuses_them():
    with pytest.raises(FastTextUnsupportedError, match="supervised") as e:
        load_facebook_model(datapath("pang_lee_polarity_fasttext.bin"))
    assert isinstance(e.value, NotImplementedError)  # gensim's exception type


@pytest.mark.parametrize("name", GENSIM_FILES)
def test_gensim_reads_what_wordvec_writes(tmp_path, name):
    ft = gensim_fasttext()
    ours = load_facebook_model(datapath(name))
    out = save_facebook_model(ours, tmp_path / "ours.bin")
    same_as_gensim(ours, ft.load_facebook_model(str(out)))
    again = load_facebook_model(out)
    np.testing.assert_array_equal(again.wv.vectors, ours.wv.vectors)
    assert again.args == ours.args and again.wv.index_to_key == ours.wv.index_to_key


def test_a_version_12_file_is_written_back_byte_for_byte(tmp_path):
    path = datapath("crime-and-punishment.bin")
    out = save_facebook_model(load_facebook_model(path), tmp_path / "copy.bin")
    assert out.read_bytes() == Path(path).read_bytes()


def test_wordvec_reads_gensims_writer_and_converts_gensims_models(tmp_path):
    ft = gensim_fasttext()
    theirs = ft.load_facebook_model(datapath("toy-model.bin"))
    ft.save_facebook_model(theirs, str(tmp_path / "g.bin"))
    same_as_gensim(load_facebook_model(tmp_path / "g.bin"), theirs)
    # a gensim model object converts in one call (read through its attributes; gensim is not imported)
    save_facebook_model(theirs, tmp_path / "converted.bin")
    same_as_gensim(load_facebook_model(tmp_path / "converted.bin"), theirs)
    save_facebook_model(theirs.wv, tmp_path / "kv.bin")
    np.testing.assert_allclose(load_facebook_vectors(tmp_path / "kv.bin").vectors, theirs.wv.vectors, **CLOSE)


def test_hierarchical_softmax_keeps_its_output_matrix_as_syn1(tmp_path):
    ft = gensim_fasttext()
    m = load_facebook_model(datapath("crime-and-punishment.bin"))
    hs = FastTextModel(m.wv, {**m.args, "loss": 1}, m.output, m.corpus_total_words)
    assert hs.hs == 1 and hs.negative == 0 and hs.syn1 is m.output
    theirs = ft.load_facebook_model(str(save_facebook_model(hs, tmp_path / "hs.bin")))
    assert theirs.hs == 1
    np.testing.assert_array_equal(theirs.syn1, m.output)


def test_vectors_alone_are_saved_with_fasttexts_defaults(tmp_path):
    ft = gensim_fasttext()
    kv = load_facebook_vectors(datapath("crime-and-punishment.bin"))
    out = save_facebook_model(kv, tmp_path / "kv.bin", lr_update_rate=50, word_ngrams=2)
    back = load_facebook_model(out)
    assert back.args["lrUpdateRate"] == 50 and back.args["wordNgrams"] == 2 and back.epochs == 5
    np.testing.assert_allclose(ft.load_facebook_vectors(str(out)).vectors, kv.vectors, **CLOSE)


def test_non_finite_or_misshapen_matrices_are_not_written(tmp_path):
    kv = load_facebook_vectors(datapath("crime-and-punishment.bin"))
    (tmp_path / "x.bin").write_bytes(b"the user's file")
    kv.vectors_ngrams = kv.vectors_ngrams.copy()
    kv.vectors_ngrams[3, 1] = np.inf
    with pytest.raises(WordvecError, match="NaN or inf"):
        save_facebook_model(kv, tmp_path / "x.bin")
    kv.vectors_ngrams = kv.vectors_ngrams[:50]
    with pytest.raises(WordvecError, match="words \\+ bucket"):
        save_facebook_model(kv, tmp_path / "x.bin")
    assert (tmp_path / "x.bin").read_bytes() == b"the user's file"


def test_a_short_syn1_is_padded_to_one_row_per_word(tmp_path):
    m = load_facebook_model(datapath("crime-and-punishment.bin"))
    hs = FastTextModel(m.wv, {**m.args, "loss": 1}, m.output[:-1], m.corpus_total_words)
    back = load_facebook_model(save_facebook_model(hs, tmp_path / "hs.bin"))
    np.testing.assert_array_equal(back.syn1[:-1], m.output[:-1])
    assert not back.syn1[-1].any()


def test_word2vec_vectors_cannot_be_saved_as_a_bin(tmp_path):
    kv = KeyedVectors(["a", "b"], np.ones((2, 3)))
    with pytest.raises(WordvecError, match="no n-grams"):
        save_facebook_model(kv, tmp_path / "x.bin")
    assert not (tmp_path / "x.bin").exists()


@pytest.mark.parametrize("stream_values", [7, 1 << 22])
def test_gzipped_and_vec_files(tmp_path, monkeypatch, stream_values):
    monkeypatch.setattr(fbformat, "_STREAM_VALUES", stream_values)  # 7: the matrices read in many small blocks
    path = datapath("crime-and-punishment.bin")
    gz = tmp_path / "m.bin.gz"
    with open(path, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    same = load_facebook_model(gz), load_facebook_model(path)
    np.testing.assert_array_equal(same[0].wv.vectors, same[1].wv.vectors)
    np.testing.assert_array_equal(same[0].output, same[1].output)
    kv = load_facebook_vectors(path)
    back = KeyedVectors.load_word2vec_format(save_facebook_vectors(kv, tmp_path / "m.vec"))
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)


def test_undecodable_words_are_kept_escaped_as_gensim_does(caplog):
    ft = gensim_fasttext()
    ours = load_facebook_vectors(datapath("cp852_fasttext.bin"))
    assert "kter\\xec" in ours.key_to_index and "is not utf-8" in caplog.text
    assert ours.index_to_key == ft.load_facebook_vectors(datapath("cp852_fasttext.bin")).index_to_key
    assert load_facebook_vectors(datapath("cp852_fasttext.bin"), encoding="cp852").index_to_key[1] == "který"


def test_sniff_tells_fasttext_files_from_others(tmp_path):
    for name in GENSIM_FILES:
        assert fbformat.sniff(datapath(name)), name
    KeyedVectors(["a"], np.ones((1, 3))).save_word2vec_format(tmp_path / "w.bin", binary=True)
    assert not fbformat.sniff(tmp_path / "w.bin") and not fbformat.sniff(tmp_path / "missing")


# ------------------------------------------------------------------------------------------------- crafted files


def craft(tmp_path, *, magic=fbformat.MAGIC, version=12, dim=2, bucket=3, loss=2, model=2, words=(b"a", b"b"),
          size=None, nlabels=0, prune=-1, kind=0, quant=False, rows=None, cols=None, out_rows=None, values=None,
          cut=None, tail=b"", t=1e-4) -> Path:
    """A small, valid fastText .bin unless a keyword says otherwise."""
    n = len(words)
    b = struct.pack("<2i", magic, version)
    b += struct.pack("<12id", dim, 5, 5, 1, 5, 1, loss, model, bucket, 3, 6, 100, t)
    b += struct.pack("<3iqq", n if size is None else size, n if size is None else size, nlabels, 10, prune)
    for w in words:
        b += w + b"\0" + struct.pack("<qb", 3, kind)
    r = n + bucket if rows is None else rows
    c = dim if cols is None else cols
    mat = np.arange(min(n + bucket, 1000) * dim, dtype="<f4") / 10 if values is None else np.asarray(values, "<f4")
    b += struct.pack("<?2q", quant, r, c) + mat.tobytes()
    b += struct.pack("<?2q", False, n if out_rows is None else out_rows, dim)
    b += np.zeros(min(n * dim, 1000), "<f4").tobytes()
    b = (b if cut is None else b[:cut]) + tail
    path = tmp_path / "crafted.bin"
    path.write_bytes(b)
    return path


def test_the_crafted_file_is_valid(tmp_path):
    m = load_facebook_model(craft(tmp_path))
    assert m.wv.index_to_key == ["a", "b"] and m.wv.vectors_ngrams.shape == (3, 2)


HUGE = 1 << 40


@pytest.mark.parametrize("bad,match", [
    ({"version": 13}, "version 13"),
    ({"dim": 0}, "impossible arguments"),
    ({"loss": 9}, "impossible arguments"),
    ({"t": float("nan")}, "impossible arguments"),
    ({"bucket": -1}, "impossible arguments"),
    ({"size": (1 << 31) - 1}, "needs .* bytes"),
    ({"size": -5}, "dictionary header"),
    ({"nlabels": 2}, "supervised"),
    ({"model": 3}, "supervised"),
    ({"prune": 4}, "pruned"),
    ({"kind": 1}, "type 1"),
    ({"quant": True}, "quantized"),
    ({"rows": HUGE}, "expected"),
    ({"rows": 5, "cols": HUGE // 5, "bucket": 3}, "expected"),
    ({"bucket": (1 << 31) - 1, "rows": (1 << 31) + 1}, "needs .* bytes"),
    ({"out_rows": HUGE}, "needs .* bytes"),
    ({"out_rows": -1}, "output matrix"),
    ({"values": [np.nan] + [0] * 9}, "NaN"),
    ({"values": [0] * 9 + [np.inf]}, "NaN or inf"),
    ({"words": [b"a", b"a"]}, "appears twice"),
    ({"tail": b"x"}, "bytes after"),
    ({"words": [b"a", b"x" * 70000]}, "no end"),
])
def test_crafted_files_are_one_error_before_any_large_allocation(tmp_path, bad, match):
    path = craft(tmp_path, **bad)
    tracemalloc.start()
    try:
        with pytest.raises(FastTextFileError, match=match):
            load_facebook_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


@pytest.mark.parametrize("bad", [{"size": (1 << 31) - 1},
                                 {"rows": 5, "bucket": 3, "dim": 1 << 30, "values": np.zeros(10)}])
def test_a_lying_gzipped_header_costs_only_the_data_it_has(tmp_path, bad):
    path = craft(tmp_path, **bad)
    gz = tmp_path / "lying.bin.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    tracemalloc.start()
    try:
        with pytest.raises(FastTextFileError):
            load_facebook_model(gz)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_every_truncation_is_one_error(tmp_path):
    whole = Path(datapath("crime-and-punishment.bin")).read_bytes()
    for cut in list(range(0, 200)) + list(range(200, len(whole), 97)) + [len(whole) - 1]:
        path = tmp_path / "cut.bin"
        path.write_bytes(whole[:cut])
        with pytest.raises(FastTextFileError) as e:
            load_facebook_model(path)
        assert str(path) in str(e.value)
        if cut >= 8:
            assert isinstance(e.value, EOFError) or "impossible" in str(e.value), (cut, e.value)
    gz = tmp_path / "cut.bin.gz"
    gz.write_bytes(gzip.compress(whole[:5000]))
    with pytest.raises(FastTextTruncatedError):
        load_facebook_model(gz)
    for where in (10, -8):  # a reserved deflate block type (zlib.error); a wrong CRC-32 (OSError)
        damaged = bytearray(gzip.compress(whole))
        damaged[where] = 0x07 if where == 10 else damaged[where] ^ 0xFF
        gz.write_bytes(bytes(damaged))
        with pytest.raises(FastTextFileError):
            load_facebook_model(gz)
    assert not fbformat.sniff(tmp_path / "missing.gz")


def test_a_missing_file_or_a_folder_is_one_error(tmp_path):
    for path in (tmp_path / "missing.bin", tmp_path):
        with pytest.raises(FastTextFileError, match="cannot read"):
            load_facebook_vectors(path)


# ------------------------------------------------------------------------------------------------- command line


def wordvec(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "wordvec.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_neighbors_of_a_bin_answers_unseen_words_from_ngrams():
    ft = gensim_fasttext()
    path = datapath("crime-and-punishment.bin")
    r = wordvec("neighbors", path, "landlady", "landlord", "-k", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("landlady: ") and "n-grams" not in lines[0]
    assert lines[1] == "landlord: not in the vocabulary; its vector was built from its character n-grams"
    expected = [w for w, _ in ft.load_facebook_vectors(path).most_similar("landlord", topn=3)]
    assert re.findall(r"(\S+) \(-?[0-9.]+\)", lines[2].split(": ", 1)[1]) == expected


def test_neighbors_of_a_damaged_bin_is_one_line(tmp_path):
    path = craft(tmp_path, out_rows=HUGE)
    r = wordvec("neighbors", path, "a")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().count("\n") == 0 and r.stderr.startswith("wordvec: error: ") and "output matrix" in r.stderr
    r = wordvec("neighbors", datapath("toy-model.bin"), "a", "--vectors", "output")
    assert r.returncode == 2 and r.stderr.strip().endswith("leave --vectors out") and r.stdout == ""


def test_export_fasttext_vec_and_bin_of_a_word2vec_run(tmp_path):
    words = ["alpha", "beta", "gamma"]
    run = make_run(tmp_path / "run", words, np.arange(9, dtype=np.float32).reshape(3, 3))
    r = wordvec("export", run, "--format", "fasttext-vec", "--out", tmp_path / "v.vec")
    assert r.returncode == 0, r.stderr
    kv = KeyedVectors.load_word2vec_format(tmp_path / "v.vec")
    assert kv.index_to_key == words
    np.testing.assert_array_equal(kv.vectors, np.arange(9).reshape(3, 3))
    r = wordvec("export", run, "--format", "fasttext-bin", "--out", tmp_path / "v.bin")
    errors = [line for line in r.stderr.splitlines() if line.startswith("wordvec: error: ")]
    assert r.returncode == 2 and len(errors) == 1 and "fasttext-vec" in errors[0]
    assert not (tmp_path / "v.bin").exists()
