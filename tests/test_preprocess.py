"""Preprocessing (SPEC step 1.2) against the lab's own split_tokens."""

from __future__ import annotations

import pytest

from wordvec.errors import WordvecError
from wordvec.preprocess import (LabTokenizer, SimpleTokenizer, english_stopwords, get_tokenizer, split_tokens,
                                tokenize_all)


def test_shipped_stopwords_equal_nltk_file(nltk_stopwords_file, ref):
    words = [w for w in nltk_stopwords_file.read_text(encoding="utf-8").split("\n") if w]
    assert len(words) == 179 == len(set(words))
    assert english_stopwords() == frozenset(words)
    assert english_stopwords() == frozenset(ref.stopwords_english())  # and what NLTK's reader returns


EDGE_CASES = [
    "",
    " ",
    "     ",
    "!!! ... ??? ,,, 123 456",
    "@",
    "#",
    "# @ #@ @#",
    "@user @user #love #Love #LOVE",
    "THE QUICK Brown FOX Jumps",
    "multiple     spaces\tand\ttabs\nand newlines",
    "  leading and trailing  ",
    "mojibake: #newmaterialsâ¦ the new â  #birdsâ #movie â and hereâs why ð\x9f\x98\x80",
    "can't won't don't i'm you're it's",
    "running runs runner ran easily fairly generously",
    "the a an and or but is are was were",  # only stopwords
    "naïve café résumé über",
    "e-mail co-operate re@tweet a#b",
    "x y z aa bb",
    "#1 #2 #hashtag_with_underscore @user_1",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_lab_tokenizer_equals_reference_on_edge_cases(ref, text):
    assert LabTokenizer()(text) == ref.split_tokens(text)
    assert split_tokens(text) == ref.split_tokens(text)


def test_lab_tokenizer_memo_gives_same_results_on_repeats(ref):
    tok = LabTokenizer()
    texts = EDGE_CASES * 3
    assert [tok(t) for t in texts] == [ref.split_tokens(t) for t in texts]


@pytest.mark.parametrize("split", ["train", "test"])
def test_lab_tokenizer_equals_reference_on_real_tweets(ref, lab_data, split):
    texts = lab_data.train_texts if split == "train" else lab_data.test_texts
    tokens = lab_data.train_tokens if split == "train" else lab_data.test_tokens
    n = 2000
    expected = [ref.split_tokens(t) for t in texts[:n]]
    assert tokens[:n] == expected  # the shared tokenizer instance, memo warm over the whole split
    assert tokenize_all(texts[:n], "lab") == expected


def test_first_tweet_tokens(ref, lab_data):
    # the lab's own first row, as a smoke check that the data and the tokenizer line up
    assert lab_data.train_tokens[0] == ref.split_tokens(lab_data.train_texts[0])
    assert lab_data.train_tokens[0][:2] == ["@user", "father"]


def test_simple_tokenizer():
    tok = get_tokenizer("simple")
    assert isinstance(tok, SimpleTokenizer)
    assert tok("Hello  World\tFOO\nbar ") == ["hello", "world", "foo", "bar"]
    assert tok("") == []
    assert tok("   ") == []
    assert tok("don't #Tag @User") == ["don't", "#tag", "@user"]
    assert tokenize_all(["A b", "C"], "simple") == [["a", "b"], ["c"]]


def test_get_tokenizer_lab():
    assert isinstance(get_tokenizer("lab"), LabTokenizer)


@pytest.mark.parametrize("name", ["bert", "", "Lab"])
def test_unknown_tokenizer_is_a_wordvec_error(name):
    with pytest.raises(WordvecError, match="tokenizer"):
        get_tokenizer(name)
    with pytest.raises(WordvecError, match="tokenizer"):
        tokenize_all(["a b"], name)
