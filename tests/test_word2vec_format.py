"""The word2vec file format: every option of gensim's reader and writer in both directions, gensim's own test
files, damaged files (each one error, also of gensim's exception type), `limit` on a file with a garbage tail,
and random bytes / random structures fed to both readers (a WordvecError or valid vectors, nothing else)."""

import bz2
import gzip
import itertools
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordvec.errors import WordvecError
from wordvec.vectors import (KeyedVectors, TruncatedFileError, VectorFileError, WordDecodeError, load_word2vec_format,
                             save_word2vec_format)

from test_export import kv  # noqa: F401  (fixture: 502 words with counts)

gensim_models = pytest.importorskip("gensim.models")
gensim_utils = pytest.importorskip("gensim.test.utils")
GKV = gensim_models.KeyedVectors


def gensim_copy(kv):
    g = GKV(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    for w, c in zip(kv.index_to_key, kv.counts.tolist()):
        g.set_vecattr(w, "count", c)
    return g


# ------------------------------------------------------------------------------------------------- interop


@pytest.mark.parametrize("binary, write_header, prefix, with_vocab, sort_attr", [
    (b, h, p, v, s) for b, h, p, v, s in itertools.product([False, True], [True, False], ["", "P_"], [False, True],
                                                           ["count", None]) if h or not b])
def test_gensim_reads_ours_with_every_option(tmp_path, kv, binary, write_header, prefix, with_vocab, sort_attr):
    path, vocab = tmp_path / "v", (tmp_path / "vocab.txt" if with_vocab else None)
    kv.save_word2vec_format(path, fvocab=vocab, binary=binary, write_header=write_header, prefix=prefix,
                            sort_attr=sort_attr)
    g = GKV.load_word2vec_format(str(path), fvocab=vocab and str(vocab), binary=binary, no_header=not write_header)
    order = np.argsort(-kv.counts, kind="stable") if sort_attr else np.arange(len(kv))
    assert g.index_to_key == [prefix + kv.index_to_key[i] for i in order]
    np.testing.assert_array_equal(g.vectors, kv.vectors[order])
    if with_vocab:
        assert [g.get_vecattr(w, "count") for w in g.index_to_key] == kv.counts[order].tolist()
    if with_vocab and sort_attr is None:
        return  # gensim refuses fvocab without a sort attribute; wordvec writes the vocabulary in index order
    # the same file written by gensim reads back as gensim reads ours
    gensim_copy(kv).save_word2vec_format(str(tmp_path / "g"), fvocab=vocab and str(tmp_path / "gv"), binary=binary,
                                         write_header=write_header, prefix=prefix, sort_attr=sort_attr)
    back = KeyedVectors.load_word2vec_format(tmp_path / "g", fvocab=vocab and tmp_path / "gv", binary=binary,
                                             no_header=not write_header)
    assert back.index_to_key == g.index_to_key
    np.testing.assert_array_equal(back.vectors, g.vectors)
    if with_vocab:
        assert vocab.read_text(encoding="utf-8") == (tmp_path / "gv").read_text(encoding="utf-8")


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_gensim_files_with_every_reader_option(tmp_path, kv, binary):
    g = gensim_copy(kv)
    path = tmp_path / "g.w2v"
    g.save_word2vec_format(str(path), fvocab=str(tmp_path / "vocab"), binary=binary)
    for kw in [dict(), dict(limit=17), dict(datatype=np.float16), dict(datatype=np.float64),
               dict(fvocab=tmp_path / "vocab"), dict(fvocab=tmp_path / "vocab", limit=5)]:
        ours = KeyedVectors.load_word2vec_format(path, binary=binary, **kw)
        kw = {k: str(v) if k == "fvocab" else v for k, v in kw.items()}
        theirs = GKV.load_word2vec_format(str(path), binary=binary, **kw)
        assert ours.index_to_key == theirs.index_to_key
        assert ours.vectors.dtype == theirs.vectors.dtype
        np.testing.assert_array_equal(ours.vectors, theirs.vectors)
        if "fvocab" in kw:
            assert ours.counts.tolist() == theirs.expandos["count"].tolist()
        else:
            assert ours.counts is None  # gensim makes up descending counts; wordvec says it has none


def test_encodings_both_ways(tmp_path):
    latin = "2 2\ncafé 1 2\nthé 3 4\n".encode("latin-1")
    (tmp_path / "l.txt").write_bytes(latin)
    for kw in [dict(encoding="latin-1"), dict(unicode_errors="replace"), dict(unicode_errors="ignore")]:
        ours = KeyedVectors.load_word2vec_format(tmp_path / "l.txt", **kw)
        assert ours.index_to_key == GKV.load_word2vec_format(str(tmp_path / "l.txt"), **kw).index_to_key
    with pytest.raises(UnicodeDecodeError, match=r"line 2: the word b'caf\\xe9' is not utf8.*unicode_errors"):
        KeyedVectors.load_word2vec_format(tmp_path / "l.txt")
    binary = b"1 2\n" + "thé".encode("latin-1") + b" " + struct.pack("<2f", 1, 2)
    (tmp_path / "l.bin").write_bytes(binary)
    assert KeyedVectors.load_word2vec_format(tmp_path / "l.bin", binary=True, encoding="latin-1").index_to_key == \
        ["thé"]
    with pytest.raises(WordDecodeError, match="entry 1 of 1"):
        KeyedVectors.load_word2vec_format(tmp_path / "l.bin", binary=True)


@pytest.mark.parametrize("name, binary, no_header", [
    ("toy-model.vec", False, False), ("euclidean_vectors.bin", True, False), ("lee_fasttext.vec", False, False),
    ("test_glove.txt", False, True), ("high_precision.kv.txt", False, False), ("high_precision.kv.bin", True, False),
    ("word2vec_pre_kv_c", False, False), ("poincare_vectors.bin", True, False)])
def test_gensim_test_files(name, binary, no_header):
    path = gensim_utils.datapath(name)
    ours = KeyedVectors.load_word2vec_format(path, binary=binary, no_header=no_header)
    theirs = GKV.load_word2vec_format(path, binary=binary, no_header=no_header)
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)


def test_gensim_test_files_it_refuses():
    with pytest.raises(EOFError, match="line 3 \\(end of file\\).*says 3 words"):  # gensim: EOFError too
        KeyedVectors.load_word2vec_format(gensim_utils.datapath("pretrained.vec"))
    with pytest.raises(UnicodeDecodeError):
        KeyedVectors.load_word2vec_format(gensim_utils.datapath("pang_lee_polarity_fasttext.vec"))


def test_writer_options_by_hand(tmp_path):
    kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0.5], [2, 0], [-1, 3]], dtype=np.float32), counts=[1, 9, 5])
    kv.save_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "voc.txt", prefix="x_")
    assert (tmp_path / "v.txt").read_text() == "3 2\nx_b 2 0\nx_c -1 3\nx_a 1 0.5\n"  # most frequent first
    assert (tmp_path / "voc.txt").read_text() == "x_b 9\nx_c 5\nx_a 1\n"
    kv.save_word2vec_format(tmp_path / "v.txt", sort_attr=None, total_vec=5)
    kv.save_word2vec_format(tmp_path / "v.txt", sort_attr="nothing", write_header=False, append=True)
    assert (tmp_path / "v.txt").read_text() == "5 2\na 1 0.5\nb 2 0\nc -1 3\na 1 0.5\nb 2 0\nc -1 3\n"
    assert KeyedVectors.load_word2vec_format(tmp_path / "v.txt", limit=3).index_to_key == ["a", "b", "c"]
    with pytest.raises(WordvecError, match="no counts"):
        KeyedVectors(["a"], np.ones((1, 2))).save_word2vec_format(tmp_path / "w.txt", fvocab=tmp_path / "wv.txt")
    for suffix, opener in [(".gz", gzip.open), (".bz2", bz2.open)]:
        path = kv.save_word2vec_format(tmp_path / f"v.bin{suffix}", binary=True)
        assert opener(path).read(4) == b"3 2\n"
        assert KeyedVectors.load_word2vec_format(path, binary=True).index_to_key == ["b", "c", "a"]
        assert GKV.load_word2vec_format(str(path), binary=True).index_to_key == ["b", "c", "a"]


def test_module_functions_round_trip(tmp_path):
    """`save_word2vec_format(path, index_to_key, vectors, binary=...)`: the module-level form, without a kv."""
    v = np.array([[1, 2], [3, 4]], dtype=np.float32)
    for binary in (False, True):
        path = save_word2vec_format(tmp_path / "v", ["x", "y"], v, binary=binary)
        back = load_word2vec_format(path, binary=binary)
        assert back.index_to_key == ["x", "y"] and back.vectors.tolist() == v.tolist()


# ------------------------------------------------------------------------------------------------- damaged files


def _bin(*rows, header=None):
    body = b"".join(w + b" " + struct.pack(f"<{len(v)}f", *v) for w, v in rows)
    dim = len(rows[0][1]) if rows else 2
    return (header if header is not None else f"{len(rows)} {dim}\n".encode()) + body


@pytest.mark.parametrize("data, binary, cls, gensim_cls, message", [
    (b"2 0\nx\ny\n", False, VectorFileError, None, r"line 1: the header says 2 words of dimension 0"),
    (b"2 0\nx \ny \n", True, VectorFileError, None, r"line 1: the header says 2 words of dimension 0"),
    (b"3 2\nx 1 2\ny 3 4\n", False, TruncatedFileError, EOFError, r"line 4 \(end of file\).*says 3 words.* 2 rows"),
    (b"3 2\nx 1 2\ny 3 4\n\n\n", False, TruncatedFileError, ValueError, r"line 4 \(end of file\)"),
    (b"1 2\nx 1 2\ny 3 4\n", False, VectorFileError, None, r"line 3: .*says 1 words but the file has more rows"),
    (b"2 2\nx 1 2\ny 3 4 5\n", False, VectorFileError, ValueError, r"line 3: expected a word and 2 values.*got 3"),
    (b"2 2\nx 1 2\n\ny 3 4\n", False, VectorFileError, ValueError, r"line 3: the line is empty"),
    (b"2 2\nx 1 2\ny 3 q\n", False, VectorFileError, ValueError, r"line 3: 'q' is not a number"),
    (b"2 2\nx 1 nan\ny 3 4\n", False, VectorFileError, None, r"line 2: row 1 \(word 'x'\) has a non-finite value"),
    (b"2 2\nx 1 2\ny 3 -inf\n", False, VectorFileError, None, r"line 3: row 2 \(word 'y'\) has a non-finite value"),
    (b"2 2\nx 1 2\nx 3 4\n", False, VectorFileError, None, r"line 3: the word 'x' appears again \(first at line 2\)"),
    (b"1 2\n 1 2\n", False, VectorFileError, None, r"line 2: the word is empty"),
    (b"two 2\nx 1 2\n", False, VectorFileError, ValueError, r"line 1: expected a header 'WORDS DIMENSION'"),
    (b"2 2 2\nx 1 2\n", False, VectorFileError, ValueError, r"line 1: expected a header"),
    (b"-1 2\n", False, VectorFileError, ValueError, r"line 1: expected a header"),
    (b"2 2\nx\xff 1 2\ny 3 4\n", False, WordDecodeError, UnicodeDecodeError, r"line 2: the word b'x\\xff' is not"),
    (_bin((b"x", (1, 2)), (b"y", (3, 4)))[:-3], True, TruncatedFileError, EOFError,
     r"entry 2 of 2 \(byte 14\): the file is truncated"),
    (_bin((b"x", (1, 2)), header=b"3 2\n"), True, TruncatedFileError, EOFError, r"entry 2 of 3.*truncated"),
    (_bin((b"x", (1, 2)), (b"y", (3, 4)), header=b"1 2\n"), True, VectorFileError, None,
     r"byte 14: data after the 1 words"),
    (_bin((b"w" * 1500, (1, 2))), True, VectorFileError, None, r"entry 1 of 1.*no space within 1000 bytes.*longer"),
    (_bin((b"x", (1, float("nan"))),), True, VectorFileError, None, r"entry 1: row 1 \(word 'x'\) has a non-finite"),
    (_bin((b"x", (1, 2)), (b"x", (3, 4))), True, VectorFileError, None, r"entry 2: the word 'x' appears again"),
    (_bin((b"x\xff", (1, 2)),), True, WordDecodeError, UnicodeDecodeError, r"entry 1 of 1"),
    (b"9999999 300\nx 1\n", False, TruncatedFileError, EOFError, r"line 1: .* more than the 4 bytes after it can hold"),
    (b"9999999 300\nx 1\n", True, TruncatedFileError, EOFError, r"line 1: .* more than the 4 bytes after it"),
])
def test_damaged_files(tmp_path, data, binary, cls, gensim_cls, message):
    path = tmp_path / "bad.w2v"
    path.write_bytes(data)
    with pytest.raises(cls, match=f"bad.w2v: {message}") as info:
        KeyedVectors.load_word2vec_format(path, binary=binary)
    assert isinstance(info.value, WordvecError) and isinstance(info.value, ValueError)
    if gensim_cls is not None:  # what gensim raises on the same file: the same except clause catches ours
        assert isinstance(info.value, gensim_cls)
        with pytest.raises(gensim_cls):
            GKV.load_word2vec_format(str(path), binary=binary)


def test_reader_argument_errors(tmp_path):
    (tmp_path / "v.txt").write_text("1 2\nx 1 2\n")
    with pytest.raises(NotImplementedError, match="text files"):  # gensim: NotImplementedError too
        KeyedVectors.load_word2vec_format(tmp_path / "v.txt", binary=True, no_header=True)
    with pytest.raises(WordvecError, match="limit"):
        KeyedVectors.load_word2vec_format(tmp_path / "v.txt", limit=-1)
    with pytest.raises(WordvecError, match="cannot read"):
        KeyedVectors.load_word2vec_format(tmp_path / "missing.txt")
    (tmp_path / "voc").write_text("x 3\n")
    (tmp_path / "w.txt").write_text("2 2\nx 1 2\ny 3 4\n")
    with pytest.raises(WordvecError, match="no count for the word 'y'"):
        KeyedVectors.load_word2vec_format(tmp_path / "w.txt", fvocab=tmp_path / "voc")
    (tmp_path / "blank.txt").write_text("\n\n")
    with pytest.raises(WordvecError, match="holds no vectors"):
        KeyedVectors.load_word2vec_format(tmp_path / "blank.txt", no_header=True)
    (tmp_path / "bad.gz").write_bytes(b"not gzip at all")
    with pytest.raises(WordvecError, match="cannot read"):
        KeyedVectors.load_word2vec_format(tmp_path / "bad.gz")


@pytest.mark.parametrize("binary", [False, True])
def test_limit_never_reads_the_tail(tmp_path, kv, binary):
    path = kv.save_word2vec_format(tmp_path / "v", binary=binary, sort_attr=None)
    data = path.read_bytes()
    row = len("wörd0 ".encode()) + 4 * kv.vector_size + 1  # binary: the first ten words have the same length
    cut = len(b"".join(data.split(b"\n", 11)[:11])) + 11 if not binary else data.index(b"\n") + 1 + 10 * row
    assert data[cut:].startswith(kv.index_to_key[10].encode())  # the cut is right after the 10th row
    path.write_bytes(data[:cut] + b"\xff\xfe garbage \x00" * 1000)
    got = KeyedVectors.load_word2vec_format(path, binary=binary, limit=10)
    assert got.index_to_key == kv.index_to_key[:10]
    np.testing.assert_array_equal(got.vectors, kv.vectors[:10])
    with pytest.raises(WordvecError):
        KeyedVectors.load_word2vec_format(path, binary=binary)


# ------------------------------------------------------------------------------------------------- fuzzing


def _check_loads(path, **kw):
    try:
        kv = KeyedVectors.load_word2vec_format(path, **kw)
    except WordvecError:
        return
    assert kv.vectors.ndim == 2 and len(kv.index_to_key) == kv.vectors.shape[0] == len(kv.key_to_index)
    assert np.isfinite(kv.vectors).all() and all(isinstance(k, str) and k for k in kv.index_to_key)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=300), binary=st.booleans(), no_header=st.booleans())
def test_fuzz_random_bytes(tmp_path, data, binary, no_header):
    (tmp_path / "f").write_bytes(data)
    _check_loads(tmp_path / "f", binary=binary, no_header=no_header and not binary)


_token = st.one_of(st.sampled_from([b"1", b"-2.5", b"1e3", b"nan", b"inf", b"x", b"", b"0x1", b"1e999", b"\xff"]),
                   st.binary(max_size=4))


@FUZZ
@given(n=st.integers(0, 5), dim=st.integers(0, 4), rows=st.lists(
    st.tuples(st.binary(max_size=6), st.lists(_token, max_size=6), st.sampled_from([b" ", b"  ", b"\t"]),
              st.sampled_from([b"\n", b"\r\n", b" \n", b""])), max_size=6), limit=st.sampled_from([None, 0, 1, 3]),
       unicode_errors=st.sampled_from(["strict", "replace", "ignore"]))
def test_fuzz_text_structures(tmp_path, n, dim, rows, limit, unicode_errors):
    body = b"".join(w + sep + sep.join(vals) + end for w, vals, sep, end in rows)
    (tmp_path / "t").write_bytes(f"{n} {dim}\n".encode() + body)
    _check_loads(tmp_path / "t", limit=limit, unicode_errors=unicode_errors)


@FUZZ
@given(n=st.integers(0, 5), dim=st.integers(0, 4), rows=st.lists(
    st.tuples(st.binary(max_size=6), st.lists(st.floats(width=32), max_size=5), st.sampled_from([b"", b"\n"])),
    max_size=6), tail=st.binary(max_size=8), limit=st.sampled_from([None, 1, 2]))
def test_fuzz_binary_structures(tmp_path, n, dim, rows, tail, limit):
    body = b"".join(w + b" " + struct.pack(f"<{len(v)}f", *v) + end for w, v, end in rows)
    (tmp_path / "b").write_bytes(f"{n} {dim}\n".encode() + body + tail)
    _check_loads(tmp_path / "b", binary=True, limit=limit)
