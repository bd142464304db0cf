"""wordvec's own files: one safetensors file holding every array and, as JSON in its header, everything else.

The same container serves saved vectors (`KeyedVectors.save`), saved models (`Word2Vec.save`) and checkpoints of
a run in progress (`wordvec train --checkpoint-every`, `--resume`): no pickle, no code runs on load, and numpy
alone reads and writes it (arrays are streamed to disk, and can be memory-mapped back). Layout:

* tensors: the weights under the run directory's names (`embed.weight`, `expand.weight`, `hs.weight`), or
  `vectors`; words as UTF-8 bytes (`keys.utf8`) with their offsets (`keys.offsets`); optimizer state
  (`optim.<param>.exp_avg`, ...); random-generator states as uint8 arrays (`rng.<name>`);
* metadata key `wordvec`: JSON with `format` ("wordvec-state"), `version`, `kind` (what wrote it:
  "keyedvectors", "word2vec", "lab"), `crc32` (each tensor's CRC-32, checked when it is read; files from before
  checksums load without), and the writer's own fields (config, position, losses...).

Reading checks the whole safetensors header before any array is touched (`read_st_header`), and JSON goes through
`files.read_json` (bounded size and depth, strict types).

A file is written under a temporary name and renamed, so a crash or a full disk leaves the previous one intact.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import math
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import WordvecError
from .files import JsonFileError, atomic_open, check_fields, is_kind, read_json
from .weights import Checkpoints, Stopped

FORMAT, VERSION = "wordvec-state", 1
#: Seconds between checkpoints of a run in progress (`wordvec train --checkpoint-every`).
DEFAULT_CHECKPOINT_EVERY = 600.0


_ST_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8, "I16": np.int16,
              "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_}
_ST_NAMES = {np.dtype(v): k for k, v in _ST_DTYPES.items()}


#: Largest safetensors header read (the format's own limit); wordvec's headers hold no per-word data.
MAX_HEADER_BYTES = 100_000_000
_CRC_BLOCK = 1 << 24  # bytes checksummed per step: no copy of a whole tensor


def save_tensors(path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> Path:
    """Write a safetensors file, streaming each array from memory (no copy of the whole file in memory)."""
    header: dict = {}
    offset = 0
    arrays = {}
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        kind = np.dtype(arr.dtype.name)
        if kind not in _ST_NAMES:
            raise WordvecError(f"cannot store {name} of dtype {arr.dtype} in safetensors")
        arr = arr.astype(kind.newbyteorder("<"), copy=False)
        arrays[name] = arr
        header[name] = {"dtype": _ST_NAMES[kind], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    header["__metadata__"] = metadata
    blob = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    blob += b" " * (-len(blob) % 8)  # the data area starts 8-byte aligned
    path = Path(path)
    with atomic_open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for arr in arrays.values():
            if arr.nbytes:
                f.write(memoryview(arr.reshape(-1).view(np.uint8)))
    return path


#: The first 4 bytes of a Facebook fastText .bin model (its magic number, little-endian).
_FASTTEXT_MAGIC = struct.pack("<i", 793712314)


def file_kind(path) -> str:
    """What a path holds, from its first bytes (inside a .gz too): 'fasttext' (Facebook's .bin model), 'word2vec'
    (a 'WORDS DIMENSION' first line), 'safetensors' (wordvec's own files), 'run' (a run directory) or ''."""
    path = Path(path)
    if path.is_dir():
        return "run" if (path / "metrics.json").is_file() else ""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
        if head[:2] == b"\x1f\x8b":  # gzip: look inside
            with gzip.open(path, "rb") as g:
                head = g.read(4096)
    except (OSError, EOFError, zlib.error):
        return ""
    if head[:4] == _FASTTEXT_MAGIC:
        return "fasttext"
    if head[8:9] == b"{" and head[5:8] == b"\0\0\0":  # a header length, then JSON (text has no NUL bytes)
        return "safetensors"
    first = head.split(b"\n", 1)[0].split()
    return "word2vec" if len(first) == 2 and all(x.isdigit() for x in first) else ""


#: The call that reads each kind of file `file_kind` tells apart.
KIND_READERS = {
    "fasttext": "it is a fastText .bin model: read it with load_facebook_model(path) or load_facebook_vectors(path)",
    "word2vec": "it is a word2vec-format file: read it with KeyedVectors.load_word2vec_format(path) (binary=True "
                "for a binary one)",
    "safetensors": "it is a wordvec file (safetensors): read it with KeyedVectors.load, FastTextKeyedVectors.load "
                   "or Word2Vec.load, whichever saved it",
    "run": "it is a run directory: read its vectors with wordvec.rundir.load_vectors(path)"}


def kind_hint(path) -> str:
    """'; ' and what a path that is not a wordvec state file is instead, with the call that reads it ('' when not
    known)."""
    kind = file_kind(path)
    return f"; {KIND_READERS[kind]}" if kind in KIND_READERS and kind != "safetensors" else ""


def _not_safetensors(path, what: str) -> WordvecError:
    hint = kind_hint(path)
    if hint:
        return WordvecError(f"{path} is not a wordvec model, vectors or checkpoint file{hint}")
    return WordvecError(f"{path} is not a wordvec model, vectors or checkpoint file ({what}); the file is damaged "
                        f"or of another kind")


def read_st_header(f, path, size: int) -> tuple[dict[str, tuple[np.dtype, tuple[int, ...], int, int]], dict, int]:
    """The safetensors header of the open file `f` (`size` bytes), checked before any array is touched: every
    entry names a known dtype, a shape of non-negative integers and byte offsets that hold exactly that many
    elements inside the data area, without overlapping another tensor; `__metadata__` maps strings to strings.
    Returns ({name: (dtype, shape, start, end)}, metadata, data start)."""
    head = f.read(8)
    n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
    if n < 2 or n > MAX_HEADER_BYTES or 8 + n > size:
        raise _not_safetensors(path, "bad header length")
    try:
        header = read_json(f.read(n), "the safetensors header", max_bytes=MAX_HEADER_BYTES)
    except JsonFileError as e:
        raise _not_safetensors(path, str(e).replace("; the file is damaged", "")) from None
    if not isinstance(header, dict):
        raise _not_safetensors(path, "the header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise _not_safetensors(path, "__metadata__ is not an object of strings")
    start = 8 + n
    entries = {}
    for name, info in header.items():
        try:
            check_fields(info, {"dtype": "str", "shape": "list", "data_offsets": "list"},
                         f"{path}: tensor {name!r}", exact=True)
        except WordvecError as e:
            raise _not_safetensors(path, str(e).partition(": ")[2]) from None
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _ST_DTYPES:
            raise _not_safetensors(path, f"tensor {name!r} has the unknown dtype {dtype[:20]!r}")
        if len(shape) > 8 or not all(is_kind(s, "int") and s >= 0 for s in shape):
            raise _not_safetensors(path, f"tensor {name!r} has the shape {str(shape)[:60]}, not a list of "
                                         f"non-negative integers")
        if len(offsets) != 2 or not all(is_kind(x, "int") for x in offsets):
            raise _not_safetensors(path, f"tensor {name!r} has data_offsets {str(offsets)[:60]}, not two integers")
        dt = np.dtype(_ST_DTYPES[dtype]).newbyteorder("<")
        a, b = offsets
        count = math.prod(shape)
        if not 0 <= a <= b <= size - start or b - a != count * dt.itemsize:
            raise WordvecError(f"{path}: tensor {name!r} does not fit the file (shape {tuple(shape)}, bytes {a}..{b} "
                               f"of {size - start}); the file is damaged or truncated")
        entries[name] = (dt, tuple(shape), a, b)
    spans = sorted((a, b, name) for name, (_, _, a, b) in entries.items() if b > a)
    for (_, b0, n0), (a1, _, n1) in zip(spans, spans[1:]):
        if a1 < b0:
            raise _not_safetensors(path, f"tensors {n0!r} and {n1!r} overlap")
    return entries, meta, start


def load_tensors(path, mmap: str | None = None, mapped: Sequence[str] | None = ()
                 ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file with numpy alone (JSON header, raw little-endian arrays); with `mmap='r'`, the
    tensors named in `mapped` (None: all) become read-only memmaps instead of being read. The header is checked
    whole (`read_st_header`) before any array is read or mapped."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            entries, meta, start = read_st_header(f, path, size)
            tensors = {}
            for name, (dtype, shape, a, b) in entries.items():
                count = (b - a) // dtype.itemsize
                if mmap == "r" and (mapped is None or name in mapped) and count:
                    tensors[name] = np.memmap(path, dtype=dtype, mode="r", offset=start + a, shape=shape)
                else:
                    f.seek(start + a)
                    tensors[name] = np.fromfile(f, dtype=dtype, count=count).reshape(shape)
                    if tensors[name].size != count:
                        raise WordvecError(f"{path}: tensor {name!r} is truncated; the file is damaged")
    except IsADirectoryError:
        raise WordvecError(f"{path} is a folder, not a wordvec model, vectors or checkpoint file{kind_hint(path)}"
                           ) from None
    except OSError as e:
        raise WordvecError(f"cannot read {path}: {e.strerror or e}") from None
    return tensors, meta


def checksum(arr: np.ndarray) -> int:
    """CRC-32 of an array's bytes as stored (little-endian, C order), in blocks: no copy of the array."""
    flat = np.ascontiguousarray(arr)
    if flat.dtype.byteorder == ">":
        flat = flat.astype(flat.dtype.newbyteorder("<"))
    view = memoryview(flat.reshape(-1).view(np.uint8))
    crc = 0
    for a in range(0, len(view), _CRC_BLOCK):
        crc = zlib.crc32(view[a:a + _CRC_BLOCK], crc)
    return crc


def verify_checksums(path, tensors: dict[str, np.ndarray], header: dict) -> None:
    """Every tensor read into memory must match the CRC-32 its header recorded; memory-mapped ones are not read
    here (that would defeat the mapping). Files from before checksums have none."""
    sums = header.get("crc32")
    if sums is None:
        return
    if not isinstance(sums, dict) or set(sums) != set(tensors) or not all(is_kind(v, "int") for v in sums.values()):
        raise WordvecError(f"{path}: the header's checksums do not list the file's tensors; the file is damaged")
    for name, arr in tensors.items():
        if not isinstance(arr, np.memmap) and checksum(arr) != sums[name]:
            raise WordvecError(f"{path}: tensor {name!r} fails its checksum: the file was damaged after it was "
                               f"written (disk, copy or transfer); use another copy, or start afresh")


def refuse_pickle(path, what: str, recipe: str) -> None:
    """gensim saves with pickle, and unpickling runs whatever code the file names: refuse one, unread."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError:
        return  # read_header says what is wrong
    if head[8:9] == b"{":  # safetensors: a header length of 640, 896, 1152 or 1408 bytes also starts 0x80 0x02..5
        return
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise WordvecError(f"{path} is a Python pickle ({what}); wordvec does not unpickle files, because "
                           f"unpickling can run any code the file holds. {recipe}")


def save_state(path: str | os.PathLike, kind: str, tensors: dict[str, np.ndarray], meta: dict) -> Path:
    """Write `tensors` and the JSON-able `meta` to `path` atomically, as a state file of this `kind`, with a CRC-32
    per tensor (checked by `load_state`)."""
    header = {"format": FORMAT, "version": VERSION, "kind": kind, **meta,
              "crc32": {name: checksum(arr) for name, arr in tensors.items()}}
    return save_tensors(path, tensors, {"wordvec": json.dumps(header, allow_nan=False, ensure_ascii=False)})


#: The call that reads each kind of state file (named when a file of one kind is given where another is needed).
_READERS = {"word2vec": "Word2Vec.load(path) (its vectors are .wv; a `wordvec train` checkpoint also continues "
                        "with `wordvec train --resume`)",
            "keyedvectors": "KeyedVectors.load(path)", "fasttextkeyedvectors": "FastTextKeyedVectors.load(path)",
            "phrases": "Phrases.load(path)", "frozen-phrases": "Phrases.load(path)",
            "lab": "`wordvec train --resume` (the lab network's checkpoint)"}


def parse_header(path, meta: dict, kinds: tuple[str, ...] | None) -> dict:
    """The `wordvec` JSON of a state file's metadata, checked: format, version, kind."""
    if "wordvec" not in meta:
        hint = ("; it is the network weights of a run directory (model.safetensors): read the run's vectors with "
                "wordvec.rundir.load_vectors(the run's folder)") if meta.get("format") == "wordvec" else ""
        raise WordvecError(f"{path} is not a wordvec model, vectors or checkpoint file (or it is damaged){hint}")
    header = read_json(meta["wordvec"], f"{path}: the wordvec header")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise WordvecError(f"{path} is not a wordvec model, vectors or checkpoint file")
    version = header.get("version")
    if not is_kind(version, "int") or version < 1:
        raise WordvecError(f"{path}: format version {version!r} is not a positive integer; the file is damaged: "
                           f"save the model (or train the run) again")
    if version > VERSION:
        raise WordvecError(f"{path} was written by a newer wordvec (format version {version!r}); upgrade wordvec "
                           f"to read it")
    if kinds is not None and header.get("kind") not in kinds:
        reader = _READERS.get(str(header.get("kind")))
        raise WordvecError(f"{path} holds a wordvec {str(header.get('kind'))[:40]!r} file, not "
                           f"{' or '.join(kinds)}{f'; read it with {reader}' if reader else ''}")
    return header


def read_header(path: str | os.PathLike, kinds: tuple[str, ...] | None = None) -> dict:
    """The JSON header of a state file, checked, without reading its arrays."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            _, meta, _ = read_st_header(f, path, size)
    except FileNotFoundError:
        raise WordvecError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise WordvecError(f"{path} is a folder, not a wordvec model, vectors or checkpoint file{kind_hint(path)}"
                           ) from None
    except OSError as e:
        raise WordvecError(f"cannot read {path}: {e.strerror or e}") from None
    return parse_header(path, meta, kinds)


def load_state(path: str | os.PathLike, mmap: str | None = None, kinds: tuple[str, ...] | None = None
               ) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, header) of a state file; mmap='r' maps the arrays read-only instead of reading them. Arrays read
    are checked against their checksums; mapped ones are not (that would read them all)."""
    path = Path(path)
    if mmap not in (None, "r"):
        raise WordvecError(f"mmap must be None or 'r' (read-only), got {mmap!r}")
    read_header(path, kinds)  # a clear error before any array is read
    tensors, meta = load_tensors(path, mmap=mmap, mapped=None)
    header = parse_header(path, meta, kinds)
    verify_checksums(path, tensors, header)
    return tensors, header


#: The advice every damaged checkpoint error ends with.
RESUME_FIX = "the checkpoint is damaged or was not written for this run; start afresh without --resume"


def expect_tensor(path, tensors: dict, name: str, shape: tuple | None, dtype=np.float32, what: str = "") -> None:
    """tensors[name] must exist with this dtype and, unless `shape` is None, this shape; `what` says where the
    expected shape comes from (for the message). One WordvecError otherwise."""
    arr = tensors.get(name)
    if arr is None:
        raise WordvecError(f"{path} lacks the tensor {name!r}; {RESUME_FIX}")
    if arr.dtype != np.dtype(dtype) or (shape is not None and tuple(arr.shape) != tuple(shape)):
        raise WordvecError(f"{path}: {name} is {arr.dtype} of shape {tuple(arr.shape)}, expected {np.dtype(dtype)} of "
                           f"shape {tuple(shape) if shape is not None else 'any'}{what}; {RESUME_FIX}")


def check_position(path, state, schema: dict[str, str], required=None) -> dict:
    """A checkpoint's saved position: exactly the fields of `schema`, of their kinds, numbers finite and counts
    non-negative (`files.check_fields`)."""
    check_fields(state, schema, f"{path}: the saved position", RESUME_FIX, required=required, exact=True)
    for key, kind in schema.items():
        if kind == "int" and key in state and state[key] < 0:
            raise WordvecError(f"{path}: the saved position's {key!r} is negative ({state[key]}); {RESUME_FIX}")
    for key, kind in schema.items():
        if kind == "list" and not all(is_kind(x, "number") for x in state.get(key, [])):
            raise WordvecError(f"{path}: the saved position's {key!r} is not a list of numbers; {RESUME_FIX}")
    return state


def keys_to_tensors(keys: list[str]) -> dict[str, np.ndarray]:
    """Words as one UTF-8 byte array and offsets: no JSON string in the header, whatever the vocabulary size."""
    raw = [k.encode("utf-8", "surrogatepass") for k in keys]
    offsets = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in raw], out=offsets[1:])
    return {"keys.utf8": np.frombuffer(b"".join(raw), dtype=np.uint8), "keys.offsets": offsets}


def keys_from_tensors(tensors: dict[str, np.ndarray], n: int, where) -> list[str]:
    """The words `keys_to_tensors` stored, checked against the `n` rows they label."""
    blob, off = np.asarray(tensors["keys.utf8"]).tobytes(), np.asarray(tensors["keys.offsets"]).tolist()
    if len(off) != n + 1 or off[0] != 0 or off[-1] != len(blob) or any(a > b for a, b in zip(off, off[1:])):
        raise WordvecError(f"{where}: keys.offsets does not match keys.utf8 and the {n} rows; the file is damaged")
    try:
        return [blob[a:b].decode("utf-8", "surrogatepass") for a, b in zip(off, off[1:])]
    except UnicodeDecodeError:
        raise WordvecError(f"{where}: a stored word is not UTF-8; the file is damaged") from None


def fingerprint(words: list[str], counts: np.ndarray) -> str:
    """A short hash of a vocabulary (words and counts, in order): a resume must see the same one."""
    h = hashlib.sha256()
    for w, c in zip(words, np.asarray(counts).tolist()):
        h.update(w.encode("utf-8", "surrogatepass"))
        h.update(b"\t%d\n" % c)
    return h.hexdigest()[:16]


class Checkpointer(Checkpoints):
    """When and where a training run saves its state: every `every` seconds (0: only when asked to stop), and once
    more when `stop()` is called (SIGTERM: the machine is being taken away)."""

    def __init__(self, path: str | os.PathLike, every: float, identity: dict,
                 extras: dict[str, np.ndarray] | None = None, meta: dict | None = None):
        self.path = Path(path)
        self.every = float(every)
        self.identity = identity  # config and vocabulary fingerprint: what a resume must match
        self.extras = extras or {}  # arrays the owner adds to every checkpoint (e.g. the vocabulary)
        self.meta = meta or {}  # header fields the owner adds (e.g. the config)
        self.last = time.monotonic()
        self.stop_requested = False
        self.saves = 0
        self.seconds = 0.0

    def due(self) -> bool:
        return self.stop_requested or (self.every > 0 and time.monotonic() - self.last >= self.every)

    def save(self, kind: str, tensors: dict[str, np.ndarray], state: dict) -> None:
        t0 = time.monotonic()
        save_state(self.path, kind, {**self.extras, **tensors}, {**self.meta, "identity": self.identity,
                                                                    "state": state})
        self.last = time.monotonic()
        self.saves += 1
        self.seconds += self.last - t0

    def saved_elsewhere(self) -> None:
        self.last = time.monotonic()


_LISTENING: list[Checkpointer] = []


@contextlib.contextmanager
def listening(checkpointer: Checkpointer | None):
    """While the block runs, `request_stop()` (the CLI's SIGTERM handler) asks `checkpointer` to save and stop."""
    if checkpointer is None:
        yield
        return
    _LISTENING.append(checkpointer)
    try:
        yield
    finally:
        _LISTENING.remove(checkpointer)


def request_stop() -> bool:
    """Ask every listening run to checkpoint and stop at its next boundary; False when none is listening."""
    for c in _LISTENING:
        c.stop()
    return bool(_LISTENING)


def rng_to_array(state: bytes | np.ndarray) -> np.ndarray:
    return np.frombuffer(bytes(state), dtype=np.uint8).copy()


__all__ = ["save_tensors", "load_tensors", "read_st_header", "checksum", "verify_checksums", "refuse_pickle",
           "save_state", "load_state", "read_header", "keys_to_tensors", "keys_from_tensors", "parse_header",
           "expect_tensor", "check_position", "RESUME_FIX", "fingerprint", "Checkpointer", "Stopped", "rng_to_array",
           "listening", "request_stop"]
