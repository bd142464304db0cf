"""`wordvec train --preset fasttext` as real CLI processes: the run answers unseen words (`wordvec neighbors`),
exports fastText's .bin (gensim reads it with the run's vectors) and .vec, trains from a token store, and a run
stopped by SIGTERM resumes to bit-identical vectors; the flags that cannot apply are one clear line."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from test_resume import _corpus, _run, _same_tensors, _tensors, _terminated

FASTTEXT = ["--preset", "fasttext", "--tokenizer", "simple", "--min-count", "1", "--vector-size", "16", "--bucket",
            "5000", "--threads", "1", "--no-progress", "-q"]


def _wordvec(*args: str):
    return _run([sys.executable, "-m", "wordvec", *args])


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ft")
    data = _corpus(folder / "data", "sgns")
    out = folder / "run"
    done = _wordvec("train", *FASTTEXT, "--epochs", "2", "--dataset", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_the_run_is_a_subword_model(run):
    from wordvec.rundir import load_vectors, read_config

    config = read_config(run)
    assert (config.subwords, config.min_n, config.max_n, config.bucket, config.lr, config.sample) == (
        True, 3, 6, 5000, 0.05, 1e-4)
    kv = load_vectors(run)
    assert kv.vectors_ngrams.shape == (5000, 16) and kv.has_index_for("w1")
    assert np.abs(kv["w1zz"]).sum() > 0 and not kv.has_index_for("w1zz")


def test_neighbors_answers_an_unseen_word(run):
    done = _wordvec("neighbors", str(run), "w12x", "w3", "-k", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "w12x: not in the vocabulary; its vector was built from its character n-grams"
    assert lines[1].startswith("w12x: w") and lines[2].startswith("w3: w")


def test_exports_gensim_reads_with_the_run_vectors(run, tmp_path):
    gensim_fasttext = pytest.importorskip("gensim.models.fasttext")
    from wordvec.rundir import load_vectors

    done = _wordvec("export", str(run), "--format", "fasttext-bin", "--out", str(tmp_path / "run.bin"))
    assert done.returncode == 0, done.stderr
    theirs, ours = gensim_fasttext.load_facebook_model(str(tmp_path / "run.bin")), load_vectors(run)
    assert theirs.wv.index_to_key == ours.index_to_key and theirs.sg == 1 and theirs.epochs == 2
    for word in ("w1", "w599", "w1zz", "unseen"):
        np.testing.assert_allclose(theirs.wv[word], ours[word], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(theirs.syn1neg, _tensors(run)["expand.weight"])
    done = _wordvec("export", str(run), "--format", "fasttext-vec", "--out", str(tmp_path / "run.vec"))
    assert done.returncode == 0, done.stderr
    header = (tmp_path / "run.vec").read_text().splitlines()[0]
    assert header == f"{len(ours)} 16"
    refused = _wordvec("export", str(run), "--format", "fasttext-bin", "--out", str(tmp_path / "b.bin"), "--limit",
                       "10")
    assert refused.returncode == 2 and "drop --limit" in refused.stderr and not (tmp_path / "b.bin").exists()


@pytest.mark.parametrize("flags,message", [
    (["--preset", "sgns", "--min-n", "2"], "--min-n 2 has no effect without --subwords (--preset fasttext)"),
    (["--preset", "fasttext", "--vectors", "mean"], "drop --vectors mean"),
    (["--preset", "fasttext", "--max-n", "101"], "--max-n 101 is beyond any real run"),
])
def test_flags_that_cannot_apply_are_one_line(tmp_path, flags, message):
    done = _wordvec("train", *flags, "--dataset", str(tmp_path), "--out", str(tmp_path / "run"))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "run").exists()


def test_a_token_store_trains_the_same_model(tmp_path, run):
    data = _corpus(tmp_path / "data", "sgns")
    store = tmp_path / "store"
    done = _wordvec("prepare", "--dataset", str(data), "--out", str(store), "--tokenizer", "simple", "--min-count",
                    "1")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "from_store"
    done = _wordvec("train", *FASTTEXT, "--epochs", "2", "--dataset", str(store), "--out", str(out))
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(_tensors(out)["embed.weight"], _tensors(run)["embed.weight"])
    from wordvec import FastText

    model = FastText(corpus_file=str(store), vector_size=8, min_count=1, bucket=300, epochs=1, workers=1)
    assert len(model.wv) == 600 and model.train_result.pairs > 0 and model.wv["w1zz"].shape == (8,)


def test_sigterm_then_resume_is_bit_identical(tmp_path):
    data = _corpus(tmp_path / "data", "sgns")
    whole = tmp_path / "whole"
    done = _wordvec("train", *FASTTEXT, "--epochs", "40", "--dataset", str(data), "--out", str(whole),
                    "--checkpoint-every", "0")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "run"
    args = [sys.executable, "-m", "wordvec", "train", *FASTTEXT, "--epochs", "40", "--dataset", str(data), "--out",
            str(out)]
    code, err = _terminated(args, tmp_path / ".run.lock")
    assert code == 143 and "Traceback" not in err, err
    from wordvec import FastText

    saved = FastText.load(tmp_path / "run.checkpoint")  # the checkpoint is a FastText model too
    assert (saved.bucket, saved.sg, saved._weights.syn0.shape) == (5000, 1, (600 + 5000, 16))
    assert saved.wv["w1zz"].shape == (16,)
    resumed = _run(args + ["--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert _same_tensors(whole, out)["embed.weight"].shape == (600 + 5000, 16)


def test_a_damaged_run_is_one_line(run, tmp_path):
    import shutil

    from safetensors.numpy import save_file

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    tensors = _tensors(copy)
    save_file({**tensors, "embed.weight": tensors["embed.weight"][:-10]}, str(copy / "model.safetensors"))
    done = _wordvec("neighbors", str(copy), "w12x")
    assert done.returncode == 2 and "expected (5600, 16)" in done.stderr and "Traceback" not in done.stderr, \
        done.stderr
    bad = tensors["embed.weight"].copy()
    bad[5590, 3] = np.nan
    save_file({**tensors, "embed.weight": bad}, str(copy / "model.safetensors"))
    done = _wordvec("export", str(copy), "--format", "fasttext-bin", "--out", str(tmp_path / "x.bin"))
    assert done.returncode == 2 and "NaN or inf" in done.stderr and not (tmp_path / "x.bin").exists(), done.stderr
