"""Run control (`runctl`), the part every trainer shares: the checkpoint decision, save-and-stop, the settings a
resume must keep; the checkpointer is the declared `weights.Checkpoints` interface."""

from __future__ import annotations

import numpy as np
import pytest

from wordvec.errors import WordvecError
from wordvec.runctl import RunControl, check_same_settings
from wordvec.state import Checkpointer, load_state
from wordvec.weights import Checkpoints, Replicas, Stopped


class _Two(Replicas):
    """Process `rank` of two, whose peer answers `peer` to every agreement."""

    world = 2

    def __init__(self, rank: int, peer: bool):
        self.rank, self.peer = rank, peer

    def agree(self, flag: bool) -> bool:
        return flag or self.peer


def test_the_checkpointer_is_the_declared_interface(tmp_path):
    assert isinstance(Checkpointer(tmp_path / "ck", 0, {}), Checkpoints)
    with pytest.raises(TypeError, match="abstract"):
        Checkpoints()
    with pytest.raises(TypeError, match="weights.Checkpoints"):
        RunControl(object(), None, None)


def test_same_settings_names_what_differs():
    check_same_settings({"epochs": 5, "world": 1, "x": 0}, {"epochs": 5, "world": 1})
    with pytest.raises(WordvecError, match=r"with epochs=5, world=None; this one has epochs=3, world=1; resume "
                                           r"with the same settings"):
        check_same_settings({"epochs": 5}, {"epochs": 3, "world": 1})


def test_a_stop_asked_of_any_process_is_agreed(tmp_path):
    ck = Checkpointer(tmp_path / "ck", 0, {})
    assert not RunControl(ck, None, None).due()
    assert RunControl(ck, _Two(1, peer=True), None).due() and ck.stop_requested
    assert not RunControl(None, _Two(0, peer=True), None).due()


def test_the_first_process_writes_and_every_process_stops(tmp_path):
    path = tmp_path / "ck"
    ck = Checkpointer(path, 0, {})
    ck.stop()
    with pytest.raises(Stopped):
        RunControl(ck, _Two(1, peer=False), None).save("word2vec", lambda: pytest.fail("only rank 0 writes"),
                                                       {"epoch": 0}, [0.0], 0.1, 0)
    assert not path.exists() and ck.saves == 0
    ctl = RunControl(ck, None, None, seconds_before=7.0)
    with pytest.raises(Stopped):
        ctl.save("word2vec", lambda: {"embed.weight": np.ones((2, 3), np.float32)}, {"epoch": 1}, [6.0], 0.1, 1)
    tensors, meta = load_state(path)
    assert meta["state"]["epoch"] == 1 and meta["state"]["seconds"] >= 7.0
    np.testing.assert_array_equal(tensors["embed.weight"], np.ones((2, 3), np.float32))


def test_a_diverged_run_is_not_saved(tmp_path):
    ck = Checkpointer(tmp_path / "ck", 0, {})
    with pytest.raises(WordvecError, match="diverged"):
        RunControl(ck, None, None).save("lab", dict, {"loss": float("nan")}, [0.0], 0.1, 0)
    assert ck.saves == 0


def test_differences_in_the_order_given_with_the_unset_value():
    from wordvec.runctl import differences

    assert differences({"a": 1, "b": 2}, {"c": 3, "b": 2, "a": 0}) == ["c", "a"]
    assert differences({}, {"x": "(unset)"}, unset="(unset)") == []
    assert differences({"x": None}, {"x": None}) == []
