"""Checkpoints: the state file round-trips, and a run stopped at any point and resumed ends bit-identical."""

from __future__ import annotations

import numpy as np
import pytest

from wordvec.state import Checkpointer, Stopped, fingerprint, load_state, read_header, save_state
from wordvec.config import LAB
from wordvec.errors import WordvecError
from wordvec.train import train_lab


class StopAt(Checkpointer):
    """Asks to stop at the n-th chance to checkpoint (like a SIGTERM arriving then)."""

    def __init__(self, path, n):
        super().__init__(path, every=0, identity={})
        self.calls, self.n = 0, n

    def due(self):
        self.calls += 1
        if self.calls == self.n:
            self.stop()
        return super().due()


def test_state_file_round_trip_and_mmap(tmp_path):
    tensors = {"embed.weight": np.arange(12, dtype=np.float32).reshape(3, 4), "rng.x": np.arange(5, dtype=np.uint8)}
    path = save_state(tmp_path / "s.safetensors", "lab", tensors, {"state": {"epoch": 2, "loss": 1.5}})
    got, meta = load_state(path)
    assert meta["kind"] == "lab" and meta["state"] == {"epoch": 2, "loss": 1.5}
    for k in tensors:
        np.testing.assert_array_equal(got[k], tensors[k])
    mapped, _ = load_state(path, mmap="r")
    assert isinstance(mapped["embed.weight"], np.memmap) and not mapped["embed.weight"].flags.writeable
    np.testing.assert_array_equal(mapped["embed.weight"], tensors["embed.weight"])


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", b"\x08\x00\x00\x00\x00\x00\x00\x00{}{}{}{}",
                                     b"\xff" * 64])
def test_damaged_state_files_are_one_error(tmp_path, content):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    with pytest.raises(WordvecError, match="not a wordvec model, vectors or checkpoint"):
        read_header(path)


def test_fingerprint_sees_order_and_counts():
    a = fingerprint(["x", "y"], np.array([2, 1]))
    assert a == fingerprint(["x", "y"], np.array([2, 1]))
    assert a != fingerprint(["y", "x"], np.array([2, 1])) and a != fingerprint(["x", "y"], np.array([2, 2]))


def _lab_pairs(n_pairs=3000, vocab=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, vocab, size=(n_pairs, 2)).astype(np.int64), vocab


@pytest.mark.parametrize("optimizer,stop_at", [("adamw", 1), ("adamw", 5), ("adamw", 12), ("adamw", 20), ("sgd", 7)])
def test_lab_stopped_and_resumed_is_bit_identical(tmp_path, optimizer, stop_at):
    pairs, vocab = _lab_pairs()
    held = pairs[:500]
    cfg = LAB.replace(batch_size=256, epochs=3, vector_size=8, threads=1, progress=False, optimizer=optimizer,
                      lr=0.05, min_lr=0.0 if optimizer == "adamw" else 0.001)
    whole = train_lab(cfg, vocab, pairs, held)
    path = tmp_path / "run.checkpoint"
    with pytest.raises(Stopped):
        train_lab(cfg, vocab, pairs, held, checkpoint=StopAt(path, stop_at))
    resumed = train_lab(cfg, vocab, pairs, held, checkpoint=Checkpointer(path, 0, {}), resume=load_state(path))
    np.testing.assert_array_equal(resumed.input_vectors, whole.input_vectors)
    np.testing.assert_array_equal(resumed.output_vectors, whole.output_vectors)
    assert resumed.epoch_losses == whole.epoch_losses and resumed.heldout_losses == whole.heldout_losses
