"""gensim 4's `Phrases` / `FrozenPhrases`: join collocations ("new york" -> "new_york") before training.

gensim counts every unigram and every joined bigram string in one Python dict. Here each word gets an id once (a
dict per word, not per bigram), the connector words between two words get a sequence id, and the (a, connectors,
b) triples of a chunk of sentences are packed into int64 keys and counted with `np.unique`; chunk counts merge by
sorting. Pruning (`max_vocab_size`) keeps gensim's meaning: after the first sentence that takes unigram +
bigram types above the bound, every entry seen fewer than `min_reduce` times is dropped, and `min_reduce` grows;
the sentence is found by bisecting the chunk, so the counts equal gensim's.

Scores and the transformation follow gensim's code path by path (including its `export_phrases`, which splits a
joined token on the delimiter). Saved files are safetensors + JSON, never pickles.
"""

from __future__ import annotations

import bisect
import importlib
import inspect
import itertools
import logging
import math
import operator
import pickle
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .errors import WordvecError
from .state import keys_from_tensors, keys_to_tensors, load_state, refuse_pickle, save_state

log = logging.getLogger("wordvec")

try:
    from ._phrases import number as _number_c
except ImportError:  # not built (no compiler): the same numbering in Python
    _number_c = None

NEGATIVE_INFINITY = float("-inf")

#: gensim's list: words that may sit inside a phrase but never start or end one ("bank_of_america").
ENGLISH_CONNECTOR_WORDS = frozenset(
    " a an the "
    " for of with without at from to in on by "
    " and or ".split()
)

_SCORER_PARAMS = ("worda_count", "wordb_count", "bigram_count", "len_vocab", "min_count", "corpus_word_count")
_CHUNK_TOKENS = 1 << 20  # tokens counted at once: bounded temporaries, few merges
_EXPORT_BLOCK = 1 << 18  # bigrams scored at once by export_phrases
PICKLE_RECIPE = ("Convert it once under gensim: `import json; from gensim.models.phrases import Phrases; "
                 "json.dump(Phrases.load('old.pkl').export_phrases(), open('phrases.json', 'w'))`, then "
                 "`wordvec.models.phrases.FrozenPhrases.from_phrasegrams(json.load(open('phrases.json')))`")


class PhrasesError(WordvecError):
    """A bad Phrases argument or file (a ValueError, as gensim raises)."""


class ScorerError(WordvecError, pickle.PicklingError):
    """A scoring function that cannot be saved by name (gensim: not picklable)."""


class CorpusTypeError(WordvecError, TypeError):
    """Sentences that are strings or hold non-strings."""


def original_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """word2phrase's score: (bigram - min_count) / (a * b) * vocabulary size (gensim's 'default')."""
    denom = worda_count * wordb_count
    if denom == 0:
        return NEGATIVE_INFINITY
    return (bigram_count - min_count) / float(denom) * len_vocab


def npmi_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """Normalised pointwise mutual information in [-1, 1]; -inf below min_count (gensim's 'npmi')."""
    if bigram_count >= min_count:
        corpus_word_count = float(corpus_word_count)
        pa = worda_count / corpus_word_count
        pb = wordb_count / corpus_word_count
        pab = bigram_count / corpus_word_count
        try:
            return math.log(pab / (pa * pb)) / -math.log(pab)
        except (ValueError, ZeroDivisionError):
            return NEGATIVE_INFINITY
    return NEGATIVE_INFINITY


_BUILTIN = {"default": original_scorer, "npmi": npmi_scorer}


def _scorer_name(fn) -> str:
    """'default', 'npmi' or 'module:qualname' of a function importable by that name; else ScorerError."""
    for name, builtin in _BUILTIN.items():
        if fn is builtin:
            return name
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    try:
        found = importlib.import_module(module) if module else None
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError, TypeError, ValueError):
        found = None
    if found is not fn or "<" in qualname:
        raise ScorerError(f"the scoring function {qualname or fn!r} cannot be saved: wordvec saves a scorer by its "
                          f"importable name (no pickle); define it at the top level of a module")
    return f"{module}:{qualname}"


def _scorer_from_name(name: str, where):
    if name in _BUILTIN:
        return _BUILTIN[name]
    module, _, qualname = str(name).partition(":")
    try:
        fn = importlib.import_module(module)
        for part in qualname.split("."):
            fn = getattr(fn, part)
    except (ImportError, AttributeError, ValueError, TypeError):
        raise PhrasesError(f"{where} was saved with the scoring function {name!r}, which cannot be imported here; "
                           f"make its module importable before loading") from None
    return fn


def _check_scorer(scoring):
    if isinstance(scoring, str):
        if scoring not in _BUILTIN:
            raise PhrasesError(f"unknown scoring method string {scoring} specified; use 'default', 'npmi' or a "
                               f"function")
        return _BUILTIN[scoring]
    if not callable(scoring):
        raise PhrasesError(f"scoring must be 'default', 'npmi' or a function, got {scoring!r}")
    try:
        params = list(inspect.signature(scoring).parameters)
    except (TypeError, ValueError):
        params = []
    missing = [p for p in _SCORER_PARAMS if p not in params]
    if missing:
        raise PhrasesError(f"scoring function missing expected parameters {missing}")
    _scorer_name(scoring)  # gensim refuses an unpicklable scorer here; wordvec one it cannot save by name
    return scoring


def _is_single(obj):
    """(is one sentence, the same items): gensim's rule - a sentence is an iterable of strings; empty is one."""
    it = iter(obj)
    try:
        peek = next(it)
    except StopIteration:
        return True, obj
    chained = itertools.chain([peek], it)
    if isinstance(peek, str):
        return True, chained
    return (False, chained) if it is obj else (False, obj)


class _PhrasesTransformation:
    """What Phrases and FrozenPhrases share: joining detected phrases in sentences (gensim's code path)."""

    def __init__(self, connector_words):
        self.connector_words = frozenset(connector_words)

    def score_candidate(self, word_a, word_b, in_between):
        raise NotImplementedError

    def analyze_sentence(self, sentence) -> Iterator[tuple[str, float | None]]:
        """(phrase, score) for each detected phrase, (word, None) for every other token, in order."""
        start_token, in_between = None, []
        for word in sentence:
            if word not in self.connector_words:
                if start_token:
                    phrase, score = self.score_candidate(start_token, word, in_between)
                    if score is not None:
                        yield phrase, score
                        start_token, in_between = None, []
                    else:
                        yield start_token, None
                        yield from ((w, None) for w in in_between)
                        start_token, in_between = word, []
                else:
                    start_token, in_between = word, []
            elif start_token:
                in_between.append(word)
            else:
                yield word, None
        if start_token:
            yield start_token, None
            yield from ((w, None) for w in in_between)

    def __getitem__(self, sentence):
        """One sentence -> its tokens with phrases joined; a corpus -> a stream of such sentences."""
        if isinstance(sentence, str):
            raise CorpusTypeError("a sentence is a list of tokens, not a string; split it first (e.g. "
                                  "wordvec.utils.simple_preprocess(text))")
        single, sentence = _is_single(sentence)
        if not single:
            return self._apply(sentence)
        return [token for token, _ in self.analyze_sentence(sentence)]

    def _apply(self, corpus):
        return _Stream(self, corpus)

    def find_phrases(self, sentences) -> dict[str, float]:
        """Every distinct phrase detected in `sentences`, with its score."""
        result = {}
        for sentence in sentences:
            for phrase, score in self.analyze_sentence(sentence):
                if score is not None:
                    result[phrase] = score
        return result

    @classmethod
    def load(cls, fname, mmap=None):
        """A Phrases or FrozenPhrases file saved by wordvec (whichever it holds, as gensim's load returns what was
        pickled). gensim's pickled files are refused unread, with the conversion."""
        path = Path(fname)
        refuse_pickle(path, "a gensim Phrases file", PICKLE_RECIPE)
        tensors, header = load_state(path, kinds=("phrases", "frozen-phrases"))
        try:
            if header["kind"] == "phrases":
                return Phrases._from_state(tensors, header, path)
            return FrozenPhrases._from_state(tensors, header, path)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            if isinstance(e, WordvecError):
                raise
            raise PhrasesError(f"{path}: the phrases file is damaged ({e!r}); save it again") from None

    def _common_meta(self) -> dict:
        threshold = float(self.threshold)
        if not math.isfinite(threshold):
            raise PhrasesError(f"cannot save a threshold of {threshold}; use a finite number")
        return {"threshold": threshold, "min_count": self.min_count, "delimiter": self.delimiter,
                "scoring": _scorer_name(self.scoring), "connector_words": sorted(self.connector_words)}


class _Stream:
    """`phrases[corpus]`: re-iterable when the corpus is."""

    def __init__(self, model, corpus):
        self.model, self.corpus = model, corpus

    def __iter__(self):
        for sentence in self.corpus:
            yield self.model[sentence]


class _Table:
    """Counts: unigrams by word id, bigrams as sorted (a, seq, b) triples with counts."""

    __slots__ = ("uni", "a", "s", "b", "c")

    def __init__(self, uni=None, a=None, s=None, b=None, c=None):
        empty = np.zeros(0, dtype=np.int64)
        self.uni = empty if uni is None else uni
        self.a, self.s, self.b, self.c = (empty if x is None else x for x in (a, s, b, c))

    def types(self) -> int:
        return int(np.count_nonzero(self.uni)) + len(self.c)

    def prune(self, min_reduce) -> None:
        """gensim's prune_vocab: drop every entry seen fewer than min_reduce times."""
        self.uni = np.where(self.uni < min_reduce, 0, self.uni)
        keep = self.c >= min_reduce
        self.a, self.s, self.b, self.c = self.a[keep], self.s[keep], self.b[keep], self.c[keep]


def _holding(words: list[str], delimiter: str) -> np.ndarray:
    """Which words hold the delimiter: one search of all the words joined (most hold none)."""
    out = np.zeros(len(words), dtype=bool)
    sep = "\n" if "\n" not in delimiter else "\x00"
    joined = sep.join(words)
    if delimiter not in joined:
        return out
    if joined.count(sep) != len(words) - 1:  # the separator inside a word would shift the positions
        return np.fromiter((delimiter in w for w in words), dtype=bool, count=len(words))
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    starts = np.concatenate([[0], np.cumsum(lengths[:-1] + 1)])
    at, pos = [], joined.find(delimiter)
    while pos >= 0:
        at.append(pos)
        pos = joined.find(delimiter, pos + 1)
    out[np.searchsorted(starts, np.array(at), side="right") - 1] = True
    return out


def _connector_seqs(ids: np.ndarray, pa: np.ndarray, pb: np.ndarray, seq_index: dict, seqs: list | None = None
                    ) -> np.ndarray:
    """The connector sequence id of each pair of words at pa < pb (0: adjacent). A single connector word is looked
    up once per distinct word in the chunk, a longer run once per run. With `seqs` (counting) an unseen sequence
    is added; without (joining) it is -1."""
    gap = pb - pa - 1
    s = np.zeros(len(pa), dtype=np.int64)
    one = np.flatnonzero(gap == 1)
    if len(one):
        kinds, first, inverse = np.unique(ids[pa[one] + 1], return_index=True, return_inverse=True)
        sid = np.empty(len(kinds), dtype=np.int64)
        for j in np.argsort(first).tolist():  # numbered in the order they occur
            sid[j] = _seq_id((int(kinds[j]),), seq_index, seqs)
        s[one] = sid[inverse.ravel()]
    for k in np.flatnonzero(gap > 1).tolist():
        s[k] = _seq_id(tuple(ids[pa[k] + 1:pb[k]].tolist()), seq_index, seqs)
    return s


def _seq_id(seq: tuple, seq_index: dict, seqs: list | None) -> int:
    sid = seq_index.get(seq)
    if sid is None:
        if seqs is None:
            return -1
        sid = seq_index[seq] = len(seqs)
        seqs.append(seq)
    return sid


def _pack(a, s, b, n_words: int, n_seqs: int) -> np.ndarray:
    if n_seqs * n_words * n_words >= 1 << 63:
        raise PhrasesError(f"{n_words:,} words and {n_seqs:,} connector sequences do not fit a 64-bit key; use "
                           f"fewer connector words or a smaller max_vocab_size")
    return (s.astype(np.int64) * n_words + a) * n_words + b


def _merge(tables: list[_Table], n_words: int, n_seqs: int, consume: bool = False) -> _Table:
    """One table holding the summed counts of `tables` (bigrams sorted by packed key); `consume` empties the
    given tables as soon as their keys are taken (a lower peak of memory)."""
    uni = np.zeros(n_words, dtype=np.int64)
    for t in tables:
        uni[:len(t.uni)] += t.uni
    full = [t for t in tables if len(t.c)]
    if len(full) <= 1:
        return _Table(uni, *((full[0].a, full[0].s, full[0].b, full[0].c) if full else ()))
    keys = np.concatenate([_pack(t.a, t.s, t.b, n_words, n_seqs) for t in full])
    counts = np.concatenate([t.c for t in full])
    if consume:
        for t in full:
            t.a = t.s = t.b = t.c = None
        del full
    order = np.argsort(keys, kind="stable")  # sorted runs (a table each): timsort merges them
    keys = keys[order]
    counts = counts[order]
    del order
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    keys, counts = keys[first], np.add.reduceat(counts, first)
    return _Table(uni, *_unpack(keys, n_words), counts)


def _unpack(keys: np.ndarray, n_words: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, seq, b) of packed keys."""
    rest, b = np.divmod(keys, n_words)
    s, a = np.divmod(rest, n_words)
    small = np.int32 if n_words < 1 << 31 and (not len(s) or s.max() < 1 << 31) else np.int64
    return a.astype(small), s.astype(small), b.astype(small)


class Phrases(_PhrasesTransformation):
    """gensim's Phrases: count unigrams and bigrams (with connector words inside), score, join."""

    def __init__(self, sentences=None, min_count=5, threshold=10.0, max_vocab_size=40000000, delimiter="_",
                 progress_per=10000, scoring="default", connector_words=frozenset()):
        super().__init__(connector_words=connector_words)
        if not isinstance(min_count, (int, float)) or isinstance(min_count, bool) or not min_count > 0:
            raise PhrasesError("min_count should be at least 1")
        if not isinstance(threshold, (int, float)) or threshold != threshold:
            raise PhrasesError(f"threshold must be a number, got {threshold!r}")
        if threshold <= 0 and scoring == "default":
            raise PhrasesError("threshold should be positive for default scoring")
        if scoring == "npmi" and (threshold < -1 or threshold > 1):
            raise PhrasesError("threshold should be between -1 and 1 for npmi scoring")
        if not isinstance(delimiter, str) or not delimiter:
            raise PhrasesError(f"delimiter must be a non-empty string, got {delimiter!r}")
        if not isinstance(max_vocab_size, int) or isinstance(max_vocab_size, bool) or max_vocab_size < 1:
            raise PhrasesError(f"max_vocab_size must be a positive integer, got {max_vocab_size!r}")
        if any(not isinstance(w, str) for w in self.connector_words):
            raise PhrasesError("connector_words must be strings")
        self.scoring = _check_scorer(scoring)
        self.min_count = min_count
        self.threshold = threshold
        self.max_vocab_size = max_vocab_size
        self.delimiter = delimiter
        self.progress_per = progress_per
        self.corpus_word_count = 0
        self.min_reduce = 1
        self._words: list[str] = []
        self._conn = bytearray()  # 1 where the word of that id is a connector word
        self._index: dict[str, int] = {}
        self._seqs: list[tuple[int, ...]] = [()]
        self._seq_index: dict[tuple[int, ...], int] = {(): 0}
        self._table = _Table()
        self._keys = np.zeros(0, dtype=np.int64)  # packed keys of _table, sorted, for lookups
        self._key_shape = (0, 1)
        self._set_table(_Table())
        if sentences is not None:
            self.add_vocab(sentences)

    def __str__(self) -> str:
        return (f"{type(self).__name__}<{self._len_vocab} vocab, min_count={self.min_count}, "
                f"threshold={self.threshold}, max_vocab_size={self.max_vocab_size}>")

    # --- counting ---------------------------------------------------------------------------------------------

    def _count(self, ids: np.ndarray, ends: np.ndarray, conn: np.ndarray, skip: int = 0) -> _Table:
        """Unigram and bigram counts of one run of sentences (token ids; where each sentence ends); the first
        `skip` tokens were counted as unigrams before (a sentence cut between two chunks: `learn_ids`)."""
        n_words, n = len(self._words), len(ids)
        inner = ends[(ends > 0) & (ends < n)] - 1  # pairs that would cross from one sentence into the next
        if not conn[ids].any():
            uni = np.bincount(ids[skip:], minlength=n_words).astype(np.int64)
            if n < 2:
                return _Table(uni)
            keep = np.ones(n - 1, dtype=bool)
            keep[inner] = False
            keys = ids[:-1][keep] * n_words + ids[1:][keep]
        else:
            plain = np.flatnonzero(~conn[ids])
            uni = np.bincount(ids[plain[plain >= skip]], minlength=n_words).astype(np.int64)
            if len(plain) < 2:
                return _Table(uni)
            sentence = np.searchsorted(ends, plain, side="right")
            same = sentence[:-1] == sentence[1:]
            pa, pb = plain[:-1][same], plain[1:][same]
            s = _connector_seqs(ids, pa, pb, self._seq_index, self._seqs)
            keys = _pack(ids[pa], s, ids[pb], n_words, len(self._seqs))
        keys, counts = np.unique(keys, return_counts=True)
        return _Table(uni, *_unpack(keys, n_words), counts.astype(np.int64))

    def _add_words(self, new) -> None:
        """Ids for words not seen before (a set is sorted first: the ids do not depend on string hashing)."""
        bad = [w for w in new if not isinstance(w, str)]
        if bad:
            raise CorpusTypeError(f"sentences must hold strings; found {type(bad[0]).__name__} {bad[0]!r}")
        new = sorted(new) if isinstance(new, set) else new
        self._index.update(zip(new, range(len(self._words), len(self._words) + len(new))))
        self._words.extend(new)
        self._flag_new_words()

    def _chunks(self, sentences) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(token ids, sentence ends) of about _CHUNK_TOKENS tokens at a time; new words get ids."""
        it = iter(sentences)
        while True:
            chunk, tokens = [], 0
            while tokens < _CHUNK_TOKENS:
                block = list(itertools.islice(it, 1024))
                if not block:
                    break
                kinds = set(map(type, block))
                if str in kinds or bytes in kinds or any(issubclass(k, (str, bytes)) for k in kinds):
                    raise CorpusTypeError("Phrases takes a corpus of token lists, not strings (it would count "
                                          "characters); split each text first (e.g. wordvec.utils.simple_preprocess)")
                if kinds != {list}:
                    block = [x if type(x) is list else list(x) for x in block]
                chunk += block
                tokens += sum(map(len, block))
            if not chunk:
                return
            ids, lengths = self._number(chunk)
            yield ids, np.cumsum(lengths)

    def _number(self, chunk: list[list]) -> tuple[np.ndarray, np.ndarray]:
        """(token ids, sentence lengths) of a chunk; a new word gets the next id (first-seen order): in C
        (wordvec._phrases: one dict lookup a token) where it is built and the tokens are plain str, else here."""
        try:
            if _number_c is None:
                raise TypeError
            ids, lengths = _number_c(chunk, self._index, self._words)
            return np.frombuffer(ids, dtype=np.int64), np.frombuffer(lengths, dtype=np.int64)
        except TypeError:
            return self._number_py(chunk)
        finally:
            self._flag_new_words()

    def _number_py(self, chunk: list[list]) -> tuple[np.ndarray, np.ndarray]:
        index = self._index
        flat = list(itertools.chain.from_iterable(chunk))
        try:
            new = [w for w in dict.fromkeys(flat) if w not in index]
        except TypeError:  # an unhashable token
            new = [next(w for w in flat if not isinstance(w, str))]
        bad = [w for w in new if not isinstance(w, str)]
        if bad:
            raise CorpusTypeError(f"sentences must hold strings; found {type(bad[0]).__name__} {bad[0]!r}")
        index.update(zip(new, range(len(self._words), len(self._words) + len(new))))
        self._words.extend(new)
        if len(flat) > 1:
            ids = np.fromiter(operator.itemgetter(*flat)(index), dtype=np.int64, count=len(flat))
        else:
            ids = np.array([index[w] for w in flat], dtype=np.int64)
        return ids, np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))

    def _flag_new_words(self) -> None:
        """Extend the connector flags to words numbered since."""
        start = len(self._conn)
        flags = bytearray(len(self._words) - start)
        for w in self.connector_words:  # few: look each up, not every new word in the set
            i = self._index.get(w)
            if i is not None and i >= start:
                flags[i - start] = 1
        self._conn.extend(flags)

    def _learn(self, chunks) -> tuple[int, _Table, int]:
        """gensim's _learn_vocab: (min_reduce, counts, words) of (ids, sentence ends, skip) chunks, pruned as gensim
        prunes."""
        min_reduce, total, n_sentences = 1, 0, 0
        table, pending = _Table(), []  # chunk counts wait to be merged while they cannot reach max_vocab_size
        conn = np.frombuffer(bytes(self._conn), dtype=bool)
        for ids, ends, skip in chunks:
            if len(conn) != len(self._conn):
                conn = np.frombuffer(bytes(self._conn), dtype=bool)
            part = self._count(ids, ends, conn, skip)
            bound = table.types() + sum(t.types() for t in pending) + part.types()
            if bound <= self.max_vocab_size:
                pending.append(part)
                if sum(len(t.c) for t in pending) > max(len(table.c), _CHUNK_TOKENS):
                    table, pending = _merge([table, *pending], len(self._words), len(self._seqs), True), []
            else:
                table, pending = _merge([table, *pending], len(self._words), len(self._seqs), True), []
                table, min_reduce = self._prune_at(table, part, ids, ends, conn, min_reduce, skip)
            total += len(ids) - skip
            n_sentences += len(ends)
            log.info("PROGRESS: at sentence #%i, processed %i words", n_sentences, total)
        table = _merge([table, *pending], len(self._words), len(self._seqs), True)
        log.info("collected %i token types (unigram + bigrams) from a corpus of %i words and %i sentences",
                 table.types(), total, n_sentences)
        return min_reduce, table, total

    def _prune_at(self, table, part, ids, ends, conn, min_reduce, skip=0):
        """Add a chunk to `table`, pruning after each sentence that takes it above max_vocab_size (gensim)."""
        lo = 0
        while lo < len(ends):
            start = ends[lo - 1] if lo else 0
            first = skip if lo == 0 else 0
            merged = _merge([table, part], len(self._words), len(self._seqs))
            if merged.types() <= self.max_vocab_size:
                return merged, min_reduce
            left, right = lo + 1, len(ends)  # the first sentence after which the counts outgrow the bound
            while left < right:
                mid = (left + right) // 2
                probe = self._count(ids[start:ends[mid - 1]], ends[lo:mid] - start, conn, first)
                if _merge([table, probe], len(self._words), len(self._seqs)).types() > self.max_vocab_size:
                    right = mid
                else:
                    left = mid + 1
            table = _merge([table, self._count(ids[start:ends[left - 1]], ends[lo:left] - start, conn, first)],
                           len(self._words), len(self._seqs))
            table.prune(min_reduce)
            min_reduce += 1
            lo = left
            if lo < len(ends):
                part = self._count(ids[ends[lo - 1]:], ends[lo:] - ends[lo - 1], conn)
        return table, min_reduce

    def add_vocab(self, sentences) -> None:
        """Count `sentences` into the model (counted apart, then merged, as gensim does)."""
        self._add_counts(*self._learn((ids, ends, 0) for ids, ends in self._chunks(sentences)))

    def _add_counts(self, min_reduce: int, table: _Table, total: int) -> None:
        self.corpus_word_count += total
        if self._table.types():
            self.min_reduce = max(self.min_reduce, min_reduce)
            table = _merge([self._table, table], len(self._words), len(self._seqs))
            if table.types() > self.max_vocab_size:
                table.prune(self.min_reduce)
                self.min_reduce += 1
        self._set_table(table)
        log.info("merged %s", self)

    def _set_table(self, table: _Table) -> None:
        n_words = len(self._words)
        uni = np.zeros(n_words, dtype=np.int64)
        uni[:len(table.uni)] = table.uni
        table.uni = uni
        self._table = table
        self._key_shape = (n_words, len(self._seqs))
        self._keys = _pack(table.a, table.s, table.b, *self._key_shape)  # sorted: _merge and _count sort
        self._find_merged()

    def _find_merged(self) -> None:
        """gensim keys its counts by string: a word holding the delimiter ("new_york", from an earlier pass) and
        the bigram that joins to the same string are ONE entry there. Find such strings (their summed counts)."""
        t, words, delim = self._table, self._words, self.delimiter
        self._odd_word = _holding(words, delim)
        odd_seq = np.fromiter((any(self._odd_word[i] for i in q) for q in self._seqs), dtype=bool,
                              count=len(self._seqs))
        self._odd = (self._odd_word[t.a] | self._odd_word[t.b] | odd_seq[t.s]) if len(t.c) else np.zeros(0, bool)
        found: dict[str, list[int]] = {}
        for i in np.flatnonzero(self._odd_word & (t.uni > 0)).tolist():
            found.setdefault(words[i], []).append(int(t.uni[i]))
            parts = words[i].split(delim)
            ids = [self._index.get(p) for p in parts]
            if len(parts) >= 2 and None not in ids and not self._odd_word[ids].any():
                c = self._bigram_count(ids[0], parts[1:-1], ids[-1])
                if c:
                    found[words[i]].append(c)
                    self._odd[self._bigram_pos(ids[0], parts[1:-1], ids[-1])] = True
        for i in np.flatnonzero(self._odd).tolist():
            joined = self._join(int(t.a[i]), int(t.s[i]), int(t.b[i]))
            if not (joined in found and not self._odd_word[[t.a[i], t.b[i]]].any() and not odd_seq[t.s[i]]):
                found.setdefault(joined, []).append(int(t.c[i]))
        self._merged = {k: sum(v) for k, v in found.items() if len(v) > 1}
        self._len_vocab = t.types() - sum(len(v) - 1 for v in found.values())

    # --- scoring ----------------------------------------------------------------------------------------------

    @property
    def vocab(self) -> dict[str, int]:
        """gensim's `vocab`: every unigram and joined bigram string with its count (built on request)."""
        t, words, out = self._table, self._words, {}
        for i in np.flatnonzero(t.uni).tolist():
            out[words[i]] = int(t.uni[i])
        for a, s, b, c in zip(t.a.tolist(), t.s.tolist(), t.b.tolist(), t.c.tolist()):
            out[self._join(a, s, b)] = out.get(self._join(a, s, b), 0) + c
        return out

    def _join(self, a: int, s: int, b: int) -> str:
        words = self._words
        return self.delimiter.join([words[a], *(words[i] for i in self._seqs[s]), words[b]])

    def _word_count(self, word: str) -> int:
        if word in self._merged:
            return self._merged[word]
        i = self._index.get(word)
        return 0 if i is None or i >= len(self._table.uni) else int(self._table.uni[i])

    def _bigram_pos(self, a: int, connectors, b: int) -> int:
        seq = ()
        if connectors:
            ids = [self._index.get(w) for w in connectors]
            if None in ids:
                return -1
            seq = tuple(ids)
        s = self._seq_index.get(seq)
        n_words, n_seqs = self._key_shape
        if s is None or s >= n_seqs or a >= n_words or b >= n_words:
            return -1
        key = (s * n_words + a) * n_words + b
        pos = int(np.searchsorted(self._keys, key))
        return pos if pos < len(self._keys) and self._keys[pos] == key else -1

    def _bigram_count(self, a: int, connectors, b: int) -> int:
        pos = self._bigram_pos(a, connectors, b)
        return 0 if pos < 0 else int(self._table.c[pos])

    def _score(self, ca, cb, cab, len_vocab):
        return self.scoring(worda_count=ca, wordb_count=cb, bigram_count=cab, len_vocab=len_vocab,
                            min_count=self.min_count, corpus_word_count=self.corpus_word_count)

    def score_candidate(self, word_a, word_b, in_between):
        """(joined phrase, score) when word_a [connectors] word_b scores above the threshold, else (None, None)."""
        ca = self._word_count(word_a)
        if ca <= 0:
            return None, None
        cb = self._word_count(word_b)
        if cb <= 0:
            return None, None
        phrase = self.delimiter.join([word_a] + in_between + [word_b])
        cab = self._merged.get(phrase) or self._bigram_count(self._index[word_a], in_between, self._index[word_b])
        if cab <= 0:
            return None, None
        score = self._score(ca, cb, cab, self._len_vocab)
        if score <= self.threshold:
            return None, None
        return phrase, score

    def export_phrases(self) -> dict[str, float]:
        """Every counted phrase that scores above the threshold (gensim's rule, vectorised where it can be)."""
        t, words, odd_word, odd = self._table, self._words, self._odd_word, self._odd
        len_vocab = self._len_vocab
        result: dict[str, float] = {}
        for lo in range(0, len(t.c), _EXPORT_BLOCK):  # in blocks: the temporaries stay small beside the table
            self._export_plain(lo + np.flatnonzero(~odd[lo:lo + _EXPORT_BLOCK]), len_vocab, result)
        # gensim splits every vocabulary key on the delimiter and scores its first and last parts: joined words
        # (from an earlier pass) and bigrams holding them take that path
        for i in np.flatnonzero(odd_word & (t.uni > 0)).tolist():
            self._export_string(words[i], self._merged.get(words[i], int(t.uni[i])), len_vocab, result)
        for i in np.flatnonzero(odd).tolist():
            joined = self._join(int(t.a[i]), int(t.s[i]), int(t.b[i]))
            self._export_string(joined, self._merged.get(joined, int(t.c[i])), len_vocab, result)
        return result

    def _export_plain(self, plain: np.ndarray, len_vocab: int, result: dict) -> None:
        """export_phrases for the bigrams `plain` (none holds the delimiter): scored with numpy."""
        t = self._table
        ca, cb, cab = t.uni[t.a[plain]], t.uni[t.b[plain]], t.c[plain]
        ok = (ca > 0) & (cb > 0)
        plain, ca, cb, cab = plain[ok], ca[ok], cb[ok], cab[ok]
        if self.scoring is original_scorer:
            scores = (cab - self.min_count) / (ca * cb).astype(np.float64) * len_vocab
            hit = np.flatnonzero(scores > self.threshold)
            for k in hit.tolist():
                i = int(plain[k])
                result[self._join(int(t.a[i]), int(t.s[i]), int(t.b[i]))] = float(scores[k])
            return
        if self.scoring is npmi_scorer:  # numpy's log may differ from math's in the last bit: re-score near hits
            n = float(self.corpus_word_count)
            with np.errstate(divide="ignore", invalid="ignore"):
                pab = cab / n
                approx = np.log(pab / ((ca / n) * (cb / n))) / -np.log(pab)
            near = np.flatnonzero((cab >= self.min_count) & ~(approx <= self.threshold - 1e-9))
        else:
            near = np.arange(len(plain))
        for k in near.tolist():
            i = int(plain[k])
            score = self._score(int(ca[k]), int(cb[k]), int(cab[k]), len_vocab)
            if score > self.threshold:
                result[self._join(int(t.a[i]), int(t.s[i]), int(t.b[i]))] = score

    def _export_string(self, token: str, count: int, len_vocab: int, result: dict) -> None:
        parts = token.split(self.delimiter)
        if len(parts) < 2:
            return
        ca, cb = self._word_count(parts[0]), self._word_count(parts[-1])
        if ca <= 0 or cb <= 0:
            return
        score = self._score(ca, cb, count, len_vocab)
        if score > self.threshold:
            result[token] = score

    def freeze(self) -> "FrozenPhrases":
        return FrozenPhrases(self)

    # --- files ------------------------------------------------------------------------------------------------

    def save(self, fname, *args, **kwargs) -> Path:
        """One safetensors file (counts as arrays, settings as JSON); no pickle. Extra gensim arguments unused."""
        t = self._table
        seq_off = np.zeros(len(self._seqs) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in self._seqs], out=seq_off[1:])
        seq_ids = np.fromiter(itertools.chain.from_iterable(self._seqs), dtype=np.int64, count=int(seq_off[-1]))
        tensors = {**keys_to_tensors(self._words), "unigrams": t.uni, "bigram.a": t.a, "bigram.seq": t.s,
                   "bigram.b": t.b, "bigram.count": t.c, "seq.ids": seq_ids, "seq.offsets": seq_off}
        meta = {**self._common_meta(), "max_vocab_size": self.max_vocab_size, "progress_per": self.progress_per,
                "corpus_word_count": int(self.corpus_word_count), "min_reduce": int(self.min_reduce)}
        return save_state(fname, "phrases", tensors, meta)

    @classmethod
    def _from_state(cls, tensors, header, path) -> "Phrases":
        model = cls(min_count=header["min_count"], threshold=header["threshold"],
                    max_vocab_size=header["max_vocab_size"], delimiter=header["delimiter"],
                    progress_per=header["progress_per"], scoring=_scorer_from_name(header["scoring"], path),
                    connector_words=header["connector_words"])
        uni = np.asarray(tensors["unigrams"], dtype=np.int64)
        words = keys_from_tensors(tensors, len(uni), path)
        off, flat = np.asarray(tensors["seq.offsets"]).tolist(), np.asarray(tensors["seq.ids"]).tolist()
        seqs = [tuple(flat[x:y]) for x, y in zip(off, off[1:])]
        cols = [np.asarray(tensors[f"bigram.{k}"], dtype=np.int64) for k in ("a", "seq", "b", "count")]
        n = len(cols[0])
        if (len(set(words)) != len(words) or not seqs or seqs[0] != () or off[-1] != len(flat)
                or any(len(c) != n for c in cols) or (uni < 0).any() or (n and (cols[3].min() < 1
                or cols[0].max() >= len(words) or cols[2].max() >= len(words) or cols[1].max() >= len(seqs)
                or min(cols[0].min(), cols[1].min(), cols[2].min()) < 0))
                or any(i < 0 or i >= len(words) for i in flat)):
            raise PhrasesError(f"{path}: the phrases file is inconsistent (damaged); save it again")
        model._add_words(words)
        model._seqs, model._seq_index = seqs, {s: i for i, s in enumerate(seqs)}
        model.corpus_word_count, model.min_reduce = int(header["corpus_word_count"]), int(header["min_reduce"])
        keys = _pack(cols[0], cols[1], cols[2], len(words), len(seqs))
        if n > 1 and not (np.diff(keys) > 0).all():
            raise PhrasesError(f"{path}: the phrases file is inconsistent (damaged); save it again")
        model._set_table(_Table(uni, *cols))
        return model


class FrozenPhrases(_PhrasesTransformation):
    """The phrases of a trained Phrases and their scores, nothing else: smaller and faster, not updatable."""

    def __init__(self, phrases_model):
        super().__init__(connector_words=phrases_model.connector_words)
        self.threshold = phrases_model.threshold
        self.min_count = phrases_model.min_count
        self.delimiter = phrases_model.delimiter
        self.scoring = phrases_model.scoring
        log.info("exporting phrases from %s", phrases_model)
        self.phrasegrams = phrases_model.export_phrases()

    @classmethod
    def from_phrasegrams(cls, phrasegrams: dict, threshold=10.0, min_count=5, delimiter="_", scoring="default",
                         connector_words=frozenset()) -> "FrozenPhrases":
        """A frozen model from {phrase: score} (e.g. gensim's `export_phrases()` saved as JSON)."""
        if not isinstance(phrasegrams, dict) or not all(isinstance(k, str) and isinstance(v, (int, float))
                                                        for k, v in phrasegrams.items()):
            raise PhrasesError("phrasegrams must map phrase strings to scores")
        self = cls.__new__(cls)
        _PhrasesTransformation.__init__(self, connector_words)
        self.threshold, self.min_count, self.delimiter = threshold, min_count, delimiter
        self.scoring = _check_scorer(scoring)
        self.phrasegrams = {k: float(v) for k, v in phrasegrams.items()}
        return self

    def __str__(self) -> str:
        return (f"{type(self).__name__}<{len(self.phrasegrams)} phrases, min_count={self.min_count}, "
                f"threshold={self.threshold}>")

    def score_candidate(self, word_a, word_b, in_between):
        phrase = self.delimiter.join([word_a] + in_between + [word_b])
        score = self.phrasegrams.get(phrase, NEGATIVE_INFINITY)
        if score > self.threshold:
            return phrase, score
        return None, None

    def save(self, fname, *args, **kwargs) -> Path:
        """One safetensors file: the phrases (UTF-8) and their scores; no pickle."""
        keys = list(self.phrasegrams)
        tensors = {**keys_to_tensors(keys), "scores": np.array([self.phrasegrams[k] for k in keys], np.float64)}
        return save_state(fname, "frozen-phrases", tensors, self._common_meta())

    @classmethod
    def _from_state(cls, tensors, header, path) -> "FrozenPhrases":
        scores = np.asarray(tensors["scores"], dtype=np.float64)
        keys = keys_from_tensors(tensors, len(scores), path)
        return cls.from_phrasegrams(dict(zip(keys, scores.tolist())), header["threshold"], header["min_count"],
                                    header["delimiter"], _scorer_from_name(header["scoring"], path),
                                    header["connector_words"])


Phraser = FrozenPhrases  # gensim's alias


def learn_phrases(sentences: Iterable[list[str]], passes: int = 1, **kwargs) -> list[FrozenPhrases]:
    """word2phrase's recipe: pass k learns on the output of pass k-1, so two passes join up to four words."""
    models: list[FrozenPhrases] = []
    for _ in range(passes):
        corpus = sentences
        for m in models:
            corpus = m[corpus]
        models.append(Phrases(corpus, **kwargs).freeze())
        log.info("phrases pass %d: %s", len(models), models[-1])
    return models


# --- token ids: phrases over a corpus that is already numbered (a token store's parts) ----------------------------


def learn_ids(words: list[str], chunks, **kwargs) -> Phrases:
    """A Phrases model counted from token ids (id i is words[i]) instead of strings: what `Phrases(sentences)`
    counts on the same tokens. `chunks` yields (ids, sentence ends, open): `open` when the last sentence goes on in
    the next chunk (a long line cut where a chunk ends; its pairs across the cut are counted once)."""
    model = Phrases(**kwargs)
    model._add_words(list(words))
    model._add_counts(*model._learn(_carried(chunks, np.frombuffer(bytes(model._conn), dtype=bool))))
    return model


def _carried(chunks, conn: np.ndarray):
    """(ids, ends, skip) for `Phrases._learn`: an open sentence's last word (with the connector words after it)
    is carried into the next chunk, so the pair across the cut is counted; `skip` says those tokens were counted."""
    carry = np.zeros(0, dtype=np.int64)
    for ids, ends, open_ in chunks:
        skip = len(carry)
        if skip:
            ids, ends = np.concatenate([carry, ids]), ends + skip
        carry = np.zeros(0, dtype=np.int64)
        if open_:
            tail_start = int(ends[-1]) if len(ends) else 0
            plain = np.flatnonzero(~conn[ids[tail_start:]])
            if len(plain):
                carry = ids[tail_start + int(plain[-1]):]
            ends = np.append(ends, len(ids))
        yield ids, ends, skip


def _splits(phrase: str, delimiter: str, index: dict, connectors, lengths: set[int]) -> list[list[str]]:
    """Every way `phrase` is the join of known tokens a, connectors..., b (a, b not connectors; at least two).

    A token ends where a delimiter starts (every occurrence, overlapping ones too), and only a slice as long as
    some known word (`lengths`) is looked up: a phrase of a million delimiters costs one scan, not a million
    slices of it."""
    cuts, pos, width = [], phrase.find(delimiter), len(delimiter)
    while pos >= 0:
        cuts.append(pos)
        pos = phrase.find(delimiter, pos + 1)
    found, stack = [], [(0, [])]
    while stack:
        start, acc = stack.pop()
        if acc and len(phrase) - start in lengths:
            last = phrase[start:]
            if last in index and last not in connectors:
                found.append(acc + [last])
        for cut in cuts[bisect.bisect_left(cuts, start):]:
            if cut - start not in lengths:
                continue
            token = phrase[start:cut]
            if token in index and (token in connectors) == bool(acc):
                stack.append((cut + width, acc + [token]))
    return found


class IdJoiner:
    """A FrozenPhrases applied to token ids, vectorised: the sentences `frozen[sentence]` gives, as ids.

    Each phrase is found as the (a, connectors, b) id triples whose joined string it is (every split of it into
    known words); a phrase token gets the id of the word it spells, a new id (appended to `words`) if none. In a
    chunk, the candidate pairs are consecutive non-connector words of one sentence; where hits chain (the b of one
    is the a of the next) gensim's left-to-right scan takes every other one from the first."""

    def __init__(self, frozen: FrozenPhrases, words: list[str], index: dict[str, int]):
        self.words, self.index = words, index
        connectors, delim = frozen.connector_words, frozen.delimiter
        self.seqs: dict[tuple[int, ...], int] = {(): 0}
        triples, targets = [], []
        lengths = set(map(len, index))
        for phrase, score in frozen.phrasegrams.items():
            if not score > frozen.threshold:
                continue
            for tokens in _splits(phrase, delim, index, connectors, lengths):
                seq = tuple(index[w] for w in tokens[1:-1])
                triples.append((index[tokens[0]], self.seqs.setdefault(seq, len(self.seqs)), index[tokens[-1]]))
                if phrase not in index:
                    index[phrase] = len(words)
                    words.append(phrase)
                targets.append(index[phrase])
        self.conn = np.fromiter((w in connectors for w in words), dtype=bool, count=len(words))
        self.shape = (len(words), len(self.seqs))
        a, s, b = (np.array(c, dtype=np.int64) for c in zip(*triples)) if triples else [np.zeros(0, np.int64)] * 3
        keys = _pack(a, s, b, *self.shape)
        order = np.argsort(keys)
        self.keys, self.targets = keys[order], np.array(targets, dtype=np.int64)[order]

    def __call__(self, chunks):
        """Join the phrases of (ids, ends, open) chunks; an open sentence's last word waits for the next chunk."""
        held = np.zeros(0, dtype=np.int64)
        for ids, ends, open_ in chunks:
            if len(held):
                ids, ends = np.concatenate([held, ids]), ends + len(held)
            ids, ends, held = self._join(ids, ends, open_)
            yield ids, ends, open_
        if len(held):
            yield held, np.array([len(held)], dtype=np.int64), False

    def _join(self, ids: np.ndarray, ends: np.ndarray, open_: bool):
        n = len(ids)
        none = np.zeros(0, dtype=np.int64)
        if not len(self.keys) or n == 0:
            return ids, ends, none
        plain = np.flatnonzero(~self.conn[ids])
        sentence = np.searchsorted(ends, plain, side="right")
        same = sentence[:-1] == sentence[1:]
        pa, pb = plain[:-1][same], plain[1:][same]
        s = _connector_seqs(ids, pa, pb, self.seqs)
        keys = _pack(ids[pa], np.maximum(s, 0), ids[pb], *self.shape)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        hit = (self.keys[pos] == keys) & (s >= 0)
        k = np.arange(len(pa))
        chained = np.zeros(len(pa), dtype=bool)
        chained[1:] = hit[:-1] & (pb[:-1] == pa[1:])
        run_start = np.maximum.accumulate(np.where(chained, 0, k)) if len(k) else k
        taken = np.flatnonzero(hit & ((k - run_start) % 2 == 0))
        out = ids.copy()
        out[pa[taken]] = self.targets[pos[taken]]
        cover = np.bincount(pa[taken] + 1, minlength=n + 1) - np.bincount(pb[taken] + 1, minlength=n + 1)
        keep = np.cumsum(cover[:n]) == 0
        held = none
        if open_:
            last = plain[plain >= (ends[-1] if len(ends) else 0)]
            if len(last) and keep[last[-1]]:  # not the b of a phrase: it may start one with the next chunk's word
                held = ids[last[-1]:]
                keep[last[-1]:] = False
        dropped = np.concatenate([[0], np.cumsum(~keep)])
        return out[keep], ends - dropped[ends], held


__all__ = ["Phrases", "FrozenPhrases", "Phraser", "ENGLISH_CONNECTOR_WORDS", "original_scorer", "npmi_scorer",
           "learn_phrases", "PhrasesError", "ScorerError", "learn_ids", "IdJoiner"]
