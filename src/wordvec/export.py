"""Moving vectors in and out of wordvec: word2vec C text/binary, safetensors, TensorBoard projector files.

Every writer goes to a temporary name in the target folder and is renamed into place, so an error (full disk,
bad word, Ctrl-C) never leaves a half-written file under the real name. Every reader reports malformed input
as one WordvecError naming the file and the line (text) or entry (binary).

safetensors layout: one tensor `vectors` (V, E) float32; the words (and counts, if known) are stored as JSON in
the file's metadata (`wordvec.index_to_key`, `wordvec.counts`), so one file is a complete, loadable export.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import WordvecError
from .files import atomic_open
from .vectors import KeyedVectors

FORMATS = ("word2vec-text", "word2vec-binary", "safetensors", "projector")
_WS = re.compile(r"\s")


# ------------------------------------------------------------------------------------------------- writing


def _check_keys(index_to_key: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
        raise WordvecError(f"need one vector per word: {len(index_to_key)} words, vectors of shape {vectors.shape}")
    joined = "\x00".join(index_to_key)
    if _WS.search(joined) or "" in index_to_key:
        bad = next(k for k in index_to_key if not k or _WS.search(k))
        raise WordvecError(f"the word2vec format cannot hold the word {bad!r} (empty or containing whitespace)")
    return vectors


def save_word2vec_format(path: str | os.PathLike, index_to_key: Sequence[str], vectors: np.ndarray,
                         binary: bool = False) -> Path:
    """word2vec.c's format: header `V E`, then per word `word v1 ... vE` (text) or `word ` + E float32 LE + `\\n`.

    Text values use %.9g, which round-trips float32 exactly.
    """
    vectors = _check_keys(index_to_key, vectors)
    n, dim = vectors.shape
    path = Path(path)
    with atomic_open(path, "wb") as f:
        f.write(f"{n} {dim}\n".encode())
        if binary:
            rows = vectors.astype("<f4", copy=False)
            for key, row in zip(index_to_key, rows):
                f.write(key.encode("utf-8") + b" " + row.tobytes() + b"\n")
        else:
            fmt = " ".join(["%.9g"] * dim)
            step = 4096
            for a in range(0, n, step):
                block = vectors[a:a + step].tolist()
                lines = [f"{k} {fmt % tuple(r)}\n" for k, r in zip(index_to_key[a:a + step], block)]
                f.write("".join(lines).encode("utf-8"))
    return path


def save_safetensors(path: str | os.PathLike, kv: KeyedVectors) -> Path:
    """Tensor `vectors` plus the vocabulary (and counts) as JSON metadata: one self-contained file."""
    from safetensors.numpy import save

    meta = {"wordvec.index_to_key": json.dumps(kv.index_to_key, ensure_ascii=False),
            "wordvec.format": "1"}
    if kv.counts is not None:
        meta["wordvec.counts"] = json.dumps(kv.counts.tolist())
    if kv.tokenizer:
        meta["wordvec.tokenizer"] = kv.tokenizer
    data = save({"vectors": np.ascontiguousarray(kv.vectors, dtype=np.float32)}, metadata=meta)
    path = Path(path)
    with atomic_open(path, "wb") as f:
        f.write(data)
    return path


def load_safetensors(path: str | os.PathLike) -> KeyedVectors:
    """Read a file written by `save_safetensors`."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            if "vectors" not in f.keys() or "wordvec.index_to_key" not in meta:
                raise WordvecError(f"{path}: not a wordvec safetensors export (needs tensor 'vectors' and "
                                   f"metadata 'wordvec.index_to_key')")
            vectors = f.get_tensor("vectors")
    except (SafetensorError, OSError) as e:
        raise WordvecError(f"{path}: cannot read safetensors file ({e})") from None
    keys = json.loads(meta["wordvec.index_to_key"])
    counts = np.asarray(json.loads(meta["wordvec.counts"])) if "wordvec.counts" in meta else None
    return KeyedVectors(keys, vectors, counts, meta.get("wordvec.tokenizer"))


def save_projector(out_dir: str | os.PathLike, kv: KeyedVectors, limit: int | None = None) -> Path:
    """TensorBoard projector files: vectors.tsv, metadata.tsv (word, count) and projector_config.pbtxt.

    `limit` keeps the most frequent words (by counts when known, else the first rows).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise WordvecError(f"cannot write projector files into {out}: it is a file; --out must be a folder")
    idx = np.arange(len(kv))
    if limit is not None and limit < len(kv):
        idx = (np.argsort(-kv.counts, kind="stable") if kv.counts is not None else idx)[: max(0, limit)]
    vecs = kv.vectors[idx]
    words = [_WS.sub(" ", kv.index_to_key[i]).replace("\t", " ") for i in idx.tolist()]
    with atomic_open(out / "vectors.tsv", "wb") as f:
        np.savetxt(f, vecs, fmt="%.6g", delimiter="\t")
    with atomic_open(out / "metadata.tsv", "wb") as f:
        if kv.counts is not None:  # several columns: the projector wants a header row
            body = "word\tcount\n" + "".join(f"{w}\t{c}\n" for w, c in zip(words, kv.counts[idx].tolist()))
        else:  # a single column: no header
            body = "".join(f"{w}\n" for w in words)
        f.write(body.encode("utf-8"))
    with atomic_open(out / "projector_config.pbtxt", "wb") as f:
        f.write(b'embeddings {\n  tensor_name: "wordvec"\n  tensor_path: "vectors.tsv"\n'
                b'  metadata_path: "metadata.tsv"\n}\n')
    return out


# ------------------------------------------------------------------------------------------------- reading


def _bad(path, where: str, what: str) -> WordvecError:
    return WordvecError(f"{path}: {where}: {what}; is this a word2vec-format file?")


def _header(path, line: bytes) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise _bad(path, "line 1", f"expected a header 'WORDS DIMENSION', got {line[:60]!r}")
    return int(parts[0]), int(parts[1])


def load_word2vec_format(path: str | os.PathLike, binary: bool = False) -> KeyedVectors:
    """Read word2vec C text or binary vectors (ours, word2vec.c's or gensim's) into KeyedVectors."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise WordvecError(f"cannot read {path}: {e.strerror or e}") from None
    nl = data.find(b"\n")
    if nl < 0:
        raise _bad(path, "line 1", "no header line")
    n, dim = _header(path, data[:nl])
    keys, vectors = (_read_binary if binary else _read_text)(path, data, nl + 1, n, dim)
    try:
        return KeyedVectors(keys, vectors)
    except WordvecError as e:
        raise WordvecError(f"{path}: {e}") from None


def _decode(path, raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(path, where, f"the word {raw[:40]!r} is not UTF-8") from None


def _read_text(path, data: bytes, start: int, n: int, dim: int):
    lines = data[start:].split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) != n:
        where = f"line {n + 2}" if len(lines) > n else f"line {len(lines) + 2} (end of file)"
        raise _bad(path, where, f"the header (line 1) says {n} words but the file has {len(lines)} rows")
    keys, blocks = [], []
    step = 8192  # convert in blocks: bounded memory on million-word files
    for a in range(0, n, step):
        flat = []
        for i in range(a, min(a + step, n)):
            parts = lines[i].split()
            if len(parts) != dim + 1:
                raise _bad(path, f"line {i + 2}", f"expected a word and {dim} values (the header's dimension), "
                                                 f"got {len(parts) - 1} values")
            keys.append(_decode(path, parts[0], f"line {i + 2}"))
            flat += parts[1:]
        try:
            blocks.append(np.array(flat, dtype=np.float32).reshape(-1, dim))
        except ValueError:
            for i in range(a, min(a + step, n)):  # only on error: find the offending line
                for tok in lines[i].split()[1:]:
                    try:
                        float(tok)
                    except ValueError:
                        raise _bad(path, f"line {i + 2}",
                                   f"{tok[:30].decode(errors='replace')!r} is not a number") from None
            raise
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, dim), dtype=np.float32)
    return keys, vectors


def _read_binary(path, data: bytes, pos: int, n: int, dim: int):
    width = 4 * dim
    keys, rows = [], []
    size = len(data)
    for i in range(n):
        while pos < size and data[pos] in b"\n\r":  # word2vec.c ends rows with \n, gensim does not
            pos += 1
        sp = data.find(b" ", pos, pos + 1000)
        if sp < 0 or sp + 1 + width > size:
            raise _bad(path, f"entry {i + 1} of {n} (byte {pos})",
                       f"the file is truncated: the header promises {n} words of {dim} float32 values")
        keys.append(_decode(path, data[pos:sp], f"entry {i + 1}"))
        rows.append(data[sp + 1:sp + 1 + width])
        pos = sp + 1 + width
    if data[pos:].strip():
        raise _bad(path, f"byte {pos}", f"data after the {n} words the header announces")
    vectors = np.frombuffer(b"".join(rows), dtype="<f4").reshape(n, dim).astype(np.float32)
    return keys, vectors


# ------------------------------------------------------------------------------------------------- runs


def export_run(run_dir: str | os.PathLike, format: str, out: str | os.PathLike, which: str | None = None,
               limit: int | None = None) -> Path:
    """Write a run's vectors (vectors.txt, or `which` matrix of model.safetensors) in `format` to `out`."""
    if format not in FORMATS:
        raise WordvecError(f"unknown export format {format!r}; use one of {', '.join(FORMATS)}")
    kv = KeyedVectors.load_run(run_dir, which=which)
    if format == "word2vec-text":
        return save_word2vec_format(out, kv.index_to_key, kv.vectors, binary=False)
    if format == "word2vec-binary":
        return save_word2vec_format(out, kv.index_to_key, kv.vectors, binary=True)
    if format == "safetensors":
        return save_safetensors(out, kv)
    return save_projector(out, kv, limit=limit)


__all__ = ["FORMATS", "save_word2vec_format", "load_word2vec_format", "save_safetensors", "load_safetensors",
           "save_projector", "export_run"]
