"""The run directory: loading a run's vectors from its files, and refusing inconsistent ones."""

from __future__ import annotations

import numpy as np
import pytest

from fakes import make_run
from wordvec.errors import WordvecError
from wordvec.rundir import load_vectors


def test_load_run(tmp_path):
    rng = np.random.default_rng(1)
    words = ["good", "bad", "school", "day", "run"]
    emb, exp = rng.standard_normal((2, 5, 6)).astype(np.float32)
    run = make_run(tmp_path / "r", words, emb, exp, vectors="output")
    kv = load_vectors(run)
    np.testing.assert_allclose(kv.vectors, exp, rtol=1e-6)
    assert kv.index_to_key == words and kv.counts.tolist() == [100, 99, 98, 97, 96] and kv.tokenizer == "simple"
    np.testing.assert_array_equal(load_vectors(run, which="input").vectors, emb)
    np.testing.assert_allclose(load_vectors(run, which="mean").vectors, (emb + exp) / 2, rtol=1e-6)


def test_load_run_errors(tmp_path):
    with pytest.raises(WordvecError, match="wordvec train --out"):
        load_vectors(tmp_path / "missing")
    run = make_run(tmp_path / "hs", ["a", "b"], np.ones((2, 3), np.float32))
    with pytest.raises(WordvecError, match="no output vectors"):
        load_vectors(run, which="output")
    (run / "vectors.txt").unlink()
    with pytest.raises(WordvecError, match="vectors.txt is missing"):
        load_vectors(run)
