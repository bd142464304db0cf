"""SPEC parity on the real data: the notebook's printed/asserted numbers, and the lab preset's final loss."""

from __future__ import annotations

import numpy as np
import pytest

import lab_reference as lab
from wordvec.config import LAB
from wordvec.pipeline import fit
from wordvec.windows import count_pairs


def test_rows(lab_data):
    assert len(lab_data.splits["train"]) == 31962
    assert len(lab_data.splits["test"]) == 17197


def test_vocab(lab_data):
    v = lab_data.vocab
    assert len(v) == 3085
    assert v.id2tok[0] == "@user"
    assert v.tok2id["father"] == 1
    assert v.id2tok[1] == "father"
    assert v.counts.min() >= 11


def test_tokens_and_pairs(lab_data):
    assert len(lab_data.train_enc) == 204534
    assert lab_data.train_enc.n_docs == 31962
    assert len(lab_data.train_pairs) == 854376
    assert count_pairs(lab_data.train_enc, 3) == 854376
    assert lab_data.test_enc.n_docs == 17197
    # the pair list is made of vocabulary ids only
    assert lab_data.train_pairs.min() >= 0 and lab_data.train_pairs.max() < len(lab_data.vocab)


def test_token_count_by_reference(lab_data):
    vocab, _, _ = lab.build_vocab(lab_data.train_tokens, threshold=10)
    assert sum(len(lab.remove_rare_tokens(t, vocab)) for t in lab_data.train_tokens) == 204534


@pytest.mark.slow
def test_lab_preset_final_loss(lab_data):
    cfg = LAB.replace(progress=False)
    result = fit(cfg, lab_data.vocab, lab_data.train_enc)
    assert len(result.epoch_losses) == cfg.epochs == 3
    assert np.all(np.isfinite(result.epoch_losses))
    assert result.epoch_losses[-1] <= 6.75, result.epoch_losses
    assert result.epoch_losses[-1] < result.epoch_losses[0]
    assert result.pairs == 3 * 854376
    assert result.output_vectors.shape == (3085, 50)
