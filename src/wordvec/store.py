"""A corpus tokenised once into token ids on disk: `prepare` writes a token store, `open_store` maps it.

A corpus larger than memory is read in ONE streaming pass, split across worker processes: a large plain-text file
is cut into byte ranges that start at line starts (each line, i.e. document, is read by exactly one worker);
compressed files (.gz, .bz2, .xz) go whole to a worker; in-memory sources (CSV, parquet, Hugging Face datasets)
are tokenised in the main process. Each worker numbers the words of its part in first-seen order and streams
these local ids to a temporary file; the main process merges the parts' vocabularies in source order (so the
first-seen order is that of reading the source front to back), applies min_count / max_final_vocab, orders the
vocabulary and rewrites every temporary file, chunk by chunk, into the final id file. Memory holds vocabulary-sized
tables and fixed-size buffers, never anything proportional to the corpus (nor to a line: a token of more than
1 MiB, which is no word, keeps its first 1 MiB, as word2vec.c truncates long words). The ids and offsets are
exactly those of `vocab.build_and_encode` over the same tokens with the same min_count / max_final_vocab /
sort_by_count.

Only the `train` split of a source is stored. Workers are forked (spawned where there is no fork), ignore Ctrl-C,
die on SIGTERM and die with the main process however it ends (even SIGKILL): the main process stops them, on
Ctrl-C, SIGTERM, an error or when one dies, and removes the temporary folder. It holds the lock `.OUT.lock` beside
`out` meanwhile (shared with `wordvec train`), so a temporary folder of `out` that it finds was left by a killed
prepare, and is removed. `--overwrite` replaces a folder that holds a token store and nothing else.

The store is a directory, built under a temporary name beside its destination and renamed into place:

    ids.u32        every kept token's id, flat little-endian uint32, in corpus order (out-of-vocabulary dropped)
    offsets.i64    little-endian int64 document offsets, n_docs + 1 of them: 0, ..., n_tokens;
                   document d is ids[offsets[d]:offsets[d+1]] (a document is a non-blank line of a text file,
                   or a row of a CSV / parquet / Hub dataset; it may be empty once rare words are dropped)
    vocab.txt      `token<TAB>count`, line i = id i (the format of `Vocab.save`)
    manifest.json  {"format": "wordvec-token-store", "format_version": 1, "wordvec_version", "created",
                    "source" (as given), "split": "train", "files": [{"path" (resolved), "size", "mtime"}],
                    "text_column", "tokenizer", "min_count", "max_final_vocab",
                    "vocab_order": "count" (descending count, ties last seen first: gensim's) | "first_seen" (the lab's),
                    "vocab_size", "tokens" (kept), "tokens_read" (before the vocabulary cut), "documents",
                    and for a store of phrase-joined tokens "phrases": their settings and counts (`phrasestore`)}
    phrases.json   a store of phrase-joined tokens only: every pass's phrases and scores

`open_store` checks the manifest (`read_manifest`: bounded JSON, every field's type, `files` entries of
{path, size, mtime}), vocab.txt (`Vocab.load`: ASCII counts within int64), that every file's size agrees with the manifest's counts, that the offsets start
at 0, end at the token count and never decrease (one chunked pass over offsets.i64: 8 bytes per document) and, by
default, that every id is inside the vocabulary (one chunked pass over ids.u32; `check_ids=False` skips it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import queue
import re
import shutil
import signal
import tempfile
import threading
import time
import traceback
from array import array
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from . import __version__
from .config import check_bounds
from .corpus import TextLines, check_apart, default_tokenizer, is_compressed, load_corpus, open_binary, read_errors
from .devices import cap_to_cores
from .errors import WordvecError
from .files import check_fields, check_name_room, is_kind, lock_beside, read_json, stale_temp_dirs, temp_dir, unlock
from .preprocess import get_tokenizer
from .vocab import Chunks, Encoded, Vocab, count_order, effective_min_count

log = logging.getLogger("wordvec")

FORMAT = "wordvec-token-store"
FORMAT_VERSION = 1
IDS, OFFSETS, VOCAB, MANIFEST = "ids.u32", "offsets.i64", "vocab.txt", "manifest.json"
PHRASES = "phrases.json"  # a store of phrase-joined tokens: the phrases of each pass (`phrasestore`)
STORE_FILES = frozenset({IDS, OFFSETS, VOCAB, MANIFEST, PHRASES})

_END = 0xFFFFFFFF  # end of a document in the temporary per-part id streams
_BLOCK = 1 << 20  # bytes read at a time; a block of whole lines is tokenised at once
_LONG_LINE = 4 << 20  # a line longer than this is cut after a space (a token boundary for both tokenizers)
_LONG_TOKEN = 1 << 20  # a token longer than this is no word: its first _LONG_TOKEN bytes stand for it
# what the simple tokenizer splits on in ASCII (str.split()); the lab tokenizer splits on " " alone
_SIMPLE_SEPARATORS = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_MIN_PART, _MAX_PART = 8 << 20, 256 << 20  # bytes of plain text a worker tokenises as one task
_CHUNK = 1 << 22  # ids rewritten / checked at a time
_MAX_VOCAB = 2 ** 31 - 1  # ids are read as int32 by the kernels
_NO_PRUNING = ("--max-vocab-size (gensim's pruning of rare words while counting) does not apply to a token store: "
               "prepare counts the corpus in parallel parts, exactly, in vocabulary-sized memory; drop it, and cap "
               "the vocabulary with --max-final-vocab")
# bytes.lower() for ASCII, and the four ASCII separators str.split() treats as whitespace but bytes.split() does not
_ASCII_LOWER = bytes.maketrans(bytes(range(65, 91)) + b"\x1c\x1d\x1e\x1f", bytes(range(97, 123)) + b"    ")
# the characters above ASCII that str.split() splits on (str.isspace(); a test checks the list)
_UNICODE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


# ------------------------------------------------------------------------------------------------- one part


class _PartEncoder:
    """Tokenises one part: local ids in first-seen order, streamed with an _END after each document to a file.

    Text files with the simple tokenizer are tokenised as bytes (one split of a whole block, words decoded only
    at the end); the lab tokenizer and in-memory texts go through the tokenizer's own str code.
    """

    def __init__(self, path: Path, tokenizer, text_files: bool):
        self.path = path
        self.as_bytes = text_files and tokenizer.name == "simple"
        self.tokenize = tokenizer  # one LabTokenizer per worker: each distinct word is stemmed once per worker
        self.words: list = []  # local id -> word
        self.index: dict = {b"\x80": _END} if self.as_bytes else {}  # b"\x80" marks a line end in the bytes path
        self.counts = np.zeros(1024, dtype=np.int64)
        self.tokens = self.docs = 0
        self.open_line_has_text = False  # the line being read (a long line comes in pieces) is not blank so far
        try:
            self.file = open(path, "wb")
        except OSError as e:
            raise _write_error(path, e) from None

    # --- text files: blocks of whole lines (or a long line cut after a space) ----------------------------------
    def add_block(self, block: bytes) -> None:
        if self.as_bytes:
            if not block.isascii():  # str.lower() and str.split()'s Unicode spaces, then back to bytes
                block = _UNICODE_SPACE.sub(" ", block.decode("utf-8").lower()).encode("utf-8")
            return self._add_simple(block)
        lines = block.decode("utf-8").split("\n")  # the caller turns a UnicodeDecodeError into a line number
        token_lists = list(map(self.tokenize, lines))
        has_text = np.fromiter((bool(line.strip()) for line in lines), dtype=bool, count=len(lines))
        # every finished non-blank line is a document; the text after the last newline is not finished yet
        ends = has_text.copy()
        ends[-1] = False
        if len(lines) > 1 and self.open_line_has_text:  # the first line finishes one begun in an earlier block
            ends[0] = True
        self.open_line_has_text = bool(has_text[-1]) or (len(lines) == 1 and self.open_line_has_text)
        self._emit(token_lists, ends)

    def _add_simple(self, block: bytes) -> None:
        """`line.lower().split()` for every line of the block at once: an _END token per line, blank lines dropped."""
        words = block.translate(_ASCII_LOWER).replace(b"\n", b" \x80 ").split()
        if not words:
            return
        ids = np.frombuffer(self._ids(words), dtype=np.uint32)
        end = ids == _END
        after_end = np.empty_like(end)  # an end right after an end (or at a line start) closes a blank line
        after_end[0] = not self.open_line_has_text
        after_end[1:] = end[:-1]
        self.open_line_has_text = not end[-1]
        ids = ids[~(end & after_end)]
        end = ids == _END
        self._write(ids, ids[~end], int(end.sum()))

    # --- in-memory sources: every text is one document ---------------------------------------------------------
    def add_docs(self, texts: list[str]) -> None:
        self._emit(list(map(self.tokenize, texts)), np.ones(len(texts), dtype=bool))

    # --- ids, counts, the temporary file -----------------------------------------------------------------------
    def _ids(self, words: list) -> array:
        """Local ids of `words`; a new word gets the next id (first-seen order).

        array.extend keeps what it appended before a KeyError, and the map has consumed the missing word: number
        it and go on from there. A block with many new words (more than one in 50 tokens: an exception costs about
        what 50 tokens of the batch pass cost) has them numbered in one pass instead.
        """
        index = self.index
        lookup = index.__getitem__
        ids = array("I")
        rest = iter(words)
        for _ in range(max(32, len(words) // 50)):
            try:
                ids.extend(map(lookup, rest))
                return ids
            except KeyError as missing:
                ids.append(self._add(missing.args[0]))
        rest = list(rest)
        for word in dict.fromkeys(rest):
            if word not in index:
                self._add(word)
        ids.extend(map(lookup, rest))
        return ids

    def _add(self, word) -> int:
        i = self.index[word] = len(self.words)
        self.words.append(word)
        return i

    def _emit(self, token_lists: list[list[str]], ends: np.ndarray) -> None:
        """Write the ids of `token_lists` with an _END after each list whose `ends` is set."""
        tokens = np.frombuffer(self._ids(list(chain.from_iterable(token_lists))), dtype=np.uint32)
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        at = np.cumsum(lengths)[ends]
        self._write(np.insert(tokens, at, np.uint32(_END)), tokens, len(at))

    def _write(self, stream: np.ndarray, tokens: np.ndarray, docs: int) -> None:
        if len(self.words) > len(self.counts):
            grown = np.zeros(max(len(self.words), 2 * len(self.counts)), dtype=np.int64)
            grown[:len(self.counts)] = self.counts
            self.counts = grown
        if len(tokens):
            self.counts[:len(self.words)] += np.bincount(tokens, minlength=len(self.words))
        self.tokens += len(tokens)
        self.docs += docs
        try:
            self.file.write(stream.astype("<u4", copy=False).data)
        except OSError as e:
            raise _write_error(self.path, e) from None

    def finish(self) -> dict:
        try:
            self.file.close()
        except OSError as e:
            raise _write_error(self.path, e) from None
        words = [w.decode("utf-8") for w in self.words] if self.as_bytes else self.words
        return {"words": words, "counts": self.counts[:len(words)].copy(), "tokens": self.tokens,
                "docs": self.docs, "path": str(self.path)}


def _write_error(path: Path, e: OSError) -> WordvecError:
    return WordvecError(f"cannot write {path}: {e.strerror or e}; free some disk space or choose another --out")


@dataclass
class _Segment:
    """Bytes [start, end) of a file (end None: to the end, for compressed files); start is a line start."""

    path: str
    start: int = 0
    end: int | None = None


def _blocks(f, start: int, end: int | None, separators: bytes = b" "):
    """Yield blocks of whole lines (each ending in b"\\n") of f between start and end; a long line comes in pieces
    cut after a space. A last line without a newline gets one.

    A run of _LONG_TOKEN bytes without a separator (`separators`: the tokenizer's token boundaries; a 200 MB line
    of base64, say) is no word: it is cut to its first _LONG_TOKEN bytes (at a character boundary) and the rest of
    it is skipped, as word2vec.c truncates long words, so memory stays bounded by _LONG_TOKEN, not by the line."""
    remaining = None if end is None else end - start
    carry = b""
    skipping = open_line = False
    ends = separators + b"\n"
    while True:
        n = _BLOCK if remaining is None else min(_BLOCK, remaining)
        data = f.read(n) if n > 0 else b""
        if not data:
            if carry or open_line:
                yield carry if carry.endswith(b"\n") else carry + b"\n"
            return
        if remaining is not None:
            remaining -= len(data)
        if skipping:  # the rest of an over-long token, up to the next separator or newline
            at = min((i for i in map(data.find, (ends[k:k + 1] for k in range(len(ends)))) if i >= 0), default=-1)
            if at < 0:
                continue
            data, skipping = data[at:], False
        buf = carry + data if carry else data
        cut = buf.rfind(b"\n") + 1
        if cut == 0 and len(buf) >= _LONG_LINE:
            cut = buf.rfind(b" ") + 1
        if cut == 0 and len(buf) >= _LONG_TOKEN:
            cut = max(map(buf.rfind, (separators[k:k + 1] for k in range(len(separators))))) + 1
            if cut == 0:  # the whole buffer is the start of one token
                cut, skipping = _char_start(buf, _LONG_TOKEN), True
                log.warning("a token of more than %d bytes (no space in it) was cut to its first %d bytes",
                            _LONG_TOKEN, cut)
                buf = buf[:cut]
        if cut == 0:
            carry = buf
            continue
        block = buf[:cut] if cut < len(buf) else buf
        open_line = not block.endswith(b"\n")
        yield block
        carry = buf[cut:]


def _char_start(buf: bytes, at: int) -> int:
    """The start of the UTF-8 character holding byte `at` (so both sides of a cut there decode)."""
    if at >= len(buf):
        return len(buf)
    while at > 0 and buf[at] & 0xC0 == 0x80:
        at -= 1
    return at or len(buf)


def _encode_part(index: int, segments: list[_Segment], tokenizer, tmpdir: str) -> dict:
    """Tokenise the segments of one part (files, or line-aligned byte ranges) into a temporary id file."""
    enc = _PartEncoder(Path(tmpdir) / f"part-{index:06d}.u32", tokenizer, text_files=True)
    for seg in segments:
        path = Path(seg.path)
        with read_errors(path), open_binary(path) as f:
            if seg.start:
                f.seek(seg.start)
            lines_before = 0
            for block in _blocks(f, seg.start, seg.end, _SIMPLE_SEPARATORS if tokenizer.name == "simple" else b" "):
                try:
                    enc.add_block(block)
                except UnicodeDecodeError as e:
                    raise _decode_error(path, seg.start, lines_before, block, e.start) from None
                lines_before += block.count(b"\n")
    return enc.finish()


def _decode_error(path: Path, start: int, lines_before: int, block: bytes, at: int) -> WordvecError:
    """The message corpus.TextLines gives for the same bytes: file, line number, reason."""
    with open_binary(path) as f:  # lines before this segment: counted only now, on the error path
        lines_before += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(min(_BLOCK, start - f.tell())), b""))
    line_start = block.rfind(b"\n", 0, at) + 1
    line_end = block.find(b"\n", at) + 1 or len(block)
    try:
        block[line_start:line_end].decode("utf-8")
        reason, where = "invalid UTF-8", at - line_start
    except UnicodeDecodeError as e:
        reason, where = e.reason, e.start
    lineno = lines_before + block.count(b"\n", 0, at) + 1
    return WordvecError(f"{path}: line {lineno} is not valid UTF-8 ({reason} at byte {where} of the line); "
                        f"re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")


def _encode_texts(texts: list[str], tokenizer, tmpdir: str) -> dict:
    enc = _PartEncoder(Path(tmpdir) / "part-000000.u32", tokenizer, text_files=False)
    for lo in range(0, len(texts), 10_000):
        enc.add_docs(texts[lo:lo + 10_000])
    return enc.finish()


# ------------------------------------------------------------------------------------------------- parts & workers


def _plan_parts(paths: list[Path], part_size: int) -> list[list[_Segment]]:
    """Group files and line-aligned byte ranges of large plain files into parts of about `part_size` bytes,
    in source order."""
    parts, current, size = [], [], 0
    for path in paths:
        total = path.stat().st_size
        if is_compressed(path) or total <= part_size:
            segments = [_Segment(str(path), 0, None if is_compressed(path) else total)]
        else:
            cuts = _line_starts(path, total, part_size)
            segments = [_Segment(str(path), a, b) for a, b in zip([0] + cuts, cuts + [total])]
        for seg in segments:
            current.append(seg)
            size += (seg.end if seg.end is not None else total) - seg.start
            if size >= part_size:
                parts.append(current)
                current, size = [], 0
    if current:
        parts.append(current)
    return parts


def _part_size(total: int, workers: int) -> int:
    """About two parts a worker (they are handed out as workers free up), each 8-256 MB: every part finds its
    vocabulary afresh, so parts much smaller than that cost more than they gain in balance."""
    n = max(2 * workers, -(-total // _MAX_PART))
    n = max(1, min(n, -(-total // _MIN_PART)))
    return max(1, -(-total // n))


def _line_starts(path: Path, total: int, step: int) -> list[int]:
    """Line starts near every `step` bytes: the first line start at or after each nominal cut."""
    cuts = []
    with read_errors(path), open(path, "rb") as f:
        pos = step
        while pos < total:
            f.seek(pos - 1)
            skipped = 0
            while True:
                window = f.read(1 << 16)
                nl = window.find(b"\n")
                if nl >= 0 or not window:
                    break
                skipped += len(window)
            if nl < 0:
                break
            cut = pos + skipped + nl  # the byte after the newline (reading started one byte early)
            if cut >= total:
                break
            cuts.append(cut)
            pos = cut + step
    return cuts


def _worker(tasks, results, tokenizer: str, tmpdir: str, parent: int) -> None:
    """Worker process: encode parts until told to stop.

    A forked worker inherits the CLI's signal handlers; it must not: SIGTERM (the parent stopping it) kills it at
    once, and Ctrl-C, which the terminal sends to the whole group, is the parent's to handle (it stops us). It
    dies with its parent, however that one ends (`_die_with`)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent)
    tokenizer = get_tokenizer(tokenizer)
    while (task := tasks.get()) is not None:
        index, segments = task
        try:
            results.put((index, _encode_part(index, segments, tokenizer, tmpdir), None))
        except WordvecError as e:
            results.put((index, None, ("user", str(e))))
        except Exception:
            results.put((index, None, ("bug", traceback.format_exc())))


def _die_with(parent: int) -> None:
    """End this process when `parent` ends, even by SIGKILL: Linux's PR_SET_PDEATHSIG, and everywhere a thread
    that polls getppid() (a re-parented orphan sees another parent)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent:  # the parent died before the death signal was set
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="wordvec-parent-watch").start()


def _run_parts(parts: list[list[_Segment]], workers: int, tokenizer: str, tmpdir: str, merge) -> None:
    """Encode the parts in `workers` processes; `merge(index, result)` is called in part order."""
    if workers <= 1:
        tok = get_tokenizer(tokenizer)
        for i, segments in enumerate(parts):
            merge(i, _encode_part(i, segments, tok, tmpdir))
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")  # fork: no re-import, no copy
    tasks, results = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(tasks, results, tokenizer, tmpdir, os.getpid()), daemon=True)
             for _ in range(workers)]
    try:
        for p in procs:
            p.start()
        for i, segments in enumerate(parts):
            tasks.put((i, segments))
        for _ in procs:
            tasks.put(None)
        done: dict[int, dict] = {}
        next_index, idle = 0, 0
        while next_index < len(parts):
            try:
                index, result, error = results.get(timeout=0.5)
            except queue.Empty:
                idle += 1
                _check_alive(procs, idle)
                continue
            idle = 0
            if error is not None:
                if error[0] == "user":
                    raise WordvecError(error[1])
                raise RuntimeError(f"a prepare worker failed:\n{error[1]}")
            done[index] = result
            while next_index in done:
                merge(next_index, done.pop(next_index))
                next_index += 1
    finally:
        _stop(procs)
        tasks.cancel_join_thread()
        results.cancel_join_thread()


def _stop(procs) -> None:
    """End the workers: SIGTERM, then SIGKILL for any still there after a few seconds; never wait unbounded (a
    worker blocked writing its result to a pipe nobody reads would hold a plain join() forever)."""
    for p in procs:
        if p.exitcode is None:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                p.terminate()
    deadline = time.monotonic() + 3
    for p in procs:
        with contextlib.suppress(AssertionError):
            p.join(max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.exitcode is None:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                p.kill()
            with contextlib.suppress(AssertionError):
                p.join(3)


def _check_alive(procs, idle: int) -> None:
    """A worker that died (killed, out of memory) never reports: notice it instead of waiting forever.

    Workers that all exited normally have flushed their results before exiting; allow a few more waits for them
    to arrive before calling that a failure."""
    codes = [p.exitcode for p in procs]
    dead = [c for c in codes if c not in (None, 0)]
    if not dead and (None in codes or idle < 10):
        return
    how = (f"was killed by signal {-dead[0]}" if dead[0] < 0 else f"exited with code {dead[0]}") if dead \
        else "stopped"
    raise WordvecError(f"a prepare worker process {how} before finishing its part (out of memory?); nothing was "
                       f"written; re-run, with fewer --workers if memory is short")


# ------------------------------------------------------------------------------------------------- vocabulary


class _Merger:
    """Merges the parts' vocabularies in part order: global first-seen ids, summed counts, one map per part."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.counts = np.zeros(0, dtype=np.int64)
        self.maps: list[np.ndarray] = []  # part -> local id -> first-seen id
        self.files: list[str] = []
        self.docs = self.tokens = 0

    @classmethod
    def of_file(cls, words: list[str], counts: np.ndarray, first_seen: np.ndarray, path: str, docs: int,
                tokens: int) -> "_Merger":
        """One part file of ids into `words` (ids counted `counts`; -1 in `first_seen` for words it never holds)."""
        self = cls()
        held = np.flatnonzero(first_seen >= 0)
        order = held[np.argsort(first_seen[held])]
        self.seen = {words[i]: k for k, i in enumerate(order.tolist())}
        self.counts = counts[order].astype(np.int64)
        self.maps, self.files = [np.maximum(first_seen, 0)], [path]
        self.docs, self.tokens = docs, tokens
        return self

    def words(self) -> list[str]:
        """Every word, by first-seen id."""
        words = [""] * len(self.seen)
        for w, i in self.seen.items():
            words[i] = w
        return words

    def stream(self, chunk_size: int | None = None):
        """(first-seen ids, ends of the documents closed in the chunk, whether the last one goes on), chunk by
        chunk (`chunk_size` ids and document ends) through every part file, in corpus order."""
        for part_file, local_map in zip(self.files, self.maps):
            table = np.append(local_map, -1)
            with open(part_file, "rb") as f:
                while len(chunk := np.fromfile(f, dtype="<u4", count=chunk_size or _CHUNK)):
                    mapped = table[np.minimum(chunk, len(table) - 1)]
                    ends = np.flatnonzero(mapped < 0)
                    yield mapped[mapped >= 0], ends - np.arange(len(ends)), chunk[-1] != _END

    def __call__(self, index: int, part: dict) -> None:
        seen = self.seen
        setdefault = seen.setdefault
        ids = np.array([setdefault(w, len(seen)) for w in part["words"]], dtype=np.int64)
        if len(seen) > len(self.counts):
            self.counts = np.concatenate([self.counts, np.zeros(len(seen) - len(self.counts), dtype=np.int64)])
        self.counts[ids] += part["counts"]  # ids are distinct within a part
        self.maps.append(ids)
        self.files.append(part["path"])
        self.docs += part["docs"]
        self.tokens += part["tokens"]

    def vocab(self, min_count: int, max_final_vocab: int | None, sort_by_count: bool) -> tuple[Vocab, np.ndarray]:
        """The kept words, ordered, and first-seen id -> final id (-1: dropped).

        gensim's rules, as `vocab.select_vocab`: keep words seen at least min_count times, min_count raised if
        needed so that at most `max_final_vocab` words stay (the cut falls between counts: ties at it all go).
        """
        counts = self.counts
        effective = effective_min_count(counts, min_count, max_final_vocab)
        keep = counts >= effective
        if not keep.any():
            top = int(counts.argmax())
            word = next(w for w, i in self.seen.items() if i == top)
            raise WordvecError(f"the vocabulary is empty: no word occurs at least {effective} times (the most "
                               f"frequent, {word!r}, occurs {int(counts[top])} times); lower --min-count")
        kept = np.flatnonzero(keep)
        if sort_by_count:
            kept = kept[count_order(counts[kept])]
        if len(kept) > _MAX_VOCAB:
            raise WordvecError(f"{len(kept):,} words is more than a token store holds (2**31 - 1); "
                               f"raise --min-count or set --max-final-vocab")
        final = np.full(len(counts), -1, dtype=np.int64)
        final[kept] = np.arange(len(kept))
        words = np.empty(len(counts), dtype=object)
        words[list(self.seen.values())] = list(self.seen.keys())
        return Vocab(words[kept].tolist(), counts[kept]), final


def _rewrite(merger: _Merger, final: np.ndarray, ids_path: Path, offsets_path: Path) -> int:
    """Rewrite every part's local ids as final ids (dropping the cut words) and write the document offsets."""
    written = 0
    with open(ids_path, "wb") as ids_out, open(offsets_path, "wb") as off_out:
        off_out.write(np.zeros(1, dtype="<i8").data)
        for part_file, local_map in zip(merger.files, merger.maps):
            table = np.append(final[local_map], -2).astype(np.int32)  # the last entry: the end of a document
            last = len(table) - 1
            with open(part_file, "rb") as f:
                while len(chunk := np.fromfile(f, dtype="<u4", count=_CHUNK)):
                    mapped = table[np.minimum(chunk, last)]
                    mapped = mapped[mapped != -1]
                    ends = np.flatnonzero(mapped == -2)
                    ids = mapped[mapped >= 0]
                    off_out.write((written + ends - np.arange(len(ends))).astype("<i8").data)
                    ids_out.write(ids.astype("<u4").data)
                    written += len(ids)
            os.unlink(part_file)
    return written


# ------------------------------------------------------------------------------------------------- prepare


def prepare(source, out, tokenizer: str = "auto", min_count: int = 5, max_final_vocab: int | None = None,
            sort_by_count: bool = True, workers: int | None = None, text_column: str = "tweet",
            overwrite: bool = False, part_size: int | None = None, max_vocab_size: int | None = None,
            transform=None) -> Path:
    """Tokenise `source` once into a token store at `out` (see the module docstring); returns its path.

    The vocabulary follows gensim: words seen at least `min_count` times, at most `max_final_vocab` of them (by
    raising min_count), numbered by descending count with ties in first-seen order (`sort_by_count=False`: the
    lab's first-seen order). gensim's `max_vocab_size` (prune rare words WHILE counting, to bound memory) depends
    on the order the corpus is read in, one document after another; the parts are counted in parallel, so it is
    refused rather than approximated.

    `workers`: processes that tokenise (None or 0: one per CPU core). `part_size`: bytes of plain text per task
    (default: about two tasks a worker, 8-256 MB each). An existing `out` is replaced only with `overwrite`
    and only if it is a token store (or an empty folder). `transform(merger, tmp)` -> (merger, manifest fields)
    replaces the tokens before the vocabulary is cut (`phrasestore`: phrase-joined tokens).
    """
    if tokenizer == "auto":
        tokenizer = default_tokenizer(source)
    get_tokenizer(tokenizer)
    check_bounds("min_count", min_count)
    check_bounds("max_final_vocab", max_final_vocab)
    if max_vocab_size is not None:
        raise WordvecError(_NO_PRUNING)
    workers = worker_count(workers)
    out = Path(out).expanduser()
    if not str(out).strip():
        raise WordvecError("--out is empty; give the token store folder to write")
    check_name_room(out)
    _check_out(out, overwrite)
    check_apart(out, source)
    splits = load_corpus(source, text_column, label_column=None)
    texts = splits["train"].texts
    files = source_files(source, texts)
    made = _make_parent(out)
    try:
        lock = lock_beside(out)
    except WordvecError:
        _remove_dirs(made)
        raise
    try:
        for stale in stale_temp_dirs(out):  # the lock proves their writer is gone (killed)
            log.info("removing %s, left by an interrupted prepare", stale)
            shutil.rmtree(stale, ignore_errors=True)
        tmp = temp_dir(out)
    except OSError as e:
        unlock(*lock)
        _remove_dirs(made)
        raise WordvecError(f"cannot create the store {out}: {e.strerror or e}; choose a writable --out") from None
    try:
        merger = encode_source(source, texts, files, tokenizer, workers, tmp, part_size)
        extra = {}
        if transform is not None:
            merger, extra = transform(merger, tmp)
        vocab, final = merger.vocab(min_count, max_final_vocab, sort_by_count)
        n_tokens = _rewrite(merger, final, tmp / IDS, tmp / OFFSETS)
        vocab.save(tmp / VOCAB)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "wordvec_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "source": str(source), "split": "train",
            "files": files, "text_column": text_column, "tokenizer": tokenizer, "min_count": min_count,
            "max_final_vocab": max_final_vocab, "vocab_order": "count" if sort_by_count else "first_seen",
            "vocab_size": len(vocab), "tokens": n_tokens, "tokens_read": merger.tokens, "documents": merger.docs,
            **extra,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        _install(tmp, out, overwrite)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        unlock(*lock)
        _remove_dirs(made)
        if isinstance(e, OSError):  # disk full, a source file vanishing, permissions
            raise WordvecError(f"prepare failed on {e.filename or out}: {e.strerror or e}; check the free disk "
                               f"space and that the files can be read and written") from None
        raise
    unlock(*lock)
    return out


def encode_source(source, texts, files: list[dict], tokenizer: str, workers: int, tmp: Path,
                  part_size: int | None = None) -> _Merger:
    """Tokenise the train split's `texts` into part files of ids in `tmp` (worker processes for text files); the
    merged vocabulary, counts and part files. A corpus without documents or tokens is one WordvecError."""
    merger = _Merger()
    if isinstance(texts, TextLines):
        parts = _plan_parts(texts.paths, part_size or _part_size(sum(f["size"] for f in files), workers))
        log.info("prepare: tokenising %s in %d parts, %d worker processes", source, len(parts),
                 min(workers, len(parts)))
        _run_parts(parts, min(workers, len(parts)), tokenizer, str(tmp), merger)
    else:
        merger(0, _encode_texts(texts, get_tokenizer(tokenizer), str(tmp)))
    if merger.docs == 0:
        raise WordvecError(f"{source} holds no text (only blank lines); give a corpus with one sentence a line")
    if not merger.seen:
        raise WordvecError("the corpus has no tokens after preprocessing; check --dataset, --text-column and "
                           "--tokenizer (the lab tokenizer keeps only a-z, @ and #)")
    return merger


def worker_count(workers: int | None) -> int:
    if workers is None:
        return cap_to_cores("--workers", 0)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise WordvecError(f"--workers must be 0 (one per CPU core) or more, got {workers!r}")
    return cap_to_cores("--workers", workers)


def source_files(source, texts) -> list[dict]:
    """The files the train split was read from (a Hub dataset has none), with their size and mtime."""
    if isinstance(texts, TextLines):
        paths = texts.paths
    else:
        path = Path(str(source)).expanduser()
        if not path.exists():
            paths = []
        elif path.is_file():
            paths = [path]
        elif (path / "dataset_dict.json").exists() or (path / "dataset_info.json").exists():
            paths = sorted(p for p in path.rglob("*") if p.is_file())
        else:
            paths = [p for p in (path / "train.csv", path / "train.parquet") if p.is_file()][:1]
    files = []
    for p in paths:
        st = Path(p).stat()
        files.append({"path": str(Path(p).resolve()), "size": st.st_size, "mtime": st.st_mtime})
    return files


def _is_store(path: Path) -> bool:
    try:
        m = read_json(path / MANIFEST)
    except WordvecError:
        return False
    return isinstance(m, dict) and m.get("format") == FORMAT


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an `out` that must not be replaced: --overwrite replaces a folder holding a token
    store and nothing else (as `train --overwrite` replaces only a run directory)."""
    if not out.exists() and not out.is_symlink():
        return
    if out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
        return
    if not (out.is_dir() and not out.is_symlink() and _is_store(out)):
        raise WordvecError(f"{out} exists and is not a wordvec token store; refusing to replace it: choose another "
                           f"--out (or remove it yourself)")
    if not overwrite:
        raise WordvecError(f"{out} already exists; pass --overwrite to replace it, or choose another --out")
    others = sorted(p.name for p in out.iterdir() if p.name not in STORE_FILES or p.is_symlink() or not p.is_file())
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise WordvecError(f"{out} holds a token store and other files ({shown}), so --overwrite will not replace "
                           f"it; move those files out, or choose another --out")


def _make_parent(out: Path) -> list[Path]:
    """Create the missing folders above `out`; returns them (deepest last) so a failure can remove them."""
    missing = [p for p in reversed(out.absolute().parents) if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        _remove_dirs(missing)
        raise WordvecError(f"cannot create the store {out}: {e.strerror or e} ({out.parent}); choose a writable "
                           f"--out") from None
    return missing


def _remove_dirs(dirs: list[Path]) -> None:
    for d in reversed(dirs):
        try:
            d.rmdir()
        except OSError:
            return


def _install(tmp: Path, out: Path, overwrite: bool) -> None:
    """Rename the finished store into place; an old store is moved aside first and removed after."""
    _check_out(out, overwrite)  # again: it may have appeared while we worked
    if out.exists() and any(out.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.replace(out, old / "store")
        try:
            os.replace(tmp, out)
        except BaseException:
            os.replace(old / "store", out)  # put the old store back
            old.rmdir()
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


# ------------------------------------------------------------------------------------------------- reading


class TokenStore:
    """A prepared corpus: `ids` (int32 memmap), `offsets` (int64 memmap), `vocab`, `manifest`; see open_store."""

    def __init__(self, path: Path, manifest: dict, vocab: Vocab, ids: np.ndarray, offsets: np.ndarray,
                 checked: bool = False):
        self.path, self.manifest, self.vocab, self.ids, self.offsets = path, manifest, vocab, ids, offsets
        self.checked = checked  # ids and offsets were validated on open

    @property
    def encoded(self) -> Encoded:
        """The corpus as the trainers take it, over the memmaps (nothing is read or copied); its chunks are read
        from the files (`StoreCorpus`)."""
        return StoreCorpus(self.ids, self.offsets, checked=self.checked, n_words=len(self.vocab))

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_docs(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def __repr__(self) -> str:
        m = self.manifest
        return (f"TokenStore({self.path}: {m['tokens']:,} tokens, {m['documents']:,} documents, {m['vocab_size']:,} "
                f"words, {m['tokenizer']} tokenizer, min_count {m['min_count']})")

    def check(self, tokenizer: str | None = None, min_count: int | None = None, max_final_vocab=...,
              sort_by_count: bool | None = None, max_vocab_size: int | None = None) -> None:
        """Raise one WordvecError naming every given setting that differs from the store's.

        A setting left out (None; `...` for max_final_vocab, where None means "no cap") is not compared.
        `max_vocab_size` (gensim's pruning while counting) never matches a store: any value is named.
        """
        m = self.manifest
        wanted = {"tokenizer": tokenizer, "min_count": min_count, "max_final_vocab": max_final_vocab,
                  "vocab_order": None if sort_by_count is None else ("count" if sort_by_count else "first_seen")}
        given = {k: v for k, v in wanted.items() if v is not (... if k == "max_final_vocab" else None)}
        differ = [k for k, v in given.items() if v != m[k]]
        problems = [f"{k} {m[k]!r} (asked for {given[k]!r})" for k in differ]
        if max_vocab_size is not None:
            problems.append(f"max_vocab_size {max_vocab_size} asked for: {_NO_PRUNING}")
        if not problems:
            return
        fixes = []
        if differ:
            flags = " ".join(f for k in differ for f in _prepare_flags(k, given[k]))
            theirs = ", ".join(f"{k}={m[k]!r}" for k in differ)
            given_flags = " ".join(dict.fromkeys("--[no-]sorted-vocab" if k == "vocab_order" else
                                                 f"--{k.replace('_', '-')}" for k in differ))
            fixes.append(f"leave out {given_flags} to train with the store's ({theirs}), or re-run `wordvec "
                         f"prepare --dataset {m['source']} --out {self.path} {flags} --overwrite` (with your other "
                         f"prepare flags)")
        raise WordvecError(f"the token store {self.path} does not match the settings asked for: "
                           f"{'; '.join(problems)}" + (f"; {fixes[0]}" if fixes else ""))

    def changed_sources(self) -> list[str]:
        """Source files whose size or mtime changed since prepare, or that are gone (the caller warns)."""
        changed = []
        for f in self.manifest["files"]:
            try:
                st = os.stat(f["path"])
            except (OSError, ValueError):  # gone, unreadable, or not a path (a NUL byte)
                changed.append(f["path"])
                continue
            if st.st_size != f["size"] or st.st_mtime != f["mtime"]:
                changed.append(f["path"])
        return changed


@dataclass
class StoreCorpus(Encoded):
    """A token store's corpus: `Encoded` over the memmaps, whose searches and chunks read the files instead.

    A map's touched pages stay resident, so reading chunk by chunk through it would make memory grow with the
    corpus: each chunk's ids are read into a buffer, with the offsets of the documents it touches (read from the
    file) made local, and the offsets are searched block by block. The kernels see the same documents as from
    memory."""

    n_words: int = 0  # the vocabulary's size: a chunk's ids are checked against it as they are read

    def search_offsets(self, *queries: tuple[np.ndarray, str]) -> list[np.ndarray]:
        """np.searchsorted(offsets, keys, side) for each (keys, side), in one pass over the file in blocks."""
        f = _ids_file(self.offsets)
        if f is None:
            return super().search_offsets(*queries)
        try:
            out = [np.zeros(len(keys), dtype=np.int64) for keys, _ in queries]
            for a in range(0, len(self.offsets), _OFFSET_BLOCK):
                block = _read(f, a, min(a + _OFFSET_BLOCK, len(self.offsets)), np.int64)
                for found, (keys, side) in zip(out, queries):
                    found += np.searchsorted(block, keys, side=side)
            return out
        finally:
            os.close(f[0])

    def offsets_at(self, idx: np.ndarray) -> np.ndarray:
        f = _ids_file(self.offsets)
        if f is None:
            return super().offsets_at(idx)
        try:
            return np.array([_read(f, i, i + 1, np.int64)[0] for i in idx.tolist()], dtype=np.int64)
        finally:
            os.close(f[0])

    def open_chunks(self, bounds: list[int]) -> "_FileChunks | Chunks":
        ids_file = _ids_file(self.ids)
        if ids_file is None:
            return super().open_chunks(bounds)
        offsets_file = _ids_file(self.offsets)
        try:
            return _FileChunks(self, bounds, ids_file, offsets_file)
        except BaseException:
            for f in (ids_file, offsets_file):
                if f is not None:
                    os.close(f[0])
            raise

    def chunk_documents(self, bounds: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """For each chunk bounds[c]..bounds[c+1], the first and the last index into the offsets it needs: the
        offsets of the documents it touches are offsets[first[c]:last[c] + 1]."""
        b = np.asarray(bounds, dtype=np.int64)
        first, last = self.search_offsets((b[:-1], "right"), (b[1:], "left"))
        return first - 1, last


class _FileChunks(Chunks):
    """A token store's chunks, read from its files (see `StoreCorpus`); close() closes them."""

    def __init__(self, corpus: StoreCorpus, bounds: list[int], ids_file, offsets_file):
        super().__init__(corpus.ids, corpus.offsets, bounds)
        self.n_words, self.ids_file, self.offsets_file = corpus.n_words, ids_file, offsets_file
        self.documents = corpus.chunk_documents(bounds)

    def read(self, c: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        s, e = self.bounds[c], self.bounds[c + 1]
        buf = _read(self.ids_file, s, e, np.int32)
        if self.n_words <= int(buf.max()) or int(buf.min()) < 0:
            raise WordvecError("the token store holds ids outside its vocabulary; re-create the store")
        d0, d1 = int(self.documents[0][c]), int(self.documents[1][c]) + 1
        if self.offsets_file is not None:
            local = _read(self.offsets_file, d0, d1, np.int64)
        else:
            local = np.array(self.offsets[d0:d1], dtype=np.int64)
        local -= s
        return buf, local, 0, e - s

    def close(self) -> None:
        for f in (self.ids_file, self.offsets_file):
            if f is not None:
                os.close(f[0])
        self.ids_file = self.offsets_file = None


#: Offsets searched per block read (`StoreCorpus.search_offsets`).
_OFFSET_BLOCK = 1 << 22


def _ids_file(ids: np.ndarray) -> tuple[int, int] | None:
    """(file descriptor, byte offset) of a memory-mapped little-endian array (a token store's ids or offsets), else
    None."""
    if isinstance(ids, np.memmap) and ids.filename and ids.dtype.byteorder in ("<", "=", "|") and os.name == "posix":
        return os.open(ids.filename, os.O_RDONLY), int(ids.offset)
    return None


def _read(file: tuple[int, int], start: int, stop: int, dtype) -> np.ndarray:
    """Elements start..stop of the array `_ids_file` opened, read into a new buffer."""
    fd, base = file
    buf = np.empty(stop - start, dtype=dtype)
    if os.preadv(fd, [memoryview(buf).cast("B")], base + buf.itemsize * start) != buf.nbytes:
        raise WordvecError("the token store's files are shorter than its manifest says; re-create the store")
    return buf


def _prepare_flags(key: str, value) -> list[str]:
    """The `wordvec prepare` flags that ask for `key` = `value` (none for a default)."""
    if key == "vocab_order":
        return ["--no-sort"] if value == "first_seen" else []
    if value is None:
        return []
    return [f"--{key.replace('_', '-')}", str(value)]


def open_store(path, check_ids: bool = True) -> TokenStore:
    """Open a token store: validate it (see the module docstring) and map its ids and offsets."""
    path = Path(path).expanduser()
    fix = f"re-create it with `wordvec prepare --out {path} --overwrite`"
    if not (path / MANIFEST).is_file():
        what = "does not exist" if not path.exists() else f"is not a token store (no {MANIFEST})"
        raise WordvecError(f"{path} {what}; create one with `wordvec prepare --dataset SRC --out {path}`")
    m = read_manifest(path / MANIFEST, fix)
    n_tokens, n_docs, n_words = m["tokens"], m["documents"], m["vocab_size"]
    if n_words > _MAX_VOCAB:
        raise WordvecError(f"{path} has {n_words:,} words; the kernels take int32 ids (at most 2**31 - 1 words)")
    for name, want in ((IDS, 4 * n_tokens), (OFFSETS, 8 * (n_docs + 1))):
        try:
            size = (path / name).stat().st_size
        except OSError:
            raise WordvecError(f"{path / name} is missing; the store is damaged: {fix}") from None
        if size != want:
            raise WordvecError(f"{path / name} has {size:,} bytes but the manifest ({n_tokens:,} tokens, {n_docs:,} "
                               f"documents) needs {want:,}: the store is truncated or damaged; {fix}")
    if not (path / VOCAB).is_file():
        raise WordvecError(f"{path / VOCAB} is missing; the store is damaged: {fix}")
    vocab = Vocab.load(path / VOCAB)
    if len(vocab) != n_words:
        raise WordvecError(f"{path / VOCAB} has {len(vocab):,} words, the manifest says {n_words:,}; {fix}")
    _check_offsets(path / OFFSETS, n_tokens, fix)
    if check_ids:
        _check_ids(path / IDS, n_words, fix)
    ids = np.memmap(path / IDS, dtype="<i4", mode="r", shape=(n_tokens,)) if n_tokens else np.zeros(0, np.int32)
    offsets = np.memmap(path / OFFSETS, dtype="<i8", mode="r", shape=(n_docs + 1,))
    return TokenStore(path, m, vocab, ids, offsets, checked=check_ids)


#: manifest.json's fields and their JSON kinds (`files.check_fields`); all are required but the informative ones.
_MANIFEST = {"format": "str", "format_version": "int", "tokens": "int", "documents": "int", "vocab_size": "int",
             "tokenizer": "str", "min_count": "int", "max_final_vocab": "int|null", "vocab_order": "str",
             "files": "list", "source": "str", "text_column": "str|null", "split": "str", "created": "str",
             "wordvec_version": "str", "tokens_read": "int", "phrases": "dict|null"}
_MANIFEST_REQUIRED = ("tokens", "documents", "vocab_size", "tokenizer", "min_count", "max_final_vocab",
                      "vocab_order", "files", "source")
_FILE_ENTRY = {"path": "str", "size": "int", "mtime": "number"}


def read_manifest(path: Path, fix: str) -> dict:
    """manifest.json, checked: a bounded JSON object of this format and version whose fields have their types,
    counts non-negative, and `files` a list of {path, size, mtime}; else one WordvecError ending in `fix`."""
    m = read_json(path, fix=f"the store is damaged: {fix}")
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise WordvecError(f"{path} is not a wordvec token store manifest (format "
                           f"{str(m.get('format'))[:40] if isinstance(m, dict) else None!r}); {fix}")
    version = m.get("format_version")
    if not is_kind(version, "int") or version < 1:
        raise WordvecError(f"{path}: format_version {str(version)[:20]!r} is not a positive integer; the store is "
                           f"damaged: {fix}")
    if version != FORMAT_VERSION:
        raise WordvecError(f"{path.parent} is a token store of format version {version}; this wordvec reads version "
                           f"{FORMAT_VERSION}: {fix}")
    check_fields(m, _MANIFEST, str(path), f"the store is damaged: {fix}", required=_MANIFEST_REQUIRED)
    for key in ("tokens", "documents", "vocab_size", "min_count", "max_final_vocab", "tokens_read"):
        if m.get(key) is not None and m[key] < 0:
            raise WordvecError(f"{path}: {key!r} is negative ({m[key]}); the store is damaged: {fix}")
    if m["vocab_order"] not in ("count", "first_seen"):
        raise WordvecError(f"{path}: vocab_order {m['vocab_order'][:40]!r} is neither 'count' nor 'first_seen'; "
                           f"the store is damaged: {fix}")
    for i, entry in enumerate(m["files"]):
        check_fields(entry, _FILE_ENTRY, f"{path}: files[{i}]", f"the store is damaged: {fix}")
    return m


def _check_offsets(path: Path, n_tokens: int, fix: str) -> None:
    """One chunked pass (8 bytes a document): starts at 0, never decreases, ends at the token count."""
    prev, first = None, True
    with open(path, "rb") as f:
        while len(chunk := np.fromfile(f, dtype="<i8", count=_CHUNK)):
            if first and chunk[0] != 0:
                raise WordvecError(f"{path} does not start at 0; the store is damaged: {fix}")
            first = False
            if (prev is not None and chunk[0] < prev) or (np.diff(chunk) < 0).any():
                raise WordvecError(f"{path}: document offsets decrease; the store is damaged: {fix}")
            prev = int(chunk[-1])
    if prev != n_tokens:
        raise WordvecError(f"{path} ends at {prev}, not at the {n_tokens:,} tokens of ids.u32; the store is "
                           f"damaged: {fix}")


def _check_ids(path: Path, n_words: int, fix: str) -> None:
    """One chunked pass (4 bytes a token, read, not mapped): every id is below the vocabulary size."""
    with open(path, "rb") as f:
        while len(chunk := np.fromfile(f, dtype="<u4", count=_CHUNK)):
            if int(chunk.max()) >= n_words:
                raise WordvecError(f"{path} holds id {int(chunk.max())}, outside the vocabulary of {n_words:,} "
                                   f"words; the store is damaged: {fix}")


def store_settings(path) -> dict:
    """The training settings a token store fixes, as Config fields (tokenizer, min_count, max_final_vocab,
    sorted_vocab): a run from the store takes them unless told otherwise. Read from the manifest alone (no pass over
    the ids); anything unreadable gives {} and `open_store` reports the damage."""
    try:
        m = read_manifest(Path(path).expanduser() / MANIFEST, "")
        return {"tokenizer": m["tokenizer"], "min_count": m["min_count"], "max_final_vocab": m["max_final_vocab"],
                "sorted_vocab": {"count": True, "first_seen": False}[m["vocab_order"]]}
    except (WordvecError, KeyError):
        return {}


def is_store(path) -> bool:
    """A folder `prepare` wrote (it holds the manifest), as `--dataset` may name one."""
    try:
        return (Path(path).expanduser() / MANIFEST).is_file()
    except (OSError, ValueError):
        return False


__all__ = ["prepare", "encode_source", "open_store", "read_manifest", "is_store", "store_settings", "TokenStore", "StoreCorpus", "FORMAT",
           "FORMAT_VERSION"]
