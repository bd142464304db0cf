"""fastText's character n-grams and their hash buckets, for one word or a whole vocabulary at once (numpy only).

The scheme is fastText's (`Dictionary::computeSubwords`), which gensim reproduces: the word is wrapped in `<` and
`>`, every run of `min_n..max_n` characters is an n-gram (a character is a UTF-8 sequence: continuation bytes never
start an n-gram, and `n` counts characters), except the lone `<` and `>`; the whole wrapped word counts when it is
short enough. Each n-gram is hashed over its UTF-8 bytes with fastText's 32-bit FNV-1a, in which a byte >= 128 is
sign-extended before the xor (fastText hashes `char`s, which are signed); its bucket is the hash modulo `bucket`.
Duplicates are kept, in the order fastText lists them (by start, then by length).

`vocab_rows` is what training and `FastTextKeyedVectors` consume: a CSR array with one row per vocabulary word,
the word's own row followed by its n-gram rows offset by the vocabulary size (the input matrix of a fastText
model is the vocabulary's rows, then the buckets'). It is computed vectorised, a block of words at a time.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import WordvecError

FNV_OFFSET, FNV_PRIME = 2166136261, 16777619
_BLOCK_CELLS = 1 << 19  # (character start, n-gram length) cells hashed per vectorised step: bounded temporaries
MAX_WORD_CELLS = 1 << 23  # a word needing more cells than this (a long word with a huge max_n) is refused


def check_settings(min_n: int, max_n: int, bucket: int) -> None:
    """min_n, max_n and bucket as fastText stores them: non-negative 32-bit ints."""
    for name, value in (("min_n", min_n), ("max_n", max_n), ("bucket", bucket)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise WordvecError(f"{name} must be a non-negative integer, got {value!r}")
    if bucket >= 1 << 31:
        raise WordvecError(f"bucket must be below 2**31 (fastText stores it as a 32-bit int), got {bucket}")


def ngram_count(chars, min_n: int, max_n: int):
    """How many n-grams a word of `chars` characters (int or int array, without `<` `>`) has, from the lengths
    alone (no hashing): sum over n of (chars + 2 - n + 1) for n in max(min_n, 1)..min(max_n, chars + 2), less the
    lone `<` and `>` when n = 1 counts."""
    c = np.asarray(chars, dtype=np.int64) + 2
    lo = max(int(min_n), 1)
    hi = np.minimum(int(max_n), c)
    k = np.maximum(hi - lo + 1, 0)
    out = k * (c + 1) - (lo + hi) * k // 2 - (2 if lo == 1 else 0) * (k > 0)
    return out if out.ndim else int(out)


def _cells(chars: np.ndarray, min_n: int, max_n: int) -> np.ndarray:
    """The vectorised hash's work for words of `chars` characters: (character starts) x (n-gram lengths)."""
    c = chars + 2
    return c * np.minimum(int(max_n), c)


def _check_cells(words: list, cells: np.ndarray, min_n: int, max_n: int) -> None:
    big = np.flatnonzero(cells > MAX_WORD_CELLS)
    if len(big):
        word = words[int(big[0])]
        raise WordvecError(f"the word {word[:20]!r}... of {len(word):,} characters has about "
                           f"{ngram_count(len(word), min_n, max_n):,} character n-grams of {min_n}..{max_n} "
                           f"characters, too many to hash; lower max_n (fastText's is 6) or leave the word out")


def _utf8(word: str) -> bytes:
    """The word wrapped in `<` `>`, as UTF-8 (a lone surrogate is kept as its 3 bytes rather than refused)."""
    return f"<{word}>".encode("utf-8", "surrogatepass")


def ft_hash(data: bytes) -> int:
    """fastText's hash of a byte string: FNV-1a over sign-extended bytes, 32 bits (gensim's `ft_hash_bytes`)."""
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ (b | 0xFFFFFF00 if b >= 128 else b)) * FNV_PRIME) & 0xFFFFFFFF
    return h


def ngrams(word: str, min_n: int, max_n: int) -> list[bytes]:
    """The n-grams of `word` as UTF-8 byte strings, in fastText's order (gensim's `compute_ngrams_bytes`)."""
    check_settings(min_n, max_n, 0)
    raw = _utf8(word)
    starts = [i for i, b in enumerate(raw) if b & 0xC0 != 0x80] + [len(raw)]
    chars = len(starts) - 1
    return [raw[starts[c]:starts[c + n]] for c in range(chars) for n in range(max(min_n, 1), max_n + 1)
            if c + n <= chars and not (n == 1 and (c == 0 or c + 1 == chars))]


def ngram_hashes(word: str, min_n: int, max_n: int, bucket: int) -> list[int]:
    """Bucket ids of the n-grams of one word (gensim's `ft_ngram_hashes`); none when `bucket` is 0."""
    return hash_ngrams([word], min_n, max_n, bucket)[1].tolist()


def hash_ngrams(words: Sequence[str], min_n: int, max_n: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR (offsets int64 (n + 1,), bucket ids int64) of the n-grams of every word: word i's buckets are
    `ids[offsets[i]:offsets[i + 1]]`, in fastText's order. `bucket` 0 (or max_n < min_n) gives no n-grams."""
    check_settings(min_n, max_n, bucket)
    words = list(words)
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    if bucket == 0 or max_n < max(min_n, 1) or not words:
        return offsets, np.zeros(0, dtype=np.int64)
    cells = _cells(np.fromiter(map(len, words), dtype=np.int64, count=len(words)), min_n, max_n)
    _check_cells(words, cells, min_n, max_n)  # before hashing: a huge max_n on a long word is quadratic
    parts, counts = [], []
    a = 0
    while a < len(words):
        b, work = a, 0
        while b < len(words) and (b == a or work < _BLOCK_CELLS):
            work += int(cells[b])
            b += 1
        ids, per_word = _hash_block([_utf8(w) for w in words[a:b]], min_n, max_n, bucket)
        parts.append(ids)
        counts.append(per_word)
        a = b
    np.cumsum(np.concatenate(counts), out=offsets[1:])
    return offsets, np.concatenate(parts)


def _hash_block(raws: list[bytes], min_n: int, max_n: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """Bucket ids of the n-grams of a block of wrapped words, and how many each word has (vectorised over every
    character start at once, one step per n-gram length and byte of the last character)."""
    buf = np.frombuffer(b"".join(raws), dtype=np.uint8)
    signed = buf.view(np.int8).astype(np.uint32)  # fastText's signed char, sign-extended (wraps to 0xFFFFFFxx)
    starts = np.flatnonzero((buf & 0xC0) != 0x80)  # every wrapped word begins with '<', a character start
    cp = np.append(starts, len(buf))  # byte where each character starts; the last entry ends the block
    lengths = np.fromiter(map(len, raws), dtype=np.int64, count=len(raws))
    word_start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    first_char = np.searchsorted(starts, word_start)  # global index of each word's '<'
    n_chars = np.diff(np.append(first_char, len(starts)))
    word_of = np.repeat(np.arange(len(raws)), n_chars)
    c = np.arange(len(starts)) - first_char[word_of]  # character index within its word
    total = n_chars[word_of]
    max_n = min(max_n, int(n_chars.max()))
    h = np.full(len(starts), FNV_OFFSET, dtype=np.uint32)
    prime = np.uint32(FNV_PRIME)
    hashes, masks = [], []
    for n in range(1, max_n + 1):
        ok = c + n <= total
        end = cp[np.minimum(np.arange(len(starts)) + n, len(cp) - 1)]
        pos = cp[np.minimum(np.arange(len(starts)) + n - 1, len(cp) - 1)]
        for j in range(4):  # a character is at most 4 UTF-8 bytes
            m = ok & (pos + j < end)
            if not m.any():
                break
            h[m] = (h[m] ^ signed[pos[m] + j]) * prime
        if n >= min_n:
            keep = ok & ~((n == 1) & ((c == 0) | (c + 1 == total)))
            hashes.append(h % np.uint32(bucket))
            masks.append(keep)
    if not hashes:
        return np.zeros(0, dtype=np.int64), np.zeros(len(raws), dtype=np.int64)
    H, M = np.stack(hashes, axis=1), np.stack(masks, axis=1)  # (starts, lengths): row-major = fastText's order
    per_word = np.bincount(word_of, weights=M.sum(axis=1), minlength=len(raws)).astype(np.int64)
    return H[M].astype(np.int64), per_word


def vocab_rows(words: Sequence[str], min_n: int, max_n: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR (offsets int64 (V + 1,), rows int32) over the input matrix [vocabulary rows; bucket rows]: word i's
    rows are i itself, then V + each of its n-gram buckets (what fastText's `Dictionary::getSubwords` returns)."""
    offsets, ids = hash_ngrams(words, min_n, max_n, bucket)
    n = len(offsets) - 1
    if n + bucket >= 1 << 31:
        raise WordvecError(f"{n} words + {bucket} buckets is too many rows for 32-bit ids; lower bucket")
    per_word = np.diff(offsets) + 1
    out_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_word, out=out_offsets[1:])
    rows = np.empty(int(out_offsets[-1]), dtype=np.int32)
    own = out_offsets[:-1]
    rows[own] = np.arange(n, dtype=np.int32)
    rest = np.ones(len(rows), dtype=bool)
    rest[own] = False
    rows[rest] = ids + n
    return out_offsets, rows


__all__ = ["check_settings", "ngram_count", "ft_hash", "ngrams", "ngram_hashes", "hash_ngrams", "vocab_rows",
           "FNV_OFFSET", "FNV_PRIME", "MAX_WORD_CELLS"]
