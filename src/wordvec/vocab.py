"""The vocabulary: counts, the min_count cut, ids in first-seen order, and the corpus as one id array.

A corpus is held as `Encoded`: one int32 array of token ids for every kept token, plus document offsets,
so memory is O(tokens) and windows/batches are cut out of it with array arithmetic.
"""

from __future__ import annotations

import logging
import os
import re
from array import array
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .errors import WordvecError
from .files import INT64_MAX, atomic_open

_COUNT = re.compile(r"[0-9]{1,20}")  # ASCII digits only: str.isdigit() also accepts "²" and "٣"

log = logging.getLogger("wordvec")


@dataclass
class Encoded:
    """Token ids of a corpus (rare words removed) and where each document starts: doc d is ids[offsets[d]:offsets[d+1]]."""

    ids: np.ndarray  # int32, all kept tokens in corpus order
    offsets: np.ndarray  # int64, n_docs + 1 entries, offsets[0] == 0, offsets[-1] == len(ids)
    checked: bool = False  # already validated (a token store checks ids and offsets on open): skip O(n) checks

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_docs(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def doc(self, d: int) -> np.ndarray:
        return self.ids[self.offsets[d]:self.offsets[d + 1]]

    @classmethod
    def from_docs(cls, docs: Sequence[Sequence[int]]) -> "Encoded":
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.fromiter((i for d in docs for i in d), dtype=np.int32, count=int(offsets[-1]))
        return cls(ids, offsets)

    # --- the interface the trainers read a corpus through (a token store's `store.StoreCorpus` reads files) -----

    def search_offsets(self, *queries: tuple[np.ndarray, str]) -> list[np.ndarray]:
        """np.searchsorted(offsets, keys, side) for each (keys, side), as int64."""
        return [np.searchsorted(self.offsets, keys, side=side).astype(np.int64) for keys, side in queries]

    def offsets_at(self, idx: np.ndarray) -> np.ndarray:
        """offsets[idx] as int64."""
        return np.asarray(self.offsets[idx], dtype=np.int64)

    def open_chunks(self, bounds: list[int]) -> "Chunks":
        """A reader of the chunks bounds[c]..bounds[c+1] (close it, or use it in a `with` block)."""
        return Chunks(np.ascontiguousarray(self.ids, dtype=np.int32),
                      np.ascontiguousarray(self.offsets, dtype=np.int64), bounds)


class Chunks:
    """Chunk c of a corpus as the kernels take it: (ids, offsets, start, stop), the tokens ids[start:stop] with
    the documents cut by offsets. In memory, the whole arrays and the chunk's range (nothing is copied)."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, bounds: list[int]):
        self.ids, self.offsets, self.bounds = ids, offsets, bounds

    def read(self, c: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        return self.ids, self.offsets, self.bounds[c], self.bounds[c + 1]

    def close(self) -> None:
        """Release what the reader holds open (nothing, in memory)."""

    def __enter__(self) -> "Chunks":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Vocab:
    """Tokens kept for training, id = position of first occurrence among kept tokens (the lab's dict order)."""

    def __init__(self, tokens: Sequence[str], counts: Sequence[int] | np.ndarray):
        self.id2tok: list[str] = list(tokens)
        self.tok2id: dict[str, int] = {t: i for i, t in enumerate(self.id2tok)}
        self.counts = np.asarray(counts, dtype=np.int64)
        if len(self.tok2id) != len(self.id2tok) or self.counts.shape != (len(self.id2tok),):
            raise WordvecError("vocabulary tokens must be distinct and have one count each")

    def __len__(self) -> int:
        return len(self.id2tok)

    def __contains__(self, token: str) -> bool:
        return token in self.tok2id

    def __getitem__(self, token: str) -> int:
        return self.tok2id[token]

    def __repr__(self) -> str:
        return f"Vocab({len(self)} words, {int(self.counts.sum())} tokens)"

    @property
    def total(self) -> int:
        """Occurrences of kept words in the corpus the vocabulary was built from."""
        return int(self.counts.sum())

    # --- building ---------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], min_count: int = 5,
              max_vocab_size: int | None = None) -> "Vocab":
        return build_and_encode(token_lists, min_count, max_vocab_size)[0]

    def encode(self, token_lists: Iterable[Sequence[str]]) -> Encoded:
        """Ids of in-vocabulary tokens, document by document (the lab's `remove_rare_tokens`, then `tok2id`)."""
        get = self.tok2id.get
        ids = array("i")
        lengths = array("q")
        for toks in token_lists:
            before = len(ids)
            ids.extend(i for i in map(get, toks) if i is not None)
            lengths.append(len(ids) - before)
        return _encoded(ids, lengths)

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.id2tok[int(i)] for i in ids]

    # --- files ------------------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """`token<TAB>count` per line, line i = id i. Written to a temporary name, then renamed."""
        with atomic_open(path, "w", encoding="utf-8", newline="\n") as f:
            for tok, c in zip(self.id2tok, self.counts.tolist()):
                f.write(f"{tok}\t{c}\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocab":
        tokens, counts = [], []
        try:
            with open(path, "rb") as f:
                for lineno, raw in enumerate(f, 1):
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        raise WordvecError(f"{path}: line {lineno} is not UTF-8; is this a wordvec vocab.txt?") \
                            from None
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) != 2 or not _COUNT.fullmatch(parts[1]):
                        raise WordvecError(f"{path}: line {lineno} is not 'token<TAB>count' with a count of ASCII "
                                           f"digits; is this a wordvec vocab.txt?")
                    count = int(parts[1])
                    if count > INT64_MAX:
                        raise WordvecError(f"{path}: line {lineno}: the count {parts[1][:30]} does not fit in 64 "
                                           f"bits; the file is damaged")
                    tokens.append(parts[0])
                    counts.append(count)
        except OSError as e:
            raise WordvecError(f"cannot read {path}: {e.strerror or e}") from None
        if not tokens:
            raise WordvecError(f"{path} is empty; a vocab.txt has one 'token<TAB>count' line per word")
        if len(set(tokens)) != len(tokens):
            raise WordvecError(f"{path} lists a word twice; is this a wordvec vocab.txt?")
        return cls(tokens, counts)


def _encoded(ids: array, lengths: array) -> Encoded:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=offsets[1:])
    return Encoded(np.frombuffer(ids, dtype=np.int32).copy(), offsets)


class EmptyCorpusError(WordvecError):
    """The corpus has no tokens at all (after preprocessing)."""


#: gensim's trim_rule answers: keep or discard a word whatever its count, or apply min_count.
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2


def keep_word(word: str, count: int, min_count: int, trim_rule=None) -> bool:
    """min_count's verdict, unless `trim_rule(word, count, min_count)` says RULE_KEEP or RULE_DISCARD."""
    if trim_rule is not None:
        rule = trim_rule(word, count, min_count)
        if rule == RULE_KEEP:
            return True
        if rule == RULE_DISCARD:
            return False
    return count >= min_count


@dataclass
class Scan:
    """One pass over a corpus: every token as a provisional id, and the words and counts behind the ids.

    Ids are handed out in first-seen order. With `max_vocab_size`, rare words are pruned during the scan (gensim's
    meaning: memory stays bounded, and a pruned word seen again starts counting anew under a new id); `alive`
    marks each word's current id, whose count is the one that counts.
    """

    words: list[str]  # provisional id -> word
    counts: np.ndarray  # int64 count per provisional id
    alive: np.ndarray  # bool: the id is its word's current one
    ids: np.ndarray  # int32 provisional id of every token, in corpus order
    lengths: np.ndarray  # int64 tokens per document

    @property
    def total_words(self) -> int:
        return int(self.ids.shape[0])


def scan_corpus(token_lists: Iterable[Sequence[str]], max_vocab_size: int | None = None, trim_rule=None,
                progress_per: int | None = None) -> Scan:
    """Count every word and remember every token's provisional id, in one pass (the corpus may be a stream)."""
    seen: dict[str, int] = {}
    setdefault = seen.setdefault
    raw = array("i")
    lengths = array("q")
    base = 0  # next id = base + len(seen): ids never repeat, although pruning shrinks `seen`
    dead: dict[int, str] = {}
    counts = np.zeros(0, dtype=np.int64)
    counted = 0
    min_reduce = 1
    for n_docs, toks in enumerate(token_lists, 1):
        if isinstance(toks, (str, bytes)):
            raise WordvecError(f"document {n_docs} is a string, not a list of tokens; split each text into "
                               f"words first (e.g. text.split())")
        raw.extend([setdefault(t, base + len(seen)) for t in toks])
        lengths.append(len(toks))
        if max_vocab_size is not None and len(seen) > max_vocab_size:
            counts = _add_counts(counts, raw, counted, base + len(seen))
            counted = len(raw)
            before = base + len(seen)
            for word, i in list(seen.items()):  # gensim's prune: drop words below min_reduce
                if not keep_word(word, int(counts[i]), min_reduce, trim_rule):
                    dead[i] = word
                    del seen[word]
            base = before - len(seen)
            min_reduce += 1
        if progress_per and n_docs % progress_per == 0:
            log.info("scanned %d documents, %d words, %d word types", n_docs, len(raw), len(seen))
    if not seen and not dead:
        raise EmptyCorpusError("the corpus has no tokens after preprocessing; check --dataset, --text-column and "
                           "--tokenizer (the lab tokenizer keeps only a-z, @ and #)")
    n_ids = base + len(seen)
    counts = _add_counts(counts, raw, counted, n_ids)
    words = [""] * n_ids
    for i, word in dead.items():
        words[i] = word
    alive = np.zeros(n_ids, dtype=bool)
    for word, i in seen.items():
        words[i] = word
        alive[i] = True
    return Scan(words, counts, alive, np.frombuffer(raw, dtype=np.int32), np.frombuffer(lengths, dtype=np.int64))


def _add_counts(counts: np.ndarray, raw: array, start: int, n_ids: int) -> np.ndarray:
    new = np.bincount(np.frombuffer(raw, dtype=np.int32)[start:], minlength=n_ids).astype(np.int64)
    new[:len(counts)] += counts
    return new


def effective_min_count(counts: np.ndarray, min_count: int, max_final_vocab: int | None = None) -> int:
    """min_count, raised if needed so that at most `max_final_vocab` of the words with these `counts` stay (gensim's
    effective_min_count: the cut falls between counts, so ties at the cut are all dropped)."""
    if max_final_vocab is not None and max_final_vocab < len(counts):
        return max(min_count, int(np.sort(counts)[::-1][max_final_vocab]) + 1)
    return min_count


def count_order(counts: np.ndarray) -> np.ndarray:
    """The order gensim 4.4's sorted_vocab numbers words in (observed, also on vocabularies of thousands of tied
    words): descending count, ties last seen first; `counts` are in order of first appearance."""
    return np.argsort(counts, kind="stable")[::-1]


def select_vocab(scan: Scan, min_count: int = 5, max_final_vocab: int | None = None, trim_rule=None,
                 sort_by_count: bool = False, null_word: bool = False) -> tuple[Vocab, np.ndarray]:
    """The vocabulary a scan yields, and each provisional id's final id (-1: dropped).

    Words are kept by `keep_word` at min_count, raised if needed so that at most `max_final_vocab` words stay (as
    gensim: the cut falls between counts, so ties at the cut are all dropped). Order: first seen (the lab's), or
    by descending count with ties in reverse order of first appearance (gensim 4.4's sorted_vocab, observed).
    Every occurrence of a kept word maps to it, also those counted under an id that was pruned. `null_word` adds
    gensim's '\\0' padding word (count 1, as if seen last).
    """
    ids = np.flatnonzero(scan.alive)
    counts = scan.counts[ids]
    effective = effective_min_count(counts, min_count, max_final_vocab)
    if trim_rule is None:
        keep = counts >= effective
    else:
        keep = np.fromiter((keep_word(scan.words[i], int(c), effective, trim_rule)
                            for i, c in zip(ids.tolist(), counts.tolist())), dtype=bool, count=len(ids))
    if not keep.any():
        top = int(counts.argmax())
        raise WordvecError(f"the vocabulary is empty: no word occurs at least {effective} times (the most frequent, "
                           f"{scan.words[ids[top]]!r}, occurs {int(counts[top])} times); lower --min-count")
    kept, kept_counts = ids[keep], counts[keep]
    if null_word:  # provisional id -1: not in the corpus
        kept, kept_counts = np.append(kept, -1), np.append(kept_counts, 1)
    if sort_by_count:
        order = count_order(kept_counts)
        kept, kept_counts = kept[order], kept_counts[order]
    words = [scan.words[i] if i >= 0 else "\0" for i in kept.tolist()]
    final = np.full(len(scan.words), -1, dtype=np.int32)
    real = kept >= 0
    final[kept[real]] = np.flatnonzero(real)
    dead = np.flatnonzero(~scan.alive)
    if len(dead):  # earlier occurrences of a word, counted under an id pruned during the scan
        index = {w: i for i, w in enumerate(words)}
        final[dead] = [index.get(scan.words[i], -1) for i in dead.tolist()]
    return Vocab(words, kept_counts), final


def encode_scan(scan: Scan, final: np.ndarray) -> Encoded:
    """The scanned corpus in final ids, rare words dropped, documents kept (in place: no second token array)."""
    mapped = final.take(scan.ids, out=scan.ids, mode="clip")
    kept = mapped >= 0
    old_offsets = np.zeros(len(scan.lengths) + 1, dtype=np.int64)
    np.cumsum(scan.lengths, out=old_offsets[1:])
    kept_before = np.zeros(len(scan.lengths) + 1, dtype=np.int64)  # kept tokens before each document start
    nonempty = np.flatnonzero(scan.lengths > 0)  # reduceat needs strictly increasing starts inside the array
    per_doc = np.zeros(len(scan.lengths), dtype=np.int64)
    if len(nonempty):
        per_doc[nonempty] = np.add.reduceat(kept.view(np.uint8), old_offsets[nonempty], dtype=np.int64)
    np.cumsum(per_doc, out=kept_before[1:])
    return Encoded(mapped[kept], kept_before)


def build_and_encode(token_lists: Iterable[Sequence[str]], min_count: int = 5, max_vocab_size: int | None = None,
                     *, max_final_vocab: int | None = None, trim_rule=None, sort_by_count: bool = False,
                     null_word: bool = False) -> tuple[Vocab, Encoded]:
    """Count, cut and encode in one pass over the corpus (it may be a stream read once).

    With the defaults the ids are in first-seen order among kept words: exactly the lab's `Counter` -> filtered
    dict -> `enumerate` order. See `scan_corpus` and `select_vocab` for the other settings (gensim's meanings).
    """
    scan = scan_corpus(token_lists, max_vocab_size, trim_rule)
    vocab, final = select_vocab(scan, min_count, max_final_vocab, trim_rule, sort_by_count, null_word)
    return vocab, encode_scan(scan, final)


# --- word2vec tables ------------------------------------------------------------------------------------------
# The engine needs three per-word tables. They are functions of the counts alone, so they live here, next to them.

def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word under frequent-word subsampling (word2vec.c's formula).

    keep = (sqrt(f / (sample * total)) + 1) * (sample * total) / f, capped at 1, f = the word's count. Rare words
    are always kept; a word making up a large share of the corpus is mostly dropped. `sample == 0` keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0 or counts.size == 0:
        return np.ones(counts.shape, dtype=np.float32)
    threshold = sample * counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    keep = np.where(counts > 0, keep, 1.0)
    return np.minimum(keep, 1.0).astype(np.float32)


def noise_distribution(counts: np.ndarray, exponent: float = 0.75) -> np.ndarray:
    """Negative-sampling noise: P(w) proportional to count ** exponent (0.75 flattens Zipf, as in word2vec)."""
    counts = np.asarray(counts, dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        w = counts ** exponent
        total = w.sum()
    if not (total > 0 and np.isfinite(total)):
        if not counts.sum() > 0:
            raise WordvecError("the noise distribution is empty: every word count is zero")
        raise WordvecError(f"ns_exponent {exponent:g} makes the noise distribution (count ** {exponent:g}) "
                           f"{'overflow' if total > 0 else 'vanish or NaN'}; use a moderate --ns-exponent such as 0.75")
    return w / total


def alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table for O(1) sampling from `p`: draw i uniform, keep i if u < prob[i], else alias[i].

    O(V) memory instead of word2vec.c's 1e8-entry unigram table, and exact up to float rounding.
    """
    p = np.asarray(p, dtype=np.float64)
    n = p.size
    scaled = p / p.sum() * n
    prob = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, l = small.pop(), large.pop()
        prob[s] = scaled[s]
        alias[s] = l
        scaled[l] -= 1.0 - scaled[s]
        (small if scaled[l] < 1.0 else large).append(l)
    for i in small + large:  # leftovers are 1 up to rounding
        prob[i] = 1.0
    return prob.astype(np.float32), alias


def chance_loss(counts: np.ndarray, hs: int, negative: int) -> float:
    """Loss per example of an untrained model (every score 0: log 2 per binary decision), the yardstick of the
    divergence check: the negative-sampling decisions plus the longest Huffman path."""
    decisions = (negative + 1 if negative else 0) + (int(huffman_tree(counts).lengths.max()) if hs else 0)
    return decisions * float(np.log(2.0))


@dataclass
class Huffman:
    """Huffman tree over the vocabulary for hierarchical softmax (the tree word2vec.c and gensim build).

    Word w's path from the root has `lengths[w]` steps; step d goes through inner node `points[w, d]` (0..V-2, the
    root is V-2) and turns `codes[w, d]` (0 = the smaller-count child, 1 = the other). Padded with 0 past the length.
    Training predicts label 1 - code at each inner node.
    """

    codes: np.ndarray  # (V, max_len) uint8
    points: np.ndarray  # (V, max_len) int32
    lengths: np.ndarray  # (V,) int32

    @property
    def n_inner(self) -> int:
        return max(int(self.codes.shape[0]) - 1, 1)

    def code(self, w: int) -> list[int]:
        return self.codes[w, :self.lengths[w]].tolist()

    def point(self, w: int) -> list[int]:
        return self.points[w, :self.lengths[w]].tolist()


def huffman_tree(counts: np.ndarray) -> Huffman:
    """Build the Huffman tree: repeatedly merge the two lowest-count nodes (ties: lower node index first).

    Inner node i (0-based) is the i-th merge, so the root is the last one. A one-word vocabulary gets a path of
    one step through a single inner node, so hierarchical softmax still has something to train.
    """
    import heapq

    counts = np.asarray(counts, dtype=np.int64)
    v = int(counts.size)
    if v == 0:
        raise WordvecError("cannot build a Huffman tree over an empty vocabulary")
    if v == 1:
        return Huffman(np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32), np.ones(1, np.int32))
    heap = [(int(c), i) for i, c in enumerate(counts.tolist())]
    heapq.heapify(heap)
    parent = np.empty(2 * v - 1, dtype=np.int64)
    bit = np.zeros(2 * v - 1, dtype=np.uint8)
    for i in range(v - 1):
        c1, n1 = heapq.heappop(heap)
        c2, n2 = heapq.heappop(heap)
        node = v + i
        parent[n1], parent[n2] = node, node
        bit[n2] = 1
        heapq.heappush(heap, (c1 + c2, node))
    root = 2 * v - 2
    # depth of every node, top-down (parents have larger indices than children)
    depth = np.zeros(2 * v - 1, dtype=np.int32)
    for node in range(root - 1, -1, -1):
        depth[node] = depth[parent[node]] + 1
    lengths = depth[:v].astype(np.int32)
    max_len = int(lengths.max())
    codes = np.zeros((v, max_len), dtype=np.uint8)
    points = np.zeros((v, max_len), dtype=np.int32)
    # walk every leaf up at once, one level per step, filling its path from the end
    node = np.arange(v, dtype=np.int64)
    pos = lengths.astype(np.int64) - 1
    rows = np.arange(v)
    while True:
        active = pos >= 0
        if not active.any():
            break
        r, nd, ps = rows[active], node[active], pos[active]
        codes[r, ps] = bit[nd]
        points[r, ps] = parent[nd] - v
        node[active] = parent[nd]
        pos[active] -= 1
    return Huffman(codes, points, lengths)


def _vocab_keep_probabilities(self: Vocab, sample: float) -> np.ndarray:
    """Per-word subsampling keep-probability for this vocabulary (see `keep_probabilities`)."""
    return keep_probabilities(self.counts, sample)


def _vocab_noise_distribution(self: Vocab, exponent: float = 0.75) -> np.ndarray:
    """Per-word negative-sampling probability for this vocabulary (see `noise_distribution`)."""
    return noise_distribution(self.counts, exponent)


def _vocab_huffman(self: Vocab) -> Huffman:
    """Huffman tree over this vocabulary's counts (see `huffman_tree`)."""
    return huffman_tree(self.counts)


Vocab.keep_probabilities = _vocab_keep_probabilities
Vocab.noise_distribution = _vocab_noise_distribution
Vocab.huffman = _vocab_huffman

__all__ = ["Vocab", "Encoded", "Chunks", "Scan", "scan_corpus", "select_vocab", "encode_scan", "build_and_encode", "keep_word",
           "effective_min_count", "count_order",
           "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "EmptyCorpusError", "keep_probabilities", "noise_distribution",
           "alias_table", "Huffman", "huffman_tree", "chance_loss"]
