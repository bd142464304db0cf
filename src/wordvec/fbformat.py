"""Facebook fastText's `.bin` model file: one reader and one writer, numpy only, every read checked before use.

Layout (fastText's `FastText::saveModel`; little-endian, as fastText writes on every machine it runs on):

    int32 magic 793712314, int32 version (11 or 12)        absent in the oldest files, which start with dim, ws
    args: int32 dim, ws, epoch, minCount, neg, wordNgrams, loss (1 hs, 2 ns, 3 softmax, 4 ova),
          model (1 cbow, 2 sg, 3 supervised), bucket, minn, maxn, lrUpdateRate; float64 t
    dictionary: int32 size, nwords, nlabels; int64 ntokens; int64 pruneidx_size (not in the oldest files);
          size entries of (word bytes, NUL, int64 count, int8 type 0 word / 1 label); pruneidx_size int32 pairs
    bool quantized input (not in the oldest files); input matrix: int64 rows, int64 cols, rows x cols float32
          (the vocabulary's rows, then `bucket` n-gram rows)
    bool quantized output (not in the oldest files); output matrix: int64 rows, int64 cols, float32 values

Every size is checked against the bytes left in the file before anything is allocated for it, so a lying header or
a truncated file is one `FastTextFileError` naming the file and the field, never a huge allocation. A .gz file's
size is unknown until it is read: what it declares is bounded by what its compressed size could hold at a real
model's ratio (zeros pack 1000:1, so a small .gz could otherwise make the reader fill gigabytes), and its dictionary
and matrices grow block by block with the data actually there (a matrix then costs twice its size at the end, when
the blocks are joined). Words are
decoded as gensim decodes them (invalid bytes become `\\xNN` escapes, with a warning); NaN or inf values are
refused. Supervised, quantized (.ftz) and pruned models are refused as unsupported.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import logging
import math
import os
import struct
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from .config import available_memory
from .errors import WordvecError
from .files import atomic_open

logger = logging.getLogger("wordvec")

MAGIC, VERSION = 793712314, 12
ARG_NAMES = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket", "minn", "maxn",
             "lrUpdateRate", "t")
LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
MODELS = {1: "cbow", 2: "sg", 3: "supervised"}
MAX_WORD_BYTES = 1 << 16  # a longer word means the file is damaged
_CHUNK = 1 << 20
_FINITE_ROWS = 1 << 16  # rows checked for NaN/inf per step
_STREAM_VALUES = 1 << 22  # a compressed file's matrix is read in blocks of this many values (its size is unknown)
_GZ_RATIO = 64  # a .gz may hold at most this many bytes per compressed byte (float32 matrices compress ~1.1x)
_GZ_FLOOR = 1 << 26  # ... or this many bytes in all, whatever its size: a small model's zero rows


class FastTextFileError(WordvecError):
    """A file that cannot be read as a fastText .bin model (a ValueError, as gensim's checks are)."""


class FastTextTruncatedError(FastTextFileError, EOFError):
    """The file ends before the sizes its header announces."""


class FastTextUnsupportedError(FastTextFileError, NotImplementedError):
    """A fastText model kind wordvec does not read: supervised, quantized (.ftz) or pruned."""


@dataclasses.dataclass
class FacebookModel:
    """Everything a fastText .bin file holds, as arrays (the reader's result, the writer's input)."""

    args: dict  # ARG_NAMES -> int (t: float)
    words: list[str]
    counts: np.ndarray  # int64, one per word
    ntokens: int
    input: np.ndarray | tuple  # (words + bucket, dim) float32; the writer also takes (vocab rows, bucket rows)
    output: np.ndarray | None  # (rows, dim) float32; None when not read
    version: int = VERSION
    nwords: int = -1  # the dictionary's own word count (== len(words) for the models wordvec reads)


class _Source:
    """A file being read: its name, the bytes left (for size checks), buffered reads that never over-read."""

    def __init__(self, f: IO[bytes], path: Path, size: int | None, compressed: int | None = None):
        self.f, self.path, self.size, self.pos = f, path, size, 0
        self.buf, self.at = b"", 0
        self.compressed = compressed  # a .gz file's own size: bounds what it can claim to hold

    def bad(self, what: str, cls=FastTextFileError) -> FastTextFileError:
        return cls(f"{self.path}: {what}")

    def left(self) -> int | None:
        return None if self.size is None else self.size - self.pos

    def need(self, n: int, what: str) -> None:
        """Refuse `n` bytes the file cannot hold (plain files: before reading or allocating anything)."""
        left = self.left()
        if left is not None and n > left:
            raise self.bad(f"{what} needs {n} bytes but only {left} are left: the file is truncated or not a "
                           f"fastText .bin model", FastTextTruncatedError)
        if self.compressed is not None and self.pos + n > max(self.compressed * _GZ_RATIO, _GZ_FLOOR):
            raise self.bad(f"{what} needs {n:,} bytes, more than a {self.compressed:,}-byte .gz file holds at any "
                           f"real model's compression (at most {_GZ_RATIO}x); the file is damaged or crafted: "
                           f"decompress it (gunzip) and read the .bin, whose sizes are checked exactly")

    def read(self, n: int, what: str) -> bytes:
        self.need(n, what)
        out = self.buf[self.at:self.at + n]
        self.at += len(out)
        if len(out) < n:
            out += self.f.read(n - len(out))
        if len(out) < n:
            raise self.bad(f"the file ends inside {what}: it is truncated", FastTextTruncatedError)
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt), what))

    def word(self, what: str) -> bytes:
        """Bytes up to the next NUL (consumed, not returned)."""
        while True:
            end = self.buf.find(b"\0", self.at, self.at + MAX_WORD_BYTES + 1)
            if end >= 0:
                out = self.buf[self.at:end]
                self.pos += end + 1 - self.at
                self.at = end + 1
                return out
            if len(self.buf) - self.at > MAX_WORD_BYTES:
                raise self.bad(f"{what} has no end (NUL) within {MAX_WORD_BYTES} bytes: the file is damaged or not "
                               f"a fastText .bin model")
            more = self.f.read(_CHUNK)
            if not more:
                raise self.bad(f"the file ends inside {what}: it is truncated", FastTextTruncatedError)
            self.buf = self.buf[self.at:] + more
            self.at = 0

    def into(self, out: np.ndarray, what: str) -> None:
        """Fill `out` (C-contiguous) from the file."""
        view = memoryview(out.reshape(-1).view(np.uint8))
        n = len(self.buf) - self.at
        head = min(n, len(view))
        view[:head] = self.buf[self.at:self.at + head]
        self.at += head
        self.pos += head
        done = head
        while done < len(view):
            got = self.f.readinto(view[done:])
            if not got:
                raise self.bad(f"the file ends inside {what}: it is truncated", FastTextTruncatedError)
            done += got
            self.pos += got

    def skip(self, n: int, what: str) -> None:
        self.need(n, what)
        n_buf = min(n, len(self.buf) - self.at)
        self.at += n_buf
        self.pos += n_buf
        rest = n - n_buf
        if rest and self.size is not None:
            self.f.seek(rest, os.SEEK_CUR)
            self.pos += rest
            return
        while rest:
            got = len(self.f.read(min(rest, _CHUNK)))
            if not got:
                raise self.bad(f"the file ends inside {what}: it is truncated", FastTextTruncatedError)
            rest -= got
            self.pos += got

    def at_end(self) -> bool:
        return self.at >= len(self.buf) and not self.f.read(1)


def _open(path: Path) -> tuple[IO[bytes], int | None, int | None]:
    """The file, its size (None for .gz: unknown until read) and its compressed size (.gz only)."""
    if path.suffix == ".gz":
        f = gzip.open(path, "rb")
        return f, None, os.fstat(f.fileobj.fileno()).st_size
    f = open(path, "rb")
    return f, os.fstat(f.fileno()).st_size, None


def sniff(path) -> bool:
    """Does this file start like a fastText .bin model (the magic number, or the oldest files' plausible args)?"""
    try:
        f, _, _ = _open(Path(path))
        with f:
            head = f.read(56)
    except (OSError, EOFError, zlib.error):
        return False
    if len(head) >= 4 and struct.unpack("<i", head[:4])[0] == MAGIC:
        return True  # even a file cut short: reading it says what is wrong (truncated, unsupported version)
    if len(head) < 56:
        return False
    first = struct.unpack("<14i", head)
    dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn = first[:11]
    return (0 < dim <= 100_000 and 0 < ws <= 10_000 and 0 < epoch and 0 <= neg and loss in LOSSES
            and model in MODELS and 0 <= bucket and 0 <= minn and 0 <= maxn)


def read_model(path, encoding: str = "utf-8", full_model: bool = True) -> FacebookModel:
    """Read a fastText .bin model (plain or .gz); `full_model=False` skips the output matrix (its size is still
    checked)."""
    path = Path(path)
    try:
        f, size, compressed = _open(path)
    except OSError as e:
        raise FastTextFileError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        with f:
            return _read(_Source(f, path, size, compressed), encoding, full_model)
    except WordvecError:
        raise
    except EOFError as e:  # gzip's stream ends early
        raise FastTextTruncatedError(f"cannot read {path}: the compressed file is truncated ({e}); download or "
                                     f"copy it again") from None
    except (OSError, zlib.error) as e:  # unreadable, or a damaged .gz
        raise FastTextFileError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None


def _read(src: _Source, encoding: str, full_model: bool) -> FacebookModel:
    magic, version = src.unpack("2i", "the header")
    new = magic == MAGIC
    if new and not 11 <= version <= VERSION:
        raise src.bad(f"fastText format version {version} is not supported (wordvec reads versions 11 and 12)",
                      FastTextUnsupportedError)
    if new:
        values = list(src.unpack("12id", "the arguments"))
    else:  # the oldest files: what was read as magic and version are dim and ws
        values = [magic, version, *src.unpack("10id", "the arguments")]
    args = dict(zip(ARG_NAMES, values))
    _check_args(src, args, new)
    size, nwords, nlabels = src.unpack("3i", "the dictionary header")
    (ntokens,) = src.unpack("q", "the dictionary header")
    prune = src.unpack("q", "the dictionary header")[0] if new else -1
    if nlabels > 0:
        raise src.bad(f"a supervised fastText model ({nlabels} labels); only unsupervised (cbow / skipgram) models "
                      f"can be read", FastTextUnsupportedError)
    if not 0 <= nwords == size or nlabels < 0:
        raise src.bad(f"the dictionary header says {size} entries, {nwords} words and {nlabels} labels; the file is "
                      f"damaged or not a fastText .bin model")
    if prune > 0:
        raise src.bad("a pruned (quantized) fastText model; only full models can be read", FastTextUnsupportedError)
    src.need(10 * size, f"a dictionary of {size} words")  # each entry: >= 1 NUL + 8 count + 1 type bytes
    raw, counts, bad = [], [], 0  # lists grow with the data read (a .gz file's size is not known up front)
    seen: set = set()  # a repeat ends the read at once: a .gz of zeros would otherwise be read word after word
    for i in range(size):
        raw.append(src.word(f"word {i + 1} of the dictionary"))
        if raw[-1] in seen:
            raise src.bad(f"the word {raw[-1][:40].decode(encoding, 'backslashreplace')!r} appears twice in the "
                          f"dictionary (words {raw.index(raw[-1]) + 1} and {i + 1}); the file is damaged")
        seen.add(raw[-1])
        count, kind = src.unpack("qb", f"word {i + 1} of the dictionary")
        if kind != 0 or count < 0:
            raise src.bad(f"word {i + 1} of the dictionary has type {kind} and count {count} (expected type 0, "
                          f"a word, and a count >= 0); the file is damaged or not an unsupervised model")
        counts.append(count)
    words = []
    for i, b in enumerate(raw):
        try:
            words.append(b.decode(encoding))
        except UnicodeDecodeError:
            words.append(b.decode(encoding, errors="backslashreplace"))
            bad += 1
            if bad <= 5:
                logger.warning("%s: word %d %r is not %s; kept as %r (as gensim does)", src.path, i + 1, b[:40],
                               encoding, words[-1])
        except LookupError:
            raise FastTextFileError(f"unknown encoding {encoding!r}; give one Python knows (e.g. 'utf-8')") from None
    if len(set(words)) != len(words):
        seen: set = set()
        dup = next(w for w in words if w in seen or seen.add(w))
        raise src.bad(f"the word {dup!r} appears twice in the dictionary; the file is damaged")
    if new and prune > 0:
        src.skip(8 * prune, "the pruning index")
    dim = args["dim"]
    expect_rows = size + args["bucket"]
    inp = _matrix(src, new, "the input matrix", dim, expect_rows)
    out = None
    if full_model:
        out = _matrix(src, new, "the output matrix", dim, None)
    else:
        _matrix(src, new, "the output matrix", dim, None, skip=True)
    if not src.at_end():
        raise src.bad("there are bytes after the output matrix; the file is damaged or not a fastText .bin model")
    return FacebookModel(args, words, np.asarray(counts, dtype=np.int64), int(ntokens), inp, out,
                         version if new else 0, nwords)


def _arg_problems(args: dict) -> list[str]:
    """The arguments fastText could not have written: what the reader refuses and the writer never writes."""
    t = args["t"]
    problems = []
    for name in ARG_NAMES[:-1]:
        value = args[name]
        whole = isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole or not 0 <= value < 1 << 31:
            problems.append(f"{name} {value!r}")
    if args["dim"] == 0:
        problems.append("dim 0")
    if args["loss"] not in LOSSES:
        problems.append(f"loss {args['loss']}")
    if args["model"] not in MODELS:
        problems.append(f"model {args['model']}")
    if isinstance(t, bool) or not isinstance(t, (int, float, np.floating)) or not math.isfinite(t) or t < 0:
        problems.append(f"t {t!r}")
    return list(dict.fromkeys(problems))


def _check_args(src: _Source, args: dict, new: bool) -> None:
    problems = _arg_problems(args)
    if problems:
        kind = "" if new else " (no fastText magic number: read as the oldest format)"
        raise src.bad(f"impossible arguments in the header{kind}: {', '.join(problems)}; the file is damaged or not "
                      f"a fastText .bin model")
    if args["model"] == 3:
        raise src.bad("a supervised fastText model; only unsupervised (cbow / skipgram) models can be read",
                      FastTextUnsupportedError)


def _matrix(src: _Source, new: bool, what: str, dim: int, rows_expected: int | None,
            skip: bool = False) -> np.ndarray | None:
    if new and src.unpack("?", what)[0]:
        raise src.bad(f"{what} is quantized (a .ftz model); only full models can be read", FastTextUnsupportedError)
    rows, cols = src.unpack("2q", f"the size of {what}")
    if rows < 0 or cols != dim or (rows_expected is not None and rows != rows_expected):
        want = f"{rows_expected} x {dim}" if rows_expected is not None else f"N x {dim}"
        raise src.bad(f"{what} is {rows} x {cols}, expected {want} (words + buckets x dim); the file is damaged")
    src.need(rows * cols * 4, what)
    if skip:
        src.skip(rows * cols * 4, what)
        return None
    have = available_memory()
    if have is not None and rows * cols * 4 > have:  # an honest file larger than this machine: before allocating
        raise src.bad(f"{what} ({rows:,} x {cols}) needs {rows * cols * 4 / 2**30:,.1f} GiB but only "
                      f"{have / 2**30:,.1f} GiB is available; read it on a machine with more memory")
    try:
        if src.size is None and rows * cols > _STREAM_VALUES:  # .gz: memory only for the rows the data holds
            blocks = []
            for a in range(0, rows * cols, _STREAM_VALUES):
                blocks.append(np.empty(min(_STREAM_VALUES, rows * cols - a), dtype="<f4"))
                src.into(blocks[-1], what)
            out = np.concatenate(blocks).reshape(rows, cols)
            del blocks
        else:
            out = np.empty((rows, cols), dtype="<f4")
            src.into(out, what)
    except (MemoryError, ValueError):
        raise src.bad(f"{what} ({rows} x {cols}) is too large to hold in memory") from None
    for a in range(0, rows, _FINITE_ROWS):
        ok = np.isfinite(out[a:a + _FINITE_ROWS]).all(axis=1)
        if not ok.all():
            raise src.bad(f"row {a + int(np.argmin(ok))} of {what} has a NaN or inf value; the model diverged or the "
                          f"file is damaged")
    return out.astype(np.float32, copy=False)


def _compressed(raw: IO[bytes], path: Path):
    """A path ending in .gz is written gzip-compressed (the reader takes .gz too); otherwise `raw` as it is."""
    return gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) if path.suffix == ".gz" \
        else contextlib.nullcontext(raw)


def _encodes(word: str, encoding: str) -> bool:
    try:
        word.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def write_model(path, model: FacebookModel, encoding: str = "utf-8") -> Path:
    """Write `model` as a fastText .bin file (version 12), atomically; fastText and gensim read it."""
    args = model.args
    if args.get("bucket") == 0 and args.get("maxn", 0) > 0:  # fastText would hash n-grams modulo 0 (SIGFPE) on load
        args = dict(args, maxn=0)  # its own way to say "no n-grams"
    problems = _arg_problems(args)
    if problems:
        raise WordvecError(f"a fastText file cannot hold these hyperparameters: {', '.join(problems)} (each a "
                           f"32-bit integer >= 0, dim >= 1, loss 1-4, model 1-3, t finite >= 0); fix them before "
                           f"saving")
    try:
        words = [w.encode(encoding) for w in model.words]
    except LookupError:
        raise WordvecError(f"unknown encoding {encoding!r}; give one Python knows (e.g. 'utf-8')") from None
    except UnicodeEncodeError as e:
        bad = next(w for w in model.words if not _encodes(w, encoding))
        raise WordvecError(f"the word {bad!r} cannot be written as {encoding} ({e.reason}), so no fastText file "
                           f"can hold it; rename or drop it (a lone surrogate comes from undecoded bytes)") from None
    if any(b"\0" in w for w in words):
        bad = next(w for w in model.words if "\0" in w)
        raise WordvecError(f"the fastText format cannot hold the word {bad!r}: it ends each word with a NUL byte; "
                           f"remove NUL bytes from the corpus and train again (or write a word2vec file)")
    n, dim = len(words), int(args["dim"])
    out = model.output if model.output is not None else np.zeros((n, dim), dtype=np.float32)
    parts = model.input if isinstance(model.input, tuple) else (model.input,)
    shape = (sum(len(p) for p in parts), *{p.shape[1] for p in parts})
    if shape != (n + int(args["bucket"]), dim) or out.ndim != 2 or out.shape[1] != dim:
        raise WordvecError(f"fastText matrices must be (words + bucket, dim) = ({n + int(args['bucket'])}, {dim}) "
                           f"and (rows, {dim}); got {shape} and {out.shape}")
    for name, mats in (("input", parts), ("output", (out,))):
        if not all(np.isfinite(m).all() for m in mats):
            raise WordvecError(f"the {name} matrix holds NaN or inf values (a diverged model?); fastText files must "
                               f"hold finite numbers")
    with atomic_open(Path(path), "wb") as raw, _compressed(raw, Path(path)) as f:
        f.write(struct.pack("<2i", MAGIC, VERSION))
        f.write(struct.pack("<12i", *(int(args[k]) for k in ARG_NAMES[:-1])))
        f.write(struct.pack("<d", float(args["t"])))
        f.write(struct.pack("<3iqq", n, n, 0, int(model.ntokens), -1))
        counts = np.asarray(model.counts, dtype=np.int64).tolist()
        for a in range(0, n, 8192):
            f.write(b"".join(w + b"\0" + struct.pack("<qb", c, 0) for w, c in zip(words[a:a + 8192],
                                                                                   counts[a:a + 8192])))
        for mats in (parts, (out,)):
            f.write(struct.pack("<?2q", False, sum(len(m) for m in mats), dim))
            step = max(1, _CHUNK // (4 * dim))
            for mat in mats:
                for a in range(0, len(mat), step):
                    f.write(np.ascontiguousarray(mat[a:a + step], dtype="<f4").tobytes())
    return Path(path)


__all__ = ["FacebookModel", "FastTextFileError", "FastTextTruncatedError", "FastTextUnsupportedError", "MAGIC",
           "VERSION", "ARG_NAMES", "LOSSES", "MODELS", "read_model", "write_model", "sniff"]
