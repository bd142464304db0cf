"""Trained word vectors you can query, and the word2vec file format: gensim's `KeyedVectors`, without torch.

`KeyedVectors` follows gensim 4 (names, argument order, return types, which query words are excluded); where
wordvec differs it says so in the method's docstring. Similarity queries read a cached float32 matrix of unit
vectors and run on numpy's BLAS. On big vocabularies (>= FAST_MIN_ROWS rows) `most_similar` first scores every
word against an int8 copy of that matrix (a quarter of the memory traffic, which is what bounds a 1M x 300 scan),
rescores the best few hundred exactly and checks a proven error bound, falling back to the exact scan when the
bound cannot prove the top-k: the results are always those of the exact float32 scan. That int8 kernel is
torch's, so torch is imported then, and only then, if it is installed.

The word2vec format (word2vec.c's text and binary files) is read and written by `wordvec.w2vformat`, which deals in
arrays; `load_word2vec_format` / `save_word2vec_format` build KeyedVectors from them. The error classes live in
`wordvec.errors` and are importable from here as before.

`KeyedVectors.save(path)` writes one safetensors file; `load(path, mmap='r')` maps its vectors read-only.
Layout (a file any safetensors reader opens; loading parses JSON and copies numbers, it never runs code):

    vectors        (V, D) float32/float16/float64   first in the data area, so it is 8-byte aligned
    keys.utf8      (B,) uint8                       every key's UTF-8 bytes, concatenated
    keys.offsets   (V + 1,) int64                   key i is keys.utf8[offsets[i]:offsets[i + 1]]
    attr.NAME      (V,) numeric                     per-key attributes (gensim's vecattrs), e.g. attr.count
    __metadata__   {"wordvec": JSON {"format": "wordvec-state", "version": 1, "kind": "keyedvectors",
                                     "tokenizer": "lab" | "simple" | null, "crc32": {tensor: CRC-32}}}

Integer keys are stored as `keys.int` (V,) int64 instead of the two `keys.*` tensors. The metadata follows the
convention of wordvec's other state files (one JSON string under the key "wordvec" naming format, version and
kind), so a Word2Vec model file can hold these tensors beside its own (output weights under other names) with
its own "kind". The keys are tensors, not JSON, so a 3M-word vocabulary stays far below safetensors' header limit.
"""

from __future__ import annotations

import codecs
import difflib
import importlib.util
import logging
import math
import os
import warnings
from array import array
from numbers import Integral, Real
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .errors import (EmptyWordListError, MissingDependencyError, TruncatedFileError, UnknownAttributeError,
                     UnknownWordError, UnsupportedError, VectorFileError, WordDecodeError, WordvecError, require)
from .files import read_json
from .state import (KIND_READERS, file_kind, keys_from_tensors, keys_to_tensors, load_tensors, parse_header,
                    save_state, verify_checksums)
from .w2vformat import read_word2vec, write_word2vec

logger = logging.getLogger("wordvec")

_VECTOR_CHOICES = ("input", "output", "mean")


# ------------------------------------------------------------------------------------------------- helpers


def _refuse_other_kind(fname) -> None:
    """A fastText .bin or a wordvec safetensors file given to the word2vec reader: the reader it needs instead (the
    word2vec reader alone would only say its first line is not a header)."""
    if isinstance(fname, (str, os.PathLike)) and Path(fname).is_file():
        kind = file_kind(fname)
        if kind in ("fasttext", "safetensors"):
            raise VectorFileError(f"{fname} is not a word2vec-format file: {KIND_READERS[kind]}")


def _is_key(x) -> bool:
    """gensim's key types: str and int (an int that is not a key is read as an index)."""
    return isinstance(x, (str, Integral)) and not isinstance(x, bool)


def _as_vector(x) -> np.ndarray | None:
    """An array-like query item (numpy, torch via __array__, list of numbers) as a float32 array, else None."""
    if isinstance(x, np.ndarray):
        return x.astype(np.float32, copy=False)
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu()
    if hasattr(x, "__array__"):
        return np.asarray(x, dtype=np.float32)
    return None


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first; equal scores in row order (the lower index, i.e. the more
    frequent word of a frequency-sorted vocabulary, first). The one top-k routine for neighbours: most_similar,
    most_similar_cosmul, and through them the report's, the map's and the explorer's neighbours."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    idx = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
    return idx[np.lexsort((idx, -scores[idx]))]


def _unit_rows(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row norms, float32 unit rows); zero rows stay zero. In chunks, so temporaries stay small."""
    n = v.shape[0]
    norms = np.empty(n, dtype=np.float32)
    normed = np.empty(v.shape, dtype=np.float32)
    step = 1 << 16
    for a in range(0, n, step):
        block = np.asarray(v[a:a + step], dtype=np.float32)
        nb = np.sqrt(np.einsum("ij,ij->i", block, block, dtype=np.float64))  # float32 squares overflow past 1e19
        with np.errstate(over="ignore"):
            norms[a:a + step] = nb
        np.divide(block, np.maximum(nb, 1e-30)[:, None], out=normed[a:a + step], casting="same_kind")
    return norms, normed


def cosine_similarities(vector_1, vectors_all) -> np.ndarray:
    """Cosine between one vector and each row of a matrix (gensim's `KeyedVectors.cosine_similarities`)."""
    v = np.asarray(vector_1)
    m = np.asarray(vectors_all)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (m @ v) / (np.linalg.norm(m, axis=1) * np.linalg.norm(v))


def pair_similarities(normed: np.ndarray, i1: np.ndarray, i2: np.ndarray) -> np.ndarray:
    """Cosine of each pair (i1[j], i2[j]) of rows of a unit-vector matrix, as float64."""
    return np.einsum("ij,ij->i", normed[i1], normed[i2]).astype(np.float64)


def predict_analogies(normed: np.ndarray, q: np.ndarray, candidates: int | np.ndarray, method: str = "add",
                      canon: np.ndarray | None = None, chunk_cells: int = 1 << 24) -> np.ndarray:
    """Best answer id for each (a, b, c) row of `q` among the candidate rows (an int N: the first N words; or an
    array of row ids), the question words excluded: 3CosAdd (method 'add': argmax cos(x, b - a + c)) or 3CosMul
    ('mul': Levy & Goldberg's product of (1+cos)/2).

    `canon[i]` (optional) maps word i to the id that stands for all its case variants (gensim's
    case-insensitive evaluation): then every variant of a question word is excluded too. Questions are batched
    so the score matrix stays under `chunk_cells`."""
    ids = np.arange(min(int(candidates), len(normed))) if np.ndim(candidates) == 0 else np.asarray(candidates)
    cand = normed[ids]
    keys = (canon if canon is not None else np.arange(len(normed)))[ids]  # what "the same word" means
    out = np.empty(len(q), dtype=np.int64)
    step = max(1, chunk_cells // max(len(ids), 1))
    for s in range(0, len(q), step):  # chunks of questions, each one matrix product over the candidates
        qq = q[s:s + step]
        if method == "add":
            scores = (normed[qq[:, 1]] - normed[qq[:, 0]] + normed[qq[:, 2]]) @ cand.T
        else:
            sa, sb, sc = ((1 + normed[qq[:, j]] @ cand.T) / 2 for j in range(3))
            scores = sb * sc / (sa + 1e-6)
        cq = (canon[qq[:, :3]] if canon is not None else qq[:, :3])
        bad = (keys[None, :] == cq[:, :1]) | (keys[None, :] == cq[:, 1:2]) | (keys[None, :] == cq[:, 2:3])
        scores[bad] = -np.inf
        out[s:s + step] = ids[scores.argmax(axis=1)]
    return out


def predict_3cosadd(normed: np.ndarray, q: np.ndarray, candidates: int | np.ndarray, chunk_cells: int = 1 << 24
                    ) -> np.ndarray:
    """argmax cos(x, b - a + c) over the candidate rows, a, b, c excluded, for each row (a, b, c) of `q`."""
    return predict_analogies(normed, q, candidates, "add", chunk_cells=chunk_cells)


def _open_text(path, encoding: str = "utf8"):
    """An evaluation file opened for reading, or one line naming what is wrong with it."""
    path = Path(path)
    try:
        codecs.lookup(encoding)
        return open(path, encoding=encoding)
    except FileNotFoundError:
        raise WordvecError(f"evaluation file {path} does not exist; check the path") from None
    except IsADirectoryError:
        raise WordvecError(f"evaluation file {path} is a folder; give a file") from None
    except LookupError:
        raise WordvecError(f"unknown encoding {encoding!r}; give one Python knows, e.g. 'utf8'") from None
    except OSError as e:
        raise WordvecError(f"cannot read evaluation file {path} ({e.strerror or e})") from None


def _numbered_lines(path, encoding: str = "utf8") -> Iterable[tuple[int, str]]:
    """(line number, line) of a text file, streamed; undecodable bytes are one line naming the fix."""
    with _open_text(path, encoding) as f:
        try:
            yield from enumerate(f, 1)
        except UnicodeDecodeError as e:
            name = "UTF-8" if encoding.replace("-", "").lower() == "utf8" else encoding
            raise WordvecError(f"{path} is not valid {name} ({e.reason}); re-save it as {name}") from None


def iter_word_pairs(path, delimiter: str | None = None, encoding: str = "utf8", block: int = 1 << 16
                    ) -> Iterable[tuple[list[str], list[str], np.ndarray]]:
    """Blocks of (words 1, words 2, scores) from a WordSim-353 / SimLex-999 style file (`word1<TAB>word2<TAB>score`,
    `#` comments, blank lines), streamed: memory holds one block, whatever the file's size.

    `delimiter` None splits on a tab when the line has one, else on whitespace."""
    a, b, scores = [], [], []
    seen = False
    for lineno, raw in _numbered_lines(path, encoding):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if delimiter is None:
            cols = line.split("\t") if "\t" in line else line.split()
        else:
            cols = line.split(delimiter)
        if len(cols) != 3:
            sep = "tab" if delimiter in (None, "\t") else repr(delimiter)
            raise WordvecError(f"{path}: line {lineno}: expected 3 {sep}-separated columns (word1, word2, score), "
                               f"found {len(cols)}: {line[:80]!r}")
        try:
            score = float(cols[2])
        except ValueError:
            score = float("nan")
        if not math.isfinite(score):
            raise WordvecError(f"{path}: line {lineno}: score {cols[2].strip()!r} is not a number")
        a.append(cols[0].strip())
        b.append(cols[1].strip())
        scores.append(score)
        if len(scores) >= block:
            yield a, b, np.asarray(scores, dtype=np.float64)
            a, b, scores, seen = [], [], [], True
    if scores:
        yield a, b, np.asarray(scores, dtype=np.float64)
    elif not seen:
        raise WordvecError(f"{path} holds no word pairs (only comments or blank lines)")


def read_word_pairs(path, delimiter: str | None = None, encoding: str = "utf8"
                    ) -> tuple[list[str], list[str], np.ndarray]:
    """The whole of a word-pairs file (`iter_word_pairs` in one block); evaluation streams it instead."""
    a, b, scores = [], [], []
    for x, y, s in iter_word_pairs(path, delimiter, encoding):
        a += x
        b += y
        scores.append(s)
    return a, b, np.concatenate(scores)


def read_analogies(path, encoding: str = "utf8") -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Parse `questions-words.txt`: `: section` headers, then `a b c d` lines (a is to b as c is to d)."""
    sections: list[tuple[str, list]] = []
    for lineno, raw in _numbered_lines(path, encoding):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(":"):
            sections.append((line[1:].strip() or f"section {len(sections) + 1}", []))
            continue
        words = line.split()
        if len(words) != 4:
            raise WordvecError(f"{path}: line {lineno}: an analogy needs 4 words (a b c d), found {len(words)}: "
                               f"{line[:80]!r}")
        if not sections:
            sections.append(("analogies", []))
        sections[-1][1].append(tuple(words))
    if not any(q for _, q in sections):
        raise WordvecError(f"{path} holds no analogy questions")
    return sections


# ------------------------------------------------------------------------------------------------- KeyedVectors


_F32_MAX = float(np.finfo(np.float32).max)  # a larger factor would be stored as inf

class KeyedVectors:
    """Keys (words) and their vectors: row i of `vectors` belongs to `index_to_key[i]`.

    Two constructors, told apart by the first argument:

    * `KeyedVectors(vector_size, count=0, dtype=np.float32)` -- gensim's: an empty set of `vector_size`
      vectors (with `count` empty slots that `add_vector` fills first); add words with `add_vector(s)` or
      `kv[key] = vector`.
    * `KeyedVectors(index_to_key, vectors, counts=None, tokenizer=None)` -- wordvec's: ready-made words and a
      (words, dimension) matrix, stored as float32.

    `counts` (per-word corpus counts, gensim's vecattr 'count') is None when unknown. `tokenizer` ('lab' or
    'simple', as in `wordvec.preprocess.get_tokenizer`) is the preprocessing the vectors were trained with; query
    words go through it, so 'running' finds the stem 'run' of a lab run.
    """

    FAST_MIN_ROWS = 200_000  # below this an exact float32 scan already takes a few ms
    SUGGEST_POOL = 50_000  # unknown-word suggestions come from this many most frequent words

    def __init__(self, *args, **kwargs):
        if (args and isinstance(args[0], Integral) and not isinstance(args[0], bool)) or "vector_size" in kwargs:
            self._init_empty(*args, **kwargs)
        else:
            self._init_from(*args, **kwargs)

    def _init_empty(self, vector_size: int, count: int = 0, dtype=np.float32, counts=None,
                    tokenizer: str | None = None) -> None:
        """gensim's form."""
        if int(vector_size) < 1 or not isinstance(count, Integral) or int(count) < 0:
            raise WordvecError(f"KeyedVectors(vector_size, count): need vector_size >= 1 and count >= 0, got "
                               f"{vector_size!r}, {count!r}")
        self._init_from([None] * int(count), np.zeros((int(count), int(vector_size)), dtype=dtype), counts,
                        tokenizer, dtype=dtype)

    def _init_from(self, index_to_key: Sequence, vectors, counts=None, tokenizer: str | None = None,
                   dtype=np.float32) -> None:
        """wordvec's form."""
        keys = list(index_to_key)
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise WordvecError(f"vectors must be a (words, dimension) matrix with one row per word; got shape "
                               f"{vectors.shape} for {len(keys)} words")
        self._set_keys(keys)
        self.vectors: np.ndarray = np.ascontiguousarray(vectors, dtype=dtype)
        self.next_index = 0  # the next empty slot add_vector fills (gensim's name)
        self.expandos: dict[str, np.ndarray] = {}
        # gensim's per-word factor on training updates (0: frozen); one value stands for every word
        self.vectors_lockf: np.ndarray = np.ones(1, dtype=np.float32)
        self.counts = counts
        self.tokenizer = tokenizer
        self._tokenize = None
        if tokenizer is not None:
            from .preprocess import get_tokenizer

            try:
                self._tokenize = get_tokenizer(tokenizer)
            except ValueError as e:
                raise WordvecError(str(e)) from None
        self._invalidate()

    def _set_keys(self, keys: list) -> None:
        self.index_to_key: list = keys
        self.key_to_index: dict = {k: i for i, k in enumerate(keys) if k is not None}
        if len(self.key_to_index) != sum(k is not None for k in keys):
            seen: set = set()
            dup = next(k for k in keys if k is not None and (k in seen or seen.add(k)))
            raise WordvecError(f"word {dup!r} appears more than once; each word needs exactly one vector")

    def _invalidate(self) -> None:
        """Drop every cache derived from the vectors (call after changing them in place)."""
        self.norms: np.ndarray | None = None
        self._normed: np.ndarray | None = None
        self._int8 = None
        self._fast_ok = True
        self._pool: tuple[np.ndarray, np.ndarray] | None = None

    # --- basics -----------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words x {self.vector_size})"

    @property
    def vector_size(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def counts(self) -> np.ndarray | None:
        """Corpus count per word (the vecattr 'count'), or None when unknown."""
        return self.expandos.get("count")

    @counts.setter
    def counts(self, value) -> None:
        if value is None:
            self.expandos.pop("count", None)
            return
        value = np.asarray(value, dtype=np.int64)
        if value.shape != (len(self),):
            raise WordvecError(f"counts must have one entry per word ({len(self)}), got shape {value.shape}")
        self.expandos["count"] = value
        self._pool = None

    def __contains__(self, key) -> bool:
        return self.has_index_for(key)

    def has_index_for(self, key) -> bool:
        """Can this key (or an int index) be looked up? (gensim's semantics, plus the run's tokenizer)"""
        return self.get_index(key, -1) >= 0

    def _lookup(self, key) -> int | None:
        """Index of a key: the key itself, else (words) its single token under the run's tokenizer."""
        try:
            i = self.key_to_index.get(key)
        except TypeError:  # unhashable
            return None
        if i is None and self._tokenize is not None and isinstance(key, str):
            toks = self._tokenize(key)
            if len(toks) == 1:
                i = self.key_to_index.get(toks[0])
        return i

    def get_index(self, key, default: int | None = None) -> int:
        """Row of `key`; an int that is not a key is taken as a row number (gensim); else `default` or KeyError."""
        i = self._lookup(key) if _is_key(key) else None
        if i is None and isinstance(key, Integral) and not isinstance(key, bool) and 0 <= key < len(self):
            i = int(key)
        if i is not None:
            return i
        if default is not None:
            return default
        raise UnknownWordError(self._unknown_message(key))

    def most_frequent(self, n: int) -> np.ndarray:
        """Row ids of the `n` most frequent words (by counts, ties in row order; without counts, the first rows)."""
        n = max(0, min(int(n), len(self)))
        if self.counts is None:
            return np.arange(n)
        return np.argsort(-self.counts, kind="stable")[:n]

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        i = self.get_index(key)
        return self.get_normed_vectors()[i] if norm else self.vectors[i]

    def __getitem__(self, key_or_keys):
        if _is_key(key_or_keys):
            return self.get_vector(key_or_keys)
        return self.vectors[[self.get_index(k) for k in key_or_keys]]

    def __setitem__(self, keys, weights) -> None:
        """`kv[key] = vector` / `kv[[k1, k2]] = matrix`: add, or replace existing vectors (gensim)."""
        if _is_key(keys):
            keys, weights = [keys], np.asarray(weights)[None, :] if np.ndim(weights) == 1 else weights
        self.add_vectors(keys, weights, replace=True)

    # --- adding vectors and attributes ------------------------------------------------------------------------
    def _rows(self, weights, n: int) -> np.ndarray:
        w = np.asarray(weights, dtype=self.vectors.dtype)
        if w.ndim == 1 and n == 1:
            w = w[None, :]
        if w.shape != (n, self.vector_size):
            raise WordvecError(f"expected {n} vector(s) of size {self.vector_size}, got shape {w.shape}")
        return w

    def add_vector(self, key, vector) -> int:
        """Add one vector (into the next empty slot if the constructor reserved some); returns its row.

        A key already present keeps its old vector and its row is returned (gensim: use `kv[key] = v` to
        replace)."""
        row = self._rows(vector, 1)[0]
        if key in self.key_to_index:
            return self.key_to_index[key]
        while self.next_index < len(self) and self.index_to_key[self.next_index] is not None:
            self.next_index += 1
        if self.next_index < len(self):
            i = self.next_index
            self.index_to_key[i] = key
            self.key_to_index[key] = i
            self.vectors[i] = row
            self.next_index += 1
            self._invalidate()
            return i
        self.add_vectors([key], row[None, :])
        return len(self) - 1

    def add_vectors(self, keys, weights, extras: dict | None = None, replace: bool = False) -> None:
        """Append new keys with their vectors; keys already present keep their vectors unless `replace`.

        `extras` maps an attribute name (e.g. 'count') to one value per key."""
        if _is_key(keys):
            keys = [keys]
        keys = list(keys)
        w = self._rows(weights, len(keys))
        if len(set(keys)) != len(keys):
            dup = next(k for i, k in enumerate(keys) if k in keys[:i])
            raise WordvecError(f"key {dup!r} appears more than once in the keys to add")
        old = np.array([k in self.key_to_index for k in keys], dtype=bool)
        if replace and old.any():
            self.vectors[[self.key_to_index[k] for k, o in zip(keys, old) if o]] = w[old]
        new = [k for k, o in zip(keys, old) if not o]
        start = len(self)
        if new:
            self.vectors = np.concatenate([self.vectors, w[~old]])
            self.index_to_key.extend(new)
            self.key_to_index.update((k, start + j) for j, k in enumerate(new))
            for name, arr in self.expandos.items():
                self.expandos[name] = np.concatenate([arr, np.zeros(len(new), dtype=arr.dtype)])
        for name, values in (extras or {}).items():
            values = list(values)
            if len(values) != len(keys):
                raise WordvecError(f"extras[{name!r}] has {len(values)} values for {len(keys)} keys")
            for k, o, v in zip(keys, old, values):
                if replace or not o:
                    self.set_vecattr(k, name, v)
        self._invalidate()

    def get_vecattr(self, key, attr: str):
        """The attribute `attr` ('count', ...) of `key`."""
        if attr not in self.expandos:
            raise UnknownAttributeError(f"these vectors have no {attr!r} attribute (known: "
                                        f"{', '.join(self.expandos) or 'none'}); set it with set_vecattr")
        return self.expandos[attr][self.get_index(key)]

    def set_vecattr(self, key, attr: str, val) -> None:
        """Set the attribute `attr` of `key`, creating the attribute (zeros elsewhere) if needed."""
        i = self.get_index(key)
        if attr not in self.expandos:
            dtype = np.int64 if isinstance(val, (Integral, np.integer)) else \
                np.float64 if isinstance(val, Real) else object
            self.expandos[attr] = np.zeros(len(self), dtype=dtype)
        self.expandos[attr][i] = val
        if attr == "count":
            self._pool = None

    def sort_by_descending_frequency(self) -> None:
        """Reorder keys, vectors and attributes so the most frequent words come first (ties keep their order)."""
        if self.counts is None:
            raise UnknownAttributeError("these vectors have no counts to sort by (vecattr 'count'); "
                                        "set them with set_vecattr(key, 'count', n) or load them with fvocab=")
        order = np.argsort(-self.counts, kind="stable")
        self.vectors = self.vectors[order]
        self._set_keys([self.index_to_key[i] for i in order.tolist()])
        self.expandos = {k: v[order] for k, v in self.expandos.items()}
        self._invalidate()

    # --- unknown words ----------------------------------------------------------------------------------------
    def _unknown_message(self, word) -> str:
        if not isinstance(word, str):
            if isinstance(word, Integral):
                return f"key {word!r} is not in the vocabulary and not a row number (0..{len(self) - 1})"
            return f"query items must be words (str) or vectors, got {type(word).__name__}"
        shown = word
        if self._tokenize is not None:
            toks = self._tokenize(word)
            if toks != [word]:
                shown = f"{word!r} (preprocessed: {' '.join(toks) or 'nothing'})"
        if not word.strip():
            return "empty query word"
        close = self.suggest(word)
        hint = f"; did you mean: {', '.join(close)}?" if close else "; no close spelling in the vocabulary"
        return f"{shown if shown != word else repr(word)} is not in the vocabulary ({len(self)} words){hint}"

    def suggest(self, word: str, n: int = 5) -> list[str]:
        """Close spellings among the most frequent words of similar length (fast on a 1M-word vocabulary)."""
        if self._pool is None:
            order = (np.argsort(-self.counts, kind="stable") if self.counts is not None
                     else np.arange(len(self)))[: self.SUGGEST_POOL]
            order = np.array([i for i in order.tolist() if isinstance(self.index_to_key[i], str)], dtype=np.int64)
            lengths = np.fromiter((len(self.index_to_key[i]) for i in order), dtype=np.int64, count=len(order))
            self._pool = (order, lengths)
        order, lengths = self._pool
        queries = [word]
        if self._tokenize is not None:
            queries += [t for t in self._tokenize(word) if t != word]
        found: list[str] = []
        for q in queries:
            near = order[np.abs(lengths - len(q)) <= max(2, len(q) // 3)]
            cands = [self.index_to_key[i] for i in near.tolist()]
            found += [c for c in difflib.get_close_matches(q, cands, n=n, cutoff=0.6) if c not in found]
        return found[:n]

    # --- normalised vectors -----------------------------------------------------------------------------------
    def fill_norms(self, force: bool = False) -> None:
        """Cache row norms and float32 unit vectors (zero rows stay zero); every similarity query reads them.

        After changing `vectors` in place, call `fill_norms(force=True)`."""
        if self._normed is not None and not force:
            return
        self.norms, self._normed = _unit_rows(self.vectors)
        self._int8 = None

    def get_normed_vectors(self) -> np.ndarray:
        """All vectors scaled to unit length, float32 (zero vectors stay zero; gensim gives NaN rows)."""
        self.fill_norms()
        return self._normed

    def unit_normalize_all(self) -> None:
        """Scale every vector to unit length, in place (no more training after this)."""
        self.fill_norms()
        self.vectors = self._normed.astype(self.vectors.dtype, copy=True)
        self.norms = np.ones(len(self), dtype=np.float32)

    # --- query vectors ----------------------------------------------------------------------------------------
    @staticmethod
    def _items(x) -> list:
        """gensim's forms of a positive/negative argument as a list: one key, one vector, rows of a 2-D array,
        or a list of keys / vectors / (key or vector, weight) tuples."""
        if x is None:
            return []
        if _is_key(x):
            return [x]
        v = _as_vector(x) if not isinstance(x, (list, tuple)) else None
        if v is not None:
            return [v] if v.ndim == 1 else list(v)
        out = []
        for item in x:
            v = _as_vector(item) if not (_is_key(item) or isinstance(item, tuple)) else None
            out += list(v) if v is not None and v.ndim == 2 else [item]
        return out

    def _weighted(self, items: list, default_weight: float) -> list[tuple]:
        """[(key or vector, weight)]: a tuple's weight is taken as given (gensim), else `default_weight`."""
        out = []
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Real) and not isinstance(
                    item[1], bool):
                out.append((item[0], float(item[1])))
            else:
                out.append((item, default_weight))
        return out

    def _mean(self, terms: list[tuple], pre_normalize: bool, ignore_missing: bool, exclude: list | None = None
              ) -> np.ndarray | None:
        """sum(w_i v_i) / sum(|w_i|) over keys (unit vectors when pre_normalize) and raw vectors; None if empty.

        Appends the rows of the keys used to `exclude` (vectors are not excluded from results: gensim)."""
        total = np.zeros(self.vector_size, dtype=np.float64)
        weight = 0.0
        for item, w in terms:
            vec = _as_vector(item) if not _is_key(item) else None
            if vec is None:
                if not _is_key(item):
                    raise UnknownWordError(self._unknown_message(item))
                i = self.get_index(item, -1)
                if i < 0:
                    if ignore_missing:
                        continue
                    self.get_index(item)  # raises with suggestions
                vec = self.get_normed_vectors()[i] if pre_normalize else self.vectors[i]
                if exclude is not None:
                    exclude.append(i)
            elif vec.shape != (self.vector_size,):
                raise WordvecError(f"query vectors must have shape ({self.vector_size},), got {vec.shape}")
            total += w * np.asarray(vec, dtype=np.float64)
            weight += abs(w)
        return None if weight == 0 else total / weight

    def get_mean_vector(self, keys, weights=None, pre_normalize: bool = True, post_normalize: bool = False,
                        ignore_missing: bool = True) -> np.ndarray:
        """Weighted mean sum(w_i v_i) / sum(|w_i|) of the keys' vectors (unit vectors when `pre_normalize`) and
        of any vectors given directly; unknown keys are skipped unless `ignore_missing=False` (then KeyError).
        No known key at all gives the zero vector."""
        items = self._items(keys)
        if not items:
            raise WordvecError("cannot compute mean with no input")
        if weights is None:
            weights = np.ones(len(items))
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if len(weights) != len(items):
            raise WordvecError(f"keys and weights must have the same length ({len(items)} keys, "
                               f"{len(weights)} weights)")
        mean = self._mean(list(zip(items, weights.tolist())), pre_normalize, ignore_missing)
        if mean is None:
            return np.zeros(self.vector_size, dtype=np.float32)
        if post_normalize:
            mean = mean / max(np.linalg.norm(mean), 1e-30)
        return mean.astype(np.float32)

    def _query(self, positive, negative) -> tuple[np.ndarray, list[int]]:
        """The unit query vector of most_similar and the rows of the query keys."""
        terms = self._weighted(self._items(positive), 1.0) + self._weighted(self._items(negative), -1.0)
        if not terms:
            raise WordvecError("cannot compute similarity with no input; give at least one positive or negative "
                               "word")
        used: list[int] = []
        mean = self._mean(terms, pre_normalize=True, ignore_missing=False, exclude=used)
        norm = 0.0 if mean is None else float(np.linalg.norm(mean))
        if norm == 0.0:
            raise WordvecError("the query vector is zero (the words' vectors are zero, or the positive and negative "
                               "words cancel out)")
        return (mean / norm).astype(np.float32), used

    # --- nearest neighbours -----------------------------------------------------------------------------------
    def _result(self, scores: np.ndarray, idx: np.ndarray, topn: int, exclude: Iterable[int]):
        ex = set(exclude)
        out = [(self.index_to_key[i], float(s)) for s, i in zip(scores.tolist(), idx.tolist()) if i not in ex]
        return out[:topn]

    def most_similar(self, positive=None, negative=None, topn: int | None = 10, clip_start: int = 0,
                     clip_end: int | None = None, restrict_vocab: int | None = None, indexer=None):
        """Keys nearest (cosine) to the weighted mean of the unit vectors of `positive` (weight +1) and
        `negative` (-1) keys (3CosAdd): a key, a vector, a 2-D array of vectors, or a list of keys / vectors /
        (key or vector, weight) tuples, as in gensim. Vectors are used as given; the query keys themselves are
        left out of the result, vectors are not.

        `restrict_vocab=N` searches the first N keys (it overrides `clip_start` / `clip_end`, the range
        searched). `topn=None` returns the scores of every key in the range. `indexer` (gensim's approximate
        indexes) is not supported: the exact search is already fast."""
        if indexer is not None:
            raise UnsupportedError("indexer= (approximate nearest-neighbour indexes such as Annoy) is not "
                                   "supported; drop it: most_similar is exact and takes ~15 ms on 1M words")
        if isinstance(topn, Integral) and topn < 1:
            return []
        q, used = self._query(positive, negative)
        normed = self.get_normed_vectors()
        lo, hi = (0, restrict_vocab) if restrict_vocab is not None else (clip_start, clip_end)
        lo, hi, _ = slice(lo, hi).indices(len(self))
        hi = max(lo, hi)
        if topn is None:
            return normed[lo:hi] @ q
        k = min(int(topn) + len(used), hi - lo)
        if k <= 0:
            return []
        if lo == 0 and hi >= self.FAST_MIN_ROWS and self._fast_ok:
            hit = self._fast_topk(q, k, hi)
            if hit is not None:
                return self._result(hit[0], hit[1], topn, used)
        scores = normed[lo:hi] @ q
        idx = top_k(scores, k)
        return self._result(scores[idx], idx + lo, topn, used)

    def _int8_cache(self):
        """Per-row int8 copy of the unit vectors, bf16 scales, and the worst per-element rounding error (torch).

        Rows are zero-padded to a multiple of 64 values: the int8 kernel reads garbage past other widths."""
        if self._int8 is None:
            import torch

            n = torch.from_numpy(self.get_normed_vectors())
            scale = (n.abs().amax(dim=1) / 127.0).clamp_min(1e-12)
            q = torch.zeros((n.shape[0], -(-n.shape[1] // 64) * 64), dtype=torch.int8)
            step = 1 << 16
            for a in range(0, n.shape[0], step):
                q[a:a + step, :n.shape[1]] = torch.round(n[a:a + step] / scale[a:a + step, None]).to(torch.int8)
            self._int8 = (q, scale.to(torch.bfloat16), float(scale.max()) / 2)
        return self._int8

    def _fast_topk(self, q: np.ndarray, k: int, n: int):
        """Exact top-k (scores, rows) of normed[:n] @ q via an int8 pre-scan; None when torch or its int8 kernel
        is missing or the error bound cannot prove the result (then the caller scans exactly)."""
        if importlib.util.find_spec("torch") is None:
            self._fast_ok = False
            return None
        import torch

        try:
            w8, scale, half_step = self._int8_cache()
            qt = torch.from_numpy(np.ascontiguousarray(q, dtype=np.float32))
            qb = torch.zeros(w8.shape[1], dtype=torch.bfloat16)
            qb[:qt.shape[0]] = qt.to(torch.bfloat16)
            coarse = torch._weight_int8pack_mm(qb.unsqueeze(0), w8[:n], scale[:n])[0].float()  # bf16 topk is unreliable
        except (RuntimeError, AttributeError, NotImplementedError):  # op missing on this build/CPU: exact scan
            self._fast_ok = False
            return None
        c = min(n - 1, k + max(k, 256))
        cvals, cand = torch.topk(coarse, c + 1)
        threshold = float(cvals[c])  # best coarse score among the words not rescored
        cand = cand[:c].numpy()
        exact = self._normed[cand] @ q
        order = top_k(exact, k)
        # |coarse - exact| <= weight rounding + query rounding + bf16 scale/output rounding + fp32 summation
        eps = (float(np.abs(q).sum()) * half_step
               + float(torch.linalg.vector_norm(qt - qb[:qt.shape[0]].float())) * 1.05 + 2 * 2.0 ** -8 + 1e-3)
        if not float(exact[order[-1]]) >= threshold + eps:  # written so that a NaN from the kernel falls back
            return None
        return exact[order], cand[order]

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None):
        """3CosMul (Levy & Goldberg): prod((1+cos)/2 of positives) / (prod((1+cos)/2 of negatives) + 1e-6).

        Keys or vectors (vectors as given, not normalised: gensim); query keys are left out of the result.
        `restrict_vocab=N` searches the first N keys, as documented (gensim 4.4 ignores it here)."""
        pos, neg = self._items(positive), self._items(negative)
        if not pos:
            raise WordvecError("cannot compute similarity with no input; most_similar_cosmul needs at least one "
                               "positive word")
        used: list[int] = []
        vecs = []
        for item in pos + neg:
            vecs.append(self._mean([(item, 1.0)], pre_normalize=True, ignore_missing=False, exclude=used))
        n = len(self) if restrict_vocab is None else max(0, min(int(restrict_vocab), len(self)))
        sims = (1 + self.get_normed_vectors()[:n] @ np.asarray(vecs, dtype=np.float32).T) / 2  # (n, terms)
        scores = sims[:, :len(pos)].prod(axis=1) / (sims[:, len(pos):].prod(axis=1) + 1e-6)
        if topn is None:
            return scores
        if topn < 1 or n == 0:
            return []
        idx = top_k(scores, int(topn) + len(used))
        return self._result(scores[idx], idx, topn, used)

    def similar_by_key(self, key, topn: int | None = 10, restrict_vocab: int | None = None):
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similar_by_vector(self, vector, topn: int | None = 10, restrict_vocab: int | None = None):
        return self.most_similar(positive=[np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab)

    # --- pairwise ---------------------------------------------------------------------------------------------
    def similarity(self, w1, w2) -> float:
        """Cosine of the two keys' vectors, in float64: a key is exactly as similar to itself as 1 (gensim's
        float32 arithmetic is off by up to 1e-7), and n_similarity([w1], [w2]) is the same number."""
        return _cosine(self.get_vector(w1), self.get_vector(w2))

    def distance(self, w1, w2) -> float:
        """1 - similarity: exactly 0 for a key and itself."""
        return 1.0 - self.similarity(w1, w2)

    cosine_similarities = staticmethod(cosine_similarities)

    def distances(self, word_or_vector, other_words: Iterable = ()) -> np.ndarray:
        """1 - cosine between a key (or vector) and each of `other_words` (every key when empty)."""
        vec = self.get_vector(word_or_vector) if _is_key(word_or_vector) else np.asarray(word_or_vector)
        other = list(other_words)
        return 1 - cosine_similarities(vec, self[other] if other else self.vectors)

    def closer_than(self, key1, key2) -> list:
        """Keys closer to `key1` than `key2` is, in vocabulary order (`key1` itself left out)."""
        i1 = self.get_index(key1)
        sims = self.get_normed_vectors() @ self.get_normed_vectors()[i1]
        bound = sims[self.get_index(key2)]
        return [self.index_to_key[i] for i in np.flatnonzero(sims > bound).tolist() if i != i1]

    def words_closer_than(self, word1, word2) -> list:
        warnings.warn("words_closer_than is deprecated (as in gensim); use closer_than", DeprecationWarning,
                      stacklevel=2)
        return self.closer_than(word1, word2)

    def rank(self, key1, key2) -> int:
        """1 + the number of keys closer to `key1` than `key2` is."""
        return len(self.closer_than(key1, key2)) + 1

    def relative_cosine_similarity(self, wa, wb, topn: int = 10) -> float:
        """sim(wa, wb) / the sum of wa's `topn` best similarities (Leeuwenberg et al. 2016)."""
        top = self.most_similar(wa, topn=topn)
        return self.similarity(wa, wb) / sum(s for _, s in top)

    def most_similar_to_given(self, key1, keys_list: Sequence):
        """The key of `keys_list` most similar to `key1`."""
        keys_list = list(keys_list)
        normed = self.get_normed_vectors()
        sims = normed[[self.get_index(k) for k in keys_list]] @ normed[self.get_index(key1)]
        return keys_list[int(np.argmax(sims))]

    def n_similarity(self, ws1: Iterable, ws2: Iterable) -> float:
        """Cosine between the means of the raw vectors of two key lists (gensim's definition)."""
        ws1, ws2 = list(ws1), list(ws2)
        if not ws1 or not ws2:
            raise EmptyWordListError("n_similarity: at least one of the passed lists is empty")
        return _cosine(self[ws1].astype(np.float64).mean(axis=0), self[ws2].astype(np.float64).mean(axis=0))

    def doesnt_match(self, words: Iterable):
        """The word farthest (cosine) from the normalised mean of the unit vectors of all of them; unknown words
        are left out with a warning (gensim)."""
        words = list(words)
        idx = [self.get_index(w, -1) if _is_key(w) else -1 for w in words]
        unknown = [w for w, i in zip(words, idx) if i < 0]
        if unknown:
            logger.warning("doesnt_match: vectors for %s are not present in the model, ignoring these words",
                           ", ".join(map(repr, unknown)))
        used = [(w, i) for w, i in zip(words, idx) if i >= 0]
        if not used:
            raise WordvecError("doesnt_match: none of the words is in the vocabulary, so there is nothing to "
                               "choose from")
        vecs = self.get_normed_vectors()[[i for _, i in used]]
        mean = vecs.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-30)
        return used[int(np.argmin(vecs @ mean))][0]

    def wmdistance(self, document1: Sequence, document2: Sequence, norm: bool = True) -> float:
        """Word Mover's Distance (Kusner et al. 2015) between two word lists, with POT (`pip install POT`).

        Unknown words are dropped; a document left empty gives inf (gensim)."""
        try:
            import ot
        except ImportError:
            raise MissingDependencyError("wmdistance needs the optional package POT (Python Optimal Transport); "
                                         "install it with `pip install POT` (or wordvec[wmd])") from None
        d1 = [self.get_index(w) for w in document1 if self.get_index(w, -1) >= 0]
        d2 = [self.get_index(w) for w in document2 if self.get_index(w, -1) >= 0]
        if len(d1) < len(document1) or len(d2) < len(document2):
            logger.info("wmdistance: removed %d and %d unknown words from document 1 and 2",
                        len(document1) - len(d1), len(document2) - len(d2))
        if not d1 or not d2:
            logger.warning("wmdistance: at least one of the documents has no word in the vocabulary")
            return float("inf")
        rows = np.unique(d1 + d2)
        if len(rows) == 1:
            return 0.0
        vecs = (self.get_normed_vectors() if norm else self.vectors)[rows].astype(np.float64)
        sq = (vecs ** 2).sum(axis=1)
        dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * vecs @ vecs.T, 0))
        np.fill_diagonal(dist, 0)
        pos = np.searchsorted(rows, np.asarray(d1))
        h1 = np.bincount(pos, minlength=len(rows)) / len(d1)
        h2 = np.bincount(np.searchsorted(rows, np.asarray(d2)), minlength=len(rows)) / len(d2)
        return float(ot.emd2(h1, h2, dist))

    def similarity_unseen_docs(self, *args, **kwargs):
        raise UnsupportedError("similarity_unseen_docs needs a Doc2Vec model (as in gensim); KeyedVectors has no "
                               "document vectors")

    # --- evaluation: gensim's key rule and return values (wordvec.evaluate reports the same computation) -------
    def _eval_resolver(self, restrict_vocab: int, case_insensitive: bool):
        """gensim's key resolution for evaluation, as (rows(words), canon): the candidates are the first
        `restrict_vocab` keys; with `case_insensitive` keys and query words are upper-cased and the first of
        several case variants stands for all (`canon[i]`: the row standing for row i; None when no two keys are
        case variants); a word still unknown goes through the run's tokenizer (a stemmed vocabulary holds `run`,
        not `running`). `rows` gives -1 for an unknown word."""
        limit = max(0, min(int(restrict_vocab), len(self)))
        keys = self.index_to_key[:limit]
        canon = None
        if case_insensitive:
            vocab: dict = {}
            for i, k in enumerate(keys):
                vocab.setdefault(k.upper() if isinstance(k, str) else k, i)
            canon = np.fromiter((vocab[k.upper() if isinstance(k, str) else k] for k in keys), dtype=np.int64,
                                count=limit)
            if np.array_equal(canon, np.arange(limit)):
                canon = None
        else:
            vocab = {k: i for i, k in enumerate(keys)}
        memo: dict = {}

        def rows(words: Sequence[str]) -> np.ndarray:
            if len(memo) > 1 << 20:  # a bound on memory for streamed files with many distinct words
                memo.clear()
            out = np.full(len(words), -1, dtype=np.int64)
            for j, w in enumerate(words):
                i = memo.get(w)
                if i is None:
                    i = vocab.get(w.upper() if case_insensitive else w, -1)
                    if i < 0 and self._tokenize is not None:
                        t = self._lookup(w.lower() if case_insensitive else w)
                        i = -1 if t is None or t >= limit else (t if canon is None else int(canon[t]))
                    memo[w] = i
                out[j] = i
            return out

        return rows, canon

    def _pair_similarities(self, pairs, delimiter: str | None, encoding: str, restrict_vocab: int,
                           case_insensitive: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(human scores, cosine similarities, whether both words are known) of every pair in a word-pairs file,
        read in blocks: memory grows by 13 bytes a pair, not with the text of the file."""
        rows, _ = self._eval_resolver(restrict_vocab, case_insensitive)
        normed = self.get_normed_vectors()
        human, sims, known = array("d"), array("f"), array("b")
        for w1, w2, scores in iter_word_pairs(pairs, delimiter, encoding):
            i1, i2 = rows(w1), rows(w2)
            ok = (i1 >= 0) & (i2 >= 0)
            sim = np.zeros(len(scores), dtype=np.float32)
            sim[ok] = np.einsum("ij,ij->i", normed[i1[ok]], normed[i2[ok]])
            human.frombytes(scores.tobytes())
            sims.frombytes(sim.tobytes())
            known.frombytes(ok.tobytes())
        return (np.frombuffer(human, dtype=np.float64), np.frombuffer(sims, dtype=np.float32).astype(np.float64),
                np.frombuffer(known, dtype=bool))

    def _analogy_outcomes(self, analogies, restrict_vocab: int, case_insensitive: bool, method: str = "add"):
        """(sections, asked, correct) of an analogy file: `asked[j]` when question j's four words are known,
        `correct[j]` when the best answer among the first `restrict_vocab` keys, the question words and their
        case variants excluded, is the expected word (or one of its case variants)."""
        sections = read_analogies(analogies)
        flat = [w for _, qs in sections for question in qs for w in question]
        rows, canon = self._eval_resolver(restrict_vocab, case_insensitive)
        ids = rows(flat).reshape(-1, 4)
        ok = (ids >= 0).all(axis=1)
        correct = np.zeros(len(ids), dtype=bool)
        if ok.any():
            limit = min(int(restrict_vocab), len(self))
            pred = predict_analogies(self.get_normed_vectors(), ids[ok], limit, method, canon)
            correct[ok] = (pred if canon is None else canon[pred]) == ids[ok, 3]
        return sections, ok, correct

    def evaluate_word_pairs(self, pairs, delimiter: str = "\t", encoding: str = "utf8",
                            restrict_vocab: int = 300000, case_insensitive: bool = True, dummy4unknown: bool = False):
        """Pearson and Spearman correlation between human scores and cosine similarity, as gensim returns them:
        `((pearson, p), (spearman, p), oov_ratio)` with `oov_ratio` in percent. A pair with a word outside the
        first `restrict_vocab` keys is skipped, or scored 0 with `dummy4unknown`. Unlike gensim, a malformed
        line is an error naming it, not skipped. The file is streamed (memory: a few numbers a pair)."""
        stats = require("scipy.stats", "evaluate_word_pairs")

        human, sims, ok = self._pair_similarities(pairs, delimiter, encoding, restrict_vocab, case_insensitive)
        keep = np.ones(len(human), dtype=bool) if dummy4unknown else ok
        if keep.sum() < 2:
            raise WordvecError(f"{pairs}: {int(keep.sum())} pair(s) with both words in the first {restrict_vocab} "
                               f"keys; a correlation needs at least 2")
        with warnings.catch_warnings():  # constant input: NaN is the honest answer
            warnings.simplefilter("ignore")
            pearson = stats.pearsonr(human[keep], sims[keep])
            spearman = stats.spearmanr(human[keep], sims[keep])
        oov = 100.0 * float((~ok).sum()) / len(human)
        logger.info("%s: Pearson %.4f, Spearman %.4f, %.1f%% pairs out of vocabulary", pairs, pearson[0],
                    spearman[0], oov)
        return pearson, spearman, oov

    def evaluate_word_analogies(self, analogies, restrict_vocab: int = 300000, case_insensitive: bool = True,
                                dummy4unknown: bool = False, similarity_function: str = "most_similar"):
        """Analogy accuracy as gensim returns it: `(score, sections)`, each section a dict {'section', 'correct',
        'incorrect'} of question tuples (upper-cased when `case_insensitive`), then a 'Total accuracy' section.
        Questions with a word outside the first `restrict_vocab` keys are skipped (counted incorrect with
        `dummy4unknown`). `similarity_function` is 'most_similar' (3CosAdd) or 'most_similar_cosmul'."""
        methods = {"most_similar": "add", "most_similar_cosmul": "mul"}
        if similarity_function not in methods:
            raise UnsupportedError(f"similarity_function must be one of {', '.join(methods)}, got "
                                   f"{similarity_function!r}")
        sections, ok, correct = self._analogy_outcomes(analogies, restrict_vocab, case_insensitive,
                                                       methods[similarity_function])
        out, j = [], 0
        total = {"section": "Total accuracy", "correct": [], "incorrect": []}
        for name, qs in sections:
            sec = {"section": name, "correct": [], "incorrect": []}
            for question in qs:
                question = tuple(w.upper() for w in question) if case_insensitive else tuple(question)
                if correct[j]:
                    sec["correct"].append(question)
                elif ok[j] or dummy4unknown:
                    sec["incorrect"].append(question)
                j += 1
            total["correct"] += sec["correct"]
            total["incorrect"] += sec["incorrect"]
            out.append(sec)
        out.append(total)
        asked = len(total["correct"]) + len(total["incorrect"])
        score = len(total["correct"]) / asked if asked else 0.0
        logger.info("%s: %.1f%% of %d questions correct (%d skipped as out of vocabulary)", analogies, 100 * score,
                    asked, len(ok) - int(ok.sum()))
        return score, out

    # --- word2vec files ---------------------------------------------------------------------------------------
    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary: bool = False, encoding: str = "utf8",
                             unicode_errors: str = "strict", limit: int | None = None, datatype=np.float32,
                             no_header: bool = False) -> "KeyedVectors":
        """Read word2vec.c text or binary vectors (ours, word2vec.c's, gensim's; .gz / .bz2 too).

        `fvocab`: a `word count` file (word2vec.c's -save-vocab) giving the counts; without it `counts` is None
        (gensim invents descending counts instead). `limit=N` reads the first N vectors and not the rest of the
        file (`limit` 0 or None: all, as in gensim). `no_header`: a text file without the `WORDS DIMENSION`
        line (GloVe's); it is read twice. NaN / inf values, duplicate or empty words, wrong counts and
        truncation are refused with a VectorFileError naming the line."""
        _refuse_other_kind(fname)
        keys, vectors, counts = read_word2vec(fname, fvocab=fvocab, binary=binary, encoding=encoding,
                                              unicode_errors=unicode_errors, limit=limit, datatype=datatype,
                                              no_header=no_header)
        kv = cls(vectors.shape[1], 0, vectors.dtype)
        kv.index_to_key, kv.key_to_index = keys, {k: i for i, k in enumerate(keys)}
        kv.vectors = vectors
        kv.next_index = len(keys)
        if counts is not None:
            kv.counts = counts
        return kv

    def save_word2vec_format(self, fname, fvocab=None, binary: bool = False, total_vec: int | None = None,
                             write_header: bool = True, prefix: str = "", append: bool = False,
                             sort_attr: str | None = "count") -> Path:
        """Write word2vec.c text or binary vectors (gensim's arguments).

        `sort_attr`: rows in descending order of this attribute when the vectors have it (ties keep their
        order), else in index order. `fvocab`: also write `prefix+word count` lines (needs counts).
        `total_vec`: the word count written in the header (for files other rows are appended to later);
        `write_header=False` omits the header (GloVe's layout); `prefix` is prepended to every word; `append`
        adds to an existing file (the result is still written to a temporary name and renamed)."""
        order = None
        if sort_attr is not None and sort_attr in self.expandos:
            order = np.argsort(-self.expandos[sort_attr], kind="stable")
        keys = self.index_to_key if order is None else [self.index_to_key[i] for i in order.tolist()]
        vectors = self.vectors if order is None else self.vectors[order]
        counts = self.counts if order is None or self.counts is None else self.counts[order]
        return write_word2vec(fname, keys, vectors, fvocab=fvocab, binary=binary, total_vec=total_vec,
                              write_header=write_header, prefix=prefix, append=append, counts=counts)

    def intersect_word2vec_format(self, fname, lockf: float = 0.0, binary: bool = False, encoding: str = "utf8",
                                  unicode_errors: str = "strict") -> int:
        """Start from pretrained vectors (gensim's): the keys of this vocabulary that the word2vec file also holds
        take the file's vectors, and their `vectors_lockf` becomes `lockf` (0.0, the default, freezes them during
        further training; 1.0 lets them train). No key is added; the others keep their vectors. The file is read
        with the same checks as `load_word2vec_format` (a damaged file changes nothing); a file of another
        dimension is gensim's ValueError. Returns how many vectors were merged."""
        if isinstance(lockf, bool) or not isinstance(lockf, Real) or not -_F32_MAX <= lockf <= _F32_MAX:
            raise WordvecError(f"lockf must be a finite number within float32's range (0.0 freezes the merged "
                               f"vectors, 1.0 lets them train), got {lockf!r}")
        _refuse_other_kind(fname)
        keys, vectors, _ = read_word2vec(fname, binary=binary, encoding=encoding, unicode_errors=unicode_errors)
        if vectors.shape[1] != self.vector_size:
            raise VectorFileError(f"incompatible vector size {vectors.shape[1]} in file {fname} (these vectors have "
                                  f"{self.vector_size} dimensions)")
        rows = np.fromiter((self.key_to_index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        hit = rows >= 0
        lockf_all = np.asarray(self.vectors_lockf, dtype=np.float32).ravel()
        if lockf_all.size != len(self):  # gensim keeps one value for all words until a full array is set
            lockf_all = np.full(len(self), lockf_all[0] if lockf_all.size else 1.0, dtype=np.float32)
        if not self.vectors.flags.writeable:  # loaded with mmap='r': merge into a copy in memory
            logger.info("copying the vectors into memory to merge into them (they were mapped read-only)")
            self.vectors = np.array(self.vectors)
        self.vectors[rows[hit]] = vectors[hit]
        lockf_all[rows[hit]] = lockf
        self.vectors_lockf = lockf_all
        self._invalidate()
        logger.info("merged %d vectors into %s matrix from %s", int(hit.sum()), self.vectors.shape, fname)
        return int(hit.sum())

    def vectors_for_all(self, keys: Iterable, allow_inference: bool = True, copy_vecattrs: bool = False
                        ) -> "KeyedVectors":
        """A new KeyedVectors holding the given keys that have a vector, once each, in the order given (gensim's).
        `allow_inference` (True) also takes keys found the way queries find them (the run's tokenizer); False: only
        the stored keys. `copy_vecattrs` copies the per-key attributes (counts, ...)."""
        vocab, rows, seen = [], [], set()
        for key in keys:
            if _is_key(key) and key not in seen:
                seen.add(key)
                i = self.get_index(key, -1) if allow_inference else self.key_to_index.get(key, -1)
                if i >= 0:
                    vocab.append(key)
                    rows.append(i)
        kv = KeyedVectors(self.vector_size, 0, self.vectors.dtype)
        kv._set_keys(vocab)
        kv.vectors = np.array(self.vectors[rows], dtype=self.vectors.dtype).reshape(len(rows), self.vector_size)
        kv.next_index = len(vocab)
        if copy_vecattrs:
            kv.expandos = {name: arr[rows] for name, arr in self.expandos.items()}
        return kv

    # --- wordvec's own file: safetensors + JSON ---------------------------------------------------------------
    def save(self, fname) -> Path:
        """One safetensors file: vectors, keys, per-key attributes and the tokenizer (layout: module docstring)."""
        if any(k is None for k in self.index_to_key):
            raise WordvecError(f"{sum(k is None for k in self.index_to_key)} empty slot(s) reserved by "
                               f"KeyedVectors(vector_size, count) were never filled; fill them with add_vector "
                               f"before saving")
        tensors: dict[str, np.ndarray] = {"vectors": np.ascontiguousarray(self.vectors)}
        if all(isinstance(k, Integral) for k in self.index_to_key) and self.index_to_key:
            tensors["keys.int"] = np.asarray(self.index_to_key, dtype=np.int64)
        elif all(isinstance(k, str) for k in self.index_to_key):
            tensors.update(keys_to_tensors(self.index_to_key))
        else:
            raise WordvecError("save: keys must be all str or all int")
        for name, arr in self.expandos.items():
            if name in ("code", "point") and arr.dtype == object:
                continue  # hierarchical softmax's Huffman paths: Word2Vec rebuilds them from the counts
            if arr.dtype == object:
                raise WordvecError(f"save: attribute {name!r} holds Python objects; only numbers can be saved")
            tensors[f"attr.{name}"] = arr
        return save_state(fname, "keyedvectors", tensors, {"tokenizer": self.tokenizer})

    @classmethod
    def load(cls, fname, mmap: str | None = None) -> "KeyedVectors":
        """Read a file written by `save` (or by wordvec's earlier safetensors export). `mmap='r'` maps the vectors
        read-only from the file instead of reading them into memory (numpy memmap at the tensor's offset).

        The header and every tensor's dtype and shape are checked first; vectors read into memory are checked
        against their checksum and for NaN / inf rows. Mapped vectors are not (either would read the whole file,
        which is what mapping avoids): load without mmap once to check a file of unknown origin."""
        if mmap not in (None, "r"):
            raise UnsupportedError(f"mmap must be None or 'r' (read-only), got {mmap!r}")
        tensors, meta = load_tensors(fname, mmap=mmap, mapped=("vectors",))
        if "wordvec.index_to_key" in meta:  # wordvec 0.1's safetensors export
            header = {"tokenizer": meta.get("wordvec.tokenizer")}
            keys = read_json(meta["wordvec.index_to_key"], f"{fname}: wordvec.index_to_key")
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise WordvecError(f"{fname}: wordvec.index_to_key is not a list of words; the file is damaged")
            if "wordvec.counts" in meta:
                tensors["attr.count"] = np.asarray(read_json(meta["wordvec.counts"], f"{fname}: wordvec.counts"))
        else:
            header = parse_header(fname, meta, ("keyedvectors",))
            verify_checksums(fname, tensors, header)
            if "keys.int" in tensors:
                keys = _typed(fname, tensors, "keys.int", "i", 1).tolist()
            elif "keys.utf8" in tensors and "keys.offsets" in tensors:
                _typed(fname, tensors, "keys.utf8", "u", 1)
                _typed(fname, tensors, "keys.offsets", "i", 1)
                keys = keys_from_tensors(tensors, len(_typed(fname, tensors, "vectors", "f", 2)), fname)
            else:
                raise WordvecError(f"{fname}: not a wordvec KeyedVectors file (no keys)")
        tokenizer = header.get("tokenizer")
        if tokenizer is not None and not isinstance(tokenizer, str):
            raise WordvecError(f"{fname}: the tokenizer {str(tokenizer)[:40]} is not a name; the file is damaged")
        vectors = _typed(fname, tensors, "vectors", "f", 2)
        if len(keys) != vectors.shape[0]:
            raise WordvecError(f"{fname}: {len(keys)} keys for vectors of shape {vectors.shape}; the file is damaged")
        if not isinstance(vectors, np.memmap):  # a mapped file is not read whole on open
            _check_finite_rows(fname, vectors, keys)
        kv = cls(vectors.shape[1], 0, vectors.dtype, tokenizer=tokenizer)
        kv._set_keys(keys)
        kv.vectors = vectors
        for name, arr in tensors.items():
            if name.startswith("attr."):
                if arr.shape != (len(keys),) or arr.dtype.kind not in "iuf":
                    raise WordvecError(f"{fname}: {name} is {arr.dtype} of shape {arr.shape}, expected numbers of "
                                       f"shape ({len(keys)},); the file is damaged")
                kv.expandos[name[5:]] = np.array(arr)
        kv.next_index = len(keys)
        return kv

    # --- a training run ---------------------------------------------------------------------------------------


def _cosine(u, v) -> float:
    """u.v / sqrt(u.u * v.v) in float64 (0 when either is zero). For u == v it is exactly 1: u.v and u.u are
    the same sum, and sqrt(fl(x * x)) == x in IEEE arithmetic."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    den = math.sqrt(float(u @ u) * float(v @ v))
    return float(u @ v) / den if den > 0 else 0.0


def _typed(path, tensors: dict, name: str, kinds: str, ndim: int) -> np.ndarray:
    """tensors[name], which must exist, have `ndim` dimensions and a dtype of one of the numpy `kinds` ('f': float,
    'i': signed int, 'u': unsigned)."""
    arr = tensors.get(name)
    if arr is None:
        raise WordvecError(f"{path}: not a wordvec KeyedVectors file (no {name!r} tensor)")
    if arr.ndim != ndim or arr.dtype.kind not in kinds:
        what = {"f": "floats", "i": "integers", "u": "bytes"}[kinds[0]]
        raise WordvecError(f"{path}: {name} is {arr.dtype} of shape {arr.shape}; expected {ndim}-D {what}; the file is "
                           f"damaged or not written by KeyedVectors.save")
    return arr


_FINITE_ROWS = 1 << 16  # rows checked per step for NaN / inf


def _check_finite_rows(path, vectors: np.ndarray, keys: list) -> None:
    """Refuse NaN / inf vectors, as the word2vec readers do (in blocks: no full-size temporary)."""
    for a in range(0, len(vectors), _FINITE_ROWS):
        ok = np.isfinite(vectors[a:a + _FINITE_ROWS]).all(axis=1)
        if not ok.all():
            j = a + int(np.argmin(ok))
            raise WordvecError(f"{path}: the vector of {keys[j]!r} (row {j + 1}) has a NaN or infinite value; the "
                               f"file is damaged, or was saved from a diverged run: train again")


def resolve_keys(kv: "KeyedVectors", words: Sequence[str], case_insensitive: bool = True,
                 restrict_vocab: int | None = None) -> np.ndarray:
    """Row ids of `words` (-1 where unknown or not among the `restrict_vocab` most frequent words), looked up the
    way the run was trained: lower-cased, then through the kv's tokenizer when it has one."""
    allowed = None
    if restrict_vocab is not None and restrict_vocab < len(kv):
        allowed = np.zeros(len(kv), dtype=bool)
        allowed[kv.most_frequent(restrict_vocab)] = True
    memo: dict[str, int] = {}
    out = np.full(len(words), -1, dtype=np.int64)
    for i, word in enumerate(words):  # over the query words, not the vocabulary
        idx = memo.get(word)
        if idx is None:
            w = word.lower() if case_insensitive else word
            idx = kv.get_index(w, default=-1)  # KeyedVectors' own lookup: the single token, else the word
            if idx >= 0 and allowed is not None and not allowed[idx]:
                idx = -1
            memo[word] = idx
        out[i] = idx
    return out


def load_word2vec_format(fname, fvocab=None, binary: bool = False, encoding: str = "utf8",
                         unicode_errors: str = "strict", limit: int | None = None, datatype=np.float32,
                         no_header: bool = False, cls=None) -> KeyedVectors:
    """Read word2vec text or binary vectors into KeyedVectors (see `KeyedVectors.load_word2vec_format`)."""
    return (cls or KeyedVectors).load_word2vec_format(fname, fvocab=fvocab, binary=binary, encoding=encoding,
                                                      unicode_errors=unicode_errors, limit=limit,
                                                      datatype=datatype, no_header=no_header)


#: word2vec.c's format from words and a matrix (`wordvec.w2vformat.write_word2vec`), under gensim's name.
save_word2vec_format = write_word2vec


__all__ = ["KeyedVectors", "UnknownWordError", "UnknownAttributeError", "VectorFileError", "TruncatedFileError",
           "WordDecodeError", "UnsupportedError", "EmptyWordListError", "MissingDependencyError",
           "load_word2vec_format", "save_word2vec_format", "cosine_similarities",
           "pair_similarities", "predict_analogies", "predict_3cosadd", "read_word_pairs", "iter_word_pairs",
           "read_analogies",
           "resolve_keys", "top_k"]
