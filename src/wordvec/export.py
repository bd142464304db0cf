"""Vectors out of wordvec: word2vec C text/binary and safetensors (formats owned by `wordvec.vectors`, beside
KeyedVectors, as in gensim), and TensorBoard projector files (owned here).

Every writer goes to a temporary name in the target folder and is renamed into place, so an error (full disk,
bad word, Ctrl-C) never leaves a half-written file under the real name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from .errors import WordvecError
from .files import atomic_open
from .vectors import KeyedVectors

FORMATS = ("word2vec-text", "word2vec-binary", "safetensors", "projector", "fasttext-vec", "fasttext-bin")
_WS = re.compile(r"\s")


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


def export_vectors(kv: KeyedVectors, format: str, out: str | os.PathLike, limit: int | None = None) -> Path:
    """Write `kv` (only its `limit` most frequent words, when given) in `format` to `out`."""
    if format not in FORMATS:
        raise WordvecError(f"unknown export format {format!r}; use one of {', '.join(FORMATS)}")
    if format == "fasttext-bin":  # before anything is written
        raise WordvecError("--format fasttext-bin needs a subword (fastText) model with n-gram vectors, and this run "
                           "is word2vec; use --format fasttext-vec (fastText's .vec text file) instead")
    if limit is not None:
        if limit < 1:
            raise WordvecError(f"--limit must be at least 1, got {limit}")
        rows = kv.most_frequent(limit)
        kv = KeyedVectors([kv.index_to_key[i] for i in rows.tolist()], kv.vectors[rows],
                          None if kv.counts is None else kv.counts[rows], kv.tokenizer)
    if format in ("word2vec-text", "word2vec-binary", "fasttext-vec"):  # a .vec is word2vec's text format
        return kv.save_word2vec_format(out, binary=format == "word2vec-binary", sort_attr=None)
    if format == "safetensors":
        return kv.save(out)
    return save_projector(out, kv)


__all__ = ["FORMATS", "save_projector", "export_vectors"]
