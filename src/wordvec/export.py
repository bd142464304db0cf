"""Moving a run's vectors out of wordvec: word2vec C text/binary, safetensors, TensorBoard projector files.

The word2vec format and the safetensors layout belong to `wordvec.vectors` (beside KeyedVectors, as in gensim);
`save_word2vec_format` / `load_word2vec_format` are re-exported here for existing callers. Every writer goes
to a temporary name in the target folder and is renamed into place, so an error (full disk, bad word, Ctrl-C)
never leaves a half-written file under the real name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from .errors import WordvecError
from .files import atomic_open
from .vectors import KeyedVectors, load_word2vec_format, save_word2vec_format

FORMATS = ("word2vec-text", "word2vec-binary", "safetensors", "projector")
_WS = re.compile(r"\s")


def save_safetensors(path: str | os.PathLike, kv: KeyedVectors) -> Path:
    """One self-contained file: `KeyedVectors.save`'s layout (vectors, keys, counts, tokenizer)."""
    return kv.save(path)


def load_safetensors(path: str | os.PathLike) -> KeyedVectors:
    """Read a file written by `save_safetensors` / `KeyedVectors.save` (or by wordvec's earlier export)."""
    return KeyedVectors.load(path)


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
