"""Hostile files through the real CLI and API: every file wordvec reads (a store's manifest.json and vocab.txt,
metrics.json, checkpoints, models, safetensors vectors, word2vec files) damaged the worst way we can think of gets
one `wordvec: error:` line and exit 2 (CLI) or a WordvecError / gensim's exception type (API); nothing the user had
changes, nothing is left behind."""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from test_hostile import expect_error, snapshot
from wordvec import state as state_module
from wordvec.cli import main
from wordvec.errors import WordvecError
from wordvec.state import load_state, save_state
from wordvec.vectors import KeyedVectors, TruncatedFileError, VectorFileError
from wordvec.word2vec import Word2Vec

DEEP = "[" * 100_000 + "]" * 100_000


def _corpus(path: Path, lines: int = 2500) -> Path:
    rng = np.random.default_rng(5)
    words = np.array([f"w{i}" for i in range(300)])
    p = 1 / np.arange(1, len(words) + 1)
    path.write_text("\n".join(" ".join(rng.choice(words, 12, p=p / p.sum())) for _ in range(lines)) + "\n")
    return path


SGNS = ["--preset", "sgns", "--tokenizer", "simple", "--min-count", "1", "--epochs", "3", "--vector-size", "16",
        "--threads", "1", "--no-progress", "-q"]
LAB = ["--preset", "lab", "--min-count", "2", "--batch-size", "256", "--epochs", "2", "--vector-size", "16",
       "--no-progress", "-q"]


def _stopped_checkpoint(args: list[str], out: Path) -> Path:
    """A real checkpoint: the run is asked to stop (as SIGTERM does) before it starts, so it saves at the first
    boundary and exits 143."""
    init = state_module.Checkpointer.__init__

    def stopping(self, *a, **kw):
        init(self, *a, **kw)
        self.stop_requested = True

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(state_module.Checkpointer, "__init__", stopping)
        assert main(["train", *args, "--out", str(out), "--checkpoint-every", "600"]) == 143
    ckpt = out.parent / f"{out.name}.checkpoint"
    assert ckpt.is_file() and not out.exists()
    return ckpt


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("ckpt")
    corpus = _corpus(base / "corpus.txt")
    lab = base / "lab"
    lab.mkdir()
    rng = np.random.default_rng(2)
    animals = ["cat", "dog", "fish", "bird", "tree", "car", "road", "house", "river", "stone"]
    (lab / "train.csv").write_text("id,label,tweet\n" + "".join(
        f"{i},{i % 2},{' '.join(rng.choice(animals, 10))}\n" for i in range(1500)))
    sgns_args = [*SGNS, "--dataset", str(corpus)]
    lab_args = [*LAB, "--dataset", str(lab)]
    torch_args = [*sgns_args, "--backend", "torch", "--batch-size", "2048"]
    return {"sgns": (sgns_args, _stopped_checkpoint(sgns_args, base / "sgns-run")),
            "torch": (torch_args, _stopped_checkpoint(torch_args, base / "torch-run")),
            "lab": (lab_args, _stopped_checkpoint(lab_args, base / "lab-run"))}


def _resume_refused(tmp_path, capsys, checkpoints, kind: str, edit, contains: str) -> None:
    """Copy the checkpoint, let `edit(tensors, header)` damage it (saved with fresh checksums, so the damage
    reaches the structural checks), and resume: one line, exit 2, the checkpoint kept as it was."""
    args, ckpt = checkpoints[kind]
    tensors, header = load_state(ckpt)
    tensors = {k: np.array(v) for k, v in tensors.items()}
    edit(tensors, header)
    meta = {k: v for k, v in header.items() if k not in ("format", "version", "kind", "crc32")}
    out = tmp_path / "run"
    save_state(tmp_path / "run.checkpoint", header["kind"], tensors, meta)
    expect_error(["train", *args, "--out", str(out), "--resume"], capsys, contains, tmp_path)
    assert not out.exists()


def _set(key, value):
    def edit(tensors, header):
        header["state"][key] = value
    return edit


def _drop_state(key):
    def edit(tensors, header):
        del header["state"][key]
    return edit


def _tensor(name, value):
    def edit(tensors, header):
        if value is None:
            del tensors[name]
        else:
            tensors[name] = value
    return edit


# --------------------------------------------------------------------------------------------------- --resume


@pytest.mark.parametrize("edit, contains", [
    (_set("chunk_size", 0), "chunk size is 0"),
    (_set("chunk", -3), "'chunk' is negative"),
    (_set("chunk", 10 ** 6), "chunk 1000000"),
    (_drop_state("kept_total"), "lacks the field 'kept_total'"),
    (_set("surprise", 1), "unexpected field(s) 'surprise'"),
    (_set("epoch_losses", "0.1 0.2"), "'epoch_losses' should be a list"),
    (_set("epoch_losses", ["low"]), "'epoch_losses' is not a list of numbers"),
    (_set("epoch", 99), "epoch 99 of 3"),
    (_set("loss", True), "'loss' should be a number"),
    (lambda t, h: h.__setitem__("state", [1, 2]), "position holds a list, not an object"),
    (_tensor("embed.weight", None), "lacks the tensor 'embed.weight'"),
    (_tensor("expand.weight", None), "lacks the tensor 'expand.weight'"),
    (_tensor("embed.weight", np.zeros((300, 7), np.float32)), "expected float32 of shape (300, 16)"),
    (_tensor("embed.weight", np.zeros((300, 16), np.int32)), "embed.weight is int32"),
    (_tensor("hs.weight", np.zeros((299, 16), np.float32)), "does not train"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_resume_refuses_a_word2vec_checkpoint_that_contradicts_the_run(tmp_path, capsys, checkpoints, edit,
                                                                         contains):
    _resume_refused(tmp_path, capsys, checkpoints, "sgns", edit, contains)


@pytest.mark.parametrize("edit, contains", [
    (_set("epoch", 99), "epoch 99 of 2"),
    (_set("lo", -1), "'lo' is negative"),
    (_set("losses", "0.5"), "'losses' should be a list"),
    (_drop_state("step"), "lacks the field 'step'"),
    (_tensor("embed.weight", np.zeros((1, 16), np.float32)), "embed.weight is float32 of shape (1, 16)"),
    (_tensor("expand.weight", np.zeros((1, 50), np.float32)), "expand.weight is float32 of shape (1, 50)"),
    (_tensor("optim.0.exp_avg", np.zeros((3, 3), np.float32)), "optim.0.exp_avg is float32 of shape (3, 3)"),
    (_tensor("optim.1.exp_avg_sq", None), "lacks the tensor 'optim.1.exp_avg_sq'"),
    (_tensor("optim.7.exp_avg", np.zeros(3, np.float32)), "optim.7.exp_avg"),
    (_tensor("rng.shuffle", np.zeros(5, np.uint8)), "rng.shuffle is uint8 of shape (5,)"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_resume_refuses_a_lab_checkpoint_that_contradicts_the_run(tmp_path, capsys, checkpoints, edit, contains):
    _resume_refused(tmp_path, capsys, checkpoints, "lab", edit, contains)


@pytest.mark.parametrize("edit, contains", [
    (_tensor("rng.rank0", np.zeros(5, np.uint8)), "no usable generator state for rank 0"),
    (_tensor("rng.rank0", None), "no usable generator state for rank 0"),
    (_tensor("rng.rank0", np.zeros(5, np.float32)), "rng.rank0 is not a generator state"),
    (_drop_state("batch"), "lacks the field 'batch'"),
    (_set("chunk", 0), "unexpected field(s) 'chunk'"),
    (_tensor("embed.weight", np.zeros((300, 7), np.float32)), "expected float32 of shape (300, 16)"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_resume_refuses_a_torch_checkpoint_that_contradicts_the_run(tmp_path, capsys, checkpoints, edit, contains):
    _resume_refused(tmp_path, capsys, checkpoints, "torch", edit, contains)


def _flip(path: Path, n: int, seed: int = 0) -> None:
    """Flip `n` bytes of the data area (after the header), as a failing disk or copy would."""
    raw = bytearray(path.read_bytes())
    start = 8 + struct.unpack("<Q", raw[:8])[0]
    rng = np.random.default_rng(seed)
    for i in rng.choice(np.arange(start, len(raw)), size=min(n, len(raw) - start), replace=False).tolist():
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("kind", ["sgns", "lab"])
def test_flipped_bytes_in_a_checkpoint_fail_its_checksum(tmp_path, capsys, checkpoints, kind):
    args, ckpt = checkpoints[kind]
    shutil.copy(ckpt, tmp_path / "run.checkpoint")
    _flip(tmp_path / "run.checkpoint", 1000)
    expect_error(["train", *args, "--out", str(tmp_path / "run"), "--resume"], capsys, "fails its checksum",
                 tmp_path)
    if kind == "sgns":
        with pytest.raises(WordvecError, match="fails its checksum"):
            Word2Vec.load(tmp_path / "run.checkpoint")


def test_one_flipped_bit_fails_the_checksum_too(tmp_path, checkpoints):
    _, ckpt = checkpoints["sgns"]
    path = tmp_path / "m.checkpoint"
    raw = bytearray(ckpt.read_bytes())
    raw[-5] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(WordvecError, match="fails its checksum"):
        Word2Vec.load(path)


def test_an_untouched_checkpoint_still_resumes(tmp_path, checkpoints):
    args, ckpt = checkpoints["sgns"]
    shutil.copy(ckpt, tmp_path / "run.checkpoint")
    assert main(["train", *args, "--out", str(tmp_path / "run"), "--resume"]) == 0
    assert (tmp_path / "run" / "vectors.txt").read_text().split("\n", 1)[0] == "300 16"


@pytest.mark.parametrize("where", ["wordvec", "__metadata__"])
def test_a_deeply_nested_checkpoint_header_is_one_line(tmp_path, capsys, checkpoints, where):
    args, ckpt = checkpoints["sgns"]
    raw = ckpt.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    if where == "wordvec":
        header["__metadata__"]["wordvec"] = DEEP
    else:
        header["__metadata__"] = json.loads("[" * 500 + "]" * 500)
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    (tmp_path / "run.checkpoint").write_bytes(struct.pack("<Q", len(blob)) + blob + raw[8 + n:])
    expect_error(["train", *args, "--out", str(tmp_path / "run"), "--resume"], capsys, "run.checkpoint", tmp_path)
    with pytest.raises(WordvecError):
        Word2Vec.load(tmp_path / "run.checkpoint")


def test_word2vec_load_refuses_an_int32_matrix(tmp_path, checkpoints):
    _, ckpt = checkpoints["sgns"]
    tensors, header = load_state(ckpt)
    tensors = {k: np.array(v) for k, v in tensors.items()}
    tensors["embed.weight"] = tensors["embed.weight"].astype(np.int32)
    meta = {k: v for k, v in header.items() if k not in ("format", "version", "kind", "crc32")}
    save_state(tmp_path / "m.model", "word2vec", tensors, meta)
    with pytest.raises(WordvecError, match="embed.weight is int32, expected float32"):
        Word2Vec.load(tmp_path / "m.model")


# --------------------------------------------------------------------------------------------------- stores


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("store")
    corpus = _corpus(base / "c.txt", 300)
    assert main(["prepare", "--dataset", str(corpus), "--out", str(base / "st"), "--tokenizer", "simple",
                 "--min-count", "1"]) == 0
    return base / "st"


def _damaged_store(tmp_path: Path, store: Path, manifest=None, vocab=None) -> Path:
    st = tmp_path / "st"
    shutil.copytree(store, st)
    if manifest is not None:
        m = json.loads((st / "manifest.json").read_text())
        text = manifest(m)
        (st / "manifest.json").write_text(text if isinstance(text, str) else json.dumps(m))
    if vocab is not None:
        lines = (st / "vocab.txt").read_text().splitlines()
        word = lines[0].split("\t")[0]
        lines[0] = f"{word}\t{vocab}"
        (st / "vocab.txt").write_text("\n".join(lines) + "\n")
    return st


@pytest.mark.parametrize("manifest, contains", [
    (lambda m: '{"a":' * 100_000, "nests more than"),
    (lambda m: DEEP, "nests more than"),
    (lambda m: m.update(files=[{"path": 5}]), "files[0] lacks the field 'size'"),
    (lambda m: m.update(files=[{"path": 5, "size": 1, "mtime": 0}]), "files[0]: 'path' should be a string"),
    (lambda m: m.update(files="abc"), "'files' should be a list"),
    (lambda m: m.update(files=["abc"]), "files[0] holds a string, not an object"),
    (lambda m: m.update(files=[{"path": "x", "size": "big", "mtime": 1.0}]), "'size' should be an integer"),
    (lambda m: m.update(tokens="27390"), "'tokens' should be an integer, got a string"),
    (lambda m: m.update(tokens=27390.9), "'tokens' should be an integer, got a number"),
    (lambda m: m.update(tokens=True), "'tokens' should be an integer, got a boolean"),
    (lambda m: m.update(tokens=-1), "'tokens' is negative"),
    (lambda m: json.dumps(m).replace('"tokens": ', '"tokens": 1' + "0" * 30 + ', "x": '), "64 bits"),
    (lambda m: json.dumps(m).replace('"documents": ', '"documents": NaN, "y": '), "NaN"),
    (lambda m: json.dumps(m)[:-1] + ', "tokens": 1}', "appears twice"),
    (lambda m: m.update(format_version="2"), "format_version '2' is not a positive integer"),
    (lambda m: m.update(vocab_order=["count"]), "'vocab_order' should be a string"),
    (lambda m: m.update(max_final_vocab="none"), "'max_final_vocab' should be an integer or null"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_a_damaged_manifest_is_one_line(tmp_path, capsys, store, manifest, contains):
    st = _damaged_store(tmp_path, store, manifest=manifest)
    expect_error(["train", *SGNS, "--dataset", str(st), "--out", str(tmp_path / "run")], capsys, contains, tmp_path)


@pytest.mark.parametrize("count, contains", [
    ("²", "ASCII digits"), ("٣", "ASCII digits"), ("99999999999999999999999", "ASCII digits"),
    ("18446744073709551615", "does not fit in 64 bits"), ("-4", "ASCII digits"), ("", "ASCII digits"),
    ("1e3", "ASCII digits"), (" 7", "ASCII digits"),
])
def test_a_damaged_vocab_count_is_one_line(tmp_path, capsys, store, count, contains):
    st = _damaged_store(tmp_path, store, vocab=count)
    expect_error(["train", *SGNS, "--dataset", str(st), "--out", str(tmp_path / "run")], capsys, contains, tmp_path)


def test_a_manifest_source_path_with_a_nul_byte_is_only_a_changed_source(tmp_path, store):
    from wordvec.store import open_store

    st = _damaged_store(tmp_path, store, manifest=lambda m: m.update(files=[{"path": "a\x00b", "size": 1,
                                                                              "mtime": 0}]))
    assert open_store(st).changed_sources() == ["a\x00b"]


# --------------------------------------------------------------------------------------------------- metrics.json


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("run")
    corpus = _corpus(base / "c.txt", 300)
    assert main(["train", *SGNS, "--dataset", str(corpus), "--out", str(base / "run"), "--checkpoint-every",
                 "0"]) == 0
    return base / "run"


@pytest.mark.parametrize("text, contains", [
    (DEEP, "nests more than"),
    ('{"config": ' + "[" * 70 + "]" * 70 + "}", "nests 71 levels"),
    ('{"config": {}, "vocab_size": 1e400}', "too large for a float"),
    ('{"config": {}, "vocab_size": Infinity}', "Infinity is not a number"),
    ('{"config": {}, "epoch_losses": [1, "x"]}', "'epoch_losses' should be a list of numbers"),
    ('{"config": {}, "config": {}}', "appears twice"),
    ('{"vocab_size": 3}', "lacks the field 'config'"),
])
def test_a_damaged_metrics_json_is_one_line(tmp_path, capsys, run, text, contains):
    shutil.copytree(run, tmp_path / "run")
    (tmp_path / "run" / "metrics.json").write_text(text)
    expect_error(["neighbors", str(tmp_path / "run"), "w1"], capsys, contains, tmp_path)


def test_a_deep_metrics_json_is_not_a_run_to_overwrite(tmp_path, capsys, run):
    from wordvec.rundir import is_run_dir

    shutil.copytree(run, tmp_path / "run")
    (tmp_path / "run" / "metrics.json").write_text(DEEP)
    assert not is_run_dir(tmp_path / "run")


# --------------------------------------------------------------------------------------------------- safetensors


def _safetensors(path: Path, header, data: bytes = b"") -> Path:
    blob = (header if isinstance(header, str) else json.dumps(header)).encode()
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + data)
    return path


def _kv_header(**vectors) -> dict:
    meta = {"wordvec": json.dumps({"format": "wordvec-state", "version": 1, "kind": "keyedvectors"})}
    return {"vectors": {"dtype": "F32", "shape": [1, 4], "data_offsets": [0, 16], **vectors},
            "keys.int": {"dtype": "I64", "shape": [1], "data_offsets": [16, 24]}, "__metadata__": meta}


CRAFTED = {
    "shape 1e400": _kv_header(shape=[1e400, 4]),
    "shape 2**128": '{"vectors": {"dtype": "F32", "shape": [%d, 0], "data_offsets": [0, 0]}}' % 2 ** 128,
    "shape floats": _kv_header(shape=[3.7, 4.2]),
    "shape negative": _kv_header(shape=[-1, -16]),
    "shape bool": _kv_header(shape=[True, 4]),
    "shape a string": _kv_header(shape="1,4"),
    "shape nested": _kv_header(shape=[[1], [4]]),
    "offsets strings": _kv_header(data_offsets=["0", "16"]),
    "offsets one": _kv_header(data_offsets=[16]),
    "offsets reversed": _kv_header(data_offsets=[16, 0]),
    "offsets past the end": _kv_header(data_offsets=[8, 24]),
    "offsets overlap": {**_kv_header(), "keys.int": {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]}},
    "dtype unknown": _kv_header(dtype="F128"),
    "dtype a list": _kv_header(dtype=["F32"]),
    "entry a list": {"vectors": [1, 2], "__metadata__": {}},
    "entry extra field": _kv_header(extra=1),
    "metadata a list": {**_kv_header(), "__metadata__": ["wordvec"]},
    "metadata values numbers": {**_kv_header(), "__metadata__": {"wordvec": 5}},
    "header a list": [1, 2, 3],
    "header deep": DEEP,
    "header not utf8": '{"a": "\udcff"}',
    "wordvec header deep": {**_kv_header(), "__metadata__": {"wordvec": DEEP}},
    "wordvec header a list": {**_kv_header(), "__metadata__": {"wordvec": "[1]"}},
    "version a string": {**_kv_header(), "__metadata__": {"wordvec": json.dumps(
        {"format": "wordvec-state", "version": "2", "kind": "keyedvectors"})}},
    "tokenizer a number": {**_kv_header(), "__metadata__": {"wordvec": json.dumps(
        {"format": "wordvec-state", "version": 1, "kind": "keyedvectors", "tokenizer": 5})}},
    "int8 vectors": _kv_header(dtype="I8", shape=[4, 4]),
    "vectors 1-d": _kv_header(shape=[4]),
    "keys float": {**_kv_header(), "keys.int": {"dtype": "F64", "shape": [1], "data_offsets": [16, 24]}},
    "legacy keys not a list": {"vectors": {"dtype": "F32", "shape": [1, 4], "data_offsets": [0, 16]},
                               "__metadata__": {"wordvec.index_to_key": '{"a": 1}'}},
    "legacy keys deep": {"vectors": {"dtype": "F32", "shape": [1, 4], "data_offsets": [0, 16]},
                         "__metadata__": {"wordvec.index_to_key": DEEP}},
}


@pytest.mark.parametrize("name", list(CRAFTED))
@pytest.mark.parametrize("mmap", [None, "r"])
def test_crafted_safetensors_headers_raise_wordvec_errors(tmp_path, name, mmap):
    header = CRAFTED[name]
    if name == "header not utf8":
        blob = b'{"a": "\xff"}'
        path = tmp_path / "kv.safetensors"
        path.write_bytes(struct.pack("<Q", len(blob)) + blob + bytes(24))
    else:
        path = _safetensors(tmp_path / "kv.safetensors", header, bytes(24))
    with pytest.raises(WordvecError):
        KeyedVectors.load(path, mmap=mmap)


def test_nan_vectors_are_refused_by_load_as_by_the_word2vec_readers(tmp_path):
    kv = KeyedVectors(["a", "b", "c"], np.ones((3, 4), np.float32))
    kv.vectors[1, 2] = np.nan
    kv.save(tmp_path / "kv.safetensors")
    with pytest.raises(WordvecError, match="'b' \\(row 2\\) has a NaN"):
        KeyedVectors.load(tmp_path / "kv.safetensors")
    kv.save_word2vec_format(tmp_path / "kv.txt")
    with pytest.raises(VectorFileError, match="non-finite"):
        KeyedVectors.load_word2vec_format(tmp_path / "kv.txt")
    # mapped vectors are not read on load (documented): the file opens, the NaN is in the map
    mapped = KeyedVectors.load(tmp_path / "kv.safetensors", mmap="r")
    assert np.isnan(mapped.vectors[1, 2])


def test_flipped_bytes_in_saved_vectors_fail_the_checksum(tmp_path):
    kv = KeyedVectors([f"w{i}" for i in range(50)], np.random.default_rng(0).random((50, 8), np.float32))
    path = kv.save(tmp_path / "kv.safetensors")
    _flip(path, 10)
    with pytest.raises(WordvecError):
        KeyedVectors.load(path)


# --------------------------------------------------------------------------------------------------- word2vec files


LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB: the announced matrix needs 8
from wordvec.vectors import KeyedVectors
from wordvec.errors import WordvecError
try:
    KeyedVectors.load_word2vec_format(sys.argv[1], binary=sys.argv[2] == "1")
except WordvecError as e:
    print(type(e).__name__, e)
"""


@pytest.mark.parametrize("suffix", [".gz", ".bz2"])
@pytest.mark.parametrize("binary", [False, True])
def test_a_tiny_compressed_file_announcing_billions_of_values_fails_without_allocating(tmp_path, suffix, binary):
    import bz2

    body = b"1 2000000000\nw " + (b"\x00\x00\x80\x3f" * 2 if binary else b"0.5 0.25\n")
    path = tmp_path / f"v{suffix}"
    path.write_bytes(gzip.compress(body) if suffix == ".gz" else bz2.compress(body))
    assert path.stat().st_size < 100
    before = snapshot(tmp_path)
    done = subprocess.run([sys.executable, "-c", LIMITED, str(path), "1" if binary else "0"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stdout
    assert done.stdout.startswith(("TruncatedFileError", "VectorFileError")), done.stdout
    assert "too many to hold in memory" not in done.stdout  # refused for what the file lacks, not for memory
    assert ("truncated" if binary else "got 2 values") in done.stdout
    assert snapshot(tmp_path) == before


def test_the_cli_reports_a_tiny_gz_announcing_billions_of_rows(tmp_path):
    path = tmp_path / "v.txt.gz"
    path.write_bytes(gzip.compress(b"3000000000 300\nw " + b"0.5 " * 299 + b"0.5\n"))
    with pytest.raises(TruncatedFileError, match="says 3000000000 words but the file has 1 rows"):
        KeyedVectors.load_word2vec_format(path)


@pytest.mark.parametrize("cap", [0, 1 << 40])
def test_a_compressed_file_grows_its_matrix_and_reads_the_same(tmp_path, monkeypatch, cap):
    from wordvec import w2vformat

    monkeypatch.setattr(w2vformat, "_memory_cap", lambda: cap)  # 0: every compressed file grows its matrix
    rng = np.random.default_rng(1)
    kv = KeyedVectors([f"w{i}" for i in range(3000)], rng.standard_normal((3000, 5)).astype(np.float32))
    for binary in (False, True):
        kv.save_word2vec_format(tmp_path / "v.gz", binary=binary)
        kv.save_word2vec_format(tmp_path / "v.bin", binary=binary)
        a = KeyedVectors.load_word2vec_format(tmp_path / "v.gz", binary=binary)
        b = KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=binary)
        assert a.index_to_key == b.index_to_key == kv.index_to_key
        assert np.array_equal(a.vectors, b.vectors) and np.array_equal(a.vectors, kv.vectors)
        assert a.vectors.shape == (3000, 5) and a.vectors.flags.c_contiguous


@pytest.mark.parametrize("header", [b"\xc2\xb2 4", b"1 \xd9\xa3", b"99999999999999999999999 4", b"1 -4",
                                    b"4294967296 4294967296"])
def test_word2vec_headers_are_ascii_integers_within_range(tmp_path, header):
    path = tmp_path / "v.txt"
    path.write_bytes(header + b"\nw 1 2 3 4\n")
    with pytest.raises(VectorFileError, match="line 1"):
        KeyedVectors.load_word2vec_format(path)


def test_public_names_stay_importable_from_vectors():
    from wordvec import vectors, w2vformat
    from wordvec.vectors import (EmptyWordListError, MissingDependencyError, UnknownAttributeError,  # noqa: F401
                                 UnknownWordError, UnsupportedError, WordDecodeError, load_word2vec_format,
                                 save_word2vec_format)

    assert vectors.save_word2vec_format is w2vformat.write_word2vec
    assert issubclass(TruncatedFileError, EOFError) and issubclass(UnknownWordError, KeyError)


@pytest.mark.parametrize("field, value, contains", [
    ("lifecycle_events", 5, "'lifecycle_events' should be a list"),
    ("corpus_count", "x", "'corpus_count' should be an integer"),
    ("vector_size", "x", "vector_size must be int"),
])
def test_word2vec_load_checks_the_saved_attributes(tmp_path, field, value, contains):
    model = Word2Vec([["a", "b", "c"], ["b", "c", "d"]] * 10, vector_size=8, min_count=1, epochs=1, workers=1,
                     sample=0)
    tensors, header = load_state(model.save(tmp_path / "w.model"))
    header["word2vec"][field] = value
    meta = {k: v for k, v in header.items() if k not in ("format", "version", "kind", "crc32")}
    save_state(tmp_path / "x.model", "word2vec", {k: np.array(v) for k, v in tensors.items()}, meta)
    with pytest.raises(WordvecError, match=contains):
        Word2Vec.load(tmp_path / "x.model")
