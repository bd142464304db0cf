"""The lab's network (SPEC step 2): one-hot, Linear vs Embedding, SoftmaxWord2Vec."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import lab_reference as lab
from wordvec.network import SoftmaxWord2Vec, one_hot_encode


def test_one_hot_encode_demo():
    v = one_hot_encode(7, 20)
    assert v.shape == (20,) and v.dtype == torch.float32
    assert v[7] == 1.0 and v.sum() == 1.0
    assert torch.equal(v, lab.one_hot_encode(7, 20))


@pytest.mark.parametrize("size", [1, 5, 20])
def test_one_hot_encode_every_index(size):
    for i in range(size):
        assert torch.equal(one_hot_encode(i, size), lab.one_hot_encode(i, size))
        assert torch.equal(one_hot_encode(i, size), torch.eye(size)[i])


def _linear_and_embedding(size):
    linear = nn.Linear(size, 1, bias=False)
    embedding = nn.Embedding(size, 1)
    with torch.no_grad():
        linear.weight[:] = torch.arange(size, dtype=torch.float)
        embedding.weight[:] = torch.arange(size, dtype=torch.float).unsqueeze(1)
    return linear, embedding


def test_linear_vs_embedding_demo():
    linear, embedding = _linear_and_embedding(20)
    assert linear(one_hot_encode(7, 20)).item() == 7.0
    assert embedding(torch.tensor(7)).item() == 7.0


def test_linear_vs_embedding_every_index():
    size = 20
    linear, embedding = _linear_and_embedding(size)
    for i in range(size):
        a = linear(one_hot_encode(i, size))
        b = embedding(torch.tensor(i))
        assert a.item() == b.item() == float(i)


def test_embedding_is_one_hot_times_weights():
    torch.manual_seed(0)
    emb = nn.Embedding(12, 4)
    for i in range(12):
        assert torch.allclose(one_hot_encode(i, 12) @ emb.weight, emb(torch.tensor(i)))


def test_softmax_word2vec_shapes_and_forward():
    torch.manual_seed(0)
    m = SoftmaxWord2Vec(30, 8)
    assert m.embed.weight.shape == (30, 8)
    assert m.expand.weight.shape == (30, 8)
    assert m.expand.bias is None
    assert m(torch.tensor(3)).shape == (30,)
    x = torch.tensor([0, 5, 29, 5])
    out = m(x)
    assert out.shape == (4, 30)
    assert torch.allclose(out, m.embed.weight[x] @ m.expand.weight.T, atol=1e-6)
    assert m(torch.zeros(2, 3, dtype=torch.long)).shape == (2, 3, 30)


def test_softmax_word2vec_is_the_labs_network():
    torch.manual_seed(3)
    ours = SoftmaxWord2Vec(17, 5)
    torch.manual_seed(3)
    theirs = lab.Word2Vec(17, 5)
    # same parameter names, same initialisation from the same seed, same outputs
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["embed.weight", "expand.weight"]
    for k in ours.state_dict():
        assert torch.equal(ours.state_dict()[k], theirs.state_dict()[k])
    x = torch.arange(17)
    assert torch.equal(ours(x), theirs(x))
    theirs.load_state_dict(ours.state_dict())  # loadable both ways
