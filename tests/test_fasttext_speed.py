"""The end-of-epoch divergence check, made cheap for fastText's large input matrix: `matrix_sum` reads min and max
(finite exactly when every entry is), and with subwords the engine checks only the rows a word reads (the CSR's),
since training writes no other. A NaN or infinity still stops the run with the divergence line."""

from __future__ import annotations

import numpy as np
import pytest

from wordvec import FastText
from wordvec.errors import WordvecError
from wordvec.models.callbacks import CallbackAny2Vec
from wordvec.subwords import vocab_rows
from wordvec.weights import check_finite, matrix_sum

BIG = np.finfo(np.float32).max


@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (1000, 100)])
def test_matrix_sum_is_finite_exactly_when_every_entry_is(shape):
    rng = np.random.default_rng(0)
    m = rng.uniform(-1, 1, shape).astype(np.float32)
    assert np.isfinite(matrix_sum(m))
    m.flat[0], m.flat[-1] = BIG, -BIG  # the extremes of float32 are finite, and so is their sum
    assert np.isfinite(matrix_sum(m))
    for bad in (np.nan, np.inf, -np.inf):
        for where in sorted({0, m.size // 2, m.size - 1}):
            x = m.copy()
            x.flat[where] = bad
            assert not np.isfinite(matrix_sum(x)), (bad, where)
    x = m.copy()
    x.flat[0], x.flat[-1] = np.inf, -np.inf
    assert not np.isfinite(matrix_sum(x))


def test_an_empty_matrix_is_finite():
    assert matrix_sum(np.zeros((0, 4), np.float32)) == 0.0


def test_check_finite_stops_on_a_sum_from_a_nan_row():
    with pytest.raises(WordvecError, match="weights became NaN"):
        check_finite(0, 1.0, matrix_sum(np.array([[1.0, np.nan]], np.float32)), lr=0.05)


class _Plant(CallbackAny2Vec):
    """Before epoch 2, an infinity in one bucket row (of the model's matrix, through the view `vectors_ngrams`)."""

    def __init__(self, bucket: int):
        self.bucket, self.epochs = bucket, 0

    def on_epoch_begin(self, model):
        self.epochs += 1
        if self.epochs == 2:
            model.wv.vectors_ngrams[self.bucket] = np.inf


def test_an_infinite_trained_bucket_row_stops_the_run():
    sentences = [["apple", "maple", "ample", "apples"], ["pal", "apple", "maple"]] * 30
    model = FastText(vector_size=8, min_count=1, bucket=500, epochs=3, workers=1, seed=1, sg=1)
    model.build_vocab(sentences)
    offsets, rows = vocab_rows(model.wv.index_to_key, 3, 6, 500)
    bucket = int(rows[offsets[0] + 1]) - len(model.wv)  # the first n-gram bucket of the first word
    with pytest.raises(WordvecError, match="diverged in epoch 2"):
        model.train(sentences, total_examples=len(sentences), epochs=3, callbacks=[_Plant(bucket)])
