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


PROJECTOR_CONFIG = "projector_config.pbtxt"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


def save_projector(out_dir: str | os.PathLike, kv: KeyedVectors, limit: int | None = None, name: str = "wordvec",
                   overwrite: bool = False) -> Path:
    """TensorBoard projector files in a log folder, laid out as TensorBoard reads them: `OUT/NAME/vectors.tsv`
    and `OUT/NAME/metadata.tsv` (word, count), and one `embeddings` entry for NAME in `OUT/projector_config.pbtxt`,
    with paths relative to it. TensorBoard reads that file only at the log folder's root (or in a folder holding a
    run's event files), so several exports sit side by side under one `--logdir`, each its own entry. An export
    whose name is taken is refused, unless `overwrite` (which replaces that export alone). Returns OUT/NAME.

    `limit` keeps the most frequent words (by counts when known, else the first rows).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise WordvecError(f"cannot write projector files into {out}: it is a file; --out must be a folder (the "
                           f"TensorBoard log folder)")
    if not _NAME.match(name) or name in (".", ".."):
        raise WordvecError(f"projector name {name!r} must be one folder name (letters, digits, '_', '.', '+', '-'); "
                           f"pass --name NAME")
    config_path = out / PROJECTOR_CONFIG
    try:
        text = config_path.read_text(encoding="utf-8") if config_path.is_file() else ""
    except (OSError, UnicodeDecodeError) as e:
        raise WordvecError(f"cannot read {config_path} ({e}); choose another --out") from None
    blocks = _embedding_blocks(text, config_path)
    sub = out / name
    taken = name in (b[2] for b in blocks) or (sub.exists() and (not sub.is_dir() or _has_projector_files(sub)))
    if taken and not overwrite:
        raise WordvecError(f"{out} already holds a projector export named {name!r}; pass --name OTHER to keep both, "
                           f"or --overwrite to replace it")
    if sub.exists() and not sub.is_dir():
        raise WordvecError(f"{sub} is a file; pass --name OTHER")
    idx = np.arange(len(kv))
    if limit is not None and limit < len(kv):
        idx = (np.argsort(-kv.counts, kind="stable") if kv.counts is not None else idx)[: max(0, limit)]
    vecs = kv.vectors[idx]
    words = [_WS.sub(" ", kv.index_to_key[i]).replace("\t", " ") for i in idx.tolist()]
    try:
        sub.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WordvecError(f"cannot create {sub} ({e.strerror}); choose a writable --out") from None
    with atomic_open(sub / "vectors.tsv", "wb") as f:
        np.savetxt(f, vecs, fmt="%.6g", delimiter="\t")
    with atomic_open(sub / "metadata.tsv", "wb") as f:
        if kv.counts is not None:  # several columns: the projector wants a header row
            body = "word\tcount\n" + "".join(f"{w}\t{c}\n" for w, c in zip(words, kv.counts[idx].tolist()))
        else:  # a single column: no header
            body = "".join(f"{w}\n" for w in words)
        f.write(body.encode("utf-8"))
    kept = "".join(text[a:b] + "\n" for a, b, n in blocks if n != name)
    others = _without_blocks(text, blocks).strip()
    entry = (f'embeddings {{\n  tensor_name: "{name}"\n  tensor_path: "{name}/vectors.tsv"\n'
             f'  metadata_path: "{name}/metadata.tsv"\n}}\n')
    with atomic_open(config_path, "wb") as f:
        f.write(((others + "\n" if others else "") + kept + entry).encode("utf-8"))
    return sub


def _has_projector_files(folder: Path) -> bool:
    return any((folder / f).exists() for f in ("vectors.tsv", "metadata.tsv"))


def _embedding_blocks(text: str, where: Path) -> list[tuple[int, int, str | None]]:
    """(start, end, tensor_name) of each top-level `embeddings { ... }` block of a projector config (protobuf text
    format; strings may hold braces)."""
    blocks, depth, i, start = [], 0, 0, None
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "#":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        if c == "{":
            if depth == 0:
                m = re.search(r"(\w+)\s*:?\s*$", text[:i])
                start = m.start(1) if m and m.group(1) == "embeddings" else None
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                break
            if depth == 0 and start is not None:
                body = text[start:i + 1]
                m = re.search(r'^\s*tensor_name\s*:\s*"((?:[^"\\]|\\.)*)"', body[body.index("{") + 1:], re.M)
                blocks.append((start, i + 1, m.group(1) if m else None))
                start = None
        i += 1
    if depth != 0:
        raise WordvecError(f"{where} is not a projector config wordvec can add to (unbalanced braces); move it away "
                           f"or choose another --out")
    return blocks


def _without_blocks(text: str, blocks) -> str:
    out, at = [], 0
    for a, b, _ in blocks:
        out.append(text[at:a])
        at = b
    out.append(text[at:])
    return "".join(out)


# ------------------------------------------------------------------------------------------------- runs


def export_vectors(kv: KeyedVectors, format: str, out: str | os.PathLike, limit: int | None = None,
                   name: str = "wordvec", overwrite: bool = False) -> Path:
    """Write `kv` (only its `limit` most frequent words, when given) in `format` to `out`; a projector export goes
    into the log folder `out` under `name` (`save_projector`)."""
    if format not in FORMATS:
        raise WordvecError(f"unknown export format {format!r}; use one of {', '.join(FORMATS)}")
    if format == "fasttext-bin":  # before anything is written
        raise WordvecError("--format fasttext-bin needs a subword (fastText) model with n-gram vectors, and these "
                           "vectors are word2vec's; use --format fasttext-vec (fastText's .vec text file) instead")
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
    return save_projector(out, kv, name=name, overwrite=overwrite)


__all__ = ["FORMATS", "PROJECTOR_CONFIG", "save_projector", "export_vectors"]
