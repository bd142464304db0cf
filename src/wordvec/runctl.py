"""Run control: what every trainer (the CPU kernels' `engine`, the batched `engine_torch`, the lab's `train`) does
around its steps, written once.

* the checkpoint decision at a boundary, taken by every process together, and a stop asked of any (`due`);
* save-and-stop: the first process writes, the others restart their interval, all stop if a stop was agreed
  (`save`); the state saved is the trainer's own position plus the seconds trained so far and the loss curve;
* the clock across a resume (`elapsed`), the progress bar (`progress_bar`), the loss points shown on it and passed
  to the hooks (`loss_point`), the end of an epoch (`end_epoch`: the divergence check, then the hooks);
* "resume with the same settings": one check, one message (`check_same_settings`).

The trainer keeps its own position (chunks, batches or pairs: what its checkpoints hold) and its loop; the
checkpointer is the `weights.Checkpoints` interface.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Callable

import numpy as np

from .errors import WordvecError
from .weights import Checkpoints, Hooks, LossCurve, Replicas, Stopped, check_finite, check_saveable


def differences(saved: dict, mine: dict, unset=None) -> list[str]:
    """The settings of `mine` (in its order) whose saved value differs; one missing from `saved` reads `unset`.
    Every "resume with the same settings" compares through this: the engines, the command line's run identity,
    gensim's continued train() call."""
    return [k for k in mine if saved.get(k, unset) != mine[k]]


def check_same_settings(saved: dict, mine: dict) -> None:
    """A checkpoint continues only the run that wrote it: every setting in `mine` must equal the saved one."""
    differ = differences(saved, mine)
    if differ:
        theirs = ", ".join(f"{k}={saved.get(k)!r}" for k in differ)
        ours = ", ".join(f"{k}={mine[k]!r}" for k in differ)
        raise WordvecError(f"the checkpoint was written by a run with {theirs}; this one has {ours}; resume with "
                           f"the same settings")


class RunControl:
    """The shared part of one training run (see the module doc): `checkpoint` (None: never saves), `replicas`
    (None or a group of one: a single process), `hooks`."""

    def __init__(self, checkpoint: Checkpoints | None, replicas: Replicas | None, hooks: Hooks | None,
                 seconds_before: float = 0.0):
        if checkpoint is not None and not isinstance(checkpoint, Checkpoints):
            raise TypeError(f"checkpoint must implement weights.Checkpoints, not {type(checkpoint).__name__}")
        self.checkpoint, self.hooks = checkpoint, hooks or Hooks()
        self.replicas = replicas if replicas is not None else Replicas()
        self.lead = self.replicas.rank == 0
        self.seconds_before = float(seconds_before)
        self.t0 = self.t_point = time.perf_counter()

    def start(self) -> None:
        """The clock starts (after the set-up)."""
        self.t0 = self.t_point = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds trained, those before a resume included."""
        return self.seconds_before + time.perf_counter() - self.t0

    def due(self) -> bool:
        """A checkpoint now? Every process takes part in the decision, and in a stop asked of any."""
        ck = self.checkpoint
        if ck is None or not self.replicas.agree(ck.due()):
            return False
        if self.replicas.agree(ck.stop_requested):
            ck.stop()
        return True

    def save(self, kind: str, tensors: Callable[[], dict[str, np.ndarray]], state: dict, weight_sums, lr: float,
             epoch: int, curve: LossCurve | None = None) -> None:
        """Checkpoint `state` (the trainer's position) with the matrices `tensors()` gives (called on the writing
        process only) and stop if a stop was agreed. A run whose sums or weights are no longer finite ends with
        the divergence line instead (a checkpoint cannot hold them)."""
        check_saveable(epoch, state, *weight_sums, lr=lr)
        if self.lead:
            state = {**state, "seconds": self.elapsed()}
            if curve is not None:
                state["points"] = asdict(curve)
            self.checkpoint.save(kind, tensors(), state)
        else:
            self.checkpoint.saved_elsewhere()
        if self.checkpoint.stop_requested:
            raise Stopped(self.checkpoint.path)

    def progress_bar(self, show: bool, **tqdm_args):
        """A tqdm bar on the first process when `show`, else None."""
        if not (show and self.lead):
            return None
        from tqdm.auto import tqdm

        return tqdm(leave=False, **tqdm_args)

    def loss_point(self, curve: LossCurve, bar, words: int, epoch: int, loss_sum: float, examples: int, lr: float,
                   end_of_epoch: bool = False) -> None:
        """Take a loss point (`LossCurve.take`); the first process shows it on the bar and passes it to the hooks."""
        now = time.perf_counter()
        point = curve.take(words, epoch, loss_sum, examples, lr, now - self.t_point, end_of_epoch)
        self.t_point = now
        if point is not None and self.lead:
            if bar is not None:
                bar.set_postfix(LossCurve.postfix(point))
            self.hooks.loss_point(point)

    def check_epoch(self, epoch: int, loss: float, weight_sums, lr: float, chance: float | None) -> None:
        """The end of an epoch that trained examples: stop a diverged run (`weights.check_finite`)."""
        check_finite(epoch, loss, *weight_sums, lr=lr, chance=chance)

    def end_epoch(self, epoch: int, loss: float, heldout: float | None, loss_sum: float, examples: int) -> None:
        """The hooks hear that `epoch` ended."""
        self.hooks.epoch_end(epoch, loss, heldout, loss_sum, examples)


__all__ = ["RunControl", "check_same_settings", "differences"]
