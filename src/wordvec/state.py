"""wordvec's own files: one safetensors file holding every array and, as JSON in its header, everything else.

The same container serves saved vectors (`KeyedVectors.save`), saved models (`Word2Vec.save`) and checkpoints of
a run in progress (`wordvec train --checkpoint-every`, `--resume`): no pickle, no code runs on load, and numpy
alone reads and writes it (arrays are streamed to disk, and can be memory-mapped back). Layout:

* tensors: the weights under the run directory's names (`embed.weight`, `expand.weight`, `hs.weight`), or
  `vectors`; words as UTF-8 bytes (`keys.utf8`) with their offsets (`keys.offsets`); optimizer state
  (`optim.<param>.exp_avg`, ...); random-generator states as uint8 arrays (`rng.<name>`);
* metadata key `wordvec`: JSON with `format` ("wordvec-state"), `version`, `kind` (what wrote it:
  "keyedvectors", "word2vec", "lab"), and the writer's own fields (config, position, losses...).

A file is written under a temporary name and renamed, so a crash or a full disk leaves the previous one intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import struct
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import WordvecError
from .files import atomic_open

FORMAT, VERSION = "wordvec-state", 1
#: Seconds between checkpoints of a run in progress (`wordvec train --checkpoint-every`).
DEFAULT_CHECKPOINT_EVERY = 600.0


_ST_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8, "I16": np.int16,
              "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_}
_ST_NAMES = {np.dtype(v): k for k, v in _ST_DTYPES.items()}


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


def load_tensors(path, mmap: str | None = None, mapped: Sequence[str] | None = ()
                 ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file with numpy alone (JSON header, raw little-endian arrays); with `mmap='r'`, the
    tensors named in `mapped` (None: all) become read-only memmaps instead of being read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
            if n < 2 or 8 + n > size:
                raise WordvecError(f"{path}: not a safetensors file (bad header length); was it written by "
                                   f"KeyedVectors.save?")
            try:
                header = json.loads(f.read(n).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise WordvecError(f"{path}: the safetensors header is not JSON ({e}); the file is damaged") \
                    from None
            if not isinstance(header, dict):
                raise WordvecError(f"{path}: the safetensors header is not a JSON object; the file is damaged")
            meta = header.pop("__metadata__", None) or {}
            start = 8 + n
            tensors = {}
            for name, info in header.items():
                try:
                    dtype = np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<")
                    shape = tuple(int(s) for s in info["shape"])
                    a, b = (int(x) for x in info["data_offsets"])
                except (KeyError, TypeError, ValueError):
                    raise WordvecError(f"{path}: tensor {name!r} has an unreadable entry in the header ({info!r})") \
                        from None
                count = math.prod(shape)
                if min(shape, default=1) < 0 or b - a != count * dtype.itemsize or a < 0 or start + b > size:
                    raise WordvecError(f"{path}: tensor {name!r} does not fit the file (shape {shape}, bytes {a}..{b} "
                                       f"of {size - start}); the file is damaged or truncated")
                if mmap == "r" and (mapped is None or name in mapped) and count:
                    tensors[name] = np.memmap(path, dtype=dtype, mode="r", offset=start + a, shape=shape)
                else:
                    f.seek(start + a)
                    tensors[name] = np.fromfile(f, dtype=dtype, count=count).reshape(shape)
    except OSError as e:
        raise WordvecError(f"cannot read {path}: {e.strerror or e}") from None
    return tensors, {str(k): str(v) for k, v in meta.items()}


def refuse_pickle(path, what: str, recipe: str) -> None:
    """gensim saves with pickle, and unpickling runs whatever code the file names: refuse one, unread."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
    except OSError:
        return  # read_header says what is wrong
    if len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise WordvecError(f"{path} is a Python pickle ({what}); wordvec does not unpickle files, because "
                           f"unpickling can run any code the file holds. {recipe}")


def save_state(path: str | os.PathLike, kind: str, tensors: dict[str, np.ndarray], meta: dict) -> Path:
    """Write `tensors` and the JSON-able `meta` to `path` atomically, as a state file of this `kind`."""
    header = {"format": FORMAT, "version": VERSION, "kind": kind, **meta}
    return save_tensors(path, tensors, {"wordvec": json.dumps(header, allow_nan=False, ensure_ascii=False)})


def parse_header(path, meta: dict, kinds: tuple[str, ...] | None) -> dict:
    try:
        header = json.loads(meta["wordvec"])
    except (KeyError, json.JSONDecodeError):
        raise WordvecError(f"{path} is not a wordvec model, vectors or checkpoint file (or it is damaged)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise WordvecError(f"{path} is not a wordvec model, vectors or checkpoint file")
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise WordvecError(f"{path} was written by a newer wordvec (format version {version!r}); upgrade wordvec "
                           f"to read it")
    if kinds is not None and header.get("kind") not in kinds:
        raise WordvecError(f"{path} holds a wordvec {header.get('kind')!r} file, not {' or '.join(kinds)}")
    return header


def read_header(path: str | os.PathLike, kinds: tuple[str, ...] | None = None) -> dict:
    """The JSON header of a state file, checked, without reading its arrays."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            if not 2 <= n <= 100_000_000:
                raise ValueError("bad header size")
            meta = json.loads(f.read(n).decode("utf-8")).get("__metadata__") or {}
    except FileNotFoundError:
        raise WordvecError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise WordvecError(f"{path} is a folder, not a wordvec model, vectors or checkpoint file") from None
    except (OSError, ValueError, struct.error, AttributeError, UnicodeDecodeError):
        raise WordvecError(f"{path} is not a wordvec model, vectors or checkpoint file (or it is damaged)") from None
    return parse_header(path, meta, kinds)


def load_state(path: str | os.PathLike, mmap: str | None = None, kinds: tuple[str, ...] | None = None
               ) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, header) of a state file; mmap='r' maps the arrays read-only instead of reading them."""
    path = Path(path)
    if mmap not in (None, "r"):
        raise WordvecError(f"mmap must be None or 'r' (read-only), got {mmap!r}")
    read_header(path, kinds)  # a clear error before any array is read
    tensors, meta = load_tensors(path, mmap=mmap, mapped=None)
    return tensors, parse_header(path, meta, kinds)


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


class Checkpointer:
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

    def stop(self) -> None:
        self.stop_requested = True

    def due(self) -> bool:
        return self.stop_requested or (self.every > 0 and time.monotonic() - self.last >= self.every)

    def save(self, kind: str, tensors: dict[str, np.ndarray], state: dict) -> None:
        t0 = time.monotonic()
        save_state(self.path, kind, {**self.extras, **tensors}, {**self.meta, "identity": self.identity,
                                                                    "state": state})
        self.last = time.monotonic()
        self.saves += 1
        self.seconds += self.last - t0


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


class Stopped(Exception):
    """Training stopped after writing a checkpoint because it was asked to (SIGTERM)."""

    def __init__(self, path: Path):
        super().__init__(f"stopped; state saved to {path}: resume with the same command and --resume")
        self.path = path


def rng_to_array(state: bytes | np.ndarray) -> np.ndarray:
    return np.frombuffer(bytes(state), dtype=np.uint8).copy()


__all__ = ["save_tensors", "load_tensors", "refuse_pickle", "save_state", "load_state", "read_header", "keys_to_tensors",
           "keys_from_tensors", "parse_header", "fingerprint", "Checkpointer", "Stopped", "rng_to_array",
           "listening", "request_stop"]
