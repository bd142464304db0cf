"""`wordvec explore` without a browser: the API answers as KeyedVectors does, hostile requests get one JSON error
and leave the server serving, the map is cached beside the run, and the command starts and stops cleanly."""

from __future__ import annotations

import fnmatch
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from fakes import make_run
from wordvec import explore
from wordvec.config import PRESETS, preset
from wordvec.errors import WordvecError
from wordvec.explore import MAX_K, Explorer, make_server, run_facts
from wordvec.plots import project_2d
from wordvec.rundir import MAP_CACHE, is_run_dir, load_vectors
from wordvec.vectors import KeyedVectors

REPO = Path(__file__).resolve().parent.parent
WORDS = ["run", "good", "bad", "school", "day", "cat", "dog", "rain", "snow", "car", "bus", "road", "bread",
         "cheese", "apple", "walk", "happy", "sad", "love", "hate"] + [f"w{i}" for i in range(75)]


def _vectors(seed: int, n: int = len(WORDS), dim: int = 16) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("explore")
    lab = make_run(base / "lab", WORDS, _vectors(1), tokenizer="lab")
    simple = make_run(base / "simple", WORDS, _vectors(2), _vectors(3), vectors="mean")
    text = base / "vectors.txt"
    KeyedVectors(WORDS[:50], _vectors(4, 50)).save_word2vec_format(text)
    return [lab, simple, text]


class Client:
    def __init__(self, port: int):
        self.port = port

    def raw(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type", ""), r.read()
        finally:
            conn.close()

    def post(self, name: str, payload) -> tuple[int, dict]:
        status, ctype, data = self.raw("POST", f"/api/{name}", json.dumps(payload).encode())
        assert ctype.startswith("application/json"), (status, ctype, data[:200])
        return status, json.loads(data)


@pytest.fixture(scope="module")
def server(runs, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))  # the vector file's map goes there
        ex = Explorer.open(runs, limit=60)
        ex.warm()
        srv = make_server(ex, "127.0.0.1", 0)
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        yield Client(srv.server_address[1]), ex
        srv.shutdown()
        srv.server_close()


def _alive(client: Client) -> None:
    status, body = client.post("runs", {})
    assert status == 200 and len(body["runs"]) == 3


# ------------------------------------------------------------------------------------------------- answers


@pytest.mark.parametrize("run", [0, 1, 2])
def test_neighbours_equal_keyedvectors(server, runs, run):
    client, _ = server
    kv = load_vectors(runs[run]) if runs[run].is_dir() else KeyedVectors.load_word2vec_format(runs[run])
    for word, k in [("good", 5), ("cat", 12), ("w3", 1), ("rain", 40)]:
        status, body = client.post("neighbors", {"run": run, "word": word, "k": k})
        assert status == 200, body
        expected = kv.most_similar(word, topn=k)
        assert [p["word"] for p in body["neighbors"]] == [w for w, _ in expected]
        np.testing.assert_allclose([p["score"] for p in body["neighbors"]], [s for _, s in expected], atol=1e-6)


def test_query_words_go_through_the_runs_tokenizer(server, runs):
    client, _ = server
    status, body = client.post("neighbors", {"run": 0, "word": "Running", "k": 4})
    assert status == 200 and body["token"] == "run"
    assert [p["word"] for p in body["neighbors"]] == [w for w, _ in load_vectors(runs[0]).most_similar("run", topn=4)]
    status, body = client.post("neighbors", {"run": 1, "word": "Running", "k": 4})  # simple tokenizer: no stem
    assert status == 404 and body["unknown"] is True and "not in the vocabulary" in body["error"]


def test_analogy_similarity_doesnt_match_equal_keyedvectors(server, runs):
    client, _ = server
    kv = load_vectors(runs[1])
    status, body = client.post("analogy", {"run": 1, "positive": ["good", "cat"], "negative": ["bad"], "k": 7})
    assert status == 200
    expected = kv.most_similar(positive=["good", "cat"], negative=["bad"], topn=7)
    assert [(p["word"], pytest.approx(p["score"], abs=1e-6)) for p in body["results"]] == expected
    status, body = client.post("similarity", {"run": 1, "a": "dog", "b": "road"})
    assert status == 200 and body["similarity"] == pytest.approx(kv.similarity("dog", "road"), abs=1e-6)
    words = ["cat", "dog", "bread", "rain", "happy"]
    status, body = client.post("doesnt_match", {"run": 1, "words": words + ["zzzunknown"]})
    assert status == 200 and body["odd_one"] == kv.doesnt_match(words) and body["unknown"] == ["zzzunknown"]


def test_compare_marks_the_words_two_runs_share(server, runs):
    client, _ = server
    status, body = client.post("compare", {"word": "good", "k": 30})
    assert status == 200 and [c["run"] for c in body["columns"]] == [0, 1, 2]
    lists = [[p["word"] for p in c["neighbors"]] for c in body["columns"]]
    for c, run in zip(body["columns"], runs):
        kv = load_vectors(run) if run.is_dir() else KeyedVectors.load_word2vec_format(run)
        assert [p["word"] for p in c["neighbors"]] == [w for w, _ in kv.most_similar("good", topn=30)]
    expected = sorted({w for ws in lists for w in ws if sum(w in other for other in lists) > 1})
    assert body["shared"] == expected and expected  # 30 of 95 words in three runs: some overlap is certain
    status, body = client.post("compare", {"word": "w60", "k": 5, "runs": [0, 2]})  # not in the vector file
    assert status == 200 and body["columns"][1]["unknown"] and body["columns"][0]["neighbors"]
    assert body["shared"] == []


def test_completion_is_the_prefix_matches_most_frequent_first(server, runs):
    client, _ = server
    status, body = client.post("complete", {"run": 0, "prefix": "w1", "n": 7})
    counts = {w: 100 - i for i, w in enumerate(WORDS)}
    expected = sorted((w for w in WORDS if w.startswith("w1")), key=lambda w: -counts[w])[:7]
    assert status == 200 and body["words"] == expected
    assert client.post("complete", {"run": 0, "prefix": "zz"})[1]["words"] == []


def test_completion_ranks_every_match_with_ties_in_row_order():
    rng = np.random.default_rng(0)
    words = [f"{rng.choice(list('abc'))}{i}" for i in range(3000)]
    counts = rng.integers(1, 20, size=len(words))  # many ties
    kv = KeyedVectors(words, rng.standard_normal((len(words), 4)), counts)
    source = explore.Source("s", Path("s"), kv, {}, None)
    for prefix, n in [("", 10), ("a", 25), ("b1", 7), ("c29", 50), ("c2999", 3), ("d", 5)]:
        expected = sorted((i for i, w in enumerate(words) if w.startswith(prefix)), key=lambda i: (-counts[i], i))
        assert source.completions(prefix, n) == [words[i] for i in expected[:n]], prefix


def test_runs_report_the_facts_of_metrics_json(server):
    client, _ = server
    status, body = client.post("runs", {})
    facts = body["runs"][0]["facts"]
    assert status == 200 and facts["kind"] == "run" and facts["tokenizer"] == "lab" and facts["vocab_size"] is None
    assert body["runs"][2]["facts"] == {"kind": "vector file", "vocab_size": 50, "vector_size": 16,
                                        "tokenizer": None}
    assert body["methods"][0] == "pca" and body["max_k"] == MAX_K


def test_the_map_is_the_projection_of_the_most_frequent_words(server, runs):
    client, ex = server
    status, body = client.post("map", {"run": 1, "n": 30})
    assert status == 200 and body["words"] == WORDS[:30]
    kv = load_vectors(runs[1])
    xy = project_2d(kv.vectors[:60])
    xy = xy - xy.mean(axis=0)
    radius = np.hypot(xy[:, 0], xy[:, 1])
    xy /= np.quantile(radius, 0.98)
    np.testing.assert_allclose(np.c_[body["x"], body["y"]], xy[:30], atol=1e-4)
    whole = client.post("map", {"run": 1})[1]
    radius = np.hypot(whole["x"], whole["y"])
    assert len(radius) == 60 and (radius <= 1 + 1e-6).sum() >= 58 and radius.max() > 1  # 98%: outliers beyond
    assert client.post("map", {"run": 1, "n": 61})[0] == 400  # more than --limit
    assert client.post("map", {"run": 1, "method": "mds"})[0] == 400


def test_static_files_are_served_and_nothing_else(server):
    client, _ = server
    status, ctype, page = client.raw("GET", "/")
    assert status == 200 and ctype.startswith("text/html") and b'src="app.js"' in page
    for name in ("app.js", "map.js", "style.css"):
        status, _, data = client.raw("GET", f"/{name}")
        assert status == 200 and data == (REPO / "src" / "wordvec" / "explore_static" / name).read_bytes()
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/explore.py", "//etc/passwd",
                 "/explore_static/app.js", "/metrics.json"):
        status, ctype, data = client.raw("GET", path)
        assert status == 404 and ctype.startswith("application/json") and "error" in json.loads(data)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_facts_name_the_preset_a_run_started_from(name):
    config = preset(name).replace(epochs=preset(name).epochs + 1, dataset="elsewhere.csv")
    metrics = {"vocab_size": 7, "tokens": 70, "final_loss": 1.5, "epoch_losses": [2.0, float("nan"), 1.5]}
    facts = run_facts(metrics, config)
    assert facts["preset"] == name and facts["epochs"] == config.epochs and facts["epoch_losses"] == [2.0, 1.5]
    assert (facts["vocab_size"], facts["tokens"], facts["final_loss"]) == (7, 70, 1.5)


# ------------------------------------------------------------------------------------------------- hostile requests


HOSTILE = [
    ("neighbors", {"word": "x" * 101}, 400, "at most 100"),
    ("neighbors", {"word": "good", "k": 10 ** 9}, 400, "between 1 and"),
    ("neighbors", {"word": "good", "k": 0}, 400, "between 1 and"),
    ("neighbors", {"word": "good", "k": "5"}, 400, "whole number"),
    ("neighbors", {"word": "good", "k": True}, 400, "whole number"),
    ("neighbors", {"word": "good", "k": 2.5}, 400, "whole number"),
    ("neighbors", {"word": "good", "run": 99}, 404, "no run 99"),
    ("neighbors", {"word": "w50", "run": 2}, 404, "not in the vocabulary"),
    ("neighbors", {"word": "good", "run": -1}, 404, "no run -1"),
    ("neighbors", {"word": "good", "run": "0"}, 400, "index of a run"),
    ("neighbors", {"word": "good", "run": "../../etc"}, 400, "index of a run"),
    ("neighbors", {"word": "../../etc/passwd"}, 404, "not in the vocabulary"),
    ("neighbors", {"word": "/etc/passwd"}, 404, "not in the vocabulary"),
    ("neighbors", {"word": "metrics.json", "run": 1}, 404, "not in the vocabulary"),
    ("neighbors", {"word": ""}, 400, "empty"),
    ("neighbors", {"word": ["good"]}, 400, "must be a string"),
    ("neighbors", {}, 400, "must be a string"),
    ("analogy", {"positive": ["good"] * 21}, 400, "at most 20"),
    ("analogy", {"positive": "good"}, 400, "list"),
    ("analogy", {"positive": []}, 400, "at least 1"),
    ("analogy", {"positive": ["good"], "negative": ["good"]}, 400, "zero"),
    ("analogy", {"positive": ["good", "nosuchword"]}, 404, "not in the vocabulary"),
    ("doesnt_match", {"words": ["good", "nosuch", "other"]}, 404, "at least two"),
    ("similarity", {"a": "good", "b": "x" * 500}, 400, "at most 100"),
    ("compare", {"word": "good", "runs": [0, 7]}, 404, "no run 7"),
    ("compare", {"word": "good", "runs": "all"}, 400, "list of run"),
    ("complete", {"prefix": "a", "n": 10 ** 6}, 400, "between 1 and"),
    ("map", {"n": 10 ** 9}, 400, "between 1 and"),
    ("nosuch", {}, 404, "no API endpoint"),
    ("../../etc/passwd", {}, 404, "no API endpoint"),
]


@pytest.mark.parametrize("name,payload,status,message", HOSTILE)
def test_hostile_requests_get_one_json_error(server, name, payload, status, message):
    client, _ = server
    got, body = client.post(name, payload)
    assert (got, set(body) - {"unknown"}) == (status, {"error", "ms"}), body
    assert message in body["error"] and "Traceback" not in body["error"]
    _alive(client)


@pytest.mark.parametrize("body,headers,status", [
    (b'{"word": ', {}, 400),
    (b"\xff\xfe{}", {}, 400),
    (b"[1, 2]", {}, 400),
    (b"null", {}, 400),
    (b"[" * 100000 + b"]" * 100000, {}, 413),
    (b"[" * 30000 + b"]" * 30000, {}, 400),  # deep nesting: RecursionError inside json, caught
    (b'{"word": NaN}', {}, 400),  # Python's json reads NaN: then the word is not a string
    (b"x" * 10, {"Content-Length": "-5"}, 413),
    (b"x" * 10, {"Content-Length": "ten"}, 400),
])
def test_malformed_bodies_get_a_json_error(server, body, headers, status):
    client, _ = server
    got, ctype, data = client.raw("POST", "/api/neighbors", body, headers)
    assert got == status and ctype.startswith("application/json"), data[:200]
    assert set(json.loads(data)) <= {"error", "ms"} and json.loads(data)["error"]
    _alive(client)


def test_a_broken_request_line_gets_json_and_the_server_keeps_serving(server):
    client, _ = server
    for line in (b"GARBAGE / HTTP/1.1\r\n\r\n", b"GET / HTTP/x.y\r\n\r\n", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", b"DELETE /api/runs HTTP/1.1\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", client.port), timeout=10) as s:
            s.sendall(line)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        if not reply.startswith(b"HTTP/"):  # no valid version to answer in: http.server answers as HTTP/0.9
            reply = b"HTTP/0.9 400\r\nContent-Type: application/json\r\n\r\n" + reply
        head, _, payload = reply.partition(b"\r\n\r\n")
        assert re.match(rb"HTTP/\d\.\d [45]\d\d", head) and b"application/json" in head, head
        assert "error" in json.loads(payload)
    _alive(client)


@pytest.mark.parametrize("host", ["evil.example:80", "", "127.0.0.1:1", "127.0.0.1.evil.example"])
def test_a_page_of_another_site_is_refused(server, host):
    """A page that rebinds its own name to 127.0.0.1 sends its own Host header: refused (DNS rebinding)."""
    client, _ = server
    for method, path in (("GET", "/"), ("POST", "/api/runs")):
        conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
        conn.putrequest(method, path, skip_host=True)
        if host:
            conn.putheader("Host", host)
        conn.putheader("Content-Length", "0")
        conn.endheaders()
        r = conn.getresponse()
        assert r.status == 403 and "Host" in json.loads(r.read())["error"]
        conn.close()
    for ok in (f"127.0.0.1:{client.port}", f"localhost:{client.port}", f"LOCALHOST:{client.port}"):
        conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
        conn.request("GET", "/api/runs", headers={"Host": ok})
        assert conn.getresponse().status == 200
        conn.close()


def test_a_bug_in_a_handler_is_logged_not_sent(server, monkeypatch, caplog):
    client, ex = server

    def broken(*a, **k):
        raise RuntimeError("secret /home/user/path")

    monkeypatch.setattr(ex, "neighbors", broken)
    with caplog.at_level("ERROR", logger="wordvec"):
        status, body = client.post("neighbors", {"word": "good"})
    assert status == 500 and "secret" not in json.dumps(body) and body["error"].startswith("internal error")
    assert "secret" in caplog.text
    monkeypatch.undo()
    _alive(client)


def test_many_concurrent_requests_are_all_answered(server):
    client, _ = server
    requests = [("neighbors", {"word": "good", "k": 5}), ("neighbors", {"word": "x" * 5000}),
                ("map", {"run": 0, "n": 50}), ("compare", {"word": "cat"}), ("neighbors", {"run": 9, "word": "a"}),
                ("complete", {"prefix": "w"}), ("analogy", {"positive": ["good", "dog"], "negative": ["bad"]})]
    expected = {name: client.post(name, p) for name, p in requests[:1]}

    def one(i):
        name, payload = requests[i % len(requests)]
        return name, payload, *client.post(name, payload)

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(one, range(400)))
    for name, payload, status, body in results:
        assert status in (200, 400, 404) and ("error" in body) == (status != 200), body
        if name == "neighbors" and status == 200:
            assert body["neighbors"] == expected["neighbors"][1]["neighbors"]
    _alive(client)


# ------------------------------------------------------------------------------------------------- the map cache


def test_the_map_is_cached_beside_the_run_and_recomputed_when_the_vectors_change(tmp_path, monkeypatch):
    run = make_run(tmp_path / "r", WORDS, _vectors(5))
    metrics = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps({**metrics, "wordvec_version": "0.1.0"}))
    first = Explorer.open([run], limit=40).map(0, "pca")
    assert (run / MAP_CACHE).is_file() and is_run_dir(run)  # --overwrite still recognises the run
    monkeypatch.setattr(explore, "_project", lambda *a: pytest.fail("recomputed a cached map"))
    assert Explorer.open([run], limit=40).map(0, "pca") == first
    monkeypatch.undo()
    other = Explorer.open([run], limit=30).map(0, "pca")  # another --limit: another entry, the first kept
    assert len(other["words"]) == 30
    monkeypatch.setattr(explore, "_project", lambda *a: pytest.fail("recomputed a cached map"))
    assert Explorer.open([run], limit=40).map(0, "pca") == first
    monkeypatch.undo()
    make_run(run, WORDS, _vectors(6))  # retrained in place: the cached map no longer fits
    again = Explorer.open([run], limit=40).map(0, "pca")
    assert again["words"] == first["words"] and again["x"] != first["x"]


def test_tsne_where_installed_and_umap_only_where_installed(tmp_path, monkeypatch):
    import importlib.util

    run = make_run(tmp_path / "r", WORDS, _vectors(5))
    ex = Explorer.open([run], limit=40)
    assert ex.methods[:2] == ["pca", "tsne"]  # scikit-learn is a dependency
    tsne = ex.map(0, "tsne")
    assert tsne["words"] == WORDS[:40] and tsne["x"] != ex.map(0, "pca")["x"]
    with np.load(run / MAP_CACHE) as z:
        assert {"pca-40.xy", "tsne-40.xy"} <= set(z.files)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "umap" else real(name, *a))
    ex = Explorer.open([run], limit=40)
    assert "umap" not in ex.methods and "umap" not in ex.runs()["methods"]
    with pytest.raises(WordvecError, match="needs umap-learn, which is not installed"):
        ex.map(0, "umap")


def test_a_damaged_cache_is_recomputed(tmp_path):
    run = make_run(tmp_path / "r", WORDS, _vectors(5))
    (run / MAP_CACHE).write_bytes(b"PK\x03\x04 not a zip")
    body = Explorer.open([run], limit=40).map(0, "pca")
    assert len(body["words"]) == 40
    with np.load(run / MAP_CACHE) as z:
        assert "pca-40.xy" in z.files


def test_a_read_only_run_caches_under_the_user_cache_folder(tmp_path, monkeypatch):
    run = make_run(tmp_path / "r", WORDS, _vectors(5))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    real_access = os.access
    monkeypatch.setattr(explore.os, "access", lambda p, mode: Path(p) != run and real_access(p, mode))  # root too
    run.chmod(0o555)
    try:
        first = Explorer.open([run], limit=40).map(0, "pca")
        monkeypatch.setattr(explore, "_project", lambda *a: pytest.fail("recomputed a cached map"))
        assert Explorer.open([run], limit=40).map(0, "pca") == first
    finally:
        run.chmod(0o755)
    assert not (run / MAP_CACHE).exists() and list((tmp_path / "cache" / "wordvec" / "explore").glob("*.npz"))


def test_vector_files_cache_elsewhere_or_in_memory(tmp_path, monkeypatch):
    path = tmp_path / "v.txt"
    KeyedVectors(WORDS, _vectors(7)).save_word2vec_format(path)
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # nothing writable: the map stays in memory
    ex = Explorer.open([path], limit=40)
    first = ex.map(0, "pca")
    monkeypatch.setattr(explore, "_project", lambda *a: pytest.fail("recomputed the map in one session"))
    assert ex.map(0, "pca") == first and ex.sources[0].cache_file is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache-is-a-file", "v.txt"]  # nothing beside the file


def test_vector_files_of_every_format_open(tmp_path):
    kv = KeyedVectors(WORDS, _vectors(8), counts=np.arange(len(WORDS), 0, -1), tokenizer="lab")
    paths = [kv.save_word2vec_format(tmp_path / "v.txt"), kv.save_word2vec_format(tmp_path / "v.bin", binary=True),
             kv.save(tmp_path / "v.safetensors")]
    binary_no_suffix = tmp_path / "vectors.w2v"
    binary_no_suffix.write_bytes(paths[1].read_bytes())
    ex = Explorer.open(paths + [binary_no_suffix], limit=10)
    for i in range(4):
        assert [p["word"] for p in ex.neighbors(i, "cat", 5)["neighbors"]] == [w for w, _ in kv.most_similar("cat", topn=5)]
    assert ex.sources[2].facts["tokenizer"] == "lab" and ex.neighbors(2, "Running", 3)["token"] == "run"


def test_bad_sources_are_refused(tmp_path):
    with pytest.raises(WordvecError, match="no such run directory or vector file"):
        Explorer.open([tmp_path / "missing"])
    (tmp_path / "junk.txt").write_bytes(b"\x00\x01 not vectors")
    with pytest.raises(WordvecError):
        Explorer.open([tmp_path / "junk.txt"])
    with pytest.raises(WordvecError, match="at least one"):
        Explorer([])


def test_the_assets_are_package_data():
    """Every file of explore_static matches pyproject's package-data globs, so the wheel carries the page."""
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["wordvec"]
    static = sorted((REPO / "src" / "wordvec" / "explore_static").iterdir())
    assert {p.name for p in static} >= {"index.html", "app.js", "map.js", "style.css"}
    for p in static:
        assert any(fnmatch.fnmatch(f"explore_static/{p.name}", g) for g in globs), p.name
    assert {name for name, _ in explore.STATIC.values()} == {p.name for p in static}


# ------------------------------------------------------------------------------------------------- the command


def _start(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "wordvec", "explore", *args, "--port", "0"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    line = proc.stdout.readline()
    match = re.search(r"http://[\d.]+:(\d+)/", line)
    if not match:
        proc.kill()
        pytest.fail(f"no URL printed: {line!r} {proc.stderr.read()}")
    return proc, match.group(1)


def test_the_command_serves_and_stops_cleanly_on_ctrl_c(runs):
    proc, port = _start(str(runs[0]), str(runs[2]))
    try:
        status, body = Client(int(port)).post("neighbors", {"run": 1, "word": "cat", "k": 3})
        assert status == 200 and len(body["neighbors"]) == 3
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err and "stopped" in err


def test_listening_on_every_address_warns(runs):
    proc, port = _start(str(runs[0]), "--host", "0.0.0.0")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert "warning: listening on 0.0.0.0" in err and proc.returncode == 0


@pytest.mark.parametrize("args,message", [
    (["missing-run"], "no such run directory or vector file"),
    (["RUN", "--limit", "0"], "--limit must be at least 1"),
    (["RUN", "--limit", "1000000"], "--limit must be between 1 and"),
    (["RUN", "--port", "70000"], "--port must be at most 65535"),
    (["RUN", "--port", "-1"], "--port must be at least 0"),
    (["RUN", "--host", "no.such.host.invalid"], "cannot listen on no.such.host.invalid"),
])
def test_bad_arguments_are_one_line(runs, tmp_path, args, message):
    args = [str(runs[0]) if a == "RUN" else a for a in args]
    out = subprocess.run([sys.executable, "-m", "wordvec", "explore", *args], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == "", out
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("wordvec: error:")]
    assert len(lines) == 1 and message in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_a_port_in_use_is_one_line(runs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "wordvec", "explore", str(runs[0]), "--port", str(port)],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in out.stderr and "--port" in out.stderr
