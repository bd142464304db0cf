"""Skip-gram / CBOW record the loss, the learning rate and words/s every N words (about 200 points a run), in
metrics.json, loss.png, TensorBoard and the progress bar; the per-epoch losses stay; a resumed run continues the
same curve."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wordvec.cli import main
from wordvec.config import Config
from wordvec.engine import train_word2vec
from wordvec.errors import WordvecError
from wordvec.state import Checkpointer, Stopped, load_state
from wordvec.vocab import build_and_encode
from wordvec.weights import LOSS_POINTS, Hooks, LossCurve


@pytest.fixture(scope="module")
def zipf():
    """60,000 tokens of Zipf-distributed words in 20-word documents."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(500)]
    p = 1 / np.arange(1, 501)
    docs = [list(rng.choice(words, 20, p=p / p.sum())) for _ in range(3000)]
    return build_and_encode(iter(docs), 1)


def cfg(**kw):
    base = dict(model="skipgram", vector_size=16, epochs=1, threads=1, min_count=1, device="cpu",
                backend="hogwild", progress=False, seed=7)
    return Config(**{**base, **kw})


def check_curve(points, epoch_losses, n_words, epochs, lr, min_lr):
    """The points are in order, span the run, and each epoch's points give its loss."""
    words, loss, ex = (np.asarray(points[k], dtype=float) for k in ("words", "loss", "examples"))
    assert len(words) == len(loss) == len(ex) == len(points["lr"]) == len(points["epoch"])
    assert np.all(np.diff(words) > 0) and words[-1] == n_words * epochs and points["epoch_words"] == n_words
    assert np.all(ex > 0) and np.all(np.isfinite(loss))
    lrs = np.asarray(points["lr"])
    assert np.all(np.diff(lrs) < 0) and lr > lrs[0] and abs(lrs[-1] - min_lr) < 1e-9
    assert all(w is None or w > 0 for w in points["words_per_second"])
    for e, want in enumerate(epoch_losses, start=1):
        mine = np.asarray(points["epoch"]) == e
        assert mine.any() and words[mine][-1] == e * n_words  # every epoch ends with a point
        assert np.sum(loss[mine] * ex[mine]) / np.sum(ex[mine]) == pytest.approx(want, rel=1e-9)
        assert np.mean(loss[mine]) == pytest.approx(want, rel=0.03)  # the plain mean of the points too


@pytest.mark.parametrize("model,loss", [("skipgram", "ns"), ("cbow", "hs")])
def test_one_epoch_records_about_200_points(zipf, model, loss):
    vocab, enc = zipf
    c = cfg(model=model, loss=loss)
    r = train_word2vec(c, vocab, enc, progress=False)
    pts = r.loss_points
    assert pts["every"] == len(enc) // LOSS_POINTS
    assert 0.9 * LOSS_POINTS <= len(pts["loss"]) <= LOSS_POINTS + 1
    check_curve(pts, r.epoch_losses, len(enc), 1, c.lr, c.min_lr)
    assert pts["loss"][-1] < pts["loss"][0]  # the curve shows learning within the one epoch


def test_several_epochs_and_threads(zipf):
    vocab, enc = zipf
    c = cfg(epochs=3, threads=2)
    r = train_word2vec(c, vocab, enc, progress=False)
    assert 0.9 * LOSS_POINTS <= len(r.loss_points["loss"]) <= LOSS_POINTS + 3
    check_curve(r.loss_points, r.epoch_losses, len(enc), 3, c.lr, c.min_lr)


def test_loss_every_is_configurable(zipf):
    vocab, enc = zipf
    r = train_word2vec(cfg(loss_every=5_000, epochs=2), vocab, enc, progress=False)
    assert r.loss_points["every"] == 5_000
    assert len(r.loss_points["loss"]) == 2 * -(-len(enc) // 5_000)  # 12 a 60,000-word epoch
    check_curve(r.loss_points, r.epoch_losses, len(enc), 2, 0.025, 0.0001)
    with pytest.raises(WordvecError, match="--loss-every"):
        cfg(loss_every=-1).validate()
    with pytest.raises(WordvecError, match="--loss-every"):
        Config(model="softmax", loss="softmax", loss_every=100).validate()  # the lab network has no points


def test_torch_backend_records_points_per_batch(zipf):
    pytest.importorskip("torch")
    vocab, enc = zipf
    c = cfg(backend="torch", batch_size=128)
    r = train_word2vec(c, vocab, enc, progress=False)
    n_batches = -(-r.effective_words // 128)  # one point a batch at most: batches of subsampled centre words
    # a point at the first batch boundary past every N words: at most a batch's words later than asked
    assert LOSS_POINTS / 2 <= len(r.loss_points["loss"]) <= min(n_batches, LOSS_POINTS + 1)
    check_curve(r.loss_points, r.epoch_losses, len(enc), 1, c.lr, c.min_lr)


class StopAfter(Hooks):
    """Asks the checkpointer to save and stop once `k` points were taken (a SIGTERM at a known place)."""

    def __init__(self, checkpointer, k):
        self.checkpointer, self.k, self.seen = checkpointer, k, []

    def loss_point(self, point):
        self.seen.append(point)
        if len(self.seen) == self.k:
            self.checkpointer.stop()


@pytest.mark.parametrize("backend", ["hogwild", "torch"])
def test_a_resumed_run_continues_the_same_curve(zipf, tmp_path, backend):
    if backend == "torch":
        pytest.importorskip("torch")
    vocab, enc = zipf
    c = cfg(epochs=2, backend=backend, batch_size=512)
    whole = train_word2vec(c, vocab, enc, progress=False)
    ck = Checkpointer(tmp_path / "ck", 0, {})
    with pytest.raises(Stopped):
        train_word2vec(c, vocab, enc, progress=False, callback=StopAfter(ck, 57), checkpoint=ck)
    resumed = train_word2vec(c, vocab, enc, progress=False, checkpoint=Checkpointer(tmp_path / "ck", 0, {}),
                             resume=load_state(tmp_path / "ck"))
    np.testing.assert_array_equal(resumed.input_vectors, whole.input_vectors)
    assert resumed.epoch_losses == whole.epoch_losses
    for key in ("words", "epoch", "loss", "examples", "lr"):
        assert resumed.loss_points[key] == whole.loss_points[key], key


def test_curve_state_round_trips():
    curve = LossCurve.start(1000, 2)
    assert curve.every == 10
    assert curve.take(10, 0, 5.0, 4, 0.02, 0.5) == {"words": 10, "epoch": 1, "loss": 1.25, "examples": 4,
                                                    "lr": 0.02, "words_per_second": 20.0}
    assert curve.take(12, 0, 5.0, 4, 0.02, 0.1) is None  # nothing trained since: no point, no NaN
    curve.take(1000, 0, 9.0, 8, 0.01, 1.0, end_of_epoch=True)
    assert curve.loss == [1.25, 1.0] and (curve.last_loss, curve.last_examples) == (0.0, 0)
    again = LossCurve.start(1, 1, state=json.loads(json.dumps(curve.__dict__)))
    assert again == curve and again.points()["every"] == 10


def test_cli_writes_points_everywhere(tmp_path, capsys):
    """metrics.json, loss.png (a curve under the epoch means, labelled by the objective), TensorBoard scalars."""
    corpus = tmp_path / "c.txt"
    rng = np.random.default_rng(1)
    corpus.write_text("".join(" ".join(rng.choice([f"w{i}" for i in range(60)], 12)) + "\n" for _ in range(5000)),
                      encoding="utf-8")
    logdir = tmp_path / "tb"
    args = ["train", "--preset", "sgns", "--dataset", str(corpus), "--tokenizer", "simple", "--min-count", "1",
            "--epochs", "1", "--out", str(tmp_path / "run"), "--no-progress", "-q", "--query", "w1"]
    tb = pytest.importorskip("tensorboard") and ["--tensorboard", str(logdir)]
    assert main(args + tb) == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    pts = m["loss_points"]
    assert len(pts["loss"]) >= 0.9 * LOSS_POINTS and m["epoch_losses"] and m["final_loss"] == m["epoch_losses"][-1]
    check_curve(pts, m["epoch_losses"], m["tokens"], 1, 0.025, 0.0001)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir))
    acc.Reload()
    assert [e.step for e in acc.Scalars("points/loss")] == pts["words"]
    np.testing.assert_allclose([e.value for e in acc.Scalars("points/loss")], pts["loss"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in acc.Scalars("points/lr")], pts["lr"], rtol=1e-6)
    assert len(acc.Scalars("points/words_per_second")) == len(pts["loss"])
    assert [e.step for e in acc.Scalars("loss/train")] == [1]


def test_progress_bar_shows_the_latest_point(zipf, capsys):
    pytest.importorskip("tqdm")
    vocab, enc = zipf
    train_word2vec(cfg(), vocab, enc, progress=True)
    err = capsys.readouterr().err
    assert "loss=" in err and "lr=" in err and "words_s=" in err
