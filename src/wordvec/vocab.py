"""The vocabulary: counts, the min_count cut, ids in first-seen order, and the corpus as one id array.

A corpus is held as `Encoded`: one int32 array of token ids for every kept token, plus document offsets,
so memory is O(tokens) and windows/batches are cut out of it with array arithmetic.
"""

from __future__ import annotations

import os
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .errors import WordvecError


@dataclass
class Encoded:
    """Token ids of a corpus (rare words removed) and where each document starts: doc d is ids[offsets[d]:offsets[d+1]]."""

    ids: np.ndarray  # int32, all kept tokens in corpus order
    offsets: np.ndarray  # int64, n_docs + 1 entries, offsets[0] == 0, offsets[-1] == len(ids)

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
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            for tok, c in zip(self.id2tok, self.counts.tolist()):
                f.write(f"{tok}\t{c}\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocab":
        tokens, counts = [], []
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
                    raise WordvecError(f"{path}: line {lineno} is not 'token<TAB>count'; "
                                       f"is this a wordvec vocab.txt?")
                tokens.append(parts[0])
                counts.append(int(parts[1]))
        return cls(tokens, counts)


def _encoded(ids: array, lengths: array) -> Encoded:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=offsets[1:])
    return Encoded(np.frombuffer(ids, dtype=np.int32).copy(), offsets)


def build_and_encode(token_lists: Iterable[Sequence[str]], min_count: int = 5,
                     max_vocab_size: int | None = None) -> tuple[Vocab, Encoded]:
    """Count, cut and encode in one pass over the corpus (it may be a stream read once).

    Every word gets a provisional id in first-seen order; counts are a bincount of those ids; the kept words are
    renumbered in the same order, which is exactly the lab's `Counter` -> filtered dict -> `enumerate` order.
    `max_vocab_size` keeps only that many of the most frequent words (ties: first seen first).
    """
    seen: dict[str, int] = {}
    setdefault = seen.setdefault
    raw = array("i")
    lengths = array("q")
    for toks in token_lists:
        raw.extend([setdefault(t, len(seen)) for t in toks])
        lengths.append(len(toks))
    if not seen:
        raise WordvecError("the corpus has no tokens after preprocessing; check --dataset, --text-column and "
                           "--tokenizer (the lab tokenizer keeps only a-z, @ and #)")
    raw_ids = np.frombuffer(raw, dtype=np.int32)
    counts = np.bincount(raw_ids, minlength=len(seen))
    keep = counts >= min_count
    if max_vocab_size is not None and keep.sum() > max_vocab_size:
        by_count = np.argsort(-counts, kind="stable")
        capped = np.zeros_like(keep)
        capped[by_count[:max_vocab_size]] = True
        keep &= capped
    if not keep.any():
        top = int(counts.argmax())
        word = next(w for w, i in seen.items() if i == top)
        raise WordvecError(f"the vocabulary is empty: no word occurs at least {min_count} times (the most frequent, "
                           f"{word!r}, occurs {int(counts[top])} times); lower --min-count")
    new_id = np.where(keep, np.cumsum(keep) - 1, -1).astype(np.int32)
    words = np.empty(len(seen), dtype=object)
    words[list(seen.values())] = list(seen.keys())
    vocab = Vocab(words[keep].tolist(), counts[keep])
    mapped = new_id[raw_ids]
    kept = mapped >= 0
    doc_of = np.repeat(np.arange(len(lengths)), np.frombuffer(lengths, dtype=np.int64))
    new_lengths = np.bincount(doc_of[kept], minlength=len(lengths))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(new_lengths, out=offsets[1:])
    return vocab, Encoded(np.ascontiguousarray(mapped[kept]), offsets)


__all__ = ["Vocab", "Encoded", "build_and_encode"]
