"""The lab's own code, transcribed from SPEC.md / the notebook as an independent reference for the tests.

Deliberately slow and literal: one row at a time, one pair at a time, no memo, no vectorisation. wordvec's fast
versions are tested for equality against these functions, never against hard-coded outputs of wordvec itself.
Nothing here imports wordvec.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import torch
from torch import nn

_STOPWORDS = None
_STEMMER = None


def stopwords_english() -> list[str]:
    """NLTK's English stopword list, read through NLTK's corpus reader (NLTK_DATA is set by conftest)."""
    from nltk.corpus import stopwords

    return stopwords.words("english")


def _setup():
    global _STOPWORDS, _STEMMER
    if _STOPWORDS is None:
        from nltk.stem.snowball import SnowballStemmer

        _STOPWORDS = set(stopwords_english())
        _STEMMER = SnowballStemmer("english")
    return _STOPWORDS, _STEMMER


# ---- step 1.2 ---------------------------------------------------------------------------------------------------
def split_tokens(row: str) -> list[str]:
    """lower -> re.sub(r'[^a-z@# ]', '') -> re.split(r' +') -> drop stopwords and empties -> Snowball stem each."""
    stops, stemmer = _setup()
    row = row.lower()
    row = re.sub(r"[^a-z@# ]", "", row)
    tokens = re.split(r" +", row)
    tokens = [t for t in tokens if t not in stops and t != ""]
    return [stemmer.stem(t) for t in tokens]


# ---- step 1.3 / 1.4 ---------------------------------------------------------------------------------------------
def build_vocab(all_tokens: list[list[str]], threshold: int = 10) -> tuple[dict, dict, dict]:
    """Counter over every token; keep count > threshold (the lab: > 10); ids in dict (first-seen) order.

    Returns (vocab {token: count}, id2tok, tok2id).
    """
    counts = Counter()
    for toks in all_tokens:
        counts.update(toks)
    vocab = {tok: c for tok, c in counts.items() if c > threshold}
    id2tok = dict(enumerate(vocab))
    tok2id = {tok: i for i, tok in id2tok.items()}
    return vocab, id2tok, tok2id


def remove_rare_tokens(tokens: list[str], vocab) -> list[str]:
    return [t for t in tokens if t in vocab]


# ---- step 1.5 ---------------------------------------------------------------------------------------------------
def windowizer(doc: list[str], tok2id: dict, wsize: int = 3) -> list[tuple[int, int]]:
    """(target, context) id pairs of one row, in order of position i then offset j = -wsize..wsize, j != 0."""
    out = []
    for i, word in enumerate(doc):
        target = tok2id[word]
        for j in range(-wsize, wsize + 1):
            if j == 0:
                continue
            k = i + j
            if 0 <= k < len(doc):
                out.append((target, tok2id[doc[k]]))
    return out


def all_windows(docs: list[list[str]], tok2id: dict, wsize: int = 3) -> list[tuple[int, int]]:
    """The lab's Word2VecDataset: the flat list of every row's pairs."""
    pairs = []
    for doc in docs:
        pairs.extend(windowizer(doc, tok2id, wsize))
    return pairs


# ---- step 2 -----------------------------------------------------------------------------------------------------
def one_hot_encode(i: int, size: int) -> torch.Tensor:
    vec = torch.zeros(size)
    vec[i] = 1
    return vec


class Word2Vec(nn.Module):
    """The lab's network: embed = Embedding(V, E), expand = Linear(E, V, bias=False)."""

    def __init__(self, vocab_size: int, embedding_size: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_size)
        self.expand = nn.Linear(embedding_size, vocab_size, bias=False)

    def forward(self, input):
        hidden = self.embed(input)
        return self.expand(hidden)


# ---- step 3 -----------------------------------------------------------------------------------------------------
def train_per_pair(pairs, vocab_size: int, embed_size: int = 50, lr: float = 3e-4, epochs: int = 1,
                   seed: int = 2023):
    """The notebook's loop: one AdamW step per (center, context) pair, CrossEntropyLoss, epoch mean of the losses.

    The notebook's DataLoader(shuffle=True) order is replaced by a torch.Generator seeded with `seed` drawing
    `torch.randperm(n)` once per epoch, so the pair order can be matched. Returns (model, epoch mean losses).
    """
    np.random.seed(seed)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = Word2Vec(vocab_size, embed_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    data = torch.as_tensor(np.asarray(pairs), dtype=torch.long)
    epoch_losses = []
    for _ in range(epochs):
        running = []
        for idx in torch.randperm(len(data), generator=gen).tolist():
            center, context = data[idx][0], data[idx][1]
            optimizer.zero_grad()
            logits = model(context).unsqueeze(0)
            loss = loss_fn(logits, center.unsqueeze(0))
            loss.backward()
            optimizer.step()
            running.append(loss.item())
        epoch_losses.append(float(np.mean(running)))
    return model, epoch_losses
