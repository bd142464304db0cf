"""The word2vec engine: the recipe's statistics, learning, planted neighbours, determinism, bad input."""

import numpy as np
import pytest

from wordvec.config import Config
from wordvec.engine import train_word2vec
from wordvec.errors import WordvecError
from wordvec.vocab import Encoded, Vocab, build_and_encode, keep_probabilities

GROUPS = [[f"g{g}w{i}" for i in range(4)] for g in range(5)]
FILLER = [f"f{i}" for i in range(10)]


def planted_corpus(n_sentences=1200, seed=0):
    """Sentences of 6 words from one group plus 2 filler words: words of a group co-occur, nothing else does."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_sentences):
        g = GROUPS[rng.integers(len(GROUPS))]
        words = list(rng.choice(g, 6)) + list(rng.choice(FILLER, 2))
        rng.shuffle(words)
        out.append([str(w) for w in words])
    return out


@pytest.fixture(scope="module")
def planted():
    return build_and_encode(planted_corpus(), min_count=1)


def planted_hits(vocab, vectors):
    """How many of each planted word's 3 nearest neighbours (cosine) are in its group; 60 at most."""
    w = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    hits = 0
    for group in GROUPS:
        for word in group:
            top = [vocab.id2tok[i] for i in np.argsort(-(w @ w[vocab[word]]))[1:4]]
            hits += sum(t in group for t in top)
    return hits


def cfg(**kw):
    base = dict(vector_size=24, window=3, negative=5, sample=0.0, epochs=8, lr=0.025, min_lr=0.0001, seed=3,
                device="cpu", threads=1, backend="hogwild", batch_size=256, progress=False)
    base.update(kw)
    return Config(**base)


COMBOS = [(m, l, b) for b in ("hogwild", "torch") for m in ("skipgram", "cbow") for l in ("ns", "hs")]


@pytest.mark.parametrize("model,loss,backend", COMBOS)
def test_planted_neighbours_and_loss_decreases(planted, model, loss, backend):
    vocab, enc = planted
    # the torch path caps the updates a row gets within one batch: small batches on a 30-word vocabulary
    r = train_word2vec(cfg(model=model, loss=loss, backend=backend, batch_size=32), vocab, enc, progress=False)
    assert r.input_vectors.shape == (len(vocab), 24) and r.input_vectors.dtype == np.float32
    assert (r.output_vectors is None) == (loss == "hs") and (("hs.weight" in r.extra_tensors) == (loss == "hs"))
    assert r.epoch_losses[-1] < r.epoch_losses[0]
    assert r.words == len(enc) * 8 and r.effective_words == r.words  # sample=0 keeps every token
    hits = planted_hits(vocab, r.input_vectors)
    assert hits >= 0.9 * 3 * 20, f"{model}/{loss}/{backend}: only {hits}/60 planted neighbours found"


@pytest.mark.parametrize("backend", ["hogwild", "torch"])
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_reduced_window_mean(backend, model):
    """One long document, no subsampling: a centre word's window b is uniform in 1..W, so 2b contexts, mean W+1."""
    n, window = 9000, 4
    enc = Encoded(np.random.default_rng(0).integers(0, 50, n).astype(np.int32), np.array([0, n], np.int64))
    vocab = Vocab([str(i) for i in range(50)], np.bincount(enc.ids, minlength=50))
    c = cfg(model=model, window=window, epochs=1, backend=backend, batch_size=4096)
    r = train_word2vec(c, vocab, enc, progress=False)
    assert abs(r.pairs / n - (window + 1)) < 0.08
    full = train_word2vec(c.replace(reduced_window=False), vocab, enc, progress=False)
    assert full.pairs == 2 * window * n - window * (window + 1)  # every centre sees 2W words, less the edges


@pytest.mark.parametrize("backend", ["hogwild", "torch"])
def test_subsampling_keeps_the_expected_share(backend):
    n = 50000
    rng = np.random.default_rng(1)
    p = 1.0 / np.arange(1, 101)
    ids = rng.choice(100, n, p=p / p.sum()).astype(np.int32)
    vocab = Vocab([str(i) for i in range(100)], np.bincount(ids, minlength=100))
    enc = Encoded(ids, np.array([0, n // 2, n], np.int64))
    r = train_word2vec(cfg(sample=1e-3, epochs=2, backend=backend), vocab, enc, progress=False)
    expected = 2 * (vocab.counts * keep_probabilities(vocab.counts, 1e-3)).sum()
    assert abs(r.effective_words / expected - 1) < 0.02


@pytest.mark.parametrize("backend", ["hogwild", "torch"])
def test_same_seed_same_vectors(planted, backend):
    vocab, enc = planted
    c = cfg(epochs=2, backend=backend, sample=1e-2)
    a = train_word2vec(c, vocab, enc, progress=False)
    b = train_word2vec(c, vocab, enc, progress=False)
    np.testing.assert_array_equal(a.input_vectors, b.input_vectors)
    assert a.epoch_losses == b.epoch_losses
    other = train_word2vec(c.replace(seed=4), vocab, enc, progress=False)
    assert not np.array_equal(a.input_vectors, other.input_vectors)


def test_two_threads_train_as_well(planted):
    vocab, enc = planted
    r = train_word2vec(cfg(threads=2, epochs=4), vocab, enc, progress=False)
    assert r.epoch_losses[-1] < r.epoch_losses[0] and np.isfinite(r.input_vectors).all()


def test_bad_input_errors(planted):
    vocab, enc = planted
    with pytest.raises(WordvecError, match="no tokens"):
        build_and_encode([[], []], min_count=1)
    with pytest.raises(WordvecError, match="vocabulary is empty"):
        build_and_encode([["a", "b"], ["c"]], min_count=5)
    empty = Encoded(np.zeros(0, np.int32), np.array([0], np.int64))
    with pytest.raises(WordvecError, match="no in-vocabulary tokens"):
        train_word2vec(cfg(), vocab, empty)
    with pytest.raises(WordvecError, match="vocabulary is empty"):
        train_word2vec(cfg(), Vocab([], []), enc)
    for bad in (dict(window=0), dict(vector_size=0), dict(negative=-1, loss="hs"), dict(negative=0, loss="ns")):
        with pytest.raises(WordvecError):
            train_word2vec(cfg(**bad), vocab, enc)
    with pytest.raises(WordvecError, match="skipgram or cbow"):
        train_word2vec(cfg(model="softmax", loss="softmax", backend="auto"), vocab, enc)
    with pytest.raises(WordvecError, match="outside the vocabulary"):
        train_word2vec(cfg(), Vocab(["a"], [3]), enc)
    import torch
    if not torch.cuda.is_available():
        with pytest.raises(WordvecError, match="GPU"):
            train_word2vec(cfg(device="cuda"), vocab, enc)


def test_gensim_style_api():
    from wordvec.word2vec import Word2Vec

    sentences = planted_corpus(800, seed=5)
    model = Word2Vec(sentences, vector_size=24, window=3, min_count=1, sample=0, sg=1, negative=5, epochs=8,
                     workers=1, device="cpu", seed=2)
    assert model.train_result.input_vectors.shape == (len(model.vocab), 24)
    assert model.wv.vectors.shape == (len(model.vocab), 24)
    top = [w for w, _ in model.wv.most_similar("g0w0", topn=3)]
    assert sum(w in GROUPS[0] for w in top) >= 2
    with pytest.raises(WordvecError):
        Word2Vec([[], []], min_count=1)


@pytest.mark.parametrize("shared", [True, False])
def test_skipgram_ns_negative_sharing(planted, shared):
    """Both skip-gram NS kernels (negatives shared per centre word, Ji et al. 2016; fresh draws per pair) learn the
    planted groups and are bit-identical for a seed with one thread (their random streams differ)."""
    vocab, enc = planted
    c = cfg(model="skipgram", loss="ns", shared_negatives=shared)
    a = train_word2vec(c, vocab, enc, progress=False)
    b = train_word2vec(c, vocab, enc, progress=False)
    np.testing.assert_array_equal(a.input_vectors, b.input_vectors)
    np.testing.assert_array_equal(a.output_vectors, b.output_vectors)
    assert a.epoch_losses == b.epoch_losses and a.epoch_losses[-1] < a.epoch_losses[0]
    other = train_word2vec(c.replace(shared_negatives=not shared), vocab, enc, progress=False)
    assert abs(other.pairs / a.pairs - 1) < 0.01 and not np.array_equal(other.input_vectors, a.input_vectors)
    hits = planted_hits(vocab, a.input_vectors)
    assert hits >= 0.9 * 3 * 20, f"shared_negatives={shared}: only {hits}/60 planted neighbours found"


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_both_heads_learn_and_both_matrices_move(planted, model):
    """loss='hs' with both_heads: the hs inner nodes and syn1neg both train on the same input vectors (gensim's
    hs=1 with negative>0); the result holds syn1neg as output_vectors and the inner nodes as hs.weight."""
    vocab, enc = planted
    r = train_word2vec(cfg(model=model, loss="hs", both_heads=True, negative=5), vocab, enc, progress=False)
    inner, out = r.extra_tensors["hs.weight"], r.output_vectors
    assert inner.shape == (len(vocab) - 1, 24) and out.shape == (len(vocab), 24)
    assert np.abs(inner).sum(axis=1).min() > 0 and np.abs(out).sum(axis=1).min() > 0  # every row moved from 0
    assert r.epoch_losses[-1] < r.epoch_losses[0]
    hits = planted_hits(vocab, r.input_vectors)
    assert hits >= 0.9 * 60, f"{model} hs+ns: only {hits}/60 planted neighbours found"
    hs_only = train_word2vec(cfg(model=model, loss="hs", negative=5), vocab, enc, progress=False)
    assert hs_only.output_vectors is None and not np.array_equal(hs_only.input_vectors, r.input_vectors)
    # the loss per example adds both heads' losses
    assert r.epoch_losses[0] > hs_only.epoch_losses[0]


@pytest.mark.parametrize("loss", ["ns", "hs"])
def test_cbow_sum_learns_and_differs_from_the_mean(planted, loss):
    vocab, enc = planted
    summed = train_word2vec(cfg(model="cbow", loss=loss, cbow_mean=False), vocab, enc, progress=False)
    mean = train_word2vec(cfg(model="cbow", loss=loss), vocab, enc, progress=False)
    assert not np.array_equal(summed.input_vectors, mean.input_vectors)
    assert summed.epoch_losses[-1] < summed.epoch_losses[0] and summed.pairs == mean.pairs
    hits = planted_hits(vocab, summed.input_vectors)
    assert hits >= 0.9 * 60, f"cbow sum/{loss}: only {hits}/60 planted neighbours found"


def test_new_objectives_validate_and_torch_refuses_them(planted):
    vocab, enc = planted
    for bad, message in ((dict(loss="ns", both_heads=True), "--both-heads"),
                         (dict(loss="hs", negative=0, both_heads=True), "--both-heads"),
                         (dict(model="skipgram", cbow_mean=False), "--cbow-mean")):
        with pytest.raises(WordvecError, match=message):
            train_word2vec(cfg(**bad), vocab, enc)
    for new in (dict(loss="hs", both_heads=True), dict(model="cbow", cbow_mean=False)):
        with pytest.raises(WordvecError, match="CPU kernels only"):
            train_word2vec(cfg(backend="torch", **new), vocab, enc)


def test_torch_updates_sum_until_the_cap():
    """A row hit h times moves by the sum of its updates while h is small, by MAX_ROW_UPDATES updates' worth beyond:
    summing learns at the CPU kernels' pace, the cap keeps a row hit thousands of times from diverging."""
    import torch

    from wordvec.engine_torch import MAX_ROW_UPDATES, _capped_add

    w = torch.zeros((3, 2))
    hot = int(MAX_ROW_UPDATES * 4)
    index = torch.tensor([0] * 3 + [1] * hot)
    _capped_add(w, index, torch.ones((len(index), 2)), 3)
    assert w[0].tolist() == [3.0, 3.0]  # a few hits: the plain sum
    assert w[1].tolist() == pytest.approx([MAX_ROW_UPDATES, MAX_ROW_UPDATES])  # many hits: capped
    assert w[2].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("model,loss", [("skipgram", "ns"), ("skipgram", "hs"), ("cbow", "ns"), ("cbow", "hs")])
def test_c_and_numba_kernels_train_the_same_run(planted, monkeypatch, model, loss):
    """The whole engine on the C kernels and on the numba fallback (WORDVEC_KERNELS), one thread: the same counts,
    the same losses and vectors to float rounding (on an AVX2 CPU to the last bit; elsewhere the sums round
    differently, and on this 30-word vocabulary every row takes thousands of updates that carry it on); both learn
    the planted groups."""
    from test_kernels import need_c_kernels

    need_c_kernels()
    vocab, enc = planted
    runs = {}
    for impl in ("c", "numba"):
        monkeypatch.setenv("WORDVEC_KERNELS", impl)
        runs[impl] = train_word2vec(cfg(model=model, loss=loss, sample=1e-2, epochs=3), vocab, enc, progress=False)
    c, n = runs["c"], runs["numba"]
    assert (c.effective_words, c.pairs) == (n.effective_words, n.pairs)
    np.testing.assert_allclose(c.epoch_losses, n.epoch_losses, rtol=1e-4)
    assert np.linalg.norm(c.input_vectors - n.input_vectors) <= 1e-4 * np.linalg.norm(n.input_vectors)
    for r in (c, n):
        assert planted_hits(vocab, r.input_vectors) >= 0.9 * 60


@pytest.mark.parametrize("impl", ["c", "numba"])
def test_both_kernel_implementations_train_on_two_threads(planted, monkeypatch, impl):
    from test_kernels import need_c_kernels

    if impl == "c":
        need_c_kernels()
    monkeypatch.setenv("WORDVEC_KERNELS", impl)
    vocab, enc = planted
    r = train_word2vec(cfg(threads=2, epochs=6), vocab, enc, progress=False)
    assert r.epoch_losses[-1] < r.epoch_losses[0] and np.isfinite(r.input_vectors).all()
    assert planted_hits(vocab, r.input_vectors) >= 0.9 * 60


def test_warm_up_loads_no_numba_with_the_c_kernels():
    """warm_up() runs every kernel once; with the C kernels that needs neither numba nor scipy (nor torch)."""
    import subprocess
    import sys

    from test_kernels import need_c_kernels

    need_c_kernels()
    code = ("import sys\nfrom wordvec.engine import warm_up\nwarm_up()\n"
            "print(sorted(m for m in ('numba', 'scipy', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "WORDVEC_KERNELS": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("backend", ["hogwild", "torch"])
def test_a_run_that_subsampling_left_without_pairs(backend, caplog):
    """A tiny corpus whose every word `sample` drops: an error for the command line (require_pairs), a warning and
    untrained vectors for gensim's API, as gensim does."""
    vocab, enc = build_and_encode([["a", "b", "c"]] * 20, min_count=1)
    config = cfg(sample=1e-9, backend=backend, epochs=3)
    with pytest.raises(WordvecError, match="no pair was trained.*--sample"):
        train_word2vec(config, vocab, enc, progress=False)
    with caplog.at_level("WARNING", logger="wordvec"):
        r = train_word2vec(config, vocab, enc, progress=False, require_pairs=False)
    assert r.pairs == 0 and "no pair was trained" in caplog.text


def test_gensim_toy_corpus_trains_at_every_seed():
    """gensim's first tutorial example (common_texts, min_count=1, default sample) loses most words to subsampling;
    it must train at every seed, as gensim does, not fail when one epoch happens to keep no pair."""
    pytest.importorskip("gensim")
    from gensim.test.utils import common_texts

    from wordvec import Word2Vec

    for seed in range(8):
        model = Word2Vec(sentences=common_texts, vector_size=20, window=5, min_count=1, workers=1, seed=seed)
        assert len(model.wv) == 12 and np.isfinite(model.wv.vectors).all()


def test_chunk_plan_from_a_mapped_file_equals_the_plan_in_memory(tmp_path, monkeypatch):
    """A token store's offsets are searched block by block from the file (not through the map, whose touched pages
    stay resident): the same bounds and documents as numpy's search on the array, across block edges."""
    from wordvec import engine, store
    from wordvec.vocab import Encoded

    rng = np.random.default_rng(5)
    offsets = np.concatenate([[0], np.cumsum(rng.integers(0, 40, 5000))]).astype(np.int64)
    path = tmp_path / "offsets.i64"
    offsets.astype("<i8").tofile(path)
    mapped = store.StoreCorpus(np.zeros(int(offsets[-1]), np.int32), np.memmap(path, dtype="<i8", mode="r"),
                               n_words=1)
    monkeypatch.setattr(store, "_OFFSET_BLOCK", 777)  # many blocks, keys on their edges
    for chunk in (50, 1000, 30_000):
        bounds = engine.chunk_bounds(Encoded(mapped.ids, offsets), chunk)
        assert engine.chunk_bounds(mapped, chunk) == bounds
        first, last = mapped.chunk_documents(bounds)
        b = np.asarray(bounds)
        np.testing.assert_array_equal(first, np.searchsorted(offsets, b[:-1], side="right") - 1)
        np.testing.assert_array_equal(last, np.searchsorted(offsets, b[1:], side="left"))
