"""The attacker's round on the gensim API additions, the fastText files, --tokenizer auto, --launch-batch and the
explorer: each case here failed (a traceback, a dropped connection, a silent misreading or a misleading error)
before its fix."""

from __future__ import annotations

import csv
import gzip
import http.client
import json
import logging
import pickle
import struct
import threading

import numpy as np
import pytest

from fakes import make_run
from wordvec import cli, fbformat
from wordvec.config import Config
from wordvec.corpus import default_tokenizer, load_corpus
from wordvec.errors import WordvecError
from wordvec.explore import Explorer, Source, make_server
from wordvec.fasttext import FastTextKeyedVectors, load_facebook_model, load_facebook_vectors, save_facebook_model
from wordvec.vectors import KeyedVectors


def _fb_model(words=("hello", "world", "foo", "bar"), dim=4, bucket=10, minn=3, maxn=6, seed=0):
    rng = np.random.default_rng(seed)
    args = {"dim": dim, "ws": 5, "epoch": 5, "minCount": 1, "neg": 5, "wordNgrams": 1, "loss": 2, "model": 2,
            "bucket": bucket, "minn": minn, "maxn": maxn, "lrUpdateRate": 100, "t": 1e-4}
    n = len(words)
    return fbformat.FacebookModel(args, list(words), np.arange(n, 0, -1, dtype=np.int64), 100,
                                  rng.standard_normal((n + bucket, dim)).astype(np.float32),
                                  rng.standard_normal((n, dim)).astype(np.float32))


@pytest.fixture
def fb_bin(tmp_path):
    path = tmp_path / "model.bin"
    fbformat.write_model(path, _fb_model())
    return path


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------------------- fastText files


def test_neighbors_of_a_model_without_words_is_an_error_not_an_empty_answer(tmp_path, capsys):
    path = tmp_path / "nowords.bin"
    fbformat.write_model(path, _fb_model(words=()))
    code, out, err = _cli(capsys, "neighbors", str(path), "hello")
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1].startswith("wordvec: error: ") and "no words" in err


def test_a_bin_cut_inside_its_header_is_named_truncated_not_a_folder_problem(fb_bin, tmp_path, capsys):
    cut = tmp_path / "cut.bin"
    cut.write_bytes(fb_bin.read_bytes()[:10])
    code, out, err = _cli(capsys, "neighbors", str(cut), "hello")
    assert code == 2 and out == ""
    assert "truncated" in err and "run directory" not in err


def test_loading_a_pickle_as_a_facebook_model_names_the_pickle(tmp_path):
    path = tmp_path / "old.bin"
    path.write_bytes(pickle.dumps({"gensim": "model"}))
    for load in (load_facebook_vectors, load_facebook_model):
        with pytest.raises(WordvecError, match="is a Python pickle"):
            load(path)


def test_loading_other_wordvec_or_word2vec_files_as_facebook_names_the_right_loader(fb_bin, tmp_path):
    kv_file = tmp_path / "wv.kv"
    load_facebook_vectors(fb_bin).save(kv_file)
    with pytest.raises(fbformat.FastTextFileError, match="FastTextKeyedVectors.load"):
        load_facebook_vectors(kv_file)
    w2v = tmp_path / "w2v.bin"
    KeyedVectors(["a", "b"], np.ones((2, 3), np.float32)).save_word2vec_format(w2v, binary=True)
    with pytest.raises(fbformat.FastTextFileError, match="load_word2vec_format"):
        load_facebook_vectors(w2v)


def test_save_facebook_model_to_a_gz_name_writes_gzip_that_reads_back(fb_bin, tmp_path):
    model = load_facebook_model(fb_bin)
    out = tmp_path / "copy.bin.gz"
    save_facebook_model(model, out)
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    back = load_facebook_vectors(out)
    assert back.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(back.vectors_ngrams, model.wv.vectors_ngrams)
    assert gzip.decompress(out.read_bytes()) == fb_bin.read_bytes()


# ------------------------------------------------------------------------------------------------- gensim API


def test_intersect_lockf_beyond_float32_is_refused_not_stored_as_inf(tmp_path):
    kv = KeyedVectors(["a", "b"], np.ones((2, 3), np.float32))
    path = tmp_path / "pre.txt"
    KeyedVectors(["a"], np.full((1, 3), 2.0, np.float32)).save_word2vec_format(path)
    for lockf in (1e308, -1e39, 10 ** 400):
        with pytest.raises(WordvecError, match="lockf"):
            kv.intersect_word2vec_format(path, lockf=lockf)
    assert np.asarray(kv.vectors_lockf).size == 1 and (kv.vectors == 1.0).all()  # nothing merged
    assert kv.intersect_word2vec_format(path, lockf=3e38) == 1 and np.isfinite(kv.vectors_lockf).all()


# ------------------------------------------------------------------------------------------------- --tokenizer auto


def test_a_compressed_csv_is_read_as_a_table_with_the_lab_tokenizer(tmp_path):
    rows = [{"id": "1", "label": "0", "tweet": "good day, school"}, {"id": "2", "label": "1", "tweet": "bad day"}]
    plain = tmp_path / "t.csv"
    with open(plain, "w", newline="") as f:
        w = csv.DictWriter(f, ["id", "label", "tweet"])
        w.writeheader()
        w.writerows(rows)
    packed = tmp_path / "t.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert default_tokenizer(packed) == default_tokenizer(plain) == "lab"
    got = load_corpus(str(packed), "tweet", "label")["train"]
    assert list(got.texts) == ["good day, school", "bad day"]  # not "id,label,tweet" and "1,0,..." as lines
    np.testing.assert_array_equal(got.labels, [0, 1])


def test_a_truncated_compressed_csv_is_one_error(tmp_path):
    packed = tmp_path / "t.csv.gz"
    packed.write_bytes(gzip.compress(b"id,tweet\n" + b"1,some words here\n" * 2000)[:60])
    with pytest.raises(WordvecError, match="corrupt or truncated"):
        load_corpus(str(packed), "tweet", None)


# ------------------------------------------------------------------------------------------------- --launch-batch


def test_launch_batch_not_a_multiple_of_batch_size_says_what_it_trains(caplog):
    from wordvec.engine_torch import steps_per_launch

    with caplog.at_level(logging.WARNING, logger="wordvec"):
        assert steps_per_launch(Config(batch_size=300, launch_batch=1000), "cpu", 10 ** 6) == 3
    assert "not a multiple of --batch-size 300" in caplog.text and "900 words" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="wordvec"):
        assert steps_per_launch(Config(batch_size=300, launch_batch=1), "cpu", 10 ** 6) == 1
        assert steps_per_launch(Config(batch_size=300, launch_batch=0), "cpu", 10 ** 6) == 1
        assert steps_per_launch(Config(batch_size=256, launch_batch=0), "cuda", 10 ** 6) == 256


def test_a_huge_launch_batch_is_bounded_by_the_corpus_and_by_memory(caplog):
    from wordvec.engine_torch import LAUNCH_BYTES, steps_per_launch

    config = Config(batch_size=4096, launch_batch=1 << 30, window=5, negative=5)
    with caplog.at_level(logging.WARNING, logger="wordvec"):
        assert steps_per_launch(config, "cpu", 10_000) == 3  # the corpus fills 3 steps: no warning
    assert caplog.text == ""
    with caplog.at_level(logging.WARNING, logger="wordvec"):
        steps = steps_per_launch(config, "cuda", 10 ** 10)
    per_word = 2 * 5 * (32 + 32 * 5) + 32
    assert 1 <= steps and steps * 4096 * per_word <= LAUNCH_BYTES < (steps + 1) * 4096 * per_word
    assert "GB of inputs a launch" in caplog.text


# ------------------------------------------------------------------------------------------------- explore


class _Client:
    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, body: bytes | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()


@pytest.fixture
def serve():
    servers = []

    def start(explorer: Explorer) -> _Client:
        srv = make_server(explorer, "127.0.0.1", 0)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return _Client(srv.server_address[1])

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def run_dir(tmp_path):
    words = ["good", "bad", "day"] + [f"w{i}" for i in range(30)]
    return make_run(tmp_path / "run", words, np.random.default_rng(1).standard_normal((len(words), 8)).astype(
        np.float32))


@pytest.mark.parametrize("name,body", [
    ("complete", b'{"prefix": "\\ud800"}'),
    ("neighbors", b'{"word": "go\\udfffod"}'),
    ("analogy", b'{"positive": ["good", "\\ud83d"]}'),
])
def test_a_lone_surrogate_gets_a_json_error_not_a_dropped_connection(serve, run_dir, name, body):
    client = serve(Explorer.open([run_dir], limit=20))
    status, answer = client.request("POST", f"/api/{name}", body)
    assert status == 400 and "surrogate" in answer["error"]
    assert client.request("POST", "/api/runs", b"{}")[0] == 200


def test_a_vocabulary_word_with_a_lone_surrogate_is_still_answered(serve, tmp_path):
    words = ["good", "bad\udc80", "day", "x"]
    kv = KeyedVectors(words, np.eye(4, dtype=np.float32) + 0.5)
    client = serve(Explorer([Source("mem", tmp_path, kv, {"kind": "vector file"}, None)], limit=4))
    status, answer = client.request("POST", "/api/neighbors", b'{"word": "good", "k": 3}')
    assert status == 200 and "bad\udc80" in [n["word"] for n in answer["neighbors"]]


def test_a_query_string_is_refused_with_the_post_to_send(serve, run_dir):
    client = serve(Explorer.open([run_dir], limit=20))
    status, answer = client.request("GET", "/api/neighbors?word=good&k=3")
    assert status == 400 and "JSON body" in answer["error"] and "POST /api/neighbors" in answer["error"]
    assert client.request("GET", "/api/runs")[0] == 200


def test_explore_opens_a_fasttext_bin_and_answers_unseen_words(serve, fb_bin):
    explorer = Explorer.open([fb_bin], limit=20)
    explorer.warm()
    client = serve(explorer)
    status, runs = client.request("POST", "/api/runs", b"{}")
    assert status == 200 and runs["runs"][0]["facts"]["kind"] == "fastText model"
    status, answer = client.request("POST", "/api/neighbors", b'{"word": "helo", "k": 2}')
    wv = load_facebook_vectors(fb_bin)
    assert status == 200 and answer["token"] == "helo"
    assert [n["word"] for n in answer["neighbors"]] == [w for w, _ in wv.most_similar("helo", topn=2)]
    assert isinstance(explorer.sources[0].kv, FastTextKeyedVectors)


def test_explore_on_a_damaged_fasttext_bin_names_the_damage(fb_bin, tmp_path):
    cut = tmp_path / "cut.bin"
    cut.write_bytes(fb_bin.read_bytes()[:200])
    with pytest.raises(fbformat.FastTextFileError, match="truncated"):
        Explorer.open([cut])


# ------------------------------------------------------------------------------------------------- loading other kinds


def _wrong_kinds(tmp_path, fb_bin) -> dict:
    """A file of each kind that is not wordvec's own state file, and the reader its error must name."""
    from safetensors.numpy import save_file

    w2v = tmp_path / "vectors.txt"
    KeyedVectors(["a", "b"], np.ones((2, 3), np.float32)).save_word2vec_format(w2v)
    w2v_gz = tmp_path / "vectors.bin.gz"
    KeyedVectors(["a", "b"], np.ones((2, 3), np.float32)).save_word2vec_format(w2v_gz, binary=True)
    fb_gz = tmp_path / "model.bin.gz"
    fb_gz.write_bytes(gzip.compress(fb_bin.read_bytes()))
    run = make_run(tmp_path / "run", ["a", "b"], np.ones((2, 3), np.float32))
    weights = tmp_path / "weights.safetensors"  # what `wordvec train` writes as a run's model.safetensors
    save_file({"embed.weight": np.ones((2, 3), np.float32)}, str(weights), {"format": "wordvec", "model": "sgns"})
    return {w2v: "load_word2vec_format", w2v_gz: "load_word2vec_format", fb_bin: "load_facebook_model",
            fb_gz: "load_facebook_model", run: "rundir.load_vectors", weights: "rundir.load_vectors"}


@pytest.mark.parametrize("loader", ["Word2Vec", "KeyedVectors", "FastTextKeyedVectors"])
def test_loading_another_kind_of_file_names_the_reader_it_needs(fb_bin, tmp_path, loader):
    from wordvec.models import Word2Vec

    load = {"Word2Vec": Word2Vec.load, "KeyedVectors": KeyedVectors.load,
            "FastTextKeyedVectors": FastTextKeyedVectors.load}[loader]
    for path, reader in _wrong_kinds(tmp_path, fb_bin).items():
        with pytest.raises(WordvecError) as e:
            load(path)
        assert reader in str(e.value), (path.name, str(e.value))


def test_a_lab_checkpoint_refused_by_word2vec_load_names_a_reader_that_exists(tmp_path):
    import wordvec.rundir
    from wordvec.models import Word2Vec
    from wordvec.state import save_state

    path = tmp_path / "lab.checkpoint"
    save_state(path, "word2vec", {"embed.weight": np.ones((2, 3), np.float32)},
               {"config": Config(model="softmax", loss="softmax").to_dict()})
    with pytest.raises(WordvecError, match="lab's softmax network") as e:
        Word2Vec.load(path)
    reader = str(e.value).rpartition(" with ")[2].split("(")[0]
    module, _, name = reader.rpartition(".")  # KeyedVectors.load_run, named before, does not exist
    assert module == "wordvec.rundir" and callable(getattr(wordvec.rundir, name))


def test_compare_refuses_a_run_listed_twice(serve, run_dir, tmp_path):
    other = make_run(tmp_path / "other", ["good", "bad", "x", "y"], np.eye(4, dtype=np.float32) + 0.1)
    client = serve(Explorer.open([run_dir, other], limit=20))
    status, answer = client.request("POST", "/api/compare", b'{"word": "good", "k": 2, "runs": [0, 0]}')
    assert status == 400 and "run 0 twice" in answer["error"]  # was 200, every neighbour "shared" with itself
    status, answer = client.request("POST", "/api/compare", b'{"word": "good", "k": 2, "runs": [1, 0]}')
    assert status == 200 and [c["run"] for c in answer["columns"]] == [1, 0]


def test_resuming_with_another_launch_batch_is_refused_by_name():
    """The launch shape decides the random draws, so a resumed run must keep it (README, GPU)."""
    from wordvec.pipeline import check_resume

    have = {"config": Config(launch_batch=2048).to_dict(), "vocabulary": "v", "tokens": 1, "documents": 1}
    want = {"config": Config(launch_batch=4096).to_dict(), "vocabulary": "v", "tokens": 1, "documents": 1}
    with pytest.raises(WordvecError, match="--launch-batch 2048 -> 4096"):
        check_resume("run.checkpoint", {"identity": have}, want)
    check_resume("run.checkpoint", {"identity": have}, dict(want, config=Config(launch_batch=2048).to_dict()))


def test_a_wordvec_file_of_another_kind_names_its_own_loader(fb_bin, tmp_path):
    from wordvec.models import Word2Vec

    model = tmp_path / "w2v.model"
    Word2Vec([["a", "b", "c"]] * 5, vector_size=4, min_count=1, epochs=1, workers=1).save(model)
    kv, ftkv = tmp_path / "plain.kv", tmp_path / "ft.kv"
    KeyedVectors(["a", "b"], np.ones((2, 3), np.float32)).save(kv)
    load_facebook_vectors(fb_bin).save(ftkv)
    cases = [(KeyedVectors.load, model, "Word2Vec.load"), (FastTextKeyedVectors.load, model, "Word2Vec.load"),
             (FastTextKeyedVectors.load, kv, "KeyedVectors.load"), (Word2Vec.load, ftkv, "FastTextKeyedVectors.load"),
             (KeyedVectors.load, ftkv, "FastTextKeyedVectors.load")]
    for load, path, reader in cases:
        with pytest.raises(WordvecError, match=f"read it with {reader}"):
            load(path)


# ------------------------------------------------------------------------------------------------- pickle sniffing


def _padded_to(save, path, length: int):
    """Save with `save(pad)` for growing pads until the file's safetensors header is exactly `length` bytes."""
    for pad in range(4000):
        save("x" * pad)
        n = int.from_bytes(path.read_bytes()[:8], "little")
        if n == length:
            return path
        if n > length:
            break
    pytest.fail(f"could not pad the header to {length} bytes")


@pytest.mark.parametrize("length", [0x280, 0x380, 0x480, 0x580])  # little-endian: 0x80 0x02..0x05, a pickle's start
def test_a_file_whose_header_length_looks_like_a_pickle_still_loads(tmp_path, length):
    """A small FastTextKeyedVectors (or Phrases) file has a header of about that size: it was refused as a pickle."""
    from wordvec.models import Word2Vec
    from wordvec.state import load_state, save_state

    path = tmp_path / "ft.kv"
    wv = FastTextKeyedVectors.from_arrays(["a", "b"], np.ones((2, 3), np.float32), np.ones((5, 3), np.float32), 3, 6)
    wv.save(path)
    tensors, meta = load_state(path)
    keep = {k: meta[k] for k in ("tokenizer", "min_n", "max_n", "bucket")}
    _padded_to(lambda pad: save_state(path, "fasttextkeyedvectors", tensors, keep | {"note": pad}), path, length)
    assert path.read_bytes()[:2] == bytes([0x80, length >> 8])
    back = FastTextKeyedVectors.load(path)
    assert back.index_to_key == ["a", "b"] and back.bucket == 5
    (tmp_path / "real.model").write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(WordvecError, match="is a Python pickle"):  # a real pickle is still refused unread
        Word2Vec.load(tmp_path / "real.model")


def test_explore_opens_every_wordvec_file_of_vectors(fb_bin, tmp_path):
    """FastTextKeyedVectors.save and Word2Vec.save files were refused ('not keyedvectors')."""
    from wordvec.models import Word2Vec

    ftkv, model = tmp_path / "ft.kv", tmp_path / "w2v.model"
    load_facebook_vectors(fb_bin).save(ftkv)
    w2v = Word2Vec([["a", "b", "c", "d"]] * 20, vector_size=4, min_count=1, epochs=1, workers=1, seed=3)
    w2v.save(model)
    explorer = Explorer.open([ftkv, model], limit=10)
    assert explorer.runs()["runs"][0]["facts"]["kind"] == "fastText model"
    assert explorer.neighbors(0, "helo", 2)["token"] == "helo"
    got = [n["word"] for n in explorer.neighbors(1, "a", 2)["neighbors"]]
    assert got == [w for w, _ in w2v.wv.most_similar("a", topn=2)]


@pytest.mark.parametrize("kind", ["word2vec-binary", "word2vec-text", "safetensors"])
def test_neighbors_reads_the_vector_files_explore_reads(tmp_path, capsys, kind):
    """`wordvec export --format word2vec-binary --out vectors.bin` then `wordvec neighbors vectors.bin` said
    'is a file, not a run directory'."""
    words = ["good", "bad", "day", "night", "cat"]
    kv = KeyedVectors(words, np.random.default_rng(2).standard_normal((5, 6)).astype(np.float32))
    path = tmp_path / {"word2vec-binary": "v.bin", "word2vec-text": "v.txt", "safetensors": "v.kv"}[kind]
    if kind == "safetensors":
        kv.save(path)
    else:
        kv.save_word2vec_format(path, binary=kind == "word2vec-binary")
    code, out, err = _cli(capsys, "neighbors", str(path), "good", "-k", "2")
    assert code == 0, err
    assert out.strip() == "good: " + ", ".join(f"{w} ({s:.3f})" for w, s in kv.most_similar("good", topn=2))
    code, out, err = _cli(capsys, "neighbors", str(path), "good", "--vectors", "input")
    assert code == 2 and "leave --vectors out" in err and out == ""


def test_neighbours_of_vectors_too_long_for_float32_squares_are_the_scaled_ones():
    """A norm past 1.8e19 overflowed the float32 sum of squares: every unit vector became zero, and a query
    said 'the positive and negative words cancel out'."""
    small = np.random.default_rng(5).standard_normal((6, 4)).astype(np.float32)
    words = [f"w{i}" for i in range(6)]
    big = KeyedVectors(words, small * np.float32(1e37))
    want = KeyedVectors(words, small).most_similar("w0", topn=3)
    got = big.most_similar("w0", topn=3)
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5)
    zero = KeyedVectors(["a", "b"], np.array([[0, 0], [1, 0]], np.float32))
    with pytest.raises(WordvecError, match="vectors are zero"):
        zero.most_similar("a")


def test_a_truncated_bin_gz_is_a_truncation_error(fb_bin, tmp_path):
    packed = gzip.compress(fb_bin.read_bytes())
    cut = tmp_path / "cut.bin.gz"
    cut.write_bytes(packed[:len(packed) // 2])
    with pytest.raises(fbformat.FastTextTruncatedError, match="truncated"):
        load_facebook_vectors(cut)


@pytest.mark.parametrize("bad", ["bogus", "auto"])
def test_a_store_naming_an_unknown_tokenizer_is_called_damaged_not_a_bad_flag(tmp_path, capsys, bad):
    """The manifest's tokenizer was reported as '--tokenizer must be one of ...', a flag the user never gave."""
    from wordvec.store import prepare

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("good day school\nbad day school\n" * 20)
    store = tmp_path / "store"
    prepare(str(corpus), store, tokenizer="simple", min_count=1, workers=1)
    manifest = json.loads((store / "manifest.json").read_text())
    manifest["tokenizer"] = bad
    (store / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = _cli(capsys, "train", "--preset", "sgns", "--dataset", str(store), "--epochs", "1",
                          "--out", str(tmp_path / "run"), "--no-progress")
    assert code == 2 and not (tmp_path / "run").exists()
    assert "store is damaged" in err and "wordvec prepare" in err
    from wordvec.pipeline import _resolve_tokenizer  # the Python API resolves 'auto' itself

    with pytest.raises(WordvecError, match="store is damaged"):
        _resolve_tokenizer(Config(dataset=str(store), tokenizer="auto"))


def test_a_run_removed_while_served_is_not_recreated_by_the_map_cache(run_dir):
    """The map's cache write made the folder again (atomic_open creates parents), holding only explore-map.npz."""
    import shutil

    explorer = Explorer.open([run_dir], limit=20)
    shutil.rmtree(run_dir)
    assert len(explorer.map(0, "pca")["words"]) == 20  # still answered, from memory
    assert not run_dir.exists()


def test_launch_batch_with_the_hogwild_backend_is_refused_as_having_no_effect(tmp_path, capsys):
    """The CPU kernels take no launches: --launch-batch was silently ignored."""
    with pytest.raises(WordvecError, match="--launch-batch 5000 has no effect with .* --backend hogwild; drop it"):
        Config(backend="hogwild", launch_batch=5000).validate()
    Config(backend="torch", launch_batch=5000).validate()
    Config(backend="auto", launch_batch=5000).validate()  # auto picks torch on a GPU
    code, out, err = _cli(capsys, "train", "--preset", "sgns", "--backend", "hogwild", "--launch-batch", "5000",
                          "--out", str(tmp_path / "run"))
    assert code == 2 and "--launch-batch 5000 has no effect" in err and not (tmp_path / "run").exists()


def test_the_training_summary_names_the_tokenizer_auto_chose(tmp_path, capsys):
    """--tokenizer auto (the default) said which tokenizer it used only in metrics.json and a log line."""
    corpus = tmp_path / "corpus.txt.xz"
    import lzma

    corpus.write_bytes(lzma.compress(b"good day at school\nbad day at school\nthe cat sat\n" * 30))
    code, out, err = _cli(capsys, "train", "--preset", "sgns", "--dataset", str(corpus), "--epochs", "1",
                          "--min-count", "1", "--vector-size", "8", "--out", str(tmp_path / "run"), "--no-progress")
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("tokenizer"))
    assert row.split() == ["tokenizer", "gensim"]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["config"]["tokenizer"] == "gensim"


@pytest.mark.parametrize("value", [["a"] * 40, object(), {"w1": 0.0}, [[1.0], [1.0, 2.0]]])
def test_vectors_lockf_that_is_not_numbers_is_one_error_in_build_vocab_update_and_save(tmp_path, value):
    """build_vocab(update=True) and save() converted it raw: ValueError / TypeError from numpy."""
    from wordvec.models import Word2Vec

    sentences = [[f"w{(i * 7 + j) % 40}" for j in range(10)] for i in range(60)]
    model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=1, workers=1, seed=1)
    model.wv.vectors_lockf = value
    with pytest.raises(WordvecError, match="vectors_lockf must be numbers"):
        model.build_vocab([["new", "w1"]] * 3, update=True)
    with pytest.raises(WordvecError, match="vectors_lockf must be numbers"):
        model.save(tmp_path / "m.model")
    assert not (tmp_path / "m.model").exists()


def test_saving_nan_lockf_is_refused_rather_than_written_unloadable(tmp_path):
    from wordvec.models import Word2Vec

    sentences = [[f"w{(i * 7 + j) % 40}" for j in range(10)] for i in range(60)]
    model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=1, workers=1, seed=1)
    lockf = np.ones(len(model.wv), np.float32)
    lockf[3] = np.nan
    model.wv.vectors_lockf = lockf
    with pytest.raises(WordvecError, match="NaN or infinite"):
        model.save(tmp_path / "m.model")
    assert not (tmp_path / "m.model").exists()
    lockf[3] = 0.0
    model.save(tmp_path / "m.model")
    assert Word2Vec.load(tmp_path / "m.model").wv.vectors_lockf[3] == 0.0


def test_a_missing_parameter_is_named_missing(serve, run_dir):
    client = serve(Explorer.open([run_dir], limit=20))
    for name, body in [("neighbors", b"{}"), ("similarity", b'{"a": "good"}'), ("compare", b'{"k": 3}')]:
        status, answer = client.request("POST", f"/api/{name}", body)
        assert status == 400 and "is missing" in answer["error"], answer
    status, answer = client.request("POST", "/api/neighbors", b'{"word": null}')
    assert status == 400 and "must be a string" in answer["error"] and "missing" not in answer["error"]


def test_doesnt_match_on_a_fasttext_model_takes_unseen_words(fb_bin):
    explorer = Explorer.open([fb_bin], limit=10)
    wv = load_facebook_vectors(fb_bin)
    answer = explorer.doesnt_match(0, ["helo", "world", "foo", "barr"])
    assert answer["unknown"] == [] and answer["odd_one"] == wv.doesnt_match(["helo", "world", "foo", "barr"])


def test_a_changed_loss_every_on_resume_says_the_checkpoints_spacing_is_kept(caplog):
    """--loss-every may change on --resume, but the curve keeps its spacing: it was silently ignored."""
    from dataclasses import asdict

    from wordvec.weights import LossCurve

    saved = asdict(LossCurve.start(1000, 2, every=100))
    with caplog.at_level(logging.WARNING, logger="wordvec"):
        assert LossCurve.start(1000, 2, every=100, state=saved).every == 100
        assert LossCurve.start(1000, 2, every=0, state=saved).every == 100
    assert caplog.text == ""
    with caplog.at_level(logging.WARNING, logger="wordvec"):
        assert LossCurve.start(1000, 2, every=7, state=saved).every == 100
    assert "--loss-every 7" in caplog.text and "spacing of 100 words" in caplog.text


def test_neighbours_with_control_characters_stay_on_one_line(tmp_path, capsys):
    """A crafted .bin's word 'c\\nd' split the answer over two lines."""
    path = tmp_path / "odd.bin"
    fbformat.write_model(path, _fb_model(words=("a b", "c\nd", "e\tf", "plain")))
    code, out, err = _cli(capsys, "neighbors", str(path), "plain", "-k", "3")
    assert code == 0 and len(out.splitlines()) == 1, out
    assert "'c\\nd'" in out and "'e\\tf'" in out and "a b (" in out


def test_a_gz_of_zeros_behind_a_huge_dictionary_fails_at_the_first_repeat(fb_bin, tmp_path):
    """A .gz's size is unknown up front, so its dictionary is read entry by entry: 60 MB of zeros (60 KB packed)
    read as millions of empty words before the end said 'truncated'; the second empty word is already damage."""
    head = fb_bin.read_bytes()[:8 + 12 * 4 + 8]  # magic, version, arguments
    header = struct.pack("<3iqq", 10 ** 9, 10 ** 9, 0, 0, -1)  # a billion words
    bomb = tmp_path / "bomb.bin.gz"
    bomb.write_bytes(gzip.compress(head + header + bytes(60_000_000), compresslevel=1))
    with pytest.raises(fbformat.FastTextFileError, match=r"more than a [\d,]+-byte .gz file holds"):
        load_facebook_vectors(bomb)  # a billion words cannot fit: refused before reading any (round 4)
    header = struct.pack("<3iqq", 10 ** 6, 10 ** 6, 0, 0, -1)  # a million: within what the .gz could hold
    bomb.write_bytes(gzip.compress(head + header + bytes(60_000_000), compresslevel=1))
    with pytest.raises(fbformat.FastTextFileError, match=r"appears twice in the dictionary \(words 1 and 2\)"):
        load_facebook_vectors(bomb)


def test_an_upper_case_csv_is_read_as_a_table(tmp_path):
    """DATA.CSV (a name Windows and cameras write) was read as lines of text, header and ids included."""
    path = tmp_path / "DATA.CSV"
    path.write_text("id,label,tweet\n1,0,good day\n2,1,bad day\n", encoding="utf-8")
    assert default_tokenizer(path) == "lab"
    got = load_corpus(str(path), "tweet", "label")["train"]
    assert list(got.texts) == ["good day", "bad day"]


def test_the_word2vec_reader_names_the_reader_a_fasttext_bin_or_wordvec_file_needs(fb_bin, tmp_path):
    """load_word2vec_format('cc.en.300.bin', binary=True), gensim users' usual slip, said only that line 1 is not a
    header."""
    fb_gz = tmp_path / "model.bin.gz"
    fb_gz.write_bytes(gzip.compress(fb_bin.read_bytes()))
    kv_file = tmp_path / "plain.kv"
    KeyedVectors(["a", "b"], np.ones((2, 3), np.float32)).save(kv_file)
    for path, reader in [(fb_bin, "load_facebook_vectors"), (fb_gz, "load_facebook_vectors"),
                         (kv_file, "KeyedVectors.load")]:
        for binary in (True, False):
            with pytest.raises(WordvecError, match=reader):
                KeyedVectors.load_word2vec_format(path, binary=binary)
        with pytest.raises(WordvecError, match=reader):
            KeyedVectors(["a"], np.ones((1, 4), np.float32)).intersect_word2vec_format(path, binary=True)
    glove = tmp_path / "glove.txt"  # no header, and a '{' 9th byte: still a word2vec-format text file
    glove.write_text("abcdefgh{ 0.5 0.25\nother 1.0 2.0\n")
    assert KeyedVectors.load_word2vec_format(glove, no_header=True).index_to_key == ["abcdefgh{", "other"]
