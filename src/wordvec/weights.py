"""What training produces: the weight matrices (and how skip-gram/CBOW start them) and the `TrainResult` every
trainer returns. numpy only, so the CPU engine and the run directory never need torch.

One name per matrix everywhere: `input_vectors` is the lab's `embed.weight` and word2vec's syn0;
`output_vectors` is the lab's `expand.weight` and word2vec's syn1neg; hierarchical softmax's inner-node vectors
(word2vec's syn1) travel in `extra_tensors["hs.weight"]`; saved files use the names INPUT, OUTPUT and HS.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import WordvecError

log = logging.getLogger("wordvec")

#: Names of the trained matrices in model.safetensors, checkpoints and saved models (the lab network's names).
INPUT, OUTPUT, HS = "embed.weight", "expand.weight", "hs.weight"


@dataclass
class TrainResult:
    """What every trainer returns; the run directory and metrics.json are written from it."""

    input_vectors: np.ndarray  # (V, E) float32: embed.weight / syn0
    output_vectors: np.ndarray | None  # (V, E) float32: expand.weight / syn1neg; None for hierarchical softmax
    epoch_losses: list[float]  # mean training loss per epoch
    seconds: float  # wall-clock training time
    device: str  # where it trained ('cpu', 'cuda:0', ...)
    words: int = 0  # corpus words processed, all epochs (raw, before subsampling)
    effective_words: int = 0  # words actually trained on after subsampling, all epochs
    pairs: int = 0  # (centre, context) pairs trained on, all epochs
    heldout_losses: list[float] = field(default_factory=list)  # mean held-out loss per epoch (lab model)
    loss_points: dict = field(default_factory=dict)  # LossCurve.points(): the loss every N words (skip-gram/CBOW)
    extra_tensors: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. {'hs.weight': inner-node vectors}

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("nan")


class Hooks:
    """What a trainer reports while it runs; override what you need (gensim's callbacks are built on this)."""

    def epoch_begin(self, epoch: int) -> None:
        pass

    def epoch_end(self, epoch: int, loss: float, heldout: float | None, loss_sum: float, examples: int) -> None:
        """After `epoch` (0-based): its mean loss per example, the held-out loss (lab model), the summed loss."""

    def loss_point(self, point: dict) -> None:
        """Every N words (`LossCurve`): words, epoch, loss, lr, words_per_second, examples of the new point."""


#: Points a run's loss curve has by default (`LossCurve`): enough to see a one-epoch run learn, few enough to log.
LOSS_POINTS = 200


@dataclass
class LossCurve:
    """The loss, learning rate and speed every `every` words trained, and at the end of each epoch, so that a
    one-epoch run draws a curve rather than a dot. A point's loss is the mean per example since the previous point
    of the same epoch, so each epoch's points, weighted by their examples, give the epoch loss exactly. Plain data:
    a checkpoint saves it (`asdict`) and a resumed run continues it."""

    every: int
    epoch_words: int = 0  # words an epoch trains (the x axis in epochs: words / epoch_words)
    words: list = field(default_factory=list)  # words trained when the point was taken, all epochs so far
    epoch: list = field(default_factory=list)  # 1-based
    loss: list = field(default_factory=list)
    examples: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    words_per_second: list = field(default_factory=list)
    last_words: int = 0  # where the previous point was taken
    last_loss: float = 0.0  # the epoch's loss sum and examples at the previous point (0 at an epoch's start)
    last_examples: int = 0

    @classmethod
    def start(cls, epoch_words: int, epochs: int, every: int = 0, state: dict | None = None) -> "LossCurve":
        """A new curve (`every` words a point; 0: about LOSS_POINTS over the run), or a saved one."""
        if state:
            if every > 0 and int(every) != state.get("every"):  # a curve keeps one spacing (and the chunks follow it)
                log.warning("--loss-every %d is not applied on --resume: the run keeps the checkpoint's spacing of "
                            "%s words (the CPU kernels' chunks follow it, so a new spacing would change the random "
                            "streams and the resumed vectors); metrics.json's loss_points.every says so", every,
                            state.get("every"))
            return cls(**state)
        every = int(every) if every > 0 else max(1, int(epoch_words) * int(epochs) // LOSS_POINTS)
        return cls(every=every, epoch_words=int(epoch_words))

    def due(self, words: int) -> bool:
        return words - self.last_words >= self.every

    def take(self, words: int, epoch: int, loss_sum: float, examples: int, lr: float, seconds: float,
             end_of_epoch: bool = False) -> dict | None:
        """Record a point at `words` from the epoch's running sums; returns it (None: no example since the last)."""
        n = int(examples) - self.last_examples
        point = None
        if n > 0:
            point = {"words": int(words), "epoch": int(epoch) + 1, "loss": (float(loss_sum) - self.last_loss) / n,
                     "examples": n, "lr": float(lr),
                     "words_per_second": (words - self.last_words) / seconds if seconds > 0 else None}
            for key, value in point.items():
                getattr(self, key).append(value)
        self.last_words = int(words)
        self.last_loss, self.last_examples = (0.0, 0) if end_of_epoch else (float(loss_sum), int(examples))
        return point

    @staticmethod
    def postfix(point: dict) -> dict:
        """A point as a progress bar shows it."""
        return {"epoch": point["epoch"], "loss": f"{point['loss']:.4f}", "lr": f"{point['lr']:.3g}",
                "words_s": f"{point['words_per_second'] or 0:,.0f}"}

    def points(self) -> dict:
        """What metrics.json keeps: `every` and one list per quantity."""
        return {"every": self.every, "epoch_words": self.epoch_words, **{k: list(getattr(self, k)) for k in
                                        ("words", "epoch", "loss", "examples", "lr", "words_per_second")}}


class _CallbackHooks(Hooks):
    def __init__(self, callback):
        self.callback = callback

    def epoch_end(self, epoch, loss, heldout, loss_sum, examples):
        self.callback(epoch, loss, heldout)


def as_hooks(callback) -> Hooks:
    """Hooks as given, a plain `callback(epoch, mean loss, held-out loss)` wrapped, or none."""
    if callback is None or isinstance(callback, Hooks):
        return callback or Hooks()
    return _CallbackHooks(callback)


class Replicas:
    """The processes that train one model together (`wordvec.distributed` implements it over torch.distributed).
    A single process is a group of one: every method is then the identity."""

    rank, world = 0, 1

    def start(self, matrices: list[np.ndarray], tracked: list[bool] | None = None) -> None:
        """Before the first round: every process begins from the same matrices. `tracked`: per matrix, whether the
        trainer names the rows it may change before each round (`track`), so that a sync looks at those alone."""

    def track(self, matrices: list[np.ndarray], rows: list[np.ndarray | None]) -> None:
        """Before a round: per tracked matrix, the rows (sorted, unique) this process may change in it."""

    def sync(self, matrices: list[np.ndarray]) -> None:
        """Make every process's copies of `matrices` equal again after each trained on its own share."""

    def agree(self, flag: bool) -> bool:
        """True on every process when it is True on any (checkpoint due, stop asked)."""
        return flag

    def total(self, values: list[float]) -> list[float]:
        """Element-wise sums over the processes (loss sums, counts)."""
        return values

    def start_tensors(self, tensors: list) -> None:
        """As `start`, for torch tensors on the training device."""

    def sync_tensors(self, tensors: list) -> None:
        """As `sync`, for torch tensors on the training device."""

    def gather_bytes(self, state) -> list:
        """Every process's copy of a small uint8 tensor, in rank order."""
        return [state]


class Checkpoints(ABC):
    """Where and when a run saves its state (`state.Checkpointer` writes files; `runctl.RunControl` drives it at
    the trainers' boundaries). A run asked to stop saves once more and ends with `Stopped`."""

    path: Path  # what `Stopped` names
    stop_requested: bool = False

    @abstractmethod
    def due(self) -> bool:
        """A checkpoint now (its interval has passed, or a stop was asked)."""

    def stop(self) -> None:
        """Save at the next boundary, then stop (SIGTERM)."""
        self.stop_requested = True

    @abstractmethod
    def save(self, kind: str, tensors: dict[str, np.ndarray], state: dict) -> None:
        """Write the matrices and the run's position (`kind`: what trained them: 'word2vec', 'lab')."""

    @abstractmethod
    def saved_elsewhere(self) -> None:
        """Another process of the run wrote this checkpoint: the interval restarts here too."""


class Stopped(Exception):
    """Training stopped after writing a checkpoint because it was asked to (SIGTERM)."""

    def __init__(self, path: Path):
        super().__init__(f"stopped; state saved to {path}: resume with the same command and --resume")
        self.path = path


def init_vectors(seed: int, n_words: int, n_out: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """gensim's start for skip-gram/CBOW: input vectors uniform in [-1, 1)/dim (word2vec.c uses half that range),
    output vectors zero. The same seed gives the same matrices on every backend."""
    rng = np.random.default_rng(seed)
    syn0 = rng.random((n_words, dim), dtype=np.float32)
    syn0 *= 2.0
    syn0 -= 1.0
    syn0 /= dim
    return syn0, np.zeros((n_out, dim), dtype=np.float32)


def word_vectors(which: str, input_vectors: np.ndarray, output_vectors: np.ndarray | None) -> np.ndarray:
    """The matrix a run publishes as its word vectors: 'input', 'output' or the 'mean' of both."""
    if which == "input":
        return input_vectors
    if output_vectors is None:
        raise ValueError(f"no output vectors to make {which!r} word vectors from (hierarchical softmax has none)")
    if which == "output":
        return output_vectors
    if which == "mean":
        if output_vectors.shape != input_vectors.shape:
            raise ValueError(f"input {input_vectors.shape} and output {output_vectors.shape} matrices differ in shape")
        return (input_vectors + output_vectors) / 2
    raise ValueError(f"which vectors: 'input', 'output' or 'mean', not {which!r}")


#: An epoch loss this many times that of an untrained model (all scores zero) means the run has diverged.
DIVERGED_FACTOR = 50.0


def check_finite(epoch: int, loss: float, *weight_sums: float, lr: float, chance: float | None = None) -> None:
    """Stop a diverged run after the epoch where it happened, rather than write it as a run that looks finished:
    a NaN/inf loss, NaN/inf weights (seen through their sums, one cheap pass), or a loss far above `chance`, the
    loss of an untrained model."""
    if not math.isfinite(loss):
        what = "the loss became NaN or infinite"
    elif not all(math.isfinite(s) for s in weight_sums):
        what = "the weights became NaN or infinite"
    elif chance is not None and chance > 0 and loss > DIVERGED_FACTOR * chance:
        what = f"the loss ({loss:.3g}) is {loss / chance:,.0f} times that of an untrained model ({chance:.3g})"
    else:
        return
    raise WordvecError(f"training diverged in epoch {epoch + 1}: {what}; lower the learning rate (--lr {lr:g}) and "
                       f"train again")


def check_resumable(name: str, matrix: np.ndarray) -> None:
    """A matrix a run continues from (a model's, a checkpoint's) must be finite: a NaN row would only train more
    NaNs (and is how a diverged or damaged file shows)."""
    if not math.isfinite(matrix_sum(matrix)):
        raise WordvecError(f"{name} holds NaN or infinite values: the model or checkpoint it came from diverged "
                           f"or is damaged; train a new one from the start")


def check_saveable(epoch: int, state, *weight_sums: float, lr: float) -> None:
    """Before a checkpoint: a run whose loss sums or weights became NaN/inf ends with the divergence line, not in
    JSON's "out of range float" (a checkpoint cannot hold them, and a resume would refuse them)."""
    floats = []
    todo = [state]
    while todo:
        x = todo.pop()
        if isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, (list, tuple)):
            todo.extend(x)
        elif isinstance(x, float):
            floats.append(x)
    check_finite(epoch, 0.0 if all(math.isfinite(f) for f in floats) else math.nan, *weight_sums, lr=lr)


def matrix_sum(m: np.ndarray) -> float:
    """A number finite exactly when every entry of a weight matrix is (for `check_finite`): the float64 sum of its
    least and greatest entries (min and max keep a NaN and read float32 at memory speed, where a float64 sum
    converts every entry: on fastText's 800 MB matrix, after every epoch)."""
    return float(m.min()) + float(m.max()) if m.size else 0.0


__all__ = ["INPUT", "OUTPUT", "HS", "TrainResult", "Hooks", "LossCurve", "LOSS_POINTS", "as_hooks", "Replicas",
           "Checkpoints", "Stopped",
           "init_vectors", "word_vectors", "check_finite", "check_resumable", "check_saveable", "matrix_sum"]
