"""Training state on disk: one safetensors file holding every matrix and, as JSON in its header, everything else.

The same container serves checkpoints of a run in progress (`wordvec train --checkpoint-every`, `--resume`) and
saved models (`Word2Vec.save` / `Word2Vec.load`): no pickle, no code runs on load. Layout:

* tensors: the weights under the run directory's names (`embed.weight`, `expand.weight`, `hs.weight`), optimizer
  state (`optim.<param>.exp_avg`, ...), random-generator states as uint8 arrays (`rng.<name>`);
* metadata key `wordvec`: JSON with `format` ("wordvec-state"), `version`, `kind` (what wrote it: "lab",
  "word2vec"), and the writer's own fields (config, vocabulary, position, losses...).

A file is written under a temporary name and renamed, so a crash or a full disk leaves the previous one intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from .errors import WordvecError
from .files import atomic_open

FORMAT, VERSION = "wordvec-state", 1


def save_state(path: str | os.PathLike, kind: str, tensors: dict[str, np.ndarray], meta: dict) -> Path:
    """Write `tensors` and the JSON-able `meta` to `path` atomically."""
    from safetensors.numpy import save

    header = {"format": FORMAT, "version": VERSION, "kind": kind, **meta}
    data = save({k: np.ascontiguousarray(v) for k, v in tensors.items()},
                metadata={"wordvec": json.dumps(header, allow_nan=False, ensure_ascii=False)})
    path = Path(path)
    with atomic_open(path, "wb") as f:
        f.write(data)
    return path


def read_header(path: str | os.PathLike) -> dict:
    """The JSON header of a state file, checked, without reading the tensors."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            if not 2 <= size <= 100_000_000:
                raise ValueError("bad header size")
            header = json.loads(f.read(size).decode("utf-8"))
        meta = json.loads(header["__metadata__"]["wordvec"])
    except FileNotFoundError:
        raise WordvecError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise WordvecError(f"{path} is a folder, not a wordvec model or checkpoint file") from None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise WordvecError(f"{path} is not a wordvec model or checkpoint file (or it is damaged)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise WordvecError(f"{path} is not a wordvec model or checkpoint file")
    if meta.get("version") != VERSION:
        raise WordvecError(f"{path} was written by a newer wordvec (format version {meta.get('version')}); "
                           f"upgrade wordvec to read it")
    return meta


def load_state(path: str | os.PathLike, mmap: str | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """(tensors, meta) of a state file. mmap='r' maps the tensors read-only instead of reading them."""
    from safetensors import SafetensorError

    path = Path(path)
    meta = read_header(path)
    try:
        if mmap == "r":
            tensors = _mapped(path)
        else:
            from safetensors.numpy import load_file

            tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WordvecError(f"{path} is damaged ({e}); use an earlier copy") from None
    return tensors, meta


_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8,
           "U32": np.uint32, "F16": np.float16, "I8": np.int8}


def _mapped(path: Path) -> dict[str, np.ndarray]:
    """Read-only numpy memmaps of every tensor in a safetensors file (no copy, pages load on use)."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size).decode("utf-8"))
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]])
        shape = tuple(info["shape"])
        if end - start != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"tensor {name} has the wrong size")
        out[name] = np.memmap(path, dtype=dtype, mode="r", offset=8 + size + start, shape=shape)
    return out


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

    def __init__(self, path: str | os.PathLike, every: float, identity: dict):
        self.path = Path(path)
        self.every = float(every)
        self.identity = identity  # config and vocabulary fingerprint: what a resume must match
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
        save_state(self.path, kind, tensors, {"identity": self.identity, "state": state})
        self.last = time.monotonic()
        self.saves += 1
        self.seconds += self.last - t0


class Stopped(Exception):
    """Training stopped after writing a checkpoint because it was asked to (SIGTERM)."""

    def __init__(self, path: Path):
        super().__init__(f"stopped; state saved to {path}: resume with the same command and --resume")
        self.path = path


def rng_to_array(state: bytes | np.ndarray) -> np.ndarray:
    return np.frombuffer(bytes(state), dtype=np.uint8).copy()


__all__ = ["save_state", "load_state", "read_header", "fingerprint", "Checkpointer", "Stopped", "rng_to_array"]
