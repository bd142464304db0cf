"""fastText's subword model on the torch backend (`wordvec.engine_torch`): the bags of rows a step reads are each
word's rows; the row caps count pair updates; one centre word a step makes the C kernels' updates; on the tweets
it learns what the C kernels learn (misspellings, neighbours) and stays stable at word2vec's 4,096-word steps;
CUDA's fixed-shape formulation makes the CPU's updates; the CLI trains, answers unseen words and resumes
bit-identically; what stays refused is one line. Tests marked `cuda` run only on a machine with a GPU."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from fasttext_quality import frequent_words, misspellings, neighbour_overlap, recall_at, tweet_sentences
from test_gpu_batch import same_with_fixed_shapes
from test_resume import _corpus, _killed_at_a_checkpoint, _run, _same_tensors, _tensors, _terminated
from wordvec import FastText, engine_torch
from wordvec.config import FASTTEXT, Config
from wordvec.engine import new_weights, train_word2vec
from wordvec.errors import WordvecError
from wordvec.fasttext import FastTextKeyedVectors
from wordvec.subwords import ngram_hashes, vocab_rows
from wordvec.vocab import Encoded, Vocab, build_and_encode

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
TWEETS = dict(vector_size=32, bucket=20_000, epochs=3, threads=2, device="cpu", min_count=5, progress=False)
CLI = ["--preset", "fasttext", "--backend", "torch", "--device", "cpu", "--tokenizer", "simple", "--min-count", "1",
       "--vector-size", "16", "--bucket", "5000", "--threads", "1", "--no-progress", "-q"]


def _subwords(words, bucket=97):
    vocab = Vocab(words, np.arange(len(words), 0, -1))
    return engine_torch._Subwords(Config(subwords=True, bucket=bucket), vocab, len(words) + bucket, "cpu"), vocab


@pytest.mark.parametrize("fixed", [False, True])
def test_bags_hold_each_words_rows_and_their_mean(fixed):
    words = ["a", "the", "there", "father", "extraordinarily", "ünïcode", "xy"]
    sub, vocab = _subwords(words)
    offsets, rows = vocab_rows(words, 3, 6, 97)
    rng = np.random.default_rng(0)
    k, per_bag, n_bags = 3, 4, 5
    ids = rng.integers(0, len(words), (k, per_bag * n_bags))
    mask = rng.random(ids.shape) < 0.7
    mask[1] = False  # a step with no word at all
    got = sub.bags(torch.from_numpy(ids), torch.from_numpy(mask), per_bag, fixed)
    got_rows, got_bag, got_w, got_off = (x.numpy() for x in got)
    syn0 = rng.standard_normal((len(words) + 97, 4)).astype(np.float32)
    for j in range(k):
        real = got_w[j] > 0
        assert (got_rows[j][~real] == 0).all() and (got_w[j][~real] == 0).all()
        assert (np.diff(got_bag[j]) >= 0).all() and not real[real.sum():].any()  # in bag order, padding last
        for b in range(n_bags):
            slots = range(b * per_bag, (b + 1) * per_bag)
            want = [r for s in slots if mask[j, s] for r in rows[offsets[ids[j, s]]:offsets[ids[j, s] + 1]]]
            mine = got_rows[j][real & (got_bag[j] == b)]
            assert list(mine) == want
            assert got_off[j, b] == np.searchsorted(got_bag[j], b)
            bag_in = torch.nn.functional.embedding_bag(torch.from_numpy(got_rows[j]), torch.from_numpy(syn0),
                                                       torch.from_numpy(got_off[j]), mode="sum",
                                                       per_sample_weights=torch.from_numpy(got_w[j]))[b].numpy()
            np.testing.assert_allclose(bag_in, syn0[want].mean(0) if want else 0, rtol=1e-5, atol=1e-6)
    if fixed:  # a few widths for CUDA graphs to replay, at least the longest step
        assert got_rows.shape[1] >= max(sum(offsets[w + 1] - offsets[w] for w in ids[j][mask[j]]) for j in range(k))


def test_the_output_rows_of_a_subword_run_take_their_own_cap(monkeypatch):
    """SUBWORD_OUTPUT_UPDATES reaches the output rows of a subword run (a cap of ~0: they barely move), and only
    of a subword run."""
    rng = np.random.default_rng(0)
    docs = [list(rng.choice(["walk", "walks", "talk", "talked"], 8)) for _ in range(50)]
    vocab, enc = build_and_encode(docs, min_count=1)
    c = FASTTEXT.replace(backend="torch", device="cpu", bucket=40, min_count=1, vector_size=4, epochs=1, sample=0.0,
                         progress=False)
    free = train_word2vec(c, vocab, enc, progress=False).output_vectors
    monkeypatch.setattr(engine_torch, "SUBWORD_OUTPUT_UPDATES", 1e-6)
    held = train_word2vec(c, vocab, enc, progress=False).output_vectors
    assert np.abs(held).max() < 1e-3 * np.abs(free).max()
    w2v = c.replace(subwords=False, bucket=FASTTEXT.bucket)
    assert np.abs(train_word2vec(w2v, vocab, enc, progress=False).output_vectors).max() > 1e-3


def test_a_row_moves_by_at_most_256_pair_updates():
    sub, _ = _subwords(["a", "b"], bucket=10)
    syn0 = torch.zeros(12, 2)
    index = torch.tensor([3, 3, 3, 5, 5, 0])
    updates = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [7.0, 7.0]])
    hits = torch.tensor([200.0, 200.0, 112.0, 10.0, 4.0, 0.0])  # row 3: 512 pairs (half its sum); row 5: 14
    sub.add(syn0, index, updates, hits)
    np.testing.assert_allclose(syn0[3].numpy(), [1.5, 0.0])
    np.testing.assert_allclose(syn0[5].numpy(), [0.0, 2.0])
    assert syn0[0].abs().sum() == 0 and sub.hits.abs().sum() == 0  # padding moves nothing; the buffer is clean


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_one_centre_word_a_step_makes_the_c_kernels_updates(model):
    """Hierarchical softmax (no random draws), a constant rate, no subsampling, fixed windows, one centre word a
    step: the torch steps are the C kernels' one-at-a-time SGD, but for the kernels' sigmoid table (word2vec's
    1,000 steps, which puts word2vec's own torch and C runs 2-7% of the learned displacement apart). Skip-gram's
    documents are word pairs, so that a window is one pair (the C kernels move the output rows pair by pair inside
    a window, torch once a step). Half the step to the input rows would be 40% apart."""
    rng = np.random.default_rng(1)
    words = ["play", "played", "player", "plays", "work", "worked", "worker", "works"]
    size = 2 if model == "skipgram" else 7
    docs = [list(rng.choice(words, size)) for _ in range(60)]
    vocab, enc = build_and_encode(docs, min_count=1)
    c = Config(model=model, loss="hs", subwords=True, bucket=53, vector_size=8, window=3, sample=0.0, lr=0.05,
               min_lr=0.05, epochs=2, seed=4, reduced_window=False, threads=1, device="cpu", batch_size=1,
               progress=False)
    kernels = train_word2vec(c.replace(backend="hogwild"), vocab, enc, progress=False)
    batched = train_word2vec(c.replace(backend="torch"), vocab, enc, progress=False)
    assert batched.pairs == kernels.pairs
    np.testing.assert_allclose(batched.epoch_losses, kernels.epoch_losses, rtol=1e-2)
    moved = kernels.input_vectors - new_weights(c, vocab).syn0
    assert np.linalg.norm(batched.input_vectors - kernels.input_vectors) < 0.15 * np.linalg.norm(moved)


@pytest.fixture(scope="module")
def tweets(shared_data):
    """The first 12,000 tweets (a third: CI time), their vocabulary, and 150 misspellings of their words."""
    sentences = tweet_sentences(shared_data / "train.csv")[:12_000]
    vocab, enc = build_and_encode(sentences, min_count=5)
    return sentences, vocab, enc, misspellings(sentences, 150, min_count=15)


def _vectors(vocab, result) -> FastTextKeyedVectors:
    v = len(vocab)
    return FastTextKeyedVectors.from_arrays(vocab.id2tok, result.input_vectors[:v], result.input_vectors[v:], 3, 6)


@pytest.fixture(scope="module")
def kernels(tweets):
    """The C kernels (two seeds: the noise floor of the neighbour overlap) on the tweets, per architecture."""
    _, vocab, enc, _ = tweets
    out = {}
    for model in ("skipgram", "cbow"):
        c = FASTTEXT.replace(model=model, backend="hogwild", **TWEETS)
        out[model] = [_vectors(vocab, train_word2vec(c.replace(seed=s), vocab, enc, progress=False)) for s in (1, 2)]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_the_tweets_learn_what_the_c_kernels_learn(tweets, kernels, model):
    """Misspellings the corpus never holds find their word as often, and frequent words get the C kernels'
    neighbours as often as another C seed does."""
    _, vocab, enc, pairs = tweets
    c = FASTTEXT.replace(model=model, backend="torch", seed=2, **TWEETS)
    _close_to_the_kernels(_vectors(vocab, train_word2vec(c, vocab, enc, progress=False)), kernels[model], pairs)


def _close_to_the_kernels(mine, kernels, pairs) -> None:
    one, two = kernels
    words = frequent_words(one, 100)
    recall, theirs = recall_at(mine, pairs), recall_at(one, pairs)
    overlap, floor = neighbour_overlap(one, mine, words), neighbour_overlap(one, two, words)
    assert recall >= theirs - 0.08, (recall, theirs)
    assert overlap >= floor - 0.05, (overlap, floor)


@pytest.mark.slow
def test_word2vec_steps_with_fasttexts_settings_stay_stable(shared_data):
    """All the tweets, fastText's dim 100 and rate 0.05, 4,096-word steps: with the output rows capped at 256 pair
    updates as word2vec's are, this run diverged in its first epoch (the loss 10^13 times chance)."""
    sentences = tweet_sentences(shared_data / "train.csv")
    vocab, enc = build_and_encode(sentences, min_count=5)
    pairs = misspellings(sentences, 150)
    c = FASTTEXT.replace(bucket=200_000, threads=2, device="cpu", progress=False, seed=2)
    theirs = _vectors(vocab, train_word2vec(c.replace(backend="hogwild"), vocab, enc, progress=False))
    r = train_word2vec(c.replace(backend="torch", batch_size=4096), vocab, enc, progress=False)
    assert recall_at(_vectors(vocab, r), pairs) >= recall_at(theirs, pairs) - 0.08


@pytest.mark.parametrize("model,loss", [("skipgram", "ns"), ("skipgram", "hs"), ("cbow", "ns"), ("cbow", "hs")])
def test_fixed_shapes_make_the_same_updates(monkeypatch, model, loss):
    """CUDA's formulation (padded bags of rounded widths, every window slot) against the CPU's: the same draws,
    the same updates, up to float summation order."""
    rng = np.random.default_rng(2)
    stems, ends = ["walk", "talk", "jump", "read", "cook"], ["", "s", "ed", "ing", "er"]
    docs = [[rng.choice(stems) + rng.choice(ends) for _ in range(rng.integers(1, 12))] for _ in range(400)]
    vocab, enc = build_and_encode(docs, min_count=1)
    c = FASTTEXT.replace(model=model, loss=loss, vector_size=16, window=3, sample=1e-2, epochs=2, seed=5,
                         device="cpu", threads=1, backend="torch", batch_size=64, launch_batch=256, bucket=300,
                         min_count=1, progress=False)
    same_with_fixed_shapes(monkeypatch, c, vocab, enc)


def test_the_api_trains_on_torch_and_answers_unseen_words():
    from wordvec.test.utils import common_texts

    model = FastText(common_texts * 40, vector_size=16, min_count=1, sg=1, epochs=5, bucket=500, workers=1,
                     sample=0, seed=3, backend="torch", device="cpu")
    assert model.train_result.device == "cpu" and model.train_result.pairs > 0
    wv, unseen = model.wv, "computerzz"
    assert not wv.has_index_for(unseen)
    np.testing.assert_allclose(wv[unseen], wv.vectors_ngrams[ngram_hashes(unseen, 3, 6, 500)].mean(0), rtol=1e-5)
    assert wv.most_similar(unseen, topn=1)[0][0] == "computer"


def _wordvec(*args):
    return _run([sys.executable, "-m", "wordvec", *args])


def test_the_cli_trains_on_torch_and_answers_unseen_words(tmp_path):
    import json

    data = _corpus(tmp_path / "data", "sgns")
    out = tmp_path / "run"
    done = _wordvec("train", *CLI, "--epochs", "1", "--dataset", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["kernels"] == "torch" and np.isfinite(metrics["final_loss"])
    assert _tensors(out)["embed.weight"].shape == (600 + 5000, 16)
    done = _wordvec("neighbors", str(out), "w12x", "-k", "3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "w12x: not in the vocabulary; its vector was built from its character n-grams"


def test_a_run_killed_between_launches_resumes_bit_identical(tmp_path):
    data = _corpus(tmp_path / "data", "sgns")
    flags = [*CLI, "--batch-size", "256", "--launch-batch", "1024", "--epochs", "2", "--dataset", str(data)]
    whole = tmp_path / "whole"
    done = _wordvec("train", *flags, "--out", str(whole), "--checkpoint-every", "0")
    assert done.returncode == 0, done.stderr
    args = [sys.executable, "-m", "wordvec", "train", *flags, "--out", str(tmp_path / "killed"),
            "--checkpoint-every", "0.05"]
    _killed_at_a_checkpoint(args)
    resumed = _run(args + ["--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert _same_tensors(whole, tmp_path / "killed")["embed.weight"].shape == (600 + 5000, 16)


def test_a_cpu_kernel_checkpoint_is_not_resumed_on_torch(tmp_path):
    """The two engines save different positions: resuming one's checkpoint on the other is one line."""
    data = _corpus(tmp_path / "data", "sgns")
    flags = [*CLI[:3], "hogwild", *CLI[4:], "--epochs", "40", "--dataset", str(data), "--out", str(tmp_path / "run")]
    args = [sys.executable, "-m", "wordvec", "train", *flags]
    code, err = _terminated(args, tmp_path / ".run.lock")
    assert code == 143, err
    torch_args = [a if a != "hogwild" else "torch" for a in args]
    done = _run(torch_args + ["--resume"])
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "wordvec: error:" in done.stderr, done.stderr


@pytest.mark.parametrize("kwargs,message", [
    (dict(both_heads=True, loss="hs"), "--both-heads and --no-cbow-mean are trained by the CPU kernels only"),
    (dict(model="cbow", cbow_mean=False), "--both-heads and --no-cbow-mean are trained by the CPU kernels only"),
])
def test_what_the_torch_backend_does_not_train_is_one_error(kwargs, message):
    enc = Encoded(np.array([0, 1, 2, 1, 0, 2], np.int32), np.array([0, 6], np.int64))
    vocab = Vocab(["walk", "walked", "talk"], np.array([2, 2, 2]))
    c = FASTTEXT.replace(backend="torch", device="cpu", bucket=20, min_count=1, vector_size=4, **kwargs)
    with pytest.raises(WordvecError, match=message):
        train_word2vec(c, vocab, enc, progress=False)


def test_several_processes_are_refused_with_one_line():
    from wordvec.weights import Replicas

    class Two(Replicas):
        rank, world = 0, 2

    enc = Encoded(np.array([0, 1, 2, 1, 0, 2], np.int32), np.array([0, 6], np.int64))
    vocab = Vocab(["walk", "walked", "talk"], np.array([2, 2, 2]))
    c = FASTTEXT.replace(backend="torch", device="cpu", bucket=20, min_count=1, vector_size=4)
    with pytest.raises(WordvecError, match="fasttext on the torch backend trains in one process"):
        train_word2vec(c, vocab, enc, progress=False, replicas=Two())


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_cuda_learns_what_the_c_kernels_learn(tweets, kernels, model, caplog):
    """On the GPU at its default launch (steps of 512 centre words recorded as one CUDA graph, then replayed)."""
    _, vocab, enc, pairs = tweets
    c = FASTTEXT.replace(model=model, backend="torch", seed=2, **{**TWEETS, "device": "cuda"})
    mine = _vectors(vocab, train_word2vec(c, vocab, enc, progress=False))
    assert "CUDA graph recording failed" not in caplog.text
    _close_to_the_kernels(mine, kernels[model], pairs)
