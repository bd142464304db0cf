"""Fuzzing every reader of a file format wordvec reads: random and mutated JSON (read_json, manifest.json,
metrics.json, state headers, safetensors headers), vocab.txt lines, a store's offsets and ids, checkpoint positions
and matrices, model files, and compressed word2vec files. Whatever the input, a reader returns a checked value or
raises a WordvecError; never another exception."""

from __future__ import annotations

import bz2
import gzip
import json
import math
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wordvec.config import Config
from wordvec.engine import check_checkpoint
from wordvec.errors import WordvecError
from wordvec.files import JsonFileError, is_kind, json_depth, read_json
from wordvec.rundir import read_metrics
from wordvec.state import load_state, save_state
from wordvec.store import open_store, prepare
from wordvec.vectors import KeyedVectors
from wordvec.vocab import Vocab
from wordvec.word2vec import Word2Vec

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=False),
                     st.text(max_size=8))
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                     max_leaves=12)


def _in_int64(value) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return -2 ** 63 <= value < 2 ** 63
    if isinstance(value, float):
        return math.isfinite(value)
    items = value.values() if isinstance(value, dict) else value
    return all(_in_int64(v) for v in items)


# --------------------------------------------------------------------------------------------------- read_json


@FUZZ
@given(data=st.binary(max_size=200))
def test_read_json_takes_any_bytes(data):
    try:
        read_json(data, "fuzz")
    except JsonFileError as e:
        assert str(e).startswith("fuzz")


@FUZZ
@given(value=_json)
def test_read_json_reads_back_what_json_writes_within_its_bounds(value):
    text = json.dumps(value)
    try:
        got = read_json(text, "fuzz", max_depth=4)
    except JsonFileError:
        assert not _in_int64(value) or json_depth(value) > 4
    else:
        assert got == value and _in_int64(value) and json_depth(value) <= 4


@FUZZ
@given(depth=st.integers(1, 200_000), kind=st.sampled_from(["[]", "{}"]))
def test_read_json_depth_is_bounded_without_recursion(depth, kind):
    text = ('{"a":' * depth + "1" + "}" * depth) if kind == "{}" else ("[" * depth + "]" * depth)
    if depth <= 64:
        assert json_depth(read_json(text, "fuzz")) == depth
    else:
        with pytest.raises(JsonFileError, match="nests"):
            read_json(text, "fuzz")


def test_read_json_is_bounded_in_size(tmp_path):
    (tmp_path / "big.json").write_text("[" + "0," * 600 + "0]")
    with pytest.raises(JsonFileError, match="larger than 1,000 bytes"):
        read_json(tmp_path / "big.json", max_bytes=1000)


@given(value=_json, kind=st.sampled_from(["int", "number", "str", "bool", "list", "dict", "null", "int|null"]))
def test_is_kind_never_counts_booleans_as_numbers(value, kind):
    if is_kind(value, kind) and isinstance(value, bool):
        assert kind == "bool"


# --------------------------------------------------------------------------------------------------- stores


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("fuzzstore")
    (base / "c.txt").write_text("a b c d\nb c d e\nc d e f\n" * 20)
    return prepare(base / "c.txt", base / "st", tokenizer="simple", min_count=1, workers=1)


def _mutate(obj: dict, key: str, value):
    out = dict(obj)
    if value is ...:
        out.pop(key, None)
    else:
        out[key] = value
    return out


@FUZZ
@given(data=st.data())
def test_manifest_reader_takes_any_field_values(tmp_path_factory, store, data):
    st_dir = tmp_path_factory.mktemp("m") / "st"
    shutil.copytree(store, st_dir)
    m = json.loads((st_dir / "manifest.json").read_text())
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(sorted(m) + ["files", "extra"]))
        value = data.draw(st.one_of(_json, st.just(...), st.lists(st.dictionaries(
            st.sampled_from(["path", "size", "mtime", "x"]), _scalars, max_size=4), max_size=3)))
        m = _mutate(m, key, value)
    (st_dir / "manifest.json").write_text(json.dumps(m))
    try:
        s = open_store(st_dir)
    except WordvecError:
        return
    s.changed_sources()
    repr(s)


@FUZZ
@given(lines=st.lists(st.tuples(st.text(max_size=5), st.text(max_size=25)), min_size=0, max_size=6),
       raw=st.binary(max_size=30))
def test_vocab_reader_takes_any_lines(tmp_path_factory, lines, raw):
    path = tmp_path_factory.mktemp("v") / "vocab.txt"
    path.write_bytes("".join(f"{w}\t{c}\n" for w, c in lines).encode("utf-8", "surrogatepass") + raw)
    try:
        vocab = Vocab.load(path)
    except WordvecError:
        return
    assert all(0 <= c < 2 ** 63 for c in vocab.counts.tolist())


@FUZZ
@given(which=st.sampled_from(["ids.u32", "offsets.i64"]), data=st.binary(max_size=64), keep=st.booleans())
def test_store_offsets_and_ids_readers_take_any_bytes(tmp_path_factory, store, which, data, keep):
    st_dir = tmp_path_factory.mktemp("o") / "st"
    shutil.copytree(store, st_dir)
    path = st_dir / which
    size = path.stat().st_size
    raw = bytearray(path.read_bytes())
    if keep:  # same size, random content: only the content checks can catch it
        raw[:len(data)] = data[:size]
        raw = raw[:size]
    else:
        raw = bytearray(data)
    path.write_bytes(bytes(raw))
    try:
        s = open_store(st_dir)
    except WordvecError:
        return
    off = np.asarray(s.offsets)
    assert off[0] == 0 and off[-1] == len(s) and np.all(np.diff(off) >= 0)
    assert len(s) == 0 or int(np.asarray(s.ids).max()) < len(s.vocab)


# --------------------------------------------------------------------------------------------------- metrics.json


@FUZZ
@given(value=_json, extra=st.dictionaries(st.sampled_from(["config", "vocab_size", "epoch_losses", "final_loss",
                                                            "neighbors"]), _json, max_size=3))
def test_metrics_reader_takes_any_json(tmp_path_factory, value, extra):
    run = tmp_path_factory.mktemp("run")
    (run / "metrics.json").write_text(json.dumps({**value, **extra} if isinstance(value, dict) else value))
    try:
        m = read_metrics(run)
    except WordvecError:
        return
    assert isinstance(m, dict) and isinstance(m["config"], dict)


# --------------------------------------------------------------------------------------------------- safetensors


_dtypes = st.sampled_from(["F32", "F16", "F64", "I8", "I64", "U8", "BOOL", "X", 5, None])
_dims = st.one_of(st.integers(-2, 6), st.integers(2 ** 62, 2 ** 64), st.floats(allow_nan=True), st.text(max_size=2))
_entry = st.fixed_dictionaries({"dtype": _dtypes, "shape": st.one_of(st.lists(_dims, max_size=3), _scalars),
                                "data_offsets": st.one_of(st.lists(_dims, max_size=3), _scalars)})


@FUZZ
@given(entries=st.dictionaries(st.sampled_from(["vectors", "keys.int", "keys.utf8", "keys.offsets", "attr.count"]),
                               st.one_of(_entry, _json), max_size=4),
       meta=st.one_of(st.none(), _json, st.just({"wordvec": json.dumps({"format": "wordvec-state", "version": 1,
                                                                          "kind": "keyedvectors"})})),
       data=st.binary(max_size=64), mmap=st.sampled_from([None, "r"]))
def test_safetensors_reader_takes_any_header(tmp_path_factory, entries, meta, data, mmap):
    header = dict(entries)
    if meta is not None:
        header["__metadata__"] = meta
    blob = json.dumps(header).encode()
    path = tmp_path_factory.mktemp("st") / "kv.safetensors"
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + data)
    try:
        kv = KeyedVectors.load(path, mmap=mmap)
    except WordvecError:
        return
    assert kv.vectors.ndim == 2 and kv.vectors.dtype.kind == "f" and len(kv.index_to_key) == len(kv.vectors)


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(1, 255)), min_size=1, max_size=8))
def test_safetensors_reader_takes_any_damage(tmp_path_factory, flips):
    base = tmp_path_factory.mktemp("kv")
    kv = KeyedVectors(["a", "b", "c"], np.arange(12, dtype=np.float32).reshape(3, 4))
    raw = bytearray(kv.save(base / "kv.safetensors").read_bytes())
    for at, x in flips:
        raw[at % len(raw)] ^= x
    (base / "kv.safetensors").write_bytes(bytes(raw))
    try:
        got = KeyedVectors.load(base / "kv.safetensors")
    except WordvecError:
        return
    assert got.index_to_key == kv.index_to_key and np.array_equal(got.vectors, kv.vectors)  # the checksums


# --------------------------------------------------------------------------------------------------- checkpoints


_POSITION_VALUES = st.one_of(_json, st.integers(-5, 50), st.just(...))


def _position(config: Config) -> dict:
    return {"epoch": 1, "chunk": 1, "chunk_size": 10_000, "loss": 3.0, "examples": 10, "kept": 10, "pairs": 40,
            "kept_total": 10, "pairs_total": 40, "epoch_losses": [3.5], "seconds": 1.0, "start_alpha": config.lr,
            "end_alpha": config.min_lr, "epochs": config.epochs, "epoch_offset": 0}


_MATRIX = st.one_of(st.none(), st.tuples(st.integers(0, 12), st.integers(0, 9)),
                    st.sampled_from([np.int32, np.float64, np.float16]))


@FUZZ
@given(edits=st.dictionaries(st.sampled_from(list(_position(Config())) + ["extra"]), _POSITION_VALUES, max_size=3),
       embed=_MATRIX, expand=_MATRIX, hs=st.booleans())
def test_checkpoint_check_takes_any_position_and_matrices(edits, embed, expand, hs):
    config = Config(model="skipgram", loss="ns", vector_size=8, epochs=3)
    n = 10
    state = _position(config)
    for key, value in edits.items():
        state = _mutate(state, key, value)
    tensors = {"embed.weight": np.zeros((n, 8), np.float32), "expand.weight": np.zeros((n, 8), np.float32)}
    for name, how in (("embed.weight", embed), ("expand.weight", expand)):
        if how is None:
            del tensors[name]
        elif isinstance(how, tuple):
            tensors[name] = np.zeros(how, np.float32)
        else:
            tensors[name] = tensors[name].astype(how)
    if hs:
        tensors["hs.weight"] = np.zeros((n - 1, 8), np.float32)
    try:
        check_checkpoint((tensors, {"state": state}), config, n, cpu=True)
    except WordvecError:
        return
    assert not hs and tensors["embed.weight"].shape == (n, 8) and tensors["embed.weight"].dtype == np.float32
    assert state["epoch"] == len(state["epoch_losses"]) <= state["epochs"] and state["chunk_size"] >= 1


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("model")
    model = Word2Vec([["a", "b", "c", "d"], ["b", "c", "d", "e"]] * 20, vector_size=8, min_count=1, epochs=1,
                     workers=1, seed=1)
    return model.save(base / "w.model")


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(1, 255)), min_size=1, max_size=6))
def test_model_reader_takes_any_damage(tmp_path_factory, model_file, flips):
    raw = bytearray(model_file.read_bytes())
    for at, x in flips:
        raw[at % len(raw)] ^= x
    path = tmp_path_factory.mktemp("w") / "w.model"
    path.write_bytes(bytes(raw))
    try:
        Word2Vec.load(path)
    except WordvecError:
        pass


@FUZZ
@given(key=st.sampled_from(["config", "word2vec", "train", "state", "kind", "version", "crc32"]),
       value=st.one_of(_json, st.just(...)))
def test_model_reader_takes_any_header_field(tmp_path_factory, model_file, key, value):
    assume(value is ... or _in_int64(value))  # what save_state can write (read_json refuses the rest: above)
    tensors, header = load_state(model_file)
    header = _mutate(header, key, value)
    meta = {k: v for k, v in header.items() if k not in ("format", "version", "kind")}
    path = tmp_path_factory.mktemp("w") / "w.model"
    save_state(path, header.get("kind") if isinstance(header.get("kind"), str) else "x",
               {k: np.array(v) for k, v in tensors.items()}, meta)
    try:
        Word2Vec.load(path)
    except WordvecError:
        pass


# --------------------------------------------------------------------------------------------------- word2vec


@FUZZ
@given(n=st.integers(0, 2 ** 40), dim=st.integers(0, 2 ** 40), body=st.binary(max_size=60),
       suffix=st.sampled_from([".gz", ".bz2"]), binary=st.booleans())
def test_compressed_word2vec_reader_takes_any_header_and_body(tmp_path_factory, n, dim, body, suffix, binary):
    raw = f"{n} {dim}\n".encode() + body
    path = tmp_path_factory.mktemp("w2v") / f"v{suffix}"
    path.write_bytes(gzip.compress(raw) if suffix == ".gz" else bz2.compress(raw))
    try:
        kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    except WordvecError:
        return
    assert kv.vectors.shape == (n, dim) and np.isfinite(kv.vectors).all()
