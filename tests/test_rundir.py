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


def test_a_run_written_before_the_c_kernels_reads_its_backend_as_hogwild(tmp_path):
    """Runs written when the CPU backend was called 'numba' still read (and re-validate) as the same backend."""
    import json

    from wordvec.config import Config
    from wordvec.rundir import read_config

    run = make_run(tmp_path / "r", ["a", "b"], np.ones((2, 3), np.float32))
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["config"].update(model="skipgram", loss="ns", backend="numba")
    (run / "metrics.json").write_text(json.dumps(metrics))
    config = read_config(run)
    assert config.backend == "hogwild" and config.validate() is config
    with pytest.raises(WordvecError, match="backend"):
        Config(model="skipgram", loss="ns", backend="numba").validate()
