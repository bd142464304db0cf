"""What the subword tests and benchmarks/vs_fasttext.py measure of a FastText model on the tweets: recall@10 of the
true word among the vocabulary neighbours of a misspelling the corpus never holds (one deletion, insertion,
substitution or transposition of a frequent word), and the overlap of two models' neighbour lists."""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

from wordvec.utils import simple_preprocess

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def tweet_sentences(path: Path) -> list[list[str]]:
    """The tweets of a train.csv, tokenised as gensim's simple_preprocess does."""
    with open(path, encoding="utf-8", newline="") as f:
        return [simple_preprocess(row["tweet"]) for row in csv.DictReader(f)]


def misspellings(sentences, n: int, seed: int = 0, min_count: int = 30, min_len: int = 6) -> list[tuple[str, str]]:
    """(typo, word) for up to n frequent words: one random edit, never a token of the corpus."""
    counts = Counter(w for s in sentences for w in s)
    rng = random.Random(seed)
    words = sorted(w for w, c in counts.items() if c >= min_count and len(w) >= min_len and w.isalpha())
    rng.shuffle(words)
    out = []
    for word in words:
        for _ in range(20):
            i = rng.randrange(len(word))
            kind = rng.randrange(4)
            if kind == 0:
                typo = word[:i] + word[i + 1:]
            elif kind == 1:
                typo = word[:i] + rng.choice(LETTERS) + word[i:]
            elif kind == 2:
                typo = word[:i] + rng.choice(LETTERS) + word[i + 1:]
            else:
                j = min(i + 1, len(word) - 1)
                typo = word[:i] + word[j] + word[i] + word[j + 1:] if j > i else word
            if typo != word and typo not in counts:
                out.append((typo, word))
                break
        if len(out) == n:
            break
    return out


def recall_at(wv, pairs, topn: int = 10) -> float:
    """The share of typos whose true word is among their topn vocabulary neighbours."""
    hits = sum(word in {w for w, _ in wv.most_similar(typo, topn=topn)} for typo, word in pairs)
    return hits / max(1, len(pairs))


def neighbour_overlap(wv_a, wv_b, words, topn: int = 10) -> float:
    """The mean share of topn neighbours two models agree on, over `words`."""
    shared = [len({w for w, _ in wv_a.most_similar(x, topn=topn)} & {w for w, _ in wv_b.most_similar(x, topn=topn)})
              for x in words]
    return sum(shared) / max(1, topn * len(shared))


def frequent_words(wv, n: int, skip: int = 20) -> list[str]:
    """n frequent vocabulary words, past the `skip` most frequent (function words have vague neighbours)."""
    return [w for w in wv.index_to_key[skip:skip + n]]
