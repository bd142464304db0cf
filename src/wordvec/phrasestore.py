"""Phrases over a corpus on disk: `wordvec prepare --phrases N` and `wordvec phrases`.

The corpus is tokenised once as `prepare` tokenises it (worker processes write parts of token ids to a temporary
folder). Each pass of phrase learning streams over those parts (through the joiners of the passes before it) and
counts ids (`phrases.learn_ids`): memory holds the vocabulary and the bigram counts, never the corpus, and no word
is looked up twice. The last stream writes the joined tokens to one file of ids, which becomes a token store
(prepare's vocabulary cut and rewrite; the store keeps the phrases in phrases.json) or a text file. The phrases
are those of `learn_phrases` (gensim's Phrases, pass after pass) over the same tokens. (gensim's pruning at
max_vocab_size, 40 M entries, is checked after each sentence as gensim does; a sentence longer than a chunk is
checked where the chunk ends as well.)
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np

from .corpus import check_apart, default_tokenizer, load_corpus
from .errors import WordvecError
from .files import atomic_open, check_name_room, temp_dir
from .phrases import ENGLISH_CONNECTOR_WORDS, IdJoiner, learn_ids
from .preprocess import get_tokenizer
from .store import PHRASES, _END, _Merger, encode_source, prepare, source_files, worker_count

log = logging.getLogger("wordvec")

MAX_PASSES = 100
CHUNK = 1 << 20  # ids read and counted at a time, as Phrases counts its sentences
CONNECTORS = {"none": frozenset(), "english": ENGLISH_CONNECTOR_WORDS}
SCORINGS = ("default", "npmi")
#: the flags of `wordvec phrases`; `prepare` names them --phrases, --phrase-threshold, ...
FLAGS = {"passes": "--passes", "threshold": "--threshold", "min_count": "--min-count", "scoring": "--scoring",
         "connector_words": "--connector-words"}


@dataclass(frozen=True)
class PhraseSettings:
    """word2phrase's settings: passes (each joins pairs of the last one's tokens) and gensim's Phrases scoring."""

    passes: int = 1
    threshold: float = 10.0
    min_count: int = 5
    scoring: str = "default"
    connector_words: str = "none"

    def check(self, flags: dict | None = None) -> "PhraseSettings":
        """One WordvecError naming the flag (`flags`: setting -> flag) of the first bad value."""
        flag = {**FLAGS, **(flags or {})}
        p, t, m = self.passes, self.threshold, self.min_count
        if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= MAX_PASSES:
            raise WordvecError(f"{flag['passes']} must be a whole number from 1 to {MAX_PASSES}, got {p!r}")
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise WordvecError(f"{flag['min_count']} must be a whole number of at least 1, got {m!r}")
        if self.scoring not in SCORINGS:
            raise WordvecError(f"{flag['scoring']} must be one of {', '.join(SCORINGS)}, got {self.scoring!r}")
        if self.connector_words not in CONNECTORS:
            raise WordvecError(f"{flag['connector_words']} must be one of {', '.join(CONNECTORS)}, got "
                               f"{self.connector_words!r}")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise WordvecError(f"{flag['threshold']} must be a finite number, got {t!r}")
        if self.scoring == "npmi" and not -1 <= t <= 1:
            raise WordvecError(f"{flag['threshold']} must be between -1 and 1 for {flag['scoring']} npmi (a normalised "
                               f"score), got {t:g}")
        if self.scoring == "default" and t <= 0:
            raise WordvecError(f"{flag['threshold']} must be above 0 for {flag['scoring']} default (word2phrase's "
                               f"score), got {t:g}; npmi takes -1..1")
        return self

    def phrases_kwargs(self) -> dict:
        return {"min_count": self.min_count, "threshold": self.threshold, "scoring": self.scoring,
                "connector_words": CONNECTORS[self.connector_words]}


def join_phrases(merger: _Merger, tmp: Path, settings: PhraseSettings, flags: dict | None = None
                 ) -> tuple[_Merger, dict]:
    """Learn the phrases of `merger`'s parts pass after pass, write the joined tokens to one file in `tmp` and
    return its merger with the manifest's "phrases" entry (phrases.json is written beside it)."""
    words = merger.words()
    index = {w: i for i, w in enumerate(words)}
    joiners: list[IdJoiner] = []
    found: list[dict] = []

    def stream():
        chunks = merger.stream(CHUNK)
        for joiner in joiners:
            chunks = joiner(chunks)
        return chunks

    for k in range(settings.passes):
        frozen = learn_ids(words, stream(), **settings.phrases_kwargs()).freeze()
        log.info("phrases pass %d: %d phrases", k + 1, len(frozen.phrasegrams))
        if not frozen.phrasegrams:
            break
        found.append(frozen.phrasegrams)
        joiners.append(IdJoiner(frozen, words, index))
    if not found:
        flag = {**FLAGS, **(flags or {})}
        raise WordvecError(f"no phrase scored above {flag['threshold']} {settings.threshold:g} ({settings.scoring} "
                           f"scoring, pairs seen at least {settings.min_count} times): nothing would be joined, and "
                           f"nothing was written; lower {flag['threshold']} or {flag['min_count']}")
    path = Path(tmp) / "joined.u32"
    first_seen = np.full(len(words), -1, dtype=np.int64)
    counts = np.zeros(len(words), dtype=np.int64)
    seen = tokens = docs = 0
    with open(path, "wb") as f:
        for ids, ends, _ in stream():
            if len(ids):
                uniq, at = np.unique(ids, return_index=True)
                new = first_seen[uniq] < 0
                uniq = uniq[new][np.argsort(at[new])]
                first_seen[uniq] = np.arange(seen, seen + len(uniq))
                seen += len(uniq)
                counts += np.bincount(ids, minlength=len(words))
            f.write(np.insert(ids, ends, _END).astype("<u4").data)
            tokens += len(ids)
            docs += len(ends)
    for part in merger.files:
        Path(part).unlink(missing_ok=True)
    settings_dict = {**asdict(settings), "delimiter": "_"}
    (Path(tmp) / PHRASES).write_text(json.dumps({"format": "wordvec-phrases", "settings": settings_dict,
                                                 "passes": found}, indent=0) + "\n", encoding="utf-8")
    targets = np.unique(np.concatenate([j.targets for j in joiners]))
    entry = {**settings_dict, "passes_run": len(found), "found": [len(p) for p in found], "file": PHRASES,
             "tokens_before": merger.tokens, "phrase_tokens": int(counts[targets].sum())}
    return _Merger.of_file(words, counts, first_seen, str(path), docs, tokens), {"phrases": entry}


def prepare_phrases(source, out, settings: PhraseSettings, **prepare_kwargs) -> Path:
    """`prepare` a token store of phrase-joined tokens (the manifest's "phrases" and phrases.json say which)."""
    flags = prepare_kwargs.pop("flags", None)
    settings.check(flags)
    return prepare(source, out, transform=partial(join_phrases, settings=settings, flags=flags), **prepare_kwargs)


def write_phrases_text(source, out, settings: PhraseSettings, tokenizer: str = "auto", text_column: str = "tweet",
                       workers: int | None = None, overwrite: bool = False, flags: dict | None = None) -> dict:
    """The corpus with its phrases joined, as text: one document a line, tokens joined by spaces (word2phrase's
    output). Written to a temporary name and renamed; the manifest entry a store would get is returned."""
    settings.check(flags)
    out = Path(out).expanduser()
    if not str(out).strip():
        raise WordvecError("--out is empty; give the file to write")
    if out.exists() or out.is_symlink():
        if not out.is_file():
            raise WordvecError(f"{out} exists and is not a regular file; choose another --out")
        if not overwrite:
            raise WordvecError(f"{out} already exists; pass --overwrite to replace it, or choose another --out")
    check_name_room(out)
    check_apart(out, source)
    tokenizer = default_tokenizer(source) if tokenizer == "auto" else tokenizer
    get_tokenizer(tokenizer)
    workers = worker_count(workers)
    texts = load_corpus(source, text_column, label_column=None)["train"].texts
    files = source_files(source, texts)
    if not out.parent.is_dir():
        raise WordvecError(f"the folder {out.parent} of --out does not exist; create it or choose another --out")
    try:
        tmp = temp_dir(out, suffix=".parts")
    except OSError as e:
        raise WordvecError(f"cannot write beside {out}: {e.strerror or e}; choose a writable --out") from None
    try:
        merger = encode_source(source, texts, files, tokenizer, workers, tmp)
        merger, extra = join_phrases(merger, tmp, settings, flags)
        _write_text(merger, out)
    except OSError as e:
        raise WordvecError(f"phrases failed on {e.filename or out}: {e.strerror or e}; check the free disk space "
                           f"and that the files can be read and written") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {**extra["phrases"], "tokenizer": tokenizer, "documents": merger.docs, "tokens": merger.tokens}


def _write_text(merger: _Merger, out: Path) -> None:
    """One line a document; a line longer than a chunk is written piece by piece (memory stays bounded)."""
    words = np.array(merger.words(), dtype=object)
    with atomic_open(out, "w", encoding="utf-8") as f:
        started = False  # the line being written has tokens already
        for ids, ends, _ in merger.stream(CHUNK):
            tokens, buf, prev = words[ids].tolist(), [], 0
            for end in [*ends.tolist(), None]:
                piece = tokens[prev:end]
                if piece:
                    buf.append((" " if started else "") + " ".join(piece))
                    started = True
                if end is not None:
                    buf.append("\n")
                    started, prev = False, end
            f.write("".join(buf))


__all__ = ["PhraseSettings", "join_phrases", "prepare_phrases", "write_phrases_text", "MAX_PASSES"]
