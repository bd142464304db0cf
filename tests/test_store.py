"""The token store: `prepare` gives exactly the in-memory path's ids, offsets and vocabulary; `open_store` validates;
every bad input is one WordvecError and leaves nothing behind."""

from __future__ import annotations

import ast
import bz2
import csv
import gzip
import json
import lzma
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from wordvec import store
from wordvec.cli import main
from wordvec.corpus import load_corpus
from wordvec.errors import WordvecError
from wordvec.preprocess import LabTokenizer, get_tokenizer
from wordvec.store import open_store, prepare
from wordvec.vocab import build_and_encode, count_order

FORK = "fork" in __import__("multiprocessing").get_all_start_methods()
needs_fork = pytest.mark.skipif(not FORK, reason="the test patches the worker function, which needs fork")

# Lines that trip up a tokenizer: blank and whitespace-only lines (not documents), CR LF, tabs, the ASCII
# separators and Unicode spaces str.split() splits on, case mappings outside ASCII (final sigma, dotted I, the
# Kelvin sign), stopword-only lines (empty documents for the lab tokenizer), a NUL byte, a line with no newline.
HOSTILE = [
    "The cat sat on the mat", "", "   ", "\t \t", "the CAT\tsat\r", "Émile ÉCOLE café naïve", "ΟΔΟΣ ΣΑΣ σας ΑΣ.",
    "İstanbul KELVIN \u212a degrees", "a\xa0b\u2003c\u3000d\u2028e\x85f", "x\x1cy\x1dz\x1e w\x1f v", "\x0bvert\x0cfeed",
    "#hashtag @user http://t.co/x running runs ran", "the and of", "to be or not to be", "zero\x00byte token",
    "Running RUNS runner", "@user @user #love #LOVE love", "  leading and trailing  ", "\r", "naïve café",
]
SYLLABLES = ["ba", "ki", "run", "ning", "the", "cat", "s", "ed", "love", "@u", "#h", "é", "Σ", "and", "to", "ly"]


def zipf_lines(seed: int, n_lines: int, vocab: int = 400) -> list[str]:
    """Random lines of words made of syllables (so stems, stopwords and non-ASCII all occur), Zipf frequencies."""
    rng = np.random.default_rng(seed)
    words = ["".join(rng.choice(SYLLABLES, size=rng.integers(1, 4))) for _ in range(vocab)]
    lines = []
    for _ in range(n_lines):
        ids = np.minimum(rng.zipf(1.3, size=rng.integers(0, 15)), vocab) - 1
        sep = [" ", "  ", "\t", " \xa0"][rng.integers(0, 4)]
        lines.append(sep.join(words[i] for i in ids))
    return lines


def write_lines(path: Path, lines: list[str], opener=open, final_newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + ("\n" if final_newline else "")
    with opener(path, "wb") as f:
        f.write(text.encode("utf-8"))
    return path


def reference(source, tokenizer: str, min_count: int, sort_by_count=True, text_column="tweet"):
    """The in-memory path: load_corpus -> the tokenizer -> build_and_encode, re-ordered as gensim's sorted_vocab
    (descending count, ties last seen first: vocab.count_order)."""
    tok = get_tokenizer(tokenizer)
    texts = load_corpus(source, text_column)["train"].texts
    vocab, enc = build_and_encode((tok(t) for t in texts), min_count)
    words, counts, ids = vocab.id2tok, vocab.counts, enc.ids
    if sort_by_count:
        order = count_order(vocab.counts)
        new_id = np.empty_like(order)
        new_id[order] = np.arange(len(order))
        words, counts, ids = [words[i] for i in order], vocab.counts[order], new_id[enc.ids]
    return words, counts, ids, enc.offsets


def assert_same_as_reference(path, source, tokenizer, min_count, sort_by_count=True, **kw):
    st = open_store(path)
    words, counts, ids, offsets = reference(source, tokenizer, min_count, sort_by_count, **kw)
    assert st.vocab.id2tok == words
    assert st.vocab.counts.tolist() == counts.tolist()
    assert st.ids.dtype == np.int32 and np.array_equal(st.ids, ids)
    assert st.offsets.dtype == np.int64 and np.array_equal(st.offsets, offsets)
    assert st.manifest["tokens"] == len(ids) and st.manifest["documents"] == len(offsets) - 1
    tokenize = get_tokenizer(tokenizer)
    assert st.manifest["tokens_read"] == sum(len(tokenize(t)) for t in load_corpus(source, **kw)["train"].texts)
    return st


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    """A folder of plain and compressed text files, nested, one without a final newline, one empty."""
    src = tmp_path / "corpus"
    write_lines(src / "a.txt", HOSTILE + zipf_lines(1, 300))
    write_lines(src / "b.txt.gz", zipf_lines(2, 200) + HOSTILE[::-1], gzip.open)
    write_lines(src / "sub" / "c.txt.bz2", zipf_lines(3, 150), bz2.open)
    write_lines(src / "sub" / "d.txt.xz", zipf_lines(4, 150), lzma.open)
    write_lines(src / "e.txt", zipf_lines(5, 120) + ["last line without newline"], final_newline=False)
    (src / "f.txt").write_bytes(b"")
    (src / "notes.md").write_text("not part of the corpus\n", encoding="utf-8")
    return src


@pytest.fixture
def small_blocks(monkeypatch):
    """Tiny read blocks and long-line limit, so blocks end mid-line and long lines come in pieces."""
    monkeypatch.setattr(store, "_BLOCK", 16)
    monkeypatch.setattr(store, "_LONG_LINE", 24)


# ---- identical to the in-memory path ------------------------------------------------------------------------------
@pytest.mark.parametrize("tokenizer", ["simple", "lab"])
@pytest.mark.parametrize("sort_by_count", [True, False])
@pytest.mark.parametrize("workers", [1, 2])
def test_same_ids_offsets_vocab_as_in_memory(tmp_path, corpus_dir, small_blocks, tokenizer, sort_by_count, workers):
    out = prepare(corpus_dir, tmp_path / "store", tokenizer=tokenizer, min_count=2, sort_by_count=sort_by_count,
                  workers=workers, part_size=97)  # tiny parts: byte ranges cut in the middle of lines
    assert_same_as_reference(out, corpus_dir, tokenizer, 2, sort_by_count=sort_by_count)


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("tokenizer", ["simple", "lab"])
def test_random_corpora_and_part_sizes(tmp_path, seed, tokenizer):
    rng = np.random.default_rng(seed)
    src = write_lines(tmp_path / "c.txt", zipf_lines(seed, 2000, vocab=int(rng.integers(50, 3000))))
    part_size = int(rng.integers(50, 20000))
    min_count = int(rng.integers(1, 4))
    out = prepare(src, tmp_path / "s", tokenizer=tokenizer, min_count=min_count, workers=2, part_size=part_size)
    assert_same_as_reference(out, src, tokenizer, min_count)


@pytest.mark.parametrize("max_final_vocab", [None, 30, 5000])
@pytest.mark.parametrize("sorted_vocab", [1, 0])
def test_vocabulary_is_gensims(tmp_path, max_final_vocab, sorted_vocab):
    """gensim's build_vocab on the same tokens is the reference for which words are kept (min_count,
    max_final_vocab), their counts, and the order: first seen, or gensim's sorted order (ties last seen first)."""
    gensim = pytest.importorskip("gensim")
    lines = zipf_lines(3, 400)
    src = write_lines(tmp_path / "c.txt", lines)
    out = prepare(src, tmp_path / "s", tokenizer="simple", min_count=2, max_final_vocab=max_final_vocab,
                  sort_by_count=bool(sorted_vocab), workers=2, part_size=1500)
    docs = [line.lower().split() for line in lines if line.strip()]
    model = gensim.models.Word2Vec(min_count=2, max_final_vocab=max_final_vocab, sorted_vocab=sorted_vocab,
                                   workers=1)
    model.build_vocab(docs)
    st = open_store(out)
    theirs = {w: model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key}
    assert dict(zip(st.vocab.id2tok, st.vocab.counts.tolist())) == theirs
    assert st.vocab.id2tok == model.wv.index_to_key
    ids = [st.vocab.tok2id[w] for d in docs for w in d if w in theirs]
    assert st.ids.tolist() == ids and st.manifest["max_final_vocab"] == max_final_vocab
    if max_final_vocab == 30:
        assert len(st.vocab) <= 30


def test_max_vocab_size_is_refused(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 50))
    msg = _refused(tmp_path, "--max-vocab-size", src, max_vocab_size=1000)
    assert "--max-final-vocab" in msg


def test_sorted_order_against_a_counter(tmp_path):
    """An independent reference for gensim's order: collections.Counter, sorted by (-count, -first seen)."""
    lines = zipf_lines(7, 1500)
    src = write_lines(tmp_path / "c.txt", lines)
    out = prepare(src, tmp_path / "s", tokenizer="simple", min_count=3, workers=2, part_size=3000)
    docs = [line.lower().split() for line in lines if line.strip()]
    counts = Counter(w for d in docs for w in d)  # a Counter keeps first-seen order
    first = {w: i for i, w in enumerate(counts)}
    kept = sorted((w for w, c in counts.items() if c >= 3), key=lambda w: (-counts[w], -first[w]))
    st = open_store(out)
    assert st.vocab.id2tok == kept and st.vocab.counts.tolist() == [counts[w] for w in kept]
    tok2id = {w: i for i, w in enumerate(kept)}
    for d in (0, 1, 500, len(docs) - 1):
        assert st.encoded.doc(d).tolist() == [tok2id[w] for w in docs[d] if w in tok2id]


def test_long_lines_come_in_pieces(tmp_path, monkeypatch):
    """A line longer than the read block is cut after a space, never inside a word or a document."""
    monkeypatch.setattr(store, "_BLOCK", 64)
    monkeypatch.setattr(store, "_LONG_LINE", 100)
    long_line = " ".join(f"W{i % 37}" for i in range(3000))
    lines = ["short one", long_line, "   " * 200, "\t".join(["x"] * 500) + " " * 300, "after"]
    src = write_lines(tmp_path / "c.txt", lines)
    for tokenizer in ("simple", "lab"):
        out = prepare(src, tmp_path / tokenizer, tokenizer=tokenizer, min_count=1, workers=1)
        assert_same_as_reference(out, src, tokenizer, 1)
    assert open_store(tmp_path / "simple").n_docs == 4


def test_unicode_spaces_are_those_of_str_split():
    spaces = "".join(c for c in map(chr, range(0x80, 0x110000)) if c.isspace())
    assert "".join(store._UNICODE_SPACE.findall(spaces + "abc\u200b\ufeff")) == spaces


def test_byte_ranges_start_at_line_starts(tmp_path):
    lines = zipf_lines(3, 500) + ["x" * 5000] + zipf_lines(4, 50)
    src = write_lines(tmp_path / "c.txt", lines)
    data = src.read_bytes()
    for size in (1, 7, 100, 4999, 10 ** 6):
        parts = store._plan_parts([src], size)
        segments = [s for part in parts for s in part]
        assert segments[0].start == 0 and segments[-1].end == len(data)
        for a, b in zip(segments, segments[1:]):
            assert a.end == b.start and data[b.start - 1:b.start] == b"\n"
        assert sum(data[s.start:s.end].count(b"\n") for s in segments) == data.count(b"\n")


def test_lab_stems_each_distinct_word_once_per_worker(tmp_path, monkeypatch):
    from wordvec import preprocess

    calls = Counter()
    stem = preprocess._stemmer()

    def counting(word):
        calls[word] += 1
        return stem(word)

    monkeypatch.setattr(preprocess, "_stemmer", lambda: counting)
    src = write_lines(tmp_path / "c.txt", zipf_lines(5, 800))
    out = prepare(src, tmp_path / "s", tokenizer="lab", min_count=1, workers=1, part_size=300)  # many parts
    assert calls and max(calls.values()) == 1
    assert_same_as_reference(out, src, "lab", 1)


# ---- sources ------------------------------------------------------------------------------------------------------
def test_single_compressed_files(tmp_path):
    lines = zipf_lines(8, 400)
    for suffix, opener in ((".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)):
        src = write_lines(tmp_path / f"c.txt{suffix}", lines, opener)
        out = prepare(src, tmp_path / f"s{suffix}", tokenizer="simple", min_count=1, workers=2)
        assert_same_as_reference(out, src, "simple", 1)


def test_the_store_follows_the_umask(tmp_path):
    """mkdtemp makes a private directory; the store is renamed from one, so it must get the umask's permissions."""
    import os

    src = write_lines(tmp_path / "c.txt", zipf_lines(9, 50))
    old = os.umask(0o027)
    try:
        out = prepare(src, tmp_path / "store", tokenizer="simple", min_count=1, workers=1)
    finally:
        os.umask(old)
    assert (out.stat().st_mode & 0o777) == 0o750


def test_csv_folder_stores_only_train(tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    for name, rows in (("train", HOSTILE + zipf_lines(9, 100)), ("test", ["only in test", "more test words"])):
        with open(src / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "label", "tweet"])
            w.writerows([i, i % 2, t] for i, t in enumerate(rows))
    for tokenizer in ("lab", "simple"):
        out = prepare(src, tmp_path / tokenizer, tokenizer=tokenizer, min_count=1)
        st = assert_same_as_reference(out, src, tokenizer, 1)
        assert st.n_docs == len(HOSTILE) + 100  # every row is a document, the empty ones too
        assert "test" not in st.vocab
        assert [Path(f["path"]).name for f in st.manifest["files"]] == ["train.csv"]


def test_parquet_and_text_column(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "c.parquet"
    pq.write_table(pa.table({"text": zipf_lines(10, 200), "label": [0] * 200}), src)
    out = prepare(src, tmp_path / "s", tokenizer="simple", min_count=1, text_column="text")
    assert_same_as_reference(out, src, "simple", 1, text_column="text")
    with pytest.raises(WordvecError, match="--text-column"):
        prepare(src, tmp_path / "s2", tokenizer="simple")


def test_save_to_disk_folder(tmp_path):
    datasets = pytest.importorskip("datasets")
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"tweet": zipf_lines(11, 100) + [None]}),
                          "test": datasets.Dataset.from_dict({"tweet": ["unseen words"]})}
                         ).save_to_disk(str(tmp_path / "dd"))
    out = prepare(tmp_path / "dd", tmp_path / "s", tokenizer="simple", min_count=1)
    st = assert_same_as_reference(out, tmp_path / "dd", "simple", 1)
    assert st.n_docs == 101 and st.manifest["files"]


# ---- the lab's data -----------------------------------------------------------------------------------------------
def test_lab_parity_numbers(tmp_path, shared_data, lab_data):
    out = prepare(shared_data, tmp_path / "lab", tokenizer="lab", min_count=11, sort_by_count=False)
    st = open_store(out)
    assert len(st.vocab) == 3085 and st.vocab.id2tok[0] == "@user" and st.vocab.tok2id["father"] == 1
    assert len(st) == 204534 and st.n_docs == 31962
    assert np.array_equal(st.ids, lab_data.train_enc.ids)
    assert np.array_equal(st.offsets, lab_data.train_enc.offsets)
    assert st.vocab.id2tok == lab_data.vocab.id2tok


def test_lab_tokens_equal_lab_tokenizer(tmp_path, shared_data, lab_data):
    st = open_store(prepare(shared_data, tmp_path / "all", tokenizer="lab", min_count=1, sort_by_count=True))
    tok = LabTokenizer()
    texts = lab_data.train_texts
    for d in range(len(texts)):
        assert st.vocab.decode(st.encoded.doc(d)) == tok(texts[d])


def test_lab_tweets_as_text_file_in_parts(tmp_path, lab_data):
    """The tweets as one plain-text file split into byte ranges over two workers: the same as LabTokenizer."""
    tweets = [t.replace("\n", " ") for t in lab_data.train_texts]
    src = write_lines(tmp_path / "tweets.txt", tweets)
    out = prepare(src, tmp_path / "s", tokenizer="lab", min_count=11, sort_by_count=False, workers=2,
                  part_size=200_000)
    assert_same_as_reference(out, src, "lab", 11, sort_by_count=False)


# ---- open_store ---------------------------------------------------------------------------------------------------
@pytest.fixture
def small_store(tmp_path) -> Path:
    src = write_lines(tmp_path / "src" / "c.txt", zipf_lines(21, 300))
    write_lines(tmp_path / "src" / "d.txt", zipf_lines(22, 50))
    return prepare(tmp_path / "src", tmp_path / "store", tokenizer="simple", min_count=2, workers=1)


def test_open_store_maps_without_copying(small_store):
    st = open_store(small_store)
    assert isinstance(st.ids, np.memmap) and isinstance(st.offsets, np.memmap)
    enc = st.encoded
    assert enc.ids is st.ids and enc.offsets is st.offsets
    assert len(enc) == st.manifest["tokens"] and enc.n_docs == st.manifest["documents"]
    raw = np.fromfile(small_store / "ids.u32", dtype="<u4")
    assert np.array_equal(raw, st.ids) and raw.max() < len(st.vocab)
    m = st.manifest
    assert m["format"] == "wordvec-token-store" and m["format_version"] == 1 and m["vocab_order"] == "count"
    assert (m["tokenizer"], m["min_count"], m["max_final_vocab"], m["split"]) == ("simple", 2, None, "train")
    assert [Path(f["path"]).name for f in m["files"]] == ["c.txt", "d.txt"]
    assert all(Path(f["path"]).is_absolute() and f["size"] > 0 for f in m["files"])
    assert (small_store / "vocab.txt").read_text(encoding="utf-8").splitlines()[0] == \
        f"{st.vocab.id2tok[0]}\t{st.vocab.counts[0]}"


def test_check_names_every_different_setting(small_store):
    st = open_store(small_store)
    st.check(tokenizer="simple", min_count=2, max_final_vocab=None, sort_by_count=True, max_vocab_size=None)
    st.check()
    with pytest.raises(WordvecError) as e:
        st.check(tokenizer="lab", min_count=5, max_final_vocab=1000, sort_by_count=False, max_vocab_size=10)
    msg = str(e.value)
    for part in ("tokenizer 'simple' (asked for 'lab')", "min_count 2 (asked for 5)",
                 "max_final_vocab None (asked for 1000)", "vocab_order 'count' (asked for 'first_seen')",
                 "max_vocab_size 10 asked for", "--tokenizer lab --min-count 5 --max-final-vocab 1000 --no-sort "
                 "--overwrite", "tokenizer='simple', min_count=2, max_final_vocab=None, vocab_order='count'"):
        assert part in msg
    assert "\n" not in msg
    with pytest.raises(WordvecError) as e:
        st.check(tokenizer="simple", min_count=3)
    assert "settings asked for: min_count 2 (asked for 3); leave out --min-count to train with the store's" in str(e.value)


def test_changed_sources(small_store, tmp_path):
    st = open_store(small_store)
    assert st.changed_sources() == []
    c, d = tmp_path / "src" / "c.txt", tmp_path / "src" / "d.txt"
    with open(c, "a", encoding="utf-8") as f:
        f.write("one more line\n")
    assert st.changed_sources() == [str(c.resolve())]
    d.unlink()
    assert st.changed_sources() == [str(c.resolve()), str(d.resolve())]


def _damage(store_dir: Path, name: str, how) -> None:
    p = store_dir / name
    how(p)


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "manifest.json").unlink(), "no manifest.json"),
    (lambda d: (d / "manifest.json").write_text("{not json", encoding="utf-8"), "not valid JSON"),
    (lambda d: (d / "manifest.json").write_text("[1, 2]", encoding="utf-8"), "not a wordvec token store"),
    (lambda d: _edit_manifest(d, format_version=2), "format version 2"),
    (lambda d: _edit_manifest(d, tokens="many"), "'tokens' should be an integer, got a string"),
    (lambda d: _edit_manifest(d, vocab_size=None), "'vocab_size' should be an integer, got null"),
    (lambda d: os.truncate(d / "ids.u32", (d / "ids.u32").stat().st_size - 4), "truncated"),
    (lambda d: (d / "ids.u32").unlink(), "ids.u32 is missing"),
    (lambda d: os.truncate(d / "offsets.i64", 8), "offsets.i64 has 8 bytes"),
    (lambda d: _poke(d / "offsets.i64", "<i8", -1, 10 ** 9), "ends at 1000000000"),
    (lambda d: _poke(d / "offsets.i64", "<i8", 0, 1), "does not start at 0"),
    (lambda d: _poke(d / "offsets.i64", "<i8", 5, 10 ** 6), "decrease"),
    (lambda d: _poke(d / "ids.u32", "<u4", 7, 2 ** 31 + 5), "outside the vocabulary"),
    (lambda d: (d / "vocab.txt").write_text("a\t1\n", encoding="utf-8"), "vocab.txt has 1 words"),
    (lambda d: (d / "vocab.txt").write_text("a 1\n", encoding="utf-8"), "token<TAB>count"),
    (lambda d: (d / "vocab.txt").unlink(), "vocab.txt is missing"),
])
def test_damaged_store_is_one_clear_error(small_store, damage, message):
    damage(small_store)
    with pytest.raises(WordvecError, match=message) as e:
        open_store(small_store)
    assert "\n" not in str(e.value)


def test_open_missing_store(tmp_path):
    with pytest.raises(WordvecError, match="does not exist.*wordvec prepare"):
        open_store(tmp_path / "nope")
    with pytest.raises(WordvecError, match="not a token store"):
        open_store(tmp_path)


def test_open_refuses_a_vocabulary_beyond_int32(small_store):
    _edit_manifest(small_store, vocab_size=2 ** 31)
    with pytest.raises(WordvecError, match="int32"):
        open_store(small_store)


def _edit_manifest(d: Path, **changes) -> None:
    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    m.update(changes)
    (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def _poke(path: Path, dtype: str, index: int, value: int) -> None:
    a = np.fromfile(path, dtype=dtype)
    a[index] = value
    a.tofile(path)


# ---- hostile inputs: one WordvecError, nothing left behind, nothing touched ---------------------------------------
def _refused(tmp_path, match, source, out=None, **kw):
    """prepare must raise one WordvecError matching `match` and leave tmp_path exactly as it was."""
    before = listing(tmp_path)
    with pytest.raises(WordvecError, match=match) as e:
        prepare(source, out or tmp_path / "store", **kw)
    assert listing(tmp_path) == before
    assert "\n" not in str(e.value)
    return str(e.value)


def test_missing_source(tmp_path):
    msg = _refused(tmp_path, "does not exist", tmp_path / "no" / "corpus.txt")
    assert "--dataset" in msg


def test_empty_source(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    _refused(tmp_path, "empty", tmp_path / "empty.txt")


def test_only_blank_lines(tmp_path):
    (tmp_path / "blank.txt").write_text("\n   \n\t\n\r\n", encoding="utf-8")
    _refused(tmp_path, "no text", tmp_path / "blank.txt", tokenizer="simple")


def test_lab_tokenizer_leaves_nothing(tmp_path):
    (tmp_path / "stop.txt").write_text("the and of\n123 456\n", encoding="utf-8")
    _refused(tmp_path, "no tokens after preprocessing", tmp_path / "stop.txt", tokenizer="lab")


@pytest.mark.parametrize("workers", [1, 2])
def test_undecodable_bytes_name_the_file_and_line(tmp_path, workers):
    lines = [f"good line number {i}".encode() for i in range(400)]
    lines[317] = b"caf\xe9 latin-1 here"
    src = tmp_path / "c.txt"
    src.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(WordvecError) as expected:
        list(load_corpus(src)["train"].texts)  # the in-memory reader's message for the same bytes
    for tokenizer in ("simple", "lab"):
        msg = _refused(tmp_path, "line 318 is not valid UTF-8", src, tokenizer=tokenizer, workers=workers,
                       part_size=1000)
        assert msg == str(expected.value)


def test_corrupt_gz(tmp_path):
    src = tmp_path / "c.txt.gz"
    src.write_bytes(b"\x1f\x8b\x08\x00garbage that is not deflate data" * 20)
    msg = _refused(tmp_path, "corrupt or truncated", src)
    assert str(src) in msg


def test_gz_corrupt_in_the_middle(tmp_path):
    src = write_lines(tmp_path / "c.txt.gz", zipf_lines(30, 20000), gzip.open)
    data = bytearray(src.read_bytes())
    data[len(data) // 2:len(data) // 2 + 64] = b"\x00" * 64
    src.write_bytes(bytes(data))
    _refused(tmp_path, r"c\.txt\.gz is not a readable gz file", src, tokenizer="simple", workers=2)


def test_truncated_xz(tmp_path):
    src = write_lines(tmp_path / "d" / "c.txt.xz", zipf_lines(31, 20000), lzma.open)
    write_lines(tmp_path / "d" / "b.txt", zipf_lines(32, 100))
    os.truncate(src, src.stat().st_size // 2)
    _refused(tmp_path, r"c\.txt\.xz is not a readable xz file", tmp_path / "d", tokenizer="simple", workers=2)


def test_out_is_an_existing_folder_that_is_not_a_store(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 50))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("keep me", encoding="utf-8")
    for overwrite in (False, True):
        _refused(tmp_path, "not a wordvec token store; refusing", src, out, overwrite=overwrite)
    assert (out / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_out_is_an_existing_file(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 50))
    _refused(tmp_path, "not a wordvec token store", src, src, overwrite=True)


def test_out_is_a_store_needs_overwrite(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 200))
    out = prepare(src, tmp_path / "s", tokenizer="simple", min_count=1)
    _refused(tmp_path, "already exists; pass --overwrite", src, out, tokenizer="simple", min_count=2)
    assert open_store(out).manifest["min_count"] == 1
    before = listing(tmp_path)
    prepare(src, out, tokenizer="simple", min_count=2, overwrite=True)
    assert open_store(out).manifest["min_count"] == 2
    assert listing(tmp_path) == before  # the old store is gone, no temporary left


def test_failed_rename_keeps_the_old_store(tmp_path, monkeypatch):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 200))
    out = prepare(src, tmp_path / "s", tokenizer="simple", min_count=1)
    real = os.replace

    def failing(a, b):
        if Path(b) == out and str(a).endswith(".tmp"):  # the new store; putting the old one back works
            raise OSError(28, "No space left on device", str(b))
        return real(a, b)

    monkeypatch.setattr(store.os, "replace", failing)
    before = listing(tmp_path)
    with pytest.raises(WordvecError, match="No space left on device"):
        prepare(src, out, tokenizer="simple", min_count=2, overwrite=True)
    monkeypatch.undo()
    assert listing(tmp_path) == before and open_store(out).manifest["min_count"] == 1


def test_out_is_an_empty_folder(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 50))
    (tmp_path / "empty").mkdir()
    assert open_store(prepare(src, tmp_path / "empty", tokenizer="simple", min_count=1)).n_docs > 0


def test_out_under_a_file(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 50))
    _refused(tmp_path, "cannot create the store", src, src / "store")


def test_failure_removes_the_folders_it_made(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 50))
    _refused(tmp_path, "vocabulary is empty", src, tmp_path / "new" / "deeper" / "store", min_count=10 ** 9)


def test_workers(tmp_path, caplog):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 300))
    for i, workers in enumerate((0, None, 10 ** 6)):
        assert_same_as_reference(prepare(src, tmp_path / f"s{i}", tokenizer="simple", min_count=1, workers=workers,
                                         part_size=500), src, "simple", 1)
    assert "--workers 1000000 is more than" in caplog.text
    _refused(tmp_path, "--workers must be 0", src, workers=-1)


def test_min_count(tmp_path):
    lines = zipf_lines(1, 300)
    src = write_lines(tmp_path / "c.txt", lines)
    _refused(tmp_path, "--min-count must be at least 1", src, min_count=0)
    _refused(tmp_path, "--max-final-vocab must be at least 1", src, max_final_vocab=0)
    word, count = Counter(w for line in lines for w in line.lower().split()).most_common(1)[0]
    msg = _refused(tmp_path, "vocabulary is empty", src, tokenizer="simple", min_count=10 ** 9)
    assert f"the most frequent, {word!r}, occurs {count} times" in msg and "--min-count" in msg


def test_unknown_tokenizer(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 50))
    _refused(tmp_path, "unknown tokenizer", src, tokenizer="bpe")


def _before_part(monkeypatch, index: int, action) -> None:
    """Make the worker that gets part `index` call `action()` first (fork carries the patch into the workers)."""
    real = store._encode_part

    def patched(i, *args):
        if i == index:
            action()
        return real(i, *args)

    monkeypatch.setattr(store, "_encode_part", patched)


@needs_fork
def test_worker_crash_leaves_nothing(tmp_path, monkeypatch):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 3000))
    _before_part(monkeypatch, 2, lambda: os.kill(os.getpid(), signal.SIGKILL))
    _refused(tmp_path, "killed by signal 9", src, tokenizer="simple", workers=2, part_size=5000)


@needs_fork
def test_worker_bug_is_reported_and_cleaned_up(tmp_path, monkeypatch):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 3000))
    _before_part(monkeypatch, 1, lambda: 1 / 0)
    before = listing(tmp_path)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        prepare(src, tmp_path / "s", tokenizer="simple", workers=2, part_size=5000)
    assert listing(tmp_path) == before


@needs_fork
def test_ctrl_c_leaves_nothing(tmp_path, monkeypatch):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 3000))

    def interrupt():
        os.kill(os.getppid(), signal.SIGINT)  # as a terminal's Ctrl-C reaches the main process
        time.sleep(30)

    _before_part(monkeypatch, 3, interrupt)
    before = listing(tmp_path)
    t = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        prepare(src, tmp_path / "s", tokenizer="simple", workers=2, part_size=5000)
    assert time.perf_counter() - t < 20  # the sleeping worker was stopped, not waited for
    assert listing(tmp_path) == before


def test_ctrl_c_in_process(tmp_path, monkeypatch):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 300))

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_PartEncoder", lambda *a, **k: interrupt())
    before = listing(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        prepare(src, tmp_path / "s", tokenizer="simple", workers=1)
    assert listing(tmp_path) == before


def test_cli_ctrl_c_exit_code(tmp_path):
    """A real SIGINT to `wordvec prepare`: exit 130, one line, no temporary folder."""
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 100))
    code = ("import sys, time; from wordvec import store; from wordvec.cli import main\n"
            "real = store._encode_part\n"
            "def slow(*a):\n    time.sleep(60)\n"
            "store._encode_part = slow\n"
            f"sys.exit(main(['prepare', '--dataset', {str(src)!r}, '--out', {str(tmp_path / 's')!r}, "
            "'--tokenizer', 'simple', '--workers', '1']))\n")
    before = listing(tmp_path)
    p = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not any(".tmp" in name for name in listing(tmp_path)) and time.time() < deadline:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err.strip().splitlines()[-1].startswith("wordvec: interrupted")
    assert listing(tmp_path) == before


# ---- the command line ---------------------------------------------------------------------------------------------
def test_cli_prepare(tmp_path, capsys):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 300))
    assert main(["prepare", "--dataset", str(src), "--out", str(tmp_path / "s"), "--tokenizer", "simple",
                 "--min-count", "2", "--no-sort", "--workers", "2"]) == 0
    out = capsys.readouterr().out.strip()
    st = open_store(tmp_path / "s")
    assert "\n" not in out and out.startswith(f"wrote {tmp_path / 's'}: {len(st):,} tokens")
    assert st.manifest["vocab_order"] == "first_seen" and st.manifest["min_count"] == 2
    assert_same_as_reference(tmp_path / "s", src, "simple", 2, sort_by_count=False)


def test_cli_prepare_error_is_one_line(tmp_path, capsys):
    assert main(["prepare", "--dataset", str(tmp_path / "none.txt"), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wordvec: error: ") and err.count("\n") == 1
    assert main(["prepare", "--dataset", str(tmp_path / "none.txt"), "--out", str(tmp_path / "s"),
                 "--workers", "-1"]) == 2


# ---- layering -----------------------------------------------------------------------------------------------------
def test_store_imports_only_lower_layers():
    tree = ast.parse(Path(store.__file__).read_text(encoding="utf-8"))
    local = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            local.add(node.module or "")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            assert not any(n.split(".")[0] in ("torch", "numba", "wordvec") for n in names)
    assert local <= {"", "errors", "config", "files", "devices", "corpus", "preprocess", "vocab"}


def test_prepare_and_open_do_not_import_torch(tmp_path):
    src = write_lines(tmp_path / "c.txt", zipf_lines(1, 100))
    code = ("import sys; from wordvec.store import prepare, open_store\n"
            f"open_store(prepare({str(src)!r}, {str(tmp_path / 's')!r}, tokenizer='simple', min_count=1, "
            "workers=2, part_size=500)).encoded\n"
            "assert 'torch' not in sys.modules and 'numba' not in sys.modules, 'heavy import'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
