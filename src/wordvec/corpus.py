"""Raw texts in: a Hugging Face Hub id, a local folder of train.csv/test.csv, a .csv/.parquet/.txt file, or a
folder of .txt files (one sentence per line). Plain text may be compressed (.gz, .bz2, .xz): it is decompressed
while it is read.

Every loader returns `{split name: Split}`. Plain-text sources are not read into memory: their `Split.texts`
is a re-iterable stream of lines, so corpora larger than memory can be counted and encoded in one pass.

gensim's corpus readers live here too, with gensim's observed behaviour: `LineSentence` (one sentence per line),
`PathLineSentences` (every file of a folder, by name) and `Text8Corpus` (one stream of words). They yield token
lists (whitespace split of UTF-8 text, sentences longer than `max_sentence_length` cut into several), are
re-iterable, and read plain, .gz, .bz2 and .xz files.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import gzip
import io
import itertools
import logging
import lzma
import os
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

import numpy as np

from .config import DEFAULT_DATASET
from .errors import DecodeError, WordvecError, require

log = logging.getLogger("wordvec")

TEXT_SUFFIXES = (".txt", ".text", ".tokens")
COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}  # suffix -> opener of a binary stream
LOCAL_HINT = ("pass a local copy instead: --dataset PATH, a folder holding train.csv and test.csv (or a single "
              ".csv/.txt file), or set WORDVEC_DATASET=PATH")


@dataclass
class Split:
    """One split of a corpus: its texts (a list, or a re-iterable stream) and labels where the source has them."""

    texts: "list[str] | TextLines"
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.texts)


class TextLines:
    """Re-iterable lines of one or more UTF-8 text files, read lazily (memory does not grow with the corpus)."""

    def __init__(self, paths: list[Path]):
        self.paths = list(paths)

    def __iter__(self) -> Iterator[str]:
        for path in self.paths:
            with read_errors(path), open_binary(path) as f:
                for lineno, raw in enumerate(f, 1):
                    line = decode_line(raw, path, lineno).strip()
                    if line:
                        yield line

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"TextLines({len(self.paths)} files)"


def is_compressed(path: Path) -> bool:
    return path.suffix in COMPRESSED


def is_text_file(path: Path) -> bool:
    """A plain-text corpus file in a folder: .txt/.text/.tokens, possibly compressed (corpus.txt.gz)."""
    return path.suffix in TEXT_SUFFIXES or (is_compressed(path) and Path(path.stem).suffix in TEXT_SUFFIXES)


def open_binary(path: Path) -> IO[bytes]:
    """Open a text file for reading bytes; .gz / .bz2 / .xz are decompressed on the fly."""
    return COMPRESSED.get(Path(path).suffix, open)(path, "rb")


@contextlib.contextmanager
def read_errors(path: Path) -> Iterator[None]:
    """Turn a failure to read or decompress `path` into one WordvecError that names the file."""
    try:
        yield
    except (EOFError, zlib.error, lzma.LZMAError, OSError) as e:
        if is_compressed(Path(path)) and not isinstance(e, FileNotFoundError):
            raise WordvecError(f"{path} is not a readable {Path(path).suffix[1:]} file, it is corrupt or truncated "
                               f"({e}); re-download or re-compress it") from None
        raise WordvecError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}; check the path and its "
                           f"permissions") from None


class CorpusDecodeError(DecodeError):
    """Text that is not UTF-8: a WordvecError naming the file and line, and the UnicodeDecodeError gensim raises."""


class CorpusPathError(WordvecError, FileNotFoundError):
    """A corpus path that is not there (gensim raises FileNotFoundError, or ValueError for a folder reader)."""

    __str__ = Exception.__str__


def decode_line(raw: bytes | str, where, lineno: int) -> str:
    """One line as text; bytes that are not UTF-8 stop with the file, the line and the fix."""
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorpusDecodeError(f"{where}: line {lineno} is not valid UTF-8 ({e.reason} at byte {e.start} of the "
                                f"line); re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)", e) from None


def default_dataset() -> str:
    """`WORDVEC_DATASET` if set, else the Hub id of the lab's dataset."""
    return os.environ.get("WORDVEC_DATASET") or DEFAULT_DATASET


def load_corpus(source: str | os.PathLike | None = None, text_column: str = "tweet",
                label_column: str | None = "label") -> dict[str, Split]:
    """Load every split of `source` (see module docstring). Raises WordvecError with a fix for bad input."""
    source = str(source) if source is not None else default_dataset()
    if not source.strip():
        raise WordvecError("--dataset is empty; give a Hub id or a local path")
    path = Path(source).expanduser()
    if path.is_symlink() and not path.exists():
        raise WordvecError(f"dataset path {source} is a broken or looping symbolic link; point --dataset at the "
                           f"real file or folder")
    if path.exists():
        try:
            return _load_local(path, text_column, label_column)
        except OSError as e:  # permissions, symlink loops inside a folder, a file vanishing mid-read
            where = e.filename or path
            raise WordvecError(f"cannot read {where}: {e.strerror or e}; check the dataset's files") from None
    if _looks_like_path(source):
        raise WordvecError(f"dataset path {source} does not exist; check the path, or {LOCAL_HINT}")
    return _load_hub(source, text_column, label_column)


def _looks_like_path(source: str) -> bool:
    """A Hub id is 'name' or 'owner/name'; anything else that does not exist is a mistyped path."""
    return (source.startswith((".", "/", "~")) or source.count("/") > 1 or "\\" in source
            or source.endswith((".csv", ".parquet") + TEXT_SUFFIXES + tuple(COMPRESSED)) or Path(source.split("/")[0]).is_dir())


#: Files that mark a folder as wordvec's own output, and a text each holds near its start.
_OUTPUT_MARKERS = (("manifest.json", b'"wordvec-token-store"', "a token store (wordvec prepare)"),
                   ("metrics.json", b'"wordvec_version"', "a wordvec run directory"))
#: wordvec's temporary folders (`files.temp_dir`, a run's `.NAME.old-PID`), in progress or left by a killed run.
_TEMP_DIR = re.compile(r"\..+\.(?:[a-z0-9_]+\.(?:tmp|old)|old-\d+)")


def wordvec_output(folder: Path) -> str | None:
    """What `folder` is if wordvec wrote it (a token store, a run directory, a temporary folder), else None.
    Only the first 64 KiB of a marker file are read."""
    folder = Path(folder)
    if _TEMP_DIR.fullmatch(folder.name):
        return "a temporary folder of wordvec"
    for name, text, what in _OUTPUT_MARKERS:
        try:
            with open(folder / name, "rb") as f:
                if text in f.read(1 << 16):
                    return what
        except OSError:
            continue
    return None


def _text_files(root: Path) -> list[Path]:
    """The text files under `root`, skipping the folders wordvec wrote (runs, stores, temporary folders): a
    corpus must never read wordvec's own vocab.txt or vectors.txt back as text."""
    found = []
    for folder, dirs, files in os.walk(root, onerror=_raise):
        kept = []
        for d in sorted(dirs):
            what = wordvec_output(Path(folder) / d)
            if what is None:
                kept.append(d)
            else:
                log.info("skipping %s: %s, not text", Path(folder) / d, what)
        dirs[:] = kept
        found += [Path(folder) / f for f in files if is_text_file(Path(f)) and (Path(folder) / f).is_file()]
    return sorted(found)


def _raise(error: OSError) -> None:
    raise error


def check_apart(out, dataset) -> None:
    """Refuse an --out that is, holds, or lies inside the --dataset folder: wordvec would read its own output back
    as text next time, or --overwrite would delete the data."""
    if dataset is None or not str(out).strip() or not str(dataset).strip():
        return
    data = Path(str(dataset)).expanduser()
    if not data.exists():
        return
    try:
        data, target = data.resolve(), Path(out).expanduser().resolve()
    except (OSError, RuntimeError):  # a symbolic-link loop: reported where the path is used
        return
    if target == data or target in data.parents:
        raise WordvecError(f"--out {out} is or holds the --dataset {dataset}; writing there would replace the "
                           f"data: choose an --out outside it")
    if data.is_dir() and data in target.parents:
        raise WordvecError(f"--out {out} is inside the --dataset folder {dataset}; wordvec would read its own "
                           f"output back as text: choose an --out outside the dataset folder")
def default_tokenizer(source) -> str:
    """What `--tokenizer auto` means for `source`: gensim's simple_preprocess for plain text (files or folders of
    them, read one sentence per line), the lab's tokenizer for tables (CSV, parquet, Hub datasets) as before."""
    path = Path(str(source if source is not None else default_dataset())).expanduser()
    try:
        if path.is_dir():
            tables = ("dataset_dict.json", "dataset_info.json", "train.csv", "train.parquet")
            return "lab" if any((path / name).is_file() for name in tables) else "gensim"
        return "gensim" if path.is_file() and not (_is_csv(path) or _is_parquet(path)) else "lab"
    except OSError:
        return "lab"  # unreadable: load_corpus reports it


def _load_local(path: Path, text_column: str, label_column: str | None) -> dict[str, Split]:
    if path.is_dir():
        what = wordvec_output(path)
        if what is not None:
            use = (f"train from it with `wordvec train --dataset {path}`" if "store" in what else
                   "give the raw corpus (a folder of .txt files, train.csv, or a file)")
            raise WordvecError(f"--dataset {path} is {what}, not a corpus; {use}")
        if (path / "dataset_dict.json").exists() or (path / "dataset_info.json").exists():
            return _from_hf(_hf_load_from_disk(path), text_column, label_column, str(path))
        csvs = {p.stem: p for p in sorted(path.glob("*.csv")) if p.is_file()}
        if "train" in csvs:
            return {name: _read_csv(p, text_column, label_column)
                    for name, p in sorted(csvs.items(), key=lambda kv: kv[0] != "train")}
        parquets = {p.stem: p for p in sorted(path.glob("*.parquet")) if p.is_file()}
        if "train" in parquets:
            return {name: _read_parquet(p, text_column, label_column) for name, p in parquets.items()}
        texts = _text_files(path)
        if texts:
            return {"train": Split(_nonempty_lines(TextLines(texts), path))}
        raise WordvecError(f"folder {path} holds no train.csv, train.parquet or .txt(.gz) files; put the corpus there "
                           f"(train.csv with a '{text_column}' column, or plain-text files, one sentence per line)")
    if _is_csv(path):
        return {"train": _read_csv(path, text_column, label_column)}
    if _is_parquet(path):
        return {"train": _read_parquet(path, text_column, label_column)}
    if path.stat().st_size == 0:
        raise WordvecError(f"{path} is empty; give a file with one sentence per line")
    return {"train": Split(_nonempty_lines(TextLines([path]), path))}


def _nonempty_lines(lines: TextLines, where: Path) -> TextLines:
    """`lines`, once a non-blank line is found: cheap, and fails early on bad bytes in the lines before it. Lines
    are read in pieces of 64 KiB (a 200 MB line is not read whole); only whole lines are decoded strictly."""
    for path in lines.paths:
        with read_errors(path), open_binary(path) as f:
            lineno, whole = 1, True
            while piece := f.readline(1 << 16):
                done = piece.endswith(b"\n")
                text = decode_line(piece, path, lineno) if whole and done else piece.decode("utf-8", "ignore")
                if text.strip():
                    return lines
                lineno += done
                whole = done
    raise WordvecError(f"{where} holds no text (only blank lines); give a corpus with one sentence per line")


def _is_csv(path: Path) -> bool:
    """A CSV table, possibly compressed (train.csv.gz), any case (DATA.CSV): read by columns, never as lines."""
    return path.suffix.lower() == ".csv" or (is_compressed(path) and Path(path.stem).suffix.lower() == ".csv")


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def _read_csv(path: Path, text_column: str, label_column: str | None) -> Split:
    csv.field_size_limit(min(sys.maxsize, 2 ** 31 - 1))  # a long text is a text, not a quoting error
    extra = 0
    try:
        with read_errors(path), io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            if not columns:
                raise WordvecError(f"{path} is empty; it needs a header row with a '{text_column}' column")
            if text_column not in columns:
                raise WordvecError(f"{path} has no '{text_column}' column (columns: {', '.join(columns)}); "
                                   f"pass the text column with --text-column NAME")
            has_labels = bool(label_column) and label_column in columns
            texts, labels = [], []
            for row in reader:
                texts.append(row[text_column] or "")
                if None in row:  # more fields than the header: an unquoted comma cut the row
                    extra += 1
                if has_labels:
                    labels.append(row[label_column])
    except UnicodeDecodeError as e:
        raise WordvecError(f"{path}: line {_first_bad_line(path)} is not valid UTF-8 ({e.reason}); "
                           f"re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    except csv.Error as e:
        raise WordvecError(f"{path} is not a readable CSV file ({e}); check its quoting") from None
    if not texts:
        raise WordvecError(f"{path} has a header but no rows; give a CSV with at least one row of text")
    if extra:
        log.warning("%s: %d row(s) have more fields than the header (unquoted commas?); their text may be cut "
                    "at a comma; quote fields that contain commas", path, extra)
    return Split(texts, _labels(labels, path) if has_labels else None)


def _first_bad_line(path: Path) -> int:
    with contextlib.suppress(EOFError, zlib.error, lzma.LZMAError, OSError), open_binary(path) as f:
        for lineno, raw in enumerate(f, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return lineno
    return 0


def _labels(values: list, where) -> np.ndarray | None:
    try:
        arr = np.asarray([int(v) for v in values], dtype=np.int64)
    except (TypeError, ValueError):
        log.warning("%s: labels are not integers; ignoring them", where)
        return None
    return None if (arr < 0).all() else arr  # Hub test splits mark missing labels as -1


def _read_parquet(path: Path, text_column: str, label_column: str | None) -> Split:
    pq = require("pyarrow.parquet", f"reading {path.name} (parquet)")

    try:
        names = pq.ParquetFile(path).schema_arrow.names
        if text_column not in names:
            raise WordvecError(f"{path} has no '{text_column}' column (columns: {', '.join(names)}); "
                               f"pass the text column with --text-column NAME")
        cols = [text_column] + ([label_column] if label_column and label_column in names else [])
        table = pq.read_table(path, columns=cols)
    except WordvecError:
        raise
    except Exception as e:  # pyarrow raises its own types for damaged files
        raise WordvecError(f"{path} is not a readable parquet file ({str(e).splitlines()[0][:200]}); "
                           f"check or re-export it") from None
    texts = table.column(text_column).to_pylist()
    _check_texts(texts, path, text_column, str(table.schema.field(text_column).type))
    labels = _labels(table.column(label_column).to_pylist(), path) if len(cols) == 2 else None
    return Split([t or "" for t in texts], labels)


def _check_texts(texts: list, where, column: str, kind: str) -> None:
    bad = next((t for t in texts if t is not None and not isinstance(t, str)), None)
    if bad is not None:
        raise WordvecError(f"{where}: column '{column}' holds {kind} values (e.g. {bad!r}), not text; pass the "
                           f"text column with --text-column NAME")


def _hf_load_from_disk(path: Path):
    datasets = require("datasets", f"reading {path} (a Hugging Face save_to_disk folder)")

    try:
        return datasets.load_from_disk(str(path))
    except Exception as e:  # a damaged save_to_disk folder raises whatever the reader tripped on
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise WordvecError(f"{path} looks like a Hugging Face save_to_disk folder but cannot be read ({reason}); "
                           f"save it again with Dataset.save_to_disk") from None


def _load_hub(name: str, text_column: str, label_column: str | None) -> dict[str, Split]:
    """A Hub dataset, quietly: offline (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE set, or the Hub not answering within
    a few seconds) it is read from the local cache only, so a missing copy fails at once, in one line, instead of
    after a minute of retries; the Hub libraries' own log lines and progress bars are silenced."""
    datasets = require("datasets", f"loading '{name}' from the Hugging Face Hub")
    offline = next((f"{v} is set" for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE") if _env_true(v)), None)
    if offline is None and not _hub_reachable():
        offline = "the Hub could not be reached"
    try:
        with _quiet_hub(datasets, offline is not None):
            data = datasets.load_dataset(name)
    except Exception as e:  # offline, unknown id, no access: the same fix applies
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        if offline is not None:
            reason = f"offline: {offline}, and no copy is in the local cache"
        raise WordvecError(f"could not load '{name}' from the Hugging Face Hub ({reason}); {LOCAL_HINT}") from None
    return _from_hf(data, text_column, label_column, name)


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().upper() in ("1", "ON", "YES", "TRUE")


HUB_TIMEOUT = 3.0


def _hub_reachable(timeout: float = HUB_TIMEOUT) -> bool:
    """Whether a TCP connection to the Hub (HF_ENDPOINT) opens within `timeout` seconds, name lookup included."""
    import socket
    import threading
    from urllib.parse import urlsplit

    url = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = url.port or (443 if url.scheme == "https" else 80)
    answer: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((url.hostname or "", port), timeout=timeout).close()
            answer.append(True)
        except (OSError, ValueError):
            answer.append(False)

    thread = threading.Thread(target=probe, daemon=True)  # a stuck name lookup ignores socket timeouts
    thread.start()
    thread.join(timeout)
    return bool(answer and answer[0])


@contextlib.contextmanager
def _quiet_hub(datasets, offline: bool) -> Iterator[None]:
    """The Hub libraries' loggers at ERROR, their progress bars off and, when `offline`, their offline switches on,
    for one load; everything is put back afterwards."""
    import huggingface_hub

    switches = [(datasets.config, "HF_HUB_OFFLINE"), (datasets.config, "HF_DATASETS_OFFLINE"),
                (huggingface_hub.constants, "HF_HUB_OFFLINE")]
    saved = [(obj, attr, getattr(obj, attr)) for obj, attr in switches if hasattr(obj, attr)]
    loggers = [logging.getLogger(n) for n in ("datasets", "huggingface_hub", "fsspec", "filelock")]
    levels = [lg.level for lg in loggers]
    bars = datasets.utils.logging.is_progress_bar_enabled()
    try:
        for obj, attr, _ in saved:
            if offline:
                setattr(obj, attr, True)
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        datasets.disable_progress_bars()
        yield
    finally:
        for obj, attr, value in saved:
            setattr(obj, attr, value)
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
        if bars:
            datasets.enable_progress_bars()


def _from_hf(data, text_column: str, label_column: str | None, where: str) -> dict[str, Split]:
    if not hasattr(data, "keys"):  # a single Dataset
        data = {"train": data}
    out = {}
    for split in data.keys():
        ds = data[split]
        if text_column not in ds.column_names:
            raise WordvecError(f"{where} split '{split}' has no '{text_column}' column (columns: "
                               f"{', '.join(ds.column_names)}); pass the text column with --text-column NAME")
        texts = ds[text_column]
        _check_texts(texts, f"{where} split '{split}'", text_column, str(ds.features[text_column]))
        labels = None
        if label_column and label_column in ds.column_names:
            labels = _labels(ds[label_column], f"{where}[{split}]")
        out[split] = Split([t or "" for t in texts], labels)
    if "train" not in out:
        raise WordvecError(f"{where} has no 'train' split (splits: {', '.join(out)}); wordvec trains on 'train'")
    return out


# --- gensim's readers ---------------------------------------------------------------------------------------------

def _check_reader_args(max_sentence_length, limit) -> None:
    if not isinstance(max_sentence_length, int) or isinstance(max_sentence_length, bool) or max_sentence_length < 1:
        raise WordvecError(f"max_sentence_length must be a positive whole number, got {max_sentence_length!r}")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise WordvecError(f"limit must be None or a number of lines (0 or more), got {limit!r}")


def _existing_file(source) -> Path:
    path = Path(source)
    if not path.is_file():
        what = "is a folder, not a file (use PathLineSentences for a folder)" if path.is_dir() else "does not exist"
        raise CorpusPathError(f"corpus file {source} {what}; check the path")
    return path


def _line_sentences(f, where, max_sentence_length: int, limit: int | None) -> Iterator[list[str]]:
    """The first `limit` lines of an open file, split on whitespace, cut every `max_sentence_length` words (a blank
    line yields nothing)."""
    for lineno, raw in enumerate(itertools.islice(f, limit), 1):
        words = decode_line(raw, where, lineno).split()
        for i in range(0, len(words), max_sentence_length):
            yield words[i:i + max_sentence_length]


class LineSentence:
    """gensim's LineSentence: one sentence per line of a UTF-8 file (plain, .gz, .bz2 or .xz) or of an open file
    object, words separated by whitespace; lines longer than `max_sentence_length` words become several sentences;
    `limit` reads only the first lines. Re-iterable (a file object is rewound on every pass)."""

    def __init__(self, source, max_sentence_length: int = 10000, limit: int | None = None):
        _check_reader_args(max_sentence_length, limit)
        self.source = source if hasattr(source, "read") else _existing_file(source)
        self.max_sentence_length = max_sentence_length
        self.limit = limit

    def __iter__(self) -> Iterator[list[str]]:
        if hasattr(self.source, "read"):  # an open file: rewound, left open
            if self.source.seekable():
                self.source.seek(0)
            yield from _line_sentences(self.source, getattr(self.source, "name", "the corpus"),
                                       self.max_sentence_length, self.limit)
            return
        with read_errors(self.source), open_binary(self.source) as lines:
            yield from _line_sentences(lines, self.source, self.max_sentence_length, self.limit)

    def __repr__(self) -> str:
        return f"LineSentence({str(self.source)!r})"


class PathLineSentences:
    """gensim's PathLineSentences: LineSentence over one file, or over every file of a folder in order of name
    (`limit` lines of each). A sub-folder is refused (gensim stops there with IsADirectoryError)."""

    def __init__(self, source, max_sentence_length: int = 10000, limit: int | None = None):
        _check_reader_args(max_sentence_length, limit)
        path = Path(source)
        if path.is_file():
            self.input_files = [path]
        elif path.is_dir():
            self.input_files = [path / name for name in sorted(os.listdir(path))]
            folders = [p.name for p in self.input_files if p.is_dir()]
            if folders:
                raise WordvecError(f"PathLineSentences reads the files of one folder, but {path} holds folders too "
                                   f"({', '.join(folders[:3])}); move them out, or pass each folder separately")
        else:
            raise CorpusPathError(f"{source} is neither a file nor a folder; check the path")
        self.source = path
        self.max_sentence_length = max_sentence_length
        self.limit = limit

    def __iter__(self) -> Iterator[list[str]]:
        for path in self.input_files:
            with read_errors(path), open_binary(path) as f:
                yield from _line_sentences(f, path, self.max_sentence_length, self.limit)

    def __repr__(self) -> str:
        return f"PathLineSentences({str(self.source)!r}, {len(self.input_files)} files)"


class Text8Corpus:
    """gensim's Text8Corpus: the whole file as one stream of whitespace-separated words (line ends are spaces too),
    cut into sentences of exactly `max_sentence_length` words (the last one shorter). Read in blocks, so a file
    without line breaks (text8 is 100 MB on one line) never sits in memory whole."""

    BLOCK = 1 << 20

    def __init__(self, fname, max_sentence_length: int = 10000):
        _check_reader_args(max_sentence_length, None)
        self.fname = _existing_file(fname)
        self.max_sentence_length = max_sentence_length

    def __iter__(self) -> Iterator[list[str]]:
        n = self.max_sentence_length
        decoder = codecs.getincrementaldecoder("utf-8")()
        sentence: list[str] = []
        rest, done = "", 0
        with read_errors(self.fname), open_binary(self.fname) as f:
            while True:
                block = f.read(self.BLOCK)
                try:
                    text = rest + decoder.decode(block, final=not block)
                except UnicodeDecodeError as e:
                    raise CorpusDecodeError(f"{self.fname}: the bytes near offset {done + e.start} are not valid "
                                            f"UTF-8 ({e.reason}); re-save the file as UTF-8", e) from None
                done += len(block)
                words = text.split()
                rest = words.pop() if block and words and not text[-1].isspace() else ""  # a word cut by the block
                sentence.extend(words)
                cut = len(sentence) - len(sentence) % n
                for i in range(0, cut, n):
                    yield sentence[i:i + n]
                del sentence[:cut]
                if not block:
                    break
        if sentence:
            yield sentence

    def __repr__(self) -> str:
        return f"Text8Corpus({str(self.fname)!r})"


__all__ = ["default_tokenizer", "Split", "TextLines", "load_corpus", "default_dataset", "is_text_file", "is_compressed", "open_binary",
           "read_errors", "decode_line", "LineSentence", "PathLineSentences", "Text8Corpus", "CorpusDecodeError",
           "CorpusPathError"]
