"""The networks. The lab's full-softmax Word2Vec (Embedding -> bias-free Linear) and the tools it explains.

`one_hot_encode` and the Linear/Embedding equivalence are the lab's step 2: an embedding lookup is a one-hot
vector times a weight matrix, without the multiplication.
"""

from __future__ import annotations

import torch
from torch import nn


def one_hot_encode(index: int, size: int) -> torch.Tensor:
    """A float vector of `size` zeros with a 1 at `index` (the lab's helper)."""
    vec = torch.zeros(size, dtype=torch.float)
    vec[index] = 1.0
    return vec


class SoftmaxWord2Vec(nn.Module):
    """The lab's `Word2Vec`: logits over the vocabulary = expand(embed(word)).

    The lab feeds the context word and predicts the centre word (it calls this CBOW with a one-word context).
    Softmax is left to the loss. `embed.weight` are the input vectors, `expand.weight` the output vectors.
    """

    def __init__(self, vocab_size: int, embedding_size: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_size)
        self.expand = nn.Linear(embedding_size, vocab_size, bias=False)

    def forward(self, input_: torch.Tensor) -> torch.Tensor:
        return self.expand(self.embed(input_))


__all__ = ["one_hot_encode", "SoftmaxWord2Vec"]
