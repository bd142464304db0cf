"""The vocabulary (issue #2 item 4) against the lab's Counter / dict / remove_rare_tokens."""

from __future__ import annotations

import random

import numpy as np
import pytest

import lab_reference as lab
from wordvec.errors import WordvecError
from wordvec.vocab import Encoded, Vocab, build_and_encode

SMALL = [
    ["b", "a", "c", "a"],
    [],
    ["c", "d", "a", "b", "b"],
    ["e"],
    ["d", "c", "a", "x", "y", "c"],
    [],
]


def _reference(token_lists, min_count):
    vocab, id2tok, tok2id = lab.build_vocab(token_lists, threshold=min_count - 1)
    docs = [[tok2id[t] for t in lab.remove_rare_tokens(toks, vocab)] for toks in token_lists]
    return vocab, id2tok, tok2id, docs


def _check(token_lists, min_count):
    vocab, enc = build_and_encode(token_lists, min_count=min_count)
    ref_vocab, id2tok, tok2id, docs = _reference(token_lists, min_count)
    assert vocab.id2tok == [id2tok[i] for i in range(len(id2tok))]
    assert vocab.tok2id == tok2id
    assert vocab.counts.tolist() == [ref_vocab[t] for t in vocab.id2tok]
    assert enc.n_docs == len(token_lists)
    assert enc.offsets[0] == 0 and enc.offsets[-1] == len(enc.ids)
    assert [enc.doc(d).tolist() for d in range(enc.n_docs)] == docs
    assert enc.ids.dtype == np.int32
    # Vocab.encode is the lab's remove_rare_tokens + tok2id too
    enc2 = vocab.encode(token_lists)
    assert np.array_equal(enc2.ids, enc.ids) and np.array_equal(enc2.offsets, enc.offsets)
    return vocab, enc


@pytest.mark.parametrize("min_count", [1, 2, 3, 4])
def test_small_hand_made(min_count):
    _check(SMALL, min_count)


def test_min_count_is_at_least():
    vocab, _ = build_and_encode(SMALL, min_count=3)
    # counts: a 4, b 3, c 4, d 2, e 1, x 1, y 1 -> kept: count >= 3, first-seen order
    assert vocab.id2tok == ["b", "a", "c"]
    assert vocab.counts.tolist() == [3, 4, 4]


def test_random_corpus_matches_reference():
    rng = random.Random(7)
    words = [f"w{i}" for i in range(60)]
    weights = [1 / (i + 1) for i in range(60)]
    docs = [rng.choices(words, weights, k=rng.randint(0, 15)) for _ in range(400)]
    for mc in (1, 2, 5, 11, 30):
        _check(docs, mc)


def test_real_sample_matches_reference_lab_threshold(lab_data):
    sample = lab_data.train_tokens[:5000]
    # the lab's `count > 10` is min_count 11
    vocab, _ = _check(sample, 11)
    ref_vocab, _, _ = lab.build_vocab(sample, threshold=10)
    assert set(vocab.id2tok) == set(ref_vocab)


def test_real_full_train_vocab_matches_reference(lab_data):
    ref_vocab, id2tok, tok2id = lab.build_vocab(lab_data.train_tokens, threshold=10)
    assert lab_data.vocab.id2tok == list(ref_vocab)
    assert lab_data.vocab.tok2id == tok2id
    assert lab_data.vocab.counts.tolist() == list(ref_vocab.values())


def test_real_test_split_encoding_matches_reference(lab_data):
    tok2id = lab_data.vocab.tok2id
    n = 3000
    expected = [[tok2id[t] for t in lab.remove_rare_tokens(toks, tok2id)] for toks in lab_data.test_tokens[:n]]
    got = [lab_data.test_enc.doc(d).tolist() for d in range(n)]
    assert got == expected
    assert lab_data.test_enc.n_docs == len(lab_data.test_tokens)


def _zipf_docs(n_docs=2000, n_types=300, seed=0):
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, n_types + 1)
    return [[f"w{i}" for i in rng.choice(n_types, rng.integers(1, 30), p=p / p.sum())] for _ in range(n_docs)]


@pytest.mark.parametrize("kw", [dict(min_count=1, max_vocab_size=50), dict(min_count=2, max_vocab_size=120),
                                dict(min_count=1, max_final_vocab=40), dict(min_count=5, max_final_vocab=200),
                                dict(min_count=3)])
def test_vocabulary_settings_match_gensim(kw):
    """max_vocab_size prunes during the scan, max_final_vocab raises min_count: the words and counts gensim keeps."""
    gensim = pytest.importorskip("gensim")
    docs = _zipf_docs()
    model = gensim.models.Word2Vec(vector_size=4, **kw)
    model.build_vocab(docs)
    want = {w: model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key}
    vocab, enc = build_and_encode(docs, kw["min_count"], kw.get("max_vocab_size"),
                                  max_final_vocab=kw.get("max_final_vocab"), sort_by_count=True)
    assert dict(zip(vocab.id2tok, vocab.counts.tolist())) == want
    assert np.all(np.diff(vocab.counts) <= 0)
    # every occurrence of a kept word is trained on, also those counted before the word was pruned
    assert len(enc) == sum(1 for d in docs for w in d if w in want)


def test_sorted_order_ties_first_seen_trim_rule_and_null_word():
    from wordvec.vocab import RULE_DISCARD, RULE_KEEP

    docs = [["a", "b", "c", "d"], ["d", "d", "c", "c", "b"], ["d", "e", "e", "e"]]
    # counts: a 1, b 2, c 3, d 4, e 3
    vocab, enc = build_and_encode(docs, min_count=1, sort_by_count=True)  # ties: last seen first, as gensim 4.4
    assert vocab.id2tok == ["d", "e", "c", "b", "a"] and vocab.counts.tolist() == [4, 3, 3, 2, 1]
    assert enc.doc(0).tolist() == [4, 3, 2, 0]
    rule = lambda w, c, m: RULE_KEEP if w == "a" else (RULE_DISCARD if w == "d" else 0)  # noqa: E731
    vocab, _ = build_and_encode(docs, min_count=3, trim_rule=rule)
    assert vocab.id2tok == ["a", "c", "e"]
    vocab, enc = build_and_encode(docs, min_count=3, null_word=True)
    assert vocab.id2tok == ["c", "d", "e", "\0"] and vocab.counts[-1] == 1 and enc.ids.max() < 3
    vocab, enc = build_and_encode(docs, min_count=1, null_word=True, sort_by_count=True)
    assert vocab.id2tok == ["d", "e", "c", "b", "\0", "a"] and enc.ids.max() < 6 and 4 not in enc.ids
    vocab, _ = build_and_encode(docs, min_count=1, max_final_vocab=2)  # the cut falls between counts: 4 | 3 3
    assert vocab.id2tok == ["d"]


def test_strings_instead_of_token_lists_are_refused():
    with pytest.raises(WordvecError, match="string, not a list of tokens"):
        build_and_encode(["a sentence", "another one"], min_count=1)


def test_streamed_input_is_read_once():
    def gen():
        yield from SMALL

    vocab, enc = build_and_encode(gen(), min_count=2)
    ref = build_and_encode(SMALL, min_count=2)
    assert vocab.id2tok == ref[0].id2tok and np.array_equal(enc.ids, ref[1].ids)


def test_empty_vocab_is_an_error():
    with pytest.raises(WordvecError, match="min-count"):
        build_and_encode(SMALL, min_count=100)
    with pytest.raises(WordvecError, match="no tokens"):
        build_and_encode([[], []], min_count=1)
    with pytest.raises(WordvecError):
        build_and_encode([], min_count=1)
    with pytest.raises(WordvecError):
        Vocab.build(SMALL, min_count=5)


def test_encode_drops_unknown_and_keeps_empty_docs():
    vocab = Vocab(["a", "b"], [5, 3])
    enc = vocab.encode([["a", "z", "b"], [], ["z"], ["b", "b"]])
    assert enc.n_docs == 4
    assert enc.lengths.tolist() == [2, 0, 0, 2]
    assert enc.ids.tolist() == [0, 1, 1, 1]
    assert vocab.decode(enc.ids) == ["a", "b", "b", "b"]


def test_vocab_lookup():
    vocab = Vocab(["x", "y"], [2, 1])
    assert len(vocab) == 2 and vocab["y"] == 1 and "x" in vocab and "z" not in vocab and vocab.total == 3


def test_vocab_rejects_duplicates_and_bad_counts():
    with pytest.raises(WordvecError):
        Vocab(["a", "a"], [1, 2])
    with pytest.raises(WordvecError):
        Vocab(["a", "b"], [1])


def test_encoded_from_docs():
    enc = Encoded.from_docs([[1, 2], [], [3]])
    assert enc.ids.tolist() == [1, 2, 3] and enc.offsets.tolist() == [0, 2, 2, 3] and enc.n_docs == 3


def test_save_load_round_trip(tmp_path):
    vocab, _ = build_and_encode(SMALL + [["#tag", "@user", "ünï"]] * 3, min_count=2)
    path = tmp_path / "vocab.txt"
    vocab.save(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [f"{t}\t{c}" for t, c in zip(vocab.id2tok, vocab.counts.tolist())]  # line i = id i
    assert not list(tmp_path.glob("*.tmp"))
    back = Vocab.load(path)
    assert back.id2tok == vocab.id2tok and back.tok2id == vocab.tok2id
    assert back.counts.tolist() == vocab.counts.tolist()


def test_save_load_real_vocab(tmp_path, lab_data):
    path = tmp_path / "vocab.txt"
    lab_data.vocab.save(path)
    back = Vocab.load(path)
    assert back.id2tok == lab_data.vocab.id2tok and np.array_equal(back.counts, lab_data.vocab.counts)


@pytest.mark.parametrize("content", [
    "a\t1\nb\n",  # no count
    "a\t1\nb\tx\n",  # count not a number
    "a 1\n",  # space, not tab
    "a\t1\t2\n",  # three fields
    "a\t1\na\t2\n",  # duplicate token
    "\n",  # blank line
])
def test_malformed_vocab_file(tmp_path, content):
    path = tmp_path / "vocab.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WordvecError):
        Vocab.load(path)
