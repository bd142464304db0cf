"""Training. The lab's full-softmax model (minibatch AdamW + cross-entropy) and the dispatch to the
skip-gram/CBOW engine; both return a `TrainResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
    extra_tensors: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. {'hs.weight': inner-node vectors}

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("nan")
