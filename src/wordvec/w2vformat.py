"""The word2vec format (word2vec.c's, read and written by gensim): a header `WORDS DIMENSION`, then one row per word,
as text (`word v1 ... vD`) or binary (`word ` + D little-endian float32); .gz / .bz2 by the file name.

This module reads and writes arrays (words, a matrix, counts); `KeyedVectors` builds itself from them. Readers
stream and validate before use: the header must be two plain ASCII integers; an uncompressed file must be large
enough for what its header announces before the matrix is allocated; a compressed file (whose size says nothing)
gets the announced matrix only when the free memory holds it, else one that grows as rows arrive, and is read in
bounded pieces, so a 40-byte file announcing billions of values fails on its missing rows, not on an allocation. Damaged files raise one `VectorFileError` naming the file and the line (text) or entry
(binary); it also derives from the exception gensim raises in the same case (ValueError, EOFError,
UnicodeDecodeError), so existing `except` clauses keep working. NaN / inf values, duplicate or empty words, wrong
counts and truncation are refused.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import itertools
import logging
import os
import re
import shutil
import warnings
import zlib
from numbers import Integral
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import TruncatedFileError, UnsupportedError, VectorFileError, WordDecodeError, WordvecError
from .files import INT64_MAX, atomic_open

logger = logging.getLogger("wordvec")

MAX_WORD_BYTES = 1000  # a longer "word" in a binary file means the file is damaged or not binary word2vec
_BLOCK_ROWS = 8192  # text rows parsed per vectorised step: bounded temporaries on million-word files
_CHUNK = 1 << 20  # binary reader buffer
_TEXT_BLOCK_BYTES = 4 << 20  # text parsed per vectorised step
_WS = re.compile(r"\s")
_DIGITS = re.compile(rb"[0-9]{1,19}")


def _check_keys(index_to_key: Sequence, vectors: np.ndarray, prefix: str) -> list[str]:
    if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
        raise WordvecError(f"need one vector per word: {len(index_to_key)} words, vectors of shape {vectors.shape}")
    words = [f"{prefix}{k}" for k in index_to_key]
    if _WS.search("\x00".join(words)) or "" in words or None in index_to_key:
        bad = next(w if k is not None else k for w, k in zip(words, index_to_key)
                   if k is None or not w or _WS.search(w))
        raise WordvecError(f"the word2vec format cannot hold the word {bad!r} (empty, None or containing whitespace)")
    return words


def _open_write(f, path: Path):
    """Compress when the name says so (.gz / .bz2), as gensim does."""
    if path.suffix == ".gz":
        return gzip.GzipFile(fileobj=f, mode="wb")
    if path.suffix == ".bz2":
        return bz2.BZ2File(f, mode="wb")
    return None


def write_word2vec(fname, index_to_key: Sequence, vectors, fvocab=None, binary: bool = False,
                         total_vec: int | None = None, write_header: bool = True, prefix: str = "",
                         append: bool = False, counts=None) -> Path:
    """word2vec.c's format: header `V D`, then per word `word v1 ... vD` (text) or `word ` + D float32 LE + `\\n`.

    Rows are written in the order given. Text values round-trip exactly (%.9g for float32). `fvocab` also writes
    `word count` lines from `counts`. The other arguments are those of `KeyedVectors.save_word2vec_format`."""
    vectors = np.asarray(vectors)
    if vectors.dtype.kind != "f":
        vectors = vectors.astype(np.float32)
    words = _check_keys(index_to_key, vectors, prefix)
    n, dim = vectors.shape
    path = Path(fname)
    if fvocab is not None:
        if counts is None:
            raise WordvecError("cannot write fvocab: these vectors have no counts (vecattr 'count')")
        counts = np.asarray(counts)
        with atomic_open(fvocab, "wb") as f:
            f.write("".join(f"{w} {int(c)}\n" for w, c in zip(words, counts.tolist())).encode("utf-8"))
    with atomic_open(path, "wb") as f:
        if append and path.exists():
            with open(path, "rb") as old:
                shutil.copyfileobj(old, f)
        z = _open_write(f, path)
        out = z or f
        if write_header:
            out.write(f"{n if total_vec is None else int(total_vec)} {dim}\n".encode())
        if binary:
            rows = vectors.astype("<f4", copy=False)
            for a in range(0, n, _BLOCK_ROWS):
                out.write(b"".join(w.encode("utf-8") + b" " + r.tobytes() + b"\n"
                                   for w, r in zip(words[a:a + _BLOCK_ROWS], rows[a:a + _BLOCK_ROWS])))
        else:
            digits = {2: 5, 4: 9}.get(vectors.dtype.itemsize, 17)  # shortest precision that round-trips
            fmt = " ".join([f"%.{digits}g"] * dim)
            for a in range(0, n, _BLOCK_ROWS):
                block = vectors[a:a + _BLOCK_ROWS].tolist()
                out.write("".join(f"{w} {fmt % tuple(r)}\n"
                                  for w, r in zip(words[a:a + _BLOCK_ROWS], block)).encode("utf-8"))
        if z is not None:
            z.close()
    return path


def _open_read(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    if path.suffix == ".bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


class _Reader:
    """State of one word2vec file being read: where we are, how words decode, where errors point."""

    def __init__(self, path: Path, encoding: str, unicode_errors: str):
        self.path, self.encoding, self.errors = path, encoding, unicode_errors
        try:
            codecs.lookup(encoding)
            codecs.lookup_error(unicode_errors)
        except LookupError as e:
            raise WordvecError(f"{e}; give an encoding / unicode_errors Python knows (e.g. 'utf8', 'strict')") \
                from None

    def bad(self, where: str, what: str, cls=VectorFileError) -> VectorFileError:
        return cls(f"{self.path}: {where}: {what}")

    def word(self, raw: bytes, where: str) -> str:
        if not raw:
            raise self.bad(where, "the word is empty; is this a word2vec-format file?")
        try:
            return raw.decode(self.encoding, self.errors)
        except UnicodeDecodeError as e:
            raise WordDecodeError(f"{self.path}: {where}: the word {raw[:40]!r} is not {self.encoding} "
                                  f"({e.reason}); pass encoding= the file's encoding, or unicode_errors='replace' "
                                  f"or 'ignore'", e) from None


def _header(r: _Reader, line: bytes) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(_DIGITS.fullmatch(p) for p in parts):
        raise r.bad("line 1", f"expected a header 'WORDS DIMENSION', got {line[:60]!r}; is this a word2vec-format "
                              f"file? (a file without a header: no_header=True)")
    n, dim = int(parts[0]), int(parts[1])
    if n * dim > INT64_MAX:
        raise r.bad("line 1", f"the header announces {n} x {dim} values, more than any file holds")
    if dim == 0:
        raise r.bad("line 1", f"the header says {n} words of dimension 0; vectors need at least one value")
    return n, dim


def read_word2vec(fname, fvocab=None, binary: bool = False, encoding: str = "utf8", unicode_errors: str = "strict",
                  limit: int | None = None, datatype=np.float32, no_header: bool = False
                  ) -> tuple[list[str], np.ndarray, list[int] | None]:
    """(words, (words, dimension) matrix of `datatype`, counts from `fvocab` or None) of a word2vec file; the
    arguments are those of `KeyedVectors.load_word2vec_format`."""
    path = Path(fname)
    r = _Reader(path, encoding, unicode_errors)
    if limit is not None and (not isinstance(limit, Integral) or isinstance(limit, bool) or limit < 0):
        raise WordvecError(f"limit must be a non-negative int (or None for all), got {limit!r}")
    if no_header and binary:
        raise UnsupportedError("no_header=True works only with text files (binary=False), as in gensim")
    try:
        datatype = np.dtype(datatype)
    except TypeError:
        raise WordvecError(f"datatype must be a float type (np.float16/32/64), got {datatype!r}") from None
    if datatype.kind != "f":
        raise WordvecError(f"datatype must be a float type (np.float16/32/64), got {datatype}")
    counts_by_word = _read_fvocab(fvocab, encoding, unicode_errors) if fvocab is not None else None
    try:
        with _open_read(path) as f:
            if no_header:
                n, dim = _count_rows(f, r)
                f.seek(0)
                start_line = 1
            else:
                n, dim = _header(r, f.readline(256))
                start_line = 2
            rows = min(n, limit) if limit else n
            grow = False
            if path.suffix not in (".gz", ".bz2"):
                _check_size(r, f, rows, dim, binary)
            else:  # the size says nothing: trust the header only as far as memory allows, else grow with the data
                grow = rows * dim * datatype.itemsize > _memory_cap()
            out = _Matrix(r, rows, dim, datatype, grow=grow)
            keys = (_read_binary if binary else _read_text)(f, r, out, n, start_line, check_end=rows == n)
            vectors = out.done()
    except WordvecError:
        raise
    except (OSError, EOFError, zlib.error) as e:  # unreadable, or a damaged .gz / .bz2
        cls_ = TruncatedFileError if isinstance(e, EOFError) else VectorFileError
        raise cls_(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    index: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in index:
            unit, first = ("entry", 1) if binary else ("line", start_line)
            hint = " (unicode_errors may have made two words equal)" if unicode_errors != "strict" else ""
            raise r.bad(f"{unit} {i + first}", f"the word {k!r} appears again (first at {unit} {index[k] + first})"
                                               f"{hint}; each word needs exactly one vector")
        index[k] = i
    counts = None
    if counts_by_word is not None:
        missing = next((k for k in keys if k not in counts_by_word), None)
        if missing is not None:
            raise VectorFileError(f"{fvocab}: no count for the word {missing!r} of {path}; give the vocabulary "
                                  f"file written with these vectors, or leave out fvocab")
        counts = [counts_by_word[k] for k in keys]
    logger.info("loaded %d x %d vectors from %s", rows, dim, path)
    return keys, vectors, counts


def _memory_cap() -> int:
    """Bytes a matrix announced by a compressed file's header may take at once: the free physical memory, or half
    the address-space limit when that is lower (pages untouched by a header that lies cost nothing)."""
    try:
        cap = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        cap = 1 << 30
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            cap = min(cap, soft // 2)
    except (ImportError, OSError, ValueError):
        pass
    return cap


class _Matrix:
    """The matrix being filled: allocated once from the header when the file's size (or, for a compressed file, the
    memory free) vouches for it, else grown (doubling, up to the header's row count) as rows arrive, so memory
    follows what the file actually holds."""

    def __init__(self, r: "_Reader", rows: int, dim: int, dtype, grow: bool):
        self.r, self.rows, self.dim, self.dtype = r, rows, dim, dtype
        self.array = self._alloc(0 if grow else rows)

    def _alloc(self, rows: int) -> np.ndarray:
        try:
            return np.empty((rows, self.dim), dtype=self.dtype)
        except (MemoryError, ValueError):
            raise self.r.bad("line 1", f"the header announces {self.rows} x {self.dim} values, too many to hold "
                                       f"in memory") from None

    def put(self, a: int, block: np.ndarray) -> None:
        end = a + len(block)
        if end > len(self.array):
            bigger = self._alloc(min(self.rows, max(end, 2 * len(self.array))))
            bigger[:a] = self.array[:a]
            self.array = bigger
        self.array[a:end] = block

    def done(self) -> np.ndarray:
        return self.array


def _check_size(r: _Reader, f, rows: int, dim: int, binary: bool) -> None:
    """Refuse a header that promises (much) more than an uncompressed file can hold before allocating for it."""
    if rows * dim * 4 < (1 << 24):  # small: the row-by-row checks say more
        return
    left = os.fstat(f.fileno()).st_size - f.tell()
    least = rows * (4 * dim + 2) if binary else rows * (2 * dim + 1) - 1  # 1-byte words, 1-char values
    if rows and least > left:
        raise r.bad("line 1", f"the header promises {rows} words of {dim} values, more than the {left} bytes "
                              f"after it can hold: the file is truncated or the header is wrong",
                    TruncatedFileError)


def _count_rows(f, r: _Reader) -> tuple[int, int]:
    """no_header: the first pass counts the rows and takes the dimension from the first one."""
    n, dim = 0, 0
    for line in f:
        if line.strip():
            if n == 0:
                dim = len(line.rstrip().partition(b" ")[2].split())
                if dim == 0:
                    raise r.bad("line 1", "no values after the word (no_header=True expects `word v1 ... vD` "
                                          "rows)")
            n += 1
    if n == 0:
        raise r.bad("line 1", "the file holds no vectors (no_header=True expects `word v1 ... vD` rows)")
    return n, dim


def _finite(r: _Reader, block: np.ndarray, keys: list[str], row0: int, line0: int, unit: str) -> None:
    ok = np.isfinite(block).all(axis=1)
    if not ok.all():
        j = int(np.argmin(ok))
        small = f", or too large for {block.dtype}" if block.dtype.itemsize < 4 else ""
        raise r.bad(f"{unit} {line0 + j}", f"row {row0 + j + 1} (word {keys[row0 + j]!r}) has a non-finite value "
                                           f"(NaN or inf{small}); fix or drop that row")


def _parse_values(rests: list[bytes], dim: int, dtype) -> np.ndarray | None:
    """All rows' values in one C-speed parse; None when any row is not exactly `dim` plain numbers."""
    if any(rest.count(b" ") != dim - 1 for rest in rests):
        return None
    blob = b" ".join(rests)
    if any(c in blob for c in (b"\t", b"\r", b"\x0b", b"\x0c")):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns, and stops, at the first token that is not a number
        try:
            flat = np.fromstring(blob, dtype=dtype, sep=" ")
        except (ValueError, DeprecationWarning):
            return None
    return flat.reshape(-1, dim) if flat.size == len(rests) * dim else None


def _read_text(f, r: _Reader, out: _Matrix, n: int, line0: int, check_end: bool) -> list[str]:
    rows, dim = out.rows, out.dim
    parse_dtype = np.float64 if out.dtype == np.float64 else np.float32
    keys: list[str] = []
    step = max(16, _TEXT_BLOCK_BYTES // (12 * max(dim, 1)))  # ~12 bytes a value: a few MB of text per block
    for a in range(0, rows, step):
        lines = list(itertools.islice(f, min(step, rows - a)))
        first = line0 + a
        words, rests = [], []
        for line in lines:
            w, _, rest = line.rstrip().partition(b" ")
            words.append(w)
            rests.append(rest.strip(b" "))
        got = len(lines)
        del lines[:]  # the block's text is held once, as `rests`
        block = _parse_values(rests, dim, parse_dtype)
        if block is None:
            k = got
            while k and not words[k - 1] and not rests[k - 1]:
                k -= 1
            if k < got and not any(line.strip() for line in f):  # blank lines, then the end: too few rows
                raise r.bad(f"line {first + k} (end of file)", f"the header (line 1) says {n} words but the file "
                                                               f"has {a + k} rows", TruncatedFileError)
            block = _parse_slowly(r, words, rests, dim, parse_dtype, first)
        keys += [r.word(w, f"line {first + j}") for j, w in enumerate(words)]
        if got < min(step, rows - a):
            raise r.bad(f"line {first + got} (end of file)", f"the header (line 1) says {n} words but the file has "
                                                             f"{a + got} rows", TruncatedFileError)
        block = block.astype(out.dtype, copy=False)
        _finite(r, block, keys, a, first, "line")
        out.put(a, block)
    if check_end:
        for j, line in enumerate(f):
            if line.strip():
                raise r.bad(f"line {line0 + rows + j}", f"the header (line 1) says {n} words but the file has "
                                                        f"more rows")
    return keys


def _parse_slowly(r: _Reader, words, rests, dim: int, dtype, first: int) -> np.ndarray:
    """Row by row, to name the line that is wrong (only after the fast parse failed). Every row's value count
    is checked before the block is allocated."""
    split = [rest.split() for rest in rests]
    for j, vals in enumerate(split):
        if not words[j] and not vals:
            raise r.bad(f"line {first + j}", "the line is empty; expected a word and its values")
        if len(vals) != dim:
            raise r.bad(f"line {first + j}", f"expected a word and {dim} values (the header's dimension), got "
                                             f"{len(vals)} values")
    out = np.empty((len(rests), dim), dtype=dtype)
    for j, vals in enumerate(split):
        try:
            out[j] = np.array(vals, dtype=dtype)
        except ValueError:
            for tok in vals:
                try:
                    float(tok)
                except ValueError:
                    raise r.bad(f"line {first + j}", f"{tok[:30].decode(errors='replace')!r} is not a number") \
                        from None
            raise
    return out


def _read_binary(f, r: _Reader, out: _Matrix, n: int, line0: int, check_end: bool) -> list[str]:
    rows, dim = out.rows, out.dim
    width = 4 * dim
    need = MAX_WORD_BYTES + 3 + width  # enough buffered for one row: newlines, the longest word, the space, values
    buf, pos = b"", 0
    eof = False
    keys: list[str] = []
    offset = f.tell()  # bytes of the file before buf[0]
    for i in range(rows):
        if len(buf) - pos < need and not eof:
            parts, have = [buf[pos:]], len(buf) - pos
            while have < need and not eof:  # bounded reads: a header's promise allocates nothing by itself
                more = f.read(_CHUNK)
                eof = len(more) < _CHUNK
                parts.append(more)
                have += len(more)
            offset += pos
            buf, pos = b"".join(parts), 0
        while pos < len(buf) and buf[pos] in (10, 13):  # word2vec.c ends rows with \n, gensim does not
            pos += 1
        where = f"entry {i + 1} of {n} (byte {offset + pos})"
        sp = buf.find(b" ", pos, pos + MAX_WORD_BYTES + 1)
        if sp < 0 and len(buf) - pos > MAX_WORD_BYTES:
            raise r.bad(where, f"no space within {MAX_WORD_BYTES} bytes: a word longer than {MAX_WORD_BYTES} bytes "
                               f"means the file is damaged or not binary word2vec (a text file? use binary=False)")
        if sp < 0 or sp + 1 + width > len(buf):
            raise r.bad(where, f"the file is truncated: the header promises {n} words of {dim} float32 values",
                        TruncatedFileError)
        keys.append(r.word(buf[pos:sp], where))
        out.put(i, np.frombuffer(buf, dtype="<f4", count=dim, offset=sp + 1)[None])
        pos = sp + 1 + width
    if rows:
        for a in range(0, rows, _BLOCK_ROWS):
            _finite(r, out.array[a:a + _BLOCK_ROWS], keys, a, a + 1, "entry")
    if check_end:
        rest = buf[pos:] + f.read(_CHUNK)
        if rest.strip():
            raise r.bad(f"byte {offset + pos}", f"data after the {n} words the header announces")
    return keys


def _read_fvocab(fvocab, encoding: str, unicode_errors: str) -> dict[str, int]:
    """word2vec.c's -save-vocab file: `word count` per line."""
    path = Path(fvocab)
    counts: dict[str, int] = {}
    try:
        with _open_read(path) as f:
            for lineno, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2 or not parts[1].isdigit():
                    raise VectorFileError(f"{path}: line {lineno}: expected `word count`, got {line[:60]!r}")
                try:
                    word = parts[0].decode(encoding, unicode_errors)
                except UnicodeDecodeError as e:
                    raise WordDecodeError(f"{path}: line {lineno}: the word {parts[0][:40]!r} is not {encoding}; "
                                          f"pass encoding= or unicode_errors='replace'", e) from None
                counts[word] = int(parts[1])
    except (OSError, EOFError) as e:
        raise VectorFileError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    return counts


__all__ = ["read_word2vec", "write_word2vec", "MAX_WORD_BYTES"]
