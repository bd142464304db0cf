"""Property-based fuzzing of the fastText .bin reader: a real model with bytes changed, cut, inserted or replaced,
and random bytes after a valid magic number, give a FastTextFileError or a model with finite vectors, never another
exception (and never an allocation the file cannot back: the test runs under a 4 GiB address-space limit)."""

from __future__ import annotations

import resource
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fasttext_data import datapath
from wordvec import load_facebook_model
from wordvec.fbformat import MAGIC, FastTextFileError

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def original() -> bytes:
    return Path(datapath("crime-and-punishment.bin")).read_bytes()


@pytest.fixture(autouse=True, scope="module")
def small_address_space():
    """A lying size that slipped past the checks would fail to allocate here instead of swapping the machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _load(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.bin"
        path.write_bytes(data)
        try:
            m = load_facebook_model(path)
        except FastTextFileError:
            return
        assert np.isfinite(m.wv.vectors).all() and len(m.wv.index_to_key) == len(m.wv.vectors)
        m.wv["anything"]  # unseen words work on whatever was read


EDITS = st.lists(st.tuples(st.sampled_from(["set", "cut", "insert", "int64"]), st.integers(0, 20000),
                           st.binary(min_size=1, max_size=8)), min_size=1, max_size=4)


@FUZZ
@given(EDITS)
def test_a_damaged_model(original, edits):
    data = bytearray(original)
    for op, pos, payload in edits:
        pos %= max(1, len(data))
        if op == "set":
            data[pos:pos + len(payload)] = payload
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = payload
        else:  # a size field made huge, negative or small
            data[pos:pos + 8] = struct.pack("<q", int.from_bytes(payload, "little", signed=True))
    _load(bytes(data))


@FUZZ
@given(st.integers(0, 12).map(lambda v: struct.pack("<2i", MAGIC, v)), st.binary(max_size=600))
def test_random_bytes_after_the_magic_number(head, body):
    _load(head + body)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data):
    _load(data)
