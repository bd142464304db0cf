"""Shared test set-up: NLTK_DATA for the lab reference, the real dataset from ../shared, and its tokenised form.

The data lives beside the repository (`<repo>/../shared/data/...`). When it is missing the data tests skip with
a message, except under CI=true, where a missing dataset is a failure (CI must run the parity tests).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
NLTK_DIR = SHARED_DATA / "nltk_data"
TWEETS_DIR = SHARED_DATA / "tweets_hate_speech_detection"

os.environ.setdefault("NLTK_DATA", str(NLTK_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import lab_reference` from any test


def _missing(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the data tests must run, not skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder holding the lab's train.csv / test.csv (`<repo>/../shared/data/tweets_hate_speech_detection`)."""
    if not ((TWEETS_DIR / "train.csv").is_file() and (TWEETS_DIR / "test.csv").is_file()):
        _missing(f"the lab's dataset is not at {TWEETS_DIR} (train.csv, test.csv); put a copy of ../shared there "
                 f"to run the data tests")
    return TWEETS_DIR


@pytest.fixture(scope="session")
def nltk_stopwords_file() -> Path:
    path = Path(os.environ["NLTK_DATA"]) / "corpora" / "stopwords" / "english"
    if not path.is_file():
        _missing(f"NLTK's English stopword list is not at {path}; set NLTK_DATA or provide ../shared/data/nltk_data")
    return path


class LabData:
    """The real corpus loaded once: raw splits, lab tokens of both splits, vocab (min_count 11), encodings."""

    def __init__(self, path: Path):
        from wordvec.corpus import load_corpus
        from wordvec.preprocess import LabTokenizer
        from wordvec.vocab import build_and_encode

        self.splits = load_corpus(path)
        tok = LabTokenizer()
        self.train_texts = list(self.splits["train"].texts)
        self.test_texts = list(self.splits["test"].texts)
        self.train_tokens = [tok(t) for t in self.train_texts]
        self.test_tokens = [tok(t) for t in self.test_texts]
        self.vocab, self.train_enc = build_and_encode(self.train_tokens, min_count=11)
        self.test_enc = self.vocab.encode(self.test_tokens)
        self._pairs = None

    @property
    def train_pairs(self):
        if self._pairs is None:
            from wordvec.windows import all_pairs

            self._pairs = all_pairs(self.train_enc, 3)
        return self._pairs


@pytest.fixture(scope="session")
def lab_data(shared_data) -> LabData:
    return LabData(shared_data)


@pytest.fixture(scope="session")
def ref(nltk_stopwords_file):
    """The lab reference module (needs NLTK's stopword corpus for `split_tokens`)."""
    import lab_reference

    return lab_reference


@pytest.fixture(autouse=True)
def _wordvec_logger_as_found():
    """Each test gets the `wordvec` logger as the previous one found it: an in-process CLI call sets its level
    (--quiet, a silent rank) and handler, which would otherwise decide what a later test's capsys sees."""
    import logging

    logger = logging.getLogger("wordvec")
    saved = (logger.level, list(logger.handlers), logger.propagate, logger.disabled)
    yield
    logger.setLevel(saved[0])
    logger.handlers[:] = saved[1]
    logger.propagate, logger.disabled = saved[2], saved[3]
