"""The attacker's round on everything fastText: flags, words, the gensim API, Facebook files, exports and resume.
Each case here failed (a traceback, a lost run, a silent misreading or a misleading error) before its fix."""

from __future__ import annotations

import json
import random
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from wordvec import FastText, cli, subwords
from wordvec.config import FASTTEXT, LAB
from wordvec.errors import WordvecError
from wordvec.fasttext import FastTextKeyedVectors
from wordvec.vectors import UnknownWordError

TEXTS = [["hello", "world", "foo", "bar", "baz"] * 3, ["good", "bad", "day", "school"] * 3] * 20
SMALL = ["--tokenizer", "simple", "--min-count", "1", "--vector-size", "8", "--epochs", "1", "--threads", "1",
         "--no-progress", "-q"]


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_error(code: int, out: str, err: str) -> str:
    """The one `wordvec: error:` line of a refused command (exit 2, nothing on stdout, no traceback)."""
    assert code == 2 and out == "" and "Traceback" not in err, (code, out, err)
    line = err.strip().splitlines()[-1]
    assert line.startswith("wordvec: error: "), err
    return line


def _edit_header(path, change) -> None:
    """Change wordvec's JSON header of a saved safetensors file in place (the tensors keep their checksums)."""
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = json.loads(header["__metadata__"]["wordvec"])
    change(meta)
    header["__metadata__"] = {"wordvec": json.dumps(meta)}
    body = json.dumps(header).encode()
    body += b" " * (-len(body) % 8)
    path.write_bytes(struct.pack("<Q", len(body)) + body + raw[8 + n:])


@pytest.fixture
def corpus(tmp_path):
    rng = random.Random(1)
    words = [f"w{i}" for i in range(200)] + ["hello", "world", "happy", "école", "naïve"]
    path = tmp_path / "corpus.txt"
    path.write_text("".join(" ".join(rng.choice(words) for _ in range(12)) + "\n" for _ in range(400)))
    return path


@pytest.fixture(scope="module")
def model():
    return FastText(TEXTS, min_count=1, bucket=100, vector_size=4, epochs=1, workers=1)


# ------------------------------------------------------------------------------------------------- words


def test_ngram_count_agrees_with_the_ngrams_listed():
    rng = random.Random(0)
    for _ in range(2000):
        word = "".join(rng.choice("ab\u00e9\U0001F600\ud800 ") for _ in range(rng.randint(0, 12)))
        lo, hi = rng.randint(0, 8), rng.randint(0, 10)
        assert subwords.ngram_count(len(word), lo, hi) == len(subwords.ngrams(word, lo, hi)), (word, lo, hi)


def test_a_query_on_a_word_without_ngrams_says_how_to_fix(model):
    with pytest.raises(UnknownWordError, match="no character n-grams of 3..6 characters.*1 or more characters"):
        model.wv.most_similar("")
    no_ngrams = FastTextKeyedVectors.from_arrays(["a"], np.ones((1, 2), np.float32), np.ones((5, 2), np.float32), 6,
                                                 3)
    with pytest.raises(UnknownWordError, match=r"no n-grams \(max_n < min_n\)"):
        no_ngrams.most_similar("abcdef")


def test_the_report_leaves_out_query_words_without_ngrams(tmp_path, corpus, capsys):
    config = FASTTEXT.replace(dataset=str(corpus), tokenizer="simple", min_count=1, vector_size=8, epochs=1,
                              threads=1, progress=False, bucket=500, query_words=("hello", "", "zz"))
    from wordvec.pipeline import train_pipeline

    metrics = train_pipeline(config, tmp_path / "run", quiet=True)  # no n-gram in '': left out, not a lost run
    assert set(metrics["neighbors"]) == {"hello", "zz"} and (tmp_path / "run" / "model.safetensors").is_file()


def test_neighbors_prints_nothing_when_one_word_has_no_vector(tmp_path, corpus, capsys):
    run = tmp_path / "run"
    assert cli.main(["train", "--preset", "fasttext", *SMALL, "--bucket", "500", "--dataset", str(corpus), "--out",
                     str(run)]) == 0
    capsys.readouterr()
    line = _one_error(*_cli(capsys, "neighbors", str(run), "hello", ""))
    assert "'' is not in the vocabulary and has no character n-grams" in line


def test_neighbors_refuses_words_that_are_not_utf8(tmp_path, corpus, capsys):
    run = tmp_path / "run"
    assert cli.main(["train", "--preset", "fasttext", *SMALL, "--bucket", "500", "--dataset", str(corpus), "--out",
                     str(run)]) == 0
    capsys.readouterr()
    undecodable = b"caf\xe9".decode("utf-8", "surrogateescape")  # what Python makes of a Latin-1 argv
    line = _one_error(*_cli(capsys, "neighbors", str(run), "hello", undecodable))
    assert "is not valid UTF-8" in line and "pass the words as UTF-8" in line


def test_a_huge_max_n_on_a_long_word_is_refused_before_hashing():
    kv = FastTextKeyedVectors.from_arrays(["a"], np.ones((1, 2), np.float32), np.ones((10, 2), np.float32), 3,
                                          1 << 20)  # max_n as a crafted .bin may declare it
    with pytest.raises(WordvecError, match="too many to hash; lower max_n"):
        kv["x" * 20_000]
    assert kv["x" * 200].shape == (2,)  # quadratic but small: answered
    wide = FastTextKeyedVectors.from_arrays(["a"], np.ones((1, 2), np.float32), np.ones((10, 2), np.float32), 3, 6)
    assert np.isfinite(wide["y" * 1_000_000]).all()  # a 1 MB word with fastText's max_n: linear, answered


# ------------------------------------------------------------------------------------------------- flags


@pytest.mark.parametrize("flags,message", [
    (["--min-n", "6", "--max-n", "3"], "--max-n 3 is below --min-n 6, so no word has n-grams and the 500 --bucket "
                                       "rows would never train; raise --max-n, or add --bucket 0"),
    (["--preset", "lab", "--subwords"], "the lab's --model softmax has none: use --preset fasttext"),
    (["--vector-size", "100000", "--bucket", "100000000"], "100,000,000 n-gram buckets x 100000 dimensions"),
])
def test_subword_flags_that_cannot_train_are_one_line_before_training(tmp_path, corpus, capsys, flags, message):
    argv = ["train", "--preset", "fasttext", *SMALL, "--bucket", "500", *flags, "--dataset", str(corpus), "--out",
            str(tmp_path / "run")]
    if flags[0] == "--preset":
        argv = ["train", *flags, *SMALL, "--bucket", "500", "--dataset", str(corpus), "--out", str(tmp_path / "run")]
    line = _one_error(*_cli(capsys, *argv))
    assert message in line and not (tmp_path / "run").exists()
    if flags[0] == "--vector-size":
        assert "lower --bucket, --vector-size" in line


def test_max_n_below_min_n_with_no_buckets_trains_word_rows(tmp_path, corpus, capsys):
    code, out, err = _cli(capsys, "train", "--preset", "fasttext", *SMALL, "--min-n", "6", "--max-n", "3",
                          "--bucket", "0", "--dataset", str(corpus), "--out", str(tmp_path / "run"))
    assert code == 0, err
    assert FASTTEXT.replace(min_n=6, max_n=3, bucket=0).validate().bucket == 0
    with pytest.raises(WordvecError, match="model softmax has none"):
        LAB.replace(subwords=True).validate()


# ------------------------------------------------------------------------------------------------- gensim API


@pytest.mark.parametrize("change", [{"bucket": 50}, {"min_n": 2}, {"max_n": 4}])
@pytest.mark.parametrize("step", ["train", "update"])
def test_changing_the_ngram_settings_of_a_built_model_is_refused(change, step):
    m = FastText(TEXTS, min_count=1, bucket=100, vector_size=4, epochs=1, workers=1)
    before = m.wv.vectors_ngrams.copy()
    for name, value in change.items():
        setattr(m, name, value)
    with pytest.raises(WordvecError, match=r"fixed once the vocabulary is built.*\(3, 6, 100\)"):
        if step == "train":
            m.train(TEXTS, total_examples=len(TEXTS), epochs=1)
        else:
            m.build_vocab([["new", "words"]], update=True)
    np.testing.assert_array_equal(m.wv.vectors_ngrams, before)
    m.build_vocab(TEXTS)  # a fresh vocabulary takes the new settings
    m.train(TEXTS, total_examples=len(TEXTS), epochs=1)
    assert (m.wv.min_n, m.wv.max_n, m.wv.bucket) == (m.min_n, m.max_n, m.bucket)


def test_matrices_that_cannot_fit_are_refused_before_allocating():
    with pytest.raises(WordvecError, match=r"2,147,483,647 rows .* lower bucket or vector_size"):
        FastTextKeyedVectors(1000, 3, 6, 2**31 - 1)
    with pytest.raises(WordvecError, match=r"100,000,000 n-gram buckets x 10000 dimensions.*lower bucket"):
        FastText(TEXTS, min_count=1, bucket=10**8, vector_size=10**4)
    m = FastText(TEXTS, min_count=1, bucket=100, vector_size=4, epochs=1, workers=1)
    m.bucket, m.vector_size = 10**8, 10**4
    with pytest.raises(WordvecError, match="lower bucket"):
        m.build_vocab(TEXTS)
    assert m._weights.syn0.shape == (len(m.wv) + 100, 4)  # the old model is untouched


# ------------------------------------------------------------------------------------------------- export


@pytest.fixture
def ft_run(tmp_path, corpus, capsys):
    run = tmp_path / "ft"
    assert cli.main(["train", "--preset", "fasttext", *SMALL, "--bucket", "300", "--dataset", str(corpus), "--out",
                     str(run)]) == 0
    capsys.readouterr()
    return run


def test_export_never_replaces_a_users_file_without_overwrite(ft_run, tmp_path, capsys):
    mine = tmp_path / "mine.bin"
    mine.write_bytes(b"precious")
    for fmt in ("fasttext-bin", "fasttext-vec", "word2vec-text", "safetensors"):
        line = _one_error(*_cli(capsys, "export", str(ft_run), "--format", fmt, "--out", str(mine)))
        assert "already exists; choose another --out, or add --overwrite" in line
        assert mine.read_bytes() == b"precious"
    line = _one_error(*_cli(capsys, "export", str(ft_run), "--format", "word2vec-text", "--out",
                            str(ft_run / "vectors.txt"), "--overwrite"))
    assert "is a file of the run being exported" in line
    line = _one_error(*_cli(capsys, "export", str(ft_run), "--format", "fasttext-bin", "--out", str(tmp_path)))
    assert "is a folder; give a file name" in line
    assert _cli(capsys, "export", str(ft_run), "--format", "fasttext-bin", "--out", str(mine), "--overwrite")[0] == 0
    from wordvec.fasttext import load_facebook_vectors
    from wordvec.rundir import load_vectors

    assert load_facebook_vectors(mine).index_to_key == load_vectors(ft_run).index_to_key


def test_export_takes_a_bin_and_other_vector_files(ft_run, tmp_path, capsys):
    from wordvec.fasttext import load_facebook_model

    first = tmp_path / "a.bin"
    assert _cli(capsys, "export", str(ft_run), "--format", "fasttext-bin", "--out", str(first))[0] == 0
    again = tmp_path / "b.bin"
    code, out, err = _cli(capsys, "export", str(first), "--format", "fasttext-bin", "--out", str(again))
    assert code == 0 and f"wrote {again}" in out, err
    assert again.read_bytes() == first.read_bytes()  # hyperparameters and output matrix kept
    assert _cli(capsys, "export", str(first), "--format", "fasttext-vec", "--out", str(tmp_path / "a.vec"))[0] == 0
    model = load_facebook_model(first)
    header = (tmp_path / "a.vec").read_text(encoding="utf-8").splitlines()[0]
    assert header == f"{len(model.wv)} 8"
    model.wv.save(tmp_path / "a.kv")
    assert _cli(capsys, "export", str(tmp_path / "a.kv"), "--format", "fasttext-bin", "--out",
                str(tmp_path / "c.bin"))[0] == 0
    np.testing.assert_array_equal(load_facebook_model(tmp_path / "c.bin").wv.vectors_ngrams, model.wv.vectors_ngrams)
    for argv, message in [
        (["--format", "fasttext-bin", "--out", str(tmp_path / "d.bin"), "--limit", "3"], "drop --limit"),
        (["--format", "fasttext-vec", "--out", str(tmp_path / "d.vec"), "--vectors", "input"], "leave --vectors out"),
        (["--format", "fasttext-bin", "--out", str(first), "--overwrite"], "is the file being exported"),
    ]:
        assert message in _one_error(*_cli(capsys, "export", str(first), *argv))
    line = _one_error(*_cli(capsys, "export", str(tmp_path / "a.vec"), "--format", "fasttext-bin", "--out",
                            str(tmp_path / "e.bin")))
    assert "these vectors are word2vec's; use --format fasttext-vec" in line
    assert not (tmp_path / "d.bin").exists() and not (tmp_path / "e.bin").exists()


def test_neighbors_opens_a_fasttext_model_file(tmp_path, capsys):
    m = FastText(TEXTS, min_count=1, bucket=100, vector_size=4, epochs=1, workers=1)
    m.save(tmp_path / "ft.model")
    code, out, err = _cli(capsys, "neighbors", str(tmp_path / "ft.model"), "helloo", "-k", "2")
    assert code == 0, err
    assert out.splitlines()[0] == "helloo: not in the vocabulary; its vector was built from its character n-grams"
    from wordvec.explore import Explorer

    answer = Explorer.open([tmp_path / "ft.model"]).neighbors(0, "helloo", 2)  # the explorer opens it too
    assert [n["word"] for n in answer["neighbors"]] == [w for w, _ in m.wv.most_similar("helloo", topn=2)]


# ------------------------------------------------------------------------------------------------- Facebook files


def test_a_gz_holding_a_huge_matrix_of_zeros_is_refused_before_reading_it(tmp_path):
    """A .gz's size is unknown up front: 200 MB of zeros pack into 200 KB, so what it declares is bounded by what
    its compressed size could hold at a real model's ratio (a lying header no longer costs the memory it asks)."""
    import tracemalloc

    from wordvec import fbformat
    from wordvec.fasttext import load_facebook_model, load_facebook_vectors

    dim, bucket, words = 100, 500_000, ["hello", "world"]
    args = {"dim": dim, "ws": 5, "epoch": 5, "minCount": 1, "neg": 5, "wordNgrams": 1, "loss": 2, "model": 2,
            "bucket": bucket, "minn": 3, "maxn": 6, "lrUpdateRate": 100, "t": 1e-4}
    bomb = tmp_path / "bomb.bin.gz"
    fbformat.write_model(bomb, fbformat.FacebookModel(args, words, np.ones(2, np.int64), 2, (
        np.ones((2, dim), np.float32), np.zeros((bucket, dim), np.float32)), None))
    assert bomb.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        for load in (load_facebook_model, load_facebook_vectors):
            with pytest.raises(fbformat.FastTextFileError, match=r"the input matrix needs 200,000,800 bytes.*gunzip"):
                load(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20
    small = tmp_path / "small.bin.gz"  # a small model with zero rows (vectors saved alone) still reads
    fbformat.write_model(small, fbformat.FacebookModel(dict(args, bucket=1000), words, np.ones(2, np.int64), 2, (
        np.ones((2, dim), np.float32), np.zeros((1000, dim), np.float32)), None))
    assert load_facebook_vectors(small).vectors_ngrams.shape == (1000, dim)


# ------------------------------------------------------------------------------------------------- resume, engines


def test_resuming_a_fasttext_checkpoint_as_word2vec_names_subwords(tmp_path):
    from test_resume import _corpus, _run, _terminated

    data = _corpus(tmp_path / "data", "sgns")
    out = tmp_path / "run"
    common = ["--tokenizer", "simple", "--min-count", "1", "--vector-size", "8", "--threads", "1", "--no-progress",
              "-q", "--epochs", "40", "--dataset", str(data), "--out", str(out)]
    args = [sys.executable, "-m", "wordvec", "train", "--preset", "fasttext", "--bucket", "2000", *common]
    code, err = _terminated(args, tmp_path / ".run.lock")
    assert code == 143, err
    # sgns with fastText's rates: only the subword model differs, and the refusal must say so
    as_sgns = _run([sys.executable, "-m", "wordvec", "train", "--preset", "sgns", "--sample", "1e-4", "--lr", "0.05",
                    "--min-lr", "0", *common, "--resume"])
    assert as_sgns.returncode == 2 and "Traceback" not in as_sgns.stderr
    line = as_sgns.stderr.strip().splitlines()[-1]
    assert "was written by a different run: --subwords on -> off" in line and "damaged" not in line, line
    resumed = _run(args + ["--resume", "--loss-every", "777"])
    assert resumed.returncode == 0, resumed.stderr
    assert "--loss-every 777 is not applied on --resume: the run keeps the checkpoint's spacing of" in \
        resumed.stderr


@pytest.mark.parametrize("preset", ["fasttext", "sgns"])
def test_launch_batch_ignored_by_backend_auto_on_the_cpu_is_said_once(tmp_path, corpus, capsys, preset):
    code, out, err = _cli(capsys, "train", "--preset", preset, *SMALL, "--backend", "auto", "--launch-batch", "100",
                          "--dataset", str(corpus), "--out", str(tmp_path / "run"), "--device", "cpu",
                          *(["--bucket", "300"] if preset == "fasttext" else []))
    assert code == 0, err
    said = [line for line in err.splitlines() if "--launch-batch" in line]
    assert len(said) == 1 and "--launch-batch 100 is ignored" in said[0] and "use --backend torch" in said[0]


def test_launch_batch_of_the_torch_backend_is_not_called_ignored(tmp_path, corpus, capsys):
    """fasttext trains on the torch backend too: there --launch-batch sets its launches, and no warning says
    otherwise."""
    code, out, err = _cli(capsys, "train", "--preset", "fasttext", *SMALL, "--bucket", "300", "--backend", "torch",
                          "--device", "cpu", "--launch-batch", "100", "--dataset", str(corpus),
                          "--out", str(tmp_path / "run"))
    assert code == 0, err
    assert "--launch-batch 100 is ignored" not in err, err


def test_resume_across_word2vec_and_fasttext_names_the_subword_model_alone(tmp_path):
    from wordvec.config import SGNS
    from wordvec.pipeline import check_resume

    data = {"vocabulary": "same", "tokens": 10, "documents": 2}
    ft, w2v = FASTTEXT.identity_dict(), FASTTEXT.replace(subwords=False).identity_dict()
    for theirs, want, said in [(ft, w2v, "--subwords on -> off (the checkpoint is a fasttext run's)"),
                               (w2v, ft, "--subwords off -> on (the checkpoint is a word2vec run's)")]:
        with pytest.raises(WordvecError) as e:
            check_resume(tmp_path / "x.checkpoint", {"identity": {"config": theirs, **data}}, {"config": want, **data})
        assert f"different run: {said}; resume with" in str(e.value)  # and no min_n / max_n / bucket noise
    sgns = SGNS.replace(sample=1e-4).identity_dict()
    with pytest.raises(WordvecError, match=r"--subwords off -> on .*; --lr 0.025 -> 0.05"):
        check_resume(tmp_path / "x.checkpoint", {"identity": {"config": sgns, **data}}, {"config": ft, **data})


# ------------------------------------------------------------------------------------------------- writing words


def test_a_word_no_fasttext_file_can_hold_is_one_clear_error(tmp_path):
    from wordvec.fasttext import save_facebook_model

    for word, said in [("c\ud800d", "cannot be written as utf-8"), ("e\0f", "remove NUL bytes from the corpus")]:
        m = FastText([["good", word, "day"] * 5] * 10, min_count=1, bucket=50, vector_size=4, epochs=1, workers=1)
        with pytest.raises(WordvecError, match=said):
            save_facebook_model(m, tmp_path / "m.bin")
        assert not (tmp_path / "m.bin").exists()
    with pytest.raises(WordvecError, match="unknown encoding 'nope'"):
        save_facebook_model(m, tmp_path / "m.bin", encoding="nope")


def test_adjust_vectors_with_matrices_that_do_not_fit_the_words_says_so(model):
    kv = FastTextKeyedVectors.from_arrays(model.wv.index_to_key, model.wv.vectors_vocab.copy(),
                                          model.wv.vectors_ngrams.copy(), 3, 6)
    kv.vectors_vocab = kv.vectors_vocab[:0]  # gensim users assign these directly
    with pytest.raises(WordvecError, match=r"vectors_vocab \(0, 4\) and vectors_ngrams \(100, 4\) do not fit 9 words"):
        kv.adjust_vectors()


def test_a_fasttext_lockf_of_the_wrong_length_counts_the_buckets_it_needs():
    m = FastText(TEXTS, min_count=1, bucket=100, vector_size=4, epochs=1, workers=1)
    m.wv.vectors_lockf = np.zeros(len(m.wv), np.float32)  # one per word: the buckets have none
    with pytest.raises(WordvecError, match=r"one finite factor per input row \(109: 9 words, then 100 n-gram "
                                           r"buckets\) or a single one, got 9 value\(s\)"):
        m.train(TEXTS, total_examples=len(TEXTS), epochs=1)
    before = m._weights.syn0.copy()
    m.wv.vectors_lockf = np.zeros(len(m.wv) + 100, np.float32)
    m.train(TEXTS, total_examples=len(TEXTS), epochs=1)
    np.testing.assert_array_equal(m._weights.syn0, before)  # every row frozen, buckets too


@pytest.mark.parametrize("lockf", [np.zeros(109, np.float32), np.float32(0.0)])
def test_a_saved_fasttext_model_keeps_its_frozen_rows(tmp_path, lockf):
    """A factor per input row (words, then buckets) or a single one was dropped by save(): the loaded model
    trained rows the user had frozen."""
    m = FastText(TEXTS, min_count=1, bucket=100, vector_size=4, epochs=1, workers=1)
    m.wv.vectors_lockf = lockf
    m.save(tmp_path / "m.model")
    back = FastText.load(tmp_path / "m.model")
    before = back._weights.syn0.copy()
    back.train(TEXTS, total_examples=len(TEXTS), epochs=1)
    np.testing.assert_array_equal(back._weights.syn0, before)


@pytest.mark.parametrize("field,value", [("min_n", 1.5), ("max_n", -1), ("bucket", True), ("min_n", "3")])
def test_a_fasttextkeyedvectors_file_with_a_bad_setting_is_damaged(tmp_path, model, field, value):
    path = tmp_path / "wv.kv"
    model.wv.save(path)
    _edit_header(path, lambda meta: meta.update({field: value}))
    with pytest.raises(WordvecError, match=f"not a complete FastTextKeyedVectors file .*{field}.*the file is damaged"):
        FastTextKeyedVectors.load(path)


def test_a_fasttext_model_whose_bucket_disagrees_with_its_rows_says_so(tmp_path, model):
    path = tmp_path / "m.model"
    model.save(path)
    _edit_header(path, lambda meta: (meta["config"].update(bucket=50), meta["word2vec"].update(bucket=50)))
    with pytest.raises(WordvecError, match=r"embed.weight has 109 rows, but 9 words \+ bucket 50 need 59; the file "
                                           r"is damaged"):
        FastText.load(path)


def test_an_unseen_word_is_hashed_as_the_runs_tokenizer_makes_it(model):
    """'HAPPPY' in a lower-casing run was hashed as typed: n-grams the buckets never saw, so its neighbours were
    noise while 'happpy' found 'happy'."""
    kv = FastTextKeyedVectors.from_arrays(model.wv.index_to_key, model.wv.vectors_vocab, model.wv.vectors_ngrams, 3,
                                          6, tokenizer="gensim")
    np.testing.assert_array_equal(kv["HELLOO"], kv["helloo"])
    np.testing.assert_array_equal(kv[["Worldd!", "x"]][0], kv["worldd"])
    assert kv.most_similar("HELLOO", topn=3) == kv.most_similar("helloo", topn=3)
    plain = FastTextKeyedVectors.from_arrays(model.wv.index_to_key, model.wv.vectors_vocab, model.wv.vectors_ngrams,
                                             3, 6)  # no tokenizer (a .bin): the word as given
    assert not np.array_equal(plain["HELLOO"], plain["helloo"])


def test_a_bin_larger_than_memory_is_refused_before_allocating(tmp_path, model, monkeypatch):
    from wordvec import fbformat
    from wordvec.fasttext import load_facebook_vectors, save_facebook_model

    path = tmp_path / "m.bin"
    save_facebook_model(model, path)
    monkeypatch.setattr(fbformat, "available_memory", lambda: 1024)  # a machine smaller than the file's matrix
    with pytest.raises(fbformat.FastTextFileError, match=r"the input matrix \(109 x 4\) needs 0.0 GiB but only 0.0 "
                                                         r"GiB is available; read it on a machine with more memory"):
        load_facebook_vectors(path)
    monkeypatch.setattr(fbformat, "available_memory", lambda: None)  # unknown: read
    assert load_facebook_vectors(path).vectors_ngrams.shape == (100, 4)


@pytest.mark.parametrize("change,said", [({"lr_update_rate": -5}, "lrUpdateRate -5"),
                                         ({"lr_update_rate": 2**40}, "lrUpdateRate 1099511627776"),
                                         ({"window": -3}, "ws -3"), ({"window": 2**33}, "ws 8589934592"),
                                         ({"sample": float("nan")}, "t nan")])
def test_save_facebook_model_never_writes_a_file_the_reader_refuses(tmp_path, change, said):
    """A negative or beyond-32-bit hyperparameter was written (or crashed struct.pack mid-file): fastText, gensim
    and wordvec then refused the file as damaged."""
    from wordvec.fasttext import save_facebook_model

    m = FastText(TEXTS, min_count=1, bucket=50, vector_size=4, epochs=1, workers=1)
    kwargs = {k: v for k, v in change.items() if k == "lr_update_rate"}
    for name, value in change.items():
        if name != "lr_update_rate":
            setattr(m, name, value)
    with pytest.raises(WordvecError, match=f"a fastText file cannot hold these hyperparameters: {said} "):
        save_facebook_model(m, tmp_path / "m.bin", **kwargs)
    assert not (tmp_path / "m.bin").exists()


@pytest.mark.parametrize("count", [2**70, "x", None, float("inf")])
def test_build_vocab_from_freq_with_a_count_that_is_no_count_is_one_error(count):
    m = FastText(vector_size=4, min_count=1, bucket=50, workers=1)
    with pytest.raises(WordvecError, match=r"word_freq must map words to counts \(integers below 2\*\*63\), but "
                                           r"'a' maps to"):
        m.build_vocab_from_freq({"abc": 3, "a": count})
    assert m.wv.index_to_key == []


def test_a_bin_whose_maxn_makes_a_word_unhashable_is_a_fasttext_file_error(tmp_path):
    from wordvec import fbformat
    from wordvec.fasttext import load_facebook_vectors

    args = {"dim": 4, "ws": 5, "epoch": 5, "minCount": 1, "neg": 5, "wordNgrams": 1, "loss": 2, "model": 2,
            "bucket": 10, "minn": 3, "maxn": 10**9, "lrUpdateRate": 100, "t": 1e-4}
    path = tmp_path / "maxn.bin"
    fbformat.write_model(path, fbformat.FacebookModel(args, ["x" * 5000, "ok"], np.ones(2, np.int64), 2,
                                                      np.ones((12, 4), np.float32), np.ones((2, 4), np.float32)))
    with pytest.raises(fbformat.FastTextFileError, match=r"maxn.bin: the word .* too many to hash.*not one fastText"):
        load_facebook_vectors(path)


def test_a_damaged_checkpoint_on_resume_says_how_to_start_again(tmp_path, corpus, capsys):
    out = tmp_path / "run"
    ckpt = tmp_path / "run.checkpoint"
    ckpt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": 1")  # cut inside its header
    line = _one_error(*_cli(capsys, "train", "--preset", "fasttext", *SMALL, "--bucket", "300", "--dataset",
                            str(corpus), "--out", str(out), "--resume"))
    assert "the file is damaged" in line and "start afresh without --resume (with --overwrite" in line
    assert ckpt.read_bytes().startswith(b"\x10") and not out.exists()  # the user's file is kept


def test_wmdistance_takes_unseen_words_through_their_ngrams_as_gensim():
    """It dropped every word without a row, so a document of unseen words was 'infinitely' far (gensim: its
    n-gram vectors)."""
    pytest.importorskip("ot")
    from fasttext_data import datapath, gensim_fasttext

    from wordvec.fasttext import load_facebook_vectors

    path = datapath("crime-and-punishment.bin")
    ours, theirs = load_facebook_vectors(path), gensim_fasttext().load_facebook_vectors(path)
    for doc1, doc2 in [(["landlordd", "steamtrain"], ["landlady", "went"]), (["happpy"], ["sadd", "day"])]:
        assert ours.wmdistance(doc1, doc2) == pytest.approx(theirs.wmdistance(doc1, doc2), rel=1e-5)


def test_a_bin_without_buckets_says_maxn_0_so_fasttext_can_load_it(tmp_path):
    """A bucket-0 model was written with maxn 6: Facebook's fastText hashes every word's n-grams modulo bucket on
    load and died of a floating point exception (SIGFPE). maxn 0 is fastText's own 'no n-grams'."""
    from wordvec.fasttext import load_facebook_vectors, save_facebook_model

    rng = np.random.default_rng(0)
    kv = FastTextKeyedVectors.from_arrays(["good", "day"], rng.standard_normal((2, 4)).astype(np.float32),
                                          np.zeros((0, 4), np.float32), 3, 6)
    path = save_facebook_model(kv, tmp_path / "b0.bin")
    dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn = struct.unpack(
        "<11i", path.read_bytes()[8:52])
    assert (dim, bucket, maxn) == (4, 0, 0)
    back = load_facebook_vectors(path)
    np.testing.assert_array_equal(back.vectors, kv.vectors)  # (gensim reads no bucket-0 .bin, maxn 0 or not)


def test_a_plain_keyedvectors_assigned_to_a_fasttext_model_is_one_error(tmp_path):
    from wordvec import KeyedVectors

    m = FastText(TEXTS, min_count=1, bucket=100, vector_size=4, epochs=1, workers=1)
    m.wv = KeyedVectors(m.wv.index_to_key, m.wv.vectors.copy())
    for step in (lambda: m.train(TEXTS, total_examples=len(TEXTS), epochs=1), lambda: m.save(tmp_path / "m.model"),
                 lambda: m.build_vocab([["new", "words"]], update=True)):
        with pytest.raises(WordvecError, match="model.wv is a KeyedVectors, but a FastText model trains and saves"):
            step()
    assert not (tmp_path / "m.model").exists()


# ------------------------------------------------------------------------------------------------- Facebook's fastText


def test_facebook_fasttext_reads_our_bin_with_our_vectors(tmp_path, corpus, capsys):
    """The oracle for the files: Facebook's fastText (`fasttext` from the package index, where installed) loads
    what `wordvec export` writes, hs and bucket 0 included, and gives the same vectors for seen and unseen words."""
    fasttext = pytest.importorskip("fasttext")
    from wordvec.rundir import load_vectors

    words = ["hello", "école", "naïve", "w1", "zzz", "écolle", "😀😀", "\u0301a", "helloo"]
    for flags in (["--loss", "hs", "--bucket", "300"], ["--bucket", "0"]):
        run, out = tmp_path / f"run{flags[-1]}", tmp_path / f"run{flags[-1]}.bin"
        assert cli.main(["train", "--preset", "fasttext", *SMALL, *flags, "--dataset", str(corpus), "--out",
                         str(run)]) == 0
        assert cli.main(["export", str(run), "--format", "fasttext-bin", "--out", str(out)]) == 0
        ours, theirs = load_vectors(run), fasttext.load_model(str(out))
        known = [w for w in words if flags[-1] != "0" or ours.has_index_for(w)]
        np.testing.assert_allclose(np.stack([theirs.get_word_vector(w) for w in known]), ours[known], atol=1e-6)
    capsys.readouterr()


@pytest.mark.parametrize("name", ["crime-and-punishment.bin", "lee_fasttext_new.bin"])
def test_a_bin_facebook_fasttext_wrote_exports_byte_for_byte_and_reads_its_vectors(tmp_path, capsys, name):
    fasttext = pytest.importorskip("fasttext")
    from fasttext_data import datapath

    from wordvec.fasttext import load_facebook_model

    source = Path(datapath(name))  # gensim's test files, written by fastText
    copy = tmp_path / "copy.bin"
    assert cli.main(["export", str(source), "--format", "fasttext-bin", "--out", str(copy)]) == 0
    if struct.unpack("<2i", source.read_bytes()[:8]) == (793712314, 12):  # wordvec writes version 12
        assert copy.read_bytes() == source.read_bytes()
    ours, theirs = load_facebook_model(copy), fasttext.load_model(str(source))
    queries = [w for w in ours.wv.index_to_key[:50] if w != "</s>"] + ["tomorrrow", "écolle", "😀", "landlordd"]
    np.testing.assert_allclose(ours.wv[queries], np.stack([theirs.get_word_vector(w) for w in queries]), rtol=1e-5,
                               atol=1e-6)  # ('</s>' differs: fastText gives it no n-grams, gensim does)
    capsys.readouterr()
