"""Property-based fuzzing of the corpus readers: any bytes as a CSV or a text file give a WordvecError or texts,
never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordvec.corpus import load_corpus
from wordvec.errors import WordvecError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CSV_BITS = st.sampled_from([b"id", b"tweet", b"label", b",", b"\n", b"\r\n", b'"', b'""', b"a b", b"\xff",
                            b"\xef\xbb\xbf", b"\x00", b"1", b"-1", b" ", b"caf\xc3\xa9", b"\t"])


def _load(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            splits = load_corpus(path)
            texts = list(splits["train"].texts)  # a stream decodes (and may fail) as it is read
        except WordvecError:
            return None
        assert all(isinstance(t, str) for t in texts)
        labels = splits["train"].labels
        assert labels is None or len(labels) == len(texts)
        return texts


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_csv(data):
    _load("train.csv", data)


@FUZZ
@given(st.lists(CSV_BITS, max_size=60))
def test_csv_shaped_bytes(parts):
    _load("train.csv", b"id,label,tweet\n" + b"".join(parts))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_text(data):
    texts = _load("corpus.txt", data)
    if texts is not None:
        assert all(t.strip() for t in texts)  # blank lines are never documents
