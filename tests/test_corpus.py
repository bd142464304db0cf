"""Corpus loading (issue #2 item 2) and its bad-input messages."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from wordvec.corpus import TextLines, default_dataset, load_corpus
from wordvec.errors import WordvecError


def _write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


# ---- the real data ----------------------------------------------------------------------------------------------
def test_local_folder_of_the_lab(shared_data):
    splits = load_corpus(shared_data)
    assert list(splits) == ["train", "test"]  # train first
    assert len(splits["train"]) == 31962
    assert len(splits["test"]) == 17197
    assert splits["test"].labels is None  # the original test.csv has no label column
    labels = splits["train"].labels
    assert labels is not None and labels.shape == (31962,)
    assert set(np.unique(labels).tolist()) == {0, 1}
    # first row of train.csv, read independently
    with open(shared_data / "train.csv", encoding="utf-8", newline="") as f:
        first = next(csv.DictReader(f))
    assert splits["train"].texts[0] == first["tweet"]
    assert labels[0] == int(first["label"])


def test_single_csv_of_the_lab(shared_data):
    splits = load_corpus(str(shared_data / "test.csv"))
    assert list(splits) == ["train"] and len(splits["train"]) == 17197


# ---- small local sources ----------------------------------------------------------------------------------------
def test_local_folder_train_and_test(tmp_path):
    _write_csv(tmp_path / "train.csv", ["id", "label", "tweet"], [[1, 0, "hello world"], [2, 1, "bad, words"],
                                                                   [3, 0, 'quoted "text", here']])
    _write_csv(tmp_path / "test.csv", ["id", "tweet"], [[4, "a test"], [5, ""]])
    splits = load_corpus(tmp_path)
    assert list(splits) == ["train", "test"]
    assert splits["train"].texts == ["hello world", "bad, words", 'quoted "text", here']
    assert splits["train"].labels.tolist() == [0, 1, 0]
    assert splits["test"].texts == ["a test", ""]
    assert splits["test"].labels is None


def test_single_csv_file_and_text_column(tmp_path):
    p = _write_csv(tmp_path / "data.csv", ["label", "text"], [[0, "one"], [1, "two"]])
    splits = load_corpus(p, text_column="text")
    assert list(splits) == ["train"]
    assert splits["train"].texts == ["one", "two"]
    assert splits["train"].labels.tolist() == [0, 1]


def test_txt_file(tmp_path):
    p = tmp_path / "corpus.txt"
    p.write_text("first line\n\n   \nsecond  line  \nthird\n", encoding="utf-8")
    splits = load_corpus(p)
    assert list(splits) == ["train"]
    texts = splits["train"].texts
    assert isinstance(texts, TextLines)
    assert list(texts) == ["first line", "second  line", "third"]  # blank lines dropped, stripped
    assert list(texts) == list(texts)  # re-iterable
    assert len(texts) == 3
    assert splits["train"].labels is None


def test_folder_of_txt_files(tmp_path):
    (tmp_path / "b.txt").write_text("b one\nb two\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("a one\n", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "c.txt").write_text("c one\n", encoding="utf-8")
    (tmp_path / "ignored.md").write_text("not a corpus\n", encoding="utf-8")
    splits = load_corpus(tmp_path)
    assert list(splits) == ["train"]
    assert sorted(splits["train"].texts) == ["a one", "b one", "b two", "c one"]


def test_wordvec_dataset_env_is_the_default(tmp_path, monkeypatch):
    _write_csv(tmp_path / "train.csv", ["label", "tweet"], [[0, "from the env"]])
    monkeypatch.setenv("WORDVEC_DATASET", str(tmp_path))
    assert default_dataset() == str(tmp_path)
    assert load_corpus()["train"].texts == ["from the env"]
    assert load_corpus(None)["train"].texts == ["from the env"]


def test_default_without_env_is_the_hub_id(monkeypatch):
    monkeypatch.delenv("WORDVEC_DATASET", raising=False)
    assert default_dataset() == "tweets_hate_speech_detection"


def _go_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # the libraries read these at import time; patch the live flags too in case they are already imported
    import datasets
    import huggingface_hub.constants

    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True, raising=False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.chdir(tmp_path)  # so a Hub id cannot resolve to a local folder of that name


@pytest.mark.parametrize("name", ["wordvec-tests/no-such-dataset", "no_such_dataset_wordvec_test"])
def test_hub_id_offline_is_one_clear_error(monkeypatch, tmp_path, name):
    _go_offline(monkeypatch, tmp_path)
    with pytest.raises(WordvecError) as e:
        load_corpus(name)
    msg = str(e.value)
    assert name in msg and "--dataset" in msg


def test_hub_code_path_via_save_to_disk(tmp_path):
    datasets = pytest.importorskip("datasets")
    dd = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"label": [0, 1, 0], "tweet": ["a b", "c d", None]}),
        "test": datasets.Dataset.from_dict({"label": [-1, -1], "tweet": ["e", "f g"]}),
    })
    dd.save_to_disk(str(tmp_path / "dd"))
    splits = load_corpus(tmp_path / "dd")
    assert set(splits) == {"train", "test"}
    assert splits["train"].texts == ["a b", "c d", ""]
    assert splits["train"].labels.tolist() == [0, 1, 0]
    assert splits["test"].texts == ["e", "f g"]
    assert splits["test"].labels is None  # Hub test splits mark missing labels as -1


def test_hub_code_path_without_text_column(tmp_path):
    datasets = pytest.importorskip("datasets")
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"text": ["a"]})}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(WordvecError, match="'tweet'.*--text-column"):
        load_corpus(tmp_path / "dd")


# ---- bad input --------------------------------------------------------------------------------------------------
def test_missing_path(tmp_path):
    missing = tmp_path / "nope" / "train.csv"
    with pytest.raises(WordvecError, match="does not exist") as e:
        load_corpus(missing)
    assert str(missing) in str(e.value) and "--dataset" in str(e.value)


def test_missing_folder(tmp_path):
    with pytest.raises(WordvecError, match="does not exist"):
        load_corpus(str(tmp_path / "no_folder"))


def test_empty_dataset_string():
    with pytest.raises(WordvecError, match="empty"):
        load_corpus("  ")


def test_empty_folder(tmp_path):
    with pytest.raises(WordvecError, match="train.csv"):
        load_corpus(tmp_path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.txt"])
def test_empty_file(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"")
    with pytest.raises(WordvecError, match="empty") as e:
        load_corpus(p)
    assert str(p) in str(e.value)


def test_blank_txt_file(tmp_path):
    p = tmp_path / "blank.txt"
    p.write_text("\n  \n\n", encoding="utf-8")
    with pytest.raises(WordvecError, match="no text"):
        load_corpus(p)


def test_csv_without_tweet_column(tmp_path):
    p = _write_csv(tmp_path / "train.csv", ["id", "label", "text"], [[1, 0, "hi"]])
    with pytest.raises(WordvecError, match="no 'tweet' column") as e:
        load_corpus(p)
    assert "text" in str(e.value) and "--text-column" in str(e.value)
    with pytest.raises(WordvecError, match="no 'tweet' column"):
        load_corpus(tmp_path)  # the folder form too


def test_csv_with_header_only(tmp_path):
    p = _write_csv(tmp_path / "train.csv", ["id", "label", "tweet"], [])
    with pytest.raises(WordvecError, match="no rows"):
        load_corpus(p)


def test_csv_with_undecodable_bytes(tmp_path):
    p = tmp_path / "train.csv"
    p.write_bytes(b"\xff\xfei\x00d\x00,\x00tweet\n1,\xff\xfe\xfa\n")
    with pytest.raises(WordvecError, match="UTF-8") as e:
        load_corpus(p)
    assert str(p) in str(e.value)


def test_csv_with_undecodable_bytes_in_a_later_row(tmp_path):
    p = tmp_path / "train.csv"
    p.write_bytes(b"id,tweet\n1,fine\n2,caf\xe9 latin-1\n")
    with pytest.raises(WordvecError, match="UTF-8"):
        load_corpus(p)


def test_txt_with_undecodable_bytes(tmp_path):
    p = tmp_path / "corpus.txt"
    p.write_bytes(b"\xff\xfeh\x00i\x00\n")
    with pytest.raises(WordvecError, match="UTF-8") as e:
        load_corpus(p)
    assert str(p) in str(e.value)


def test_txt_with_undecodable_bytes_in_a_later_line(tmp_path):
    p = tmp_path / "corpus.txt"
    p.write_bytes(b"good line\nanother\ncaf\xe9\n")
    splits = load_corpus(p)  # the first line decodes; the bad line fails when the stream reaches it
    with pytest.raises(WordvecError, match="line 3 is not valid UTF-8"):
        list(splits["train"].texts)


# ---- gensim's readers: LineSentence, PathLineSentences, Text8Corpus ------------------------------------------------
WHITESPACE = [" ", "\n", "\t", "  ", "\u00a0", "\u3000", "\r\n", "\x1c", "\u2028"]


def _random_text(seed: int = 0, n: int = 4000) -> str:
    """Words (ASCII, accented, CJK, long) joined by every kind of whitespace str.split() knows, blank lines too."""
    import random

    rnd = random.Random(seed)
    words = ["a", "bb", "caf\u00e9", "\u65e5\u672c", "x" * 30, "don't"]
    return "".join(rnd.choice(words) + rnd.choice(WHITESPACE) for _ in range(n)) + "\n\nlast line no newline"


@pytest.fixture
def text_files(tmp_path):
    """The same text plain, .gz, .bz2 and .xz."""
    import bz2
    import gzip
    import lzma

    raw = _random_text().encode("utf-8")
    paths = [tmp_path / "c.txt"]
    paths[0].write_bytes(raw)
    for ext, opener in (("gz", gzip.open), ("bz2", bz2.open), ("xz", lzma.open)):
        with opener(tmp_path / f"c.txt.{ext}", "wb") as f:
            f.write(raw)
        paths.append(tmp_path / f"c.txt.{ext}")
    return paths


def test_readers_are_exported_lazily():
    import subprocess
    import sys

    code = ("import sys, wordvec; from wordvec import LineSentence, PathLineSentences, Text8Corpus; "
            "print(LineSentence.__module__, 'numba' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["wordvec.corpus", "False", "False"]


@pytest.mark.parametrize("msl,limit", [(10000, None), (3, None), (1, 5), (7, 0), (10000, 10 ** 6)])
def test_line_sentence_as_gensim(text_files, msl, limit):
    gensim_w2v = pytest.importorskip("gensim.models.word2vec")
    from wordvec import LineSentence

    want = list(gensim_w2v.LineSentence(str(text_files[0]), msl, limit))
    assert bool(want) == (limit != 0)  # not a comparison of two empty lists, except for limit=0
    for path in text_files:
        corpus = LineSentence(path, max_sentence_length=msl, limit=limit)
        assert list(corpus) == want
        assert list(corpus) == want  # re-iterable


def test_line_sentence_reads_open_files_again_and_again(text_files):
    import io

    from wordvec import LineSentence

    want = list(LineSentence(text_files[0]))
    for f in (io.BytesIO(text_files[0].read_bytes()), io.StringIO(text_files[0].read_text("utf-8"))):
        corpus = LineSentence(f)
        assert list(corpus) == want and list(corpus) == want


def test_line_sentence_bad_input(tmp_path):
    from wordvec import LineSentence

    with pytest.raises(FileNotFoundError, match="does not exist") as e:
        LineSentence(tmp_path / "missing.txt")
    assert isinstance(e.value, WordvecError)
    with pytest.raises(WordvecError, match="is a folder"):
        LineSentence(tmp_path)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"fine line\ncaf\xe9\n")
    with pytest.raises(UnicodeDecodeError, match="line 2 is not valid UTF-8") as e:
        list(LineSentence(bad))
    assert isinstance(e.value, WordvecError) and str(bad) in str(e.value)
    for kw in (dict(max_sentence_length=0), dict(limit=-1), dict(max_sentence_length=2.5)):
        with pytest.raises(WordvecError):
            LineSentence(bad, **kw)


def test_path_line_sentences_as_gensim(tmp_path):
    gensim_w2v = pytest.importorskip("gensim.models.word2vec")
    from wordvec import PathLineSentences

    folder = tmp_path / "texts"
    folder.mkdir()
    for i, name in enumerate(["b.txt", "a.txt", ".hidden", "c.gz", "10.txt", "9.txt"]):
        data = _random_text(seed=i, n=200).encode("utf-8")
        if name.endswith(".gz"):
            import gzip

            data = gzip.compress(data)
        (folder / name).write_bytes(data)
    for kw in (dict(), dict(limit=2), dict(max_sentence_length=4)):
        want = list(gensim_w2v.PathLineSentences(str(folder), **kw))
        assert list(PathLineSentences(folder, **kw)) == want
    assert [p.name for p in PathLineSentences(folder).input_files] == \
        [".hidden", "10.txt", "9.txt", "a.txt", "b.txt", "c.gz"]  # by name, as gensim
    one = folder / "a.txt"
    assert list(PathLineSentences(one)) == list(gensim_w2v.PathLineSentences(str(one)))


def test_path_line_sentences_bad_input(tmp_path):
    from wordvec import PathLineSentences

    with pytest.raises(ValueError, match="neither a file nor a folder") as e:
        PathLineSentences(tmp_path / "nope")
    assert isinstance(e.value, WordvecError)
    (tmp_path / "sub").mkdir()  # gensim stops at a sub-folder with IsADirectoryError
    (tmp_path / "a.txt").write_text("x y\n")
    with pytest.raises(WordvecError, match="holds folders too.*sub"):
        PathLineSentences(tmp_path)


@pytest.mark.parametrize("block", [5, 64, 1 << 20])
@pytest.mark.parametrize("msl", [1, 3, 10000])
def test_text8_corpus_as_gensim(text_files, monkeypatch, block, msl):
    """One stream of words in fixed-size sentences, whatever the block size the file is read in (a block boundary
    can fall inside a word or inside a multi-byte character)."""
    gensim_w2v = pytest.importorskip("gensim.models.word2vec")
    from wordvec import Text8Corpus

    monkeypatch.setattr(Text8Corpus, "BLOCK", block)
    want = list(gensim_w2v.Text8Corpus(str(text_files[0]), msl))
    assert sum(map(len, want)) > 4000
    for path in text_files:
        corpus = Text8Corpus(path, max_sentence_length=msl)
        assert list(corpus) == want and list(corpus) == want


def test_text8_corpus_bad_bytes(tmp_path):
    from wordvec import Text8Corpus

    bad = tmp_path / "t8"
    bad.write_bytes(b"fine words here caf\xe9 more")
    with pytest.raises(UnicodeDecodeError, match="offset 19 are not valid UTF-8") as e:
        list(Text8Corpus(bad))
    assert isinstance(e.value, WordvecError)
