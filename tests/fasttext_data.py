"""What the fastText tests share: gensim (the reference; under CI=true its absence fails), its shipped .bin
files, and words to hash (non-ASCII made up, and the tweets' own words from ../shared)."""

from __future__ import annotations

import csv
import importlib
import os
import random
from pathlib import Path

import pytest

from conftest import TWEETS_DIR

GENSIM_FILES = ["lee_fasttext.bin", "lee_fasttext_new.bin", "crime-and-punishment.bin", "non_ascii_fasttext.bin",
                "cp852_fasttext.bin", "toy-model.bin", "toy-model-pretrained.bin"]


def _missing(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the gensim comparisons must run, not skip)", pytrace=False)
    pytest.skip(message)


def gensim_fasttext():
    """gensim.models.fasttext, or skip (fail under CI=true)."""
    try:
        return importlib.import_module("gensim.models.fasttext")
    except ImportError:
        _missing("gensim is not installed (pip install -e '.[dev]'); the fastText tests compare against it")


def datapath(name: str) -> str:
    """A file of gensim's test data (located through gensim.test.utils.datapath)."""
    gensim_fasttext()
    from gensim.test.utils import datapath as gensim_datapath

    return gensim_datapath(name)


MADE_UP = ["", "a", "ab", "hello", "café", "naïve", "Ærøskøbing", "日本語", "中文字符", "😀", "😀x", "👍🏽👍🏽",
           "#loveislove", "happpy", "tommorow", "e\u0301", "ß", "ʃ", "привет", "שלום", "مرحبا", "x" * 40,
           "a b", "<>", "<", ">", "\u00ff\u00ff", "\U0010ffff"]


def random_words(n: int, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    alphabet = "abcxyzé日本😀ßж\u0301<>#@'-ØΩ한"
    return [("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))) for _ in range(n)]


def tweet_words(limit: int = 20000) -> list[str]:
    """Distinct whitespace-separated words of the tweets (hashtags, emoji, mojibake and all)."""
    path = Path(TWEETS_DIR) / "train.csv"
    if not path.is_file():
        _missing(f"the tweets are not at {path}; put a copy of ../shared there to hash their words")
    seen: dict[str, None] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for w in row["tweet"].split():
                seen.setdefault(w, None)
            if len(seen) >= limit:
                break
    return list(seen)
