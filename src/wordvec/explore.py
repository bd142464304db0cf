"""`wordvec explore`: a local page to look at trained vectors — neighbours, analogies, a 2-D map, runs side by side.

The server is the standard library's `ThreadingHTTPServer`: the page needs a handful of small JSON endpoints and
static files, which http.server serves without adding a dependency (the "nothing to install" promise holds).
Runs are addressed by their index in the command line; no request ever names a file. Every request is bounded
(body size, word length, word count, k, map size) and every answer, errors included, is JSON; a failure inside a
handler is logged on the server and answered with one sentence, never a traceback.

Queries reuse `KeyedVectors` (the same `most_similar` as `wordvec neighbors`, with the run's tokenizer); the map
reuses `plots.project_2d` and is cached beside the run (`explore-map.npz`, written atomically), or under the user's
cache folder for vector files and read-only runs, or in memory when nothing is writable.
"""

from __future__ import annotations

import bisect
import hashlib
import importlib.util
import io
import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import numpy as np

from .config import PRESETS, Config, preset
from .errors import WordvecError
from .fasttext import FastTextKeyedVectors, load_facebook_vectors
from .fbformat import sniff
from .files import atomic_open
from .plots import project_2d
from .rundir import MAP_CACHE, load_vectors, read_config, read_metrics
from .state import read_header
from .vectors import KeyedVectors, UnknownWordError, VectorFileError

log = logging.getLogger("wordvec")

MAX_WORD_CHARS = 100  # a query word longer than this is not a word
MAX_WORDS = 20  # words in one analogy / doesn't-match request
MAX_K = 1000  # neighbours one request may ask for
MAX_BODY = 64 * 1024  # bytes of one request body
MAX_LIMIT = 50_000  # map points (--limit)
DEFAULT_LIMIT = 2000
COMPLETE_MAX = 50
METHODS = ("pca", "tsne", "umap")
STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/index.html": ("index.html", "text/html; charset=utf-8"),
          "/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/map.js": ("map.js", "text/javascript; charset=utf-8"),
          "/style.css": ("style.css", "text/css; charset=utf-8")}


class RequestError(WordvecError):
    """A request the API refuses: answered with `status` and the message as JSON."""

    def __init__(self, message: str, status: int = HTTPStatus.BAD_REQUEST):
        super().__init__(message)
        self.status = int(status)


# ------------------------------------------------------------------------------------------------- sources


@dataclass
class Source:
    """One run directory or vector file, loaded once: its vectors, its facts and its cached maps."""

    name: str
    path: Path
    kv: KeyedVectors
    facts: dict
    cache_file: Path | None
    maps: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _sorted: tuple | None = None

    def completions(self, prefix: str, n: int) -> list[str]:
        """Vocabulary words starting with `prefix`, most frequent first, ties in row order (a bisect into the
        sorted words, then the n best ranks of that range without sorting all of it)."""
        if self._sorted is None:
            keys = self.kv.index_to_key
            rows = [i for i, w in enumerate(keys) if isinstance(w, str)]
            rows.sort(key=keys.__getitem__)
            counts = self.kv.counts
            order = np.arange(len(keys)) if counts is None else np.lexsort((np.arange(len(keys)), -counts))
            rank = np.empty(len(keys), dtype=np.int64)
            rank[order] = np.arange(len(keys))
            self._sorted = ([keys[i] for i in rows], np.asarray(rows, dtype=np.int64), rank)
        words, rows, rank = self._sorted
        lo = bisect.bisect_left(words, prefix)
        hi = bisect.bisect_left(words, prefix + "\U0010ffff", lo)
        cand = rows[lo:hi]
        if len(cand) > n:
            cand = cand[np.argpartition(rank[cand], n - 1)[:n]]
        cand = cand[np.argsort(rank[cand])]
        return [self.kv.index_to_key[i] for i in cand.tolist()]


def open_source(path: str | os.PathLike) -> Source:
    """A run directory (its vectors.txt, counts, tokenizer and metrics) or a vector file: word2vec text or binary
    (.bin), fastText's .bin model (unseen words get n-gram vectors), or wordvec's safetensors (KeyedVectors.save,
    FastTextKeyedVectors.save, Word2Vec.save)."""
    path = Path(path)
    if path.is_dir():
        metrics = read_metrics(path)
        kv = load_vectors(path)
        facts = run_facts(metrics, read_config(path, metrics))
        return Source(path.resolve().name or str(path), path, kv, facts, _cache_file(path, inside=True))
    if not path.is_file():
        raise WordvecError(f"{path}: no such run directory or vector file; give a folder written by "
                           f"`wordvec train` or a word2vec / wordvec vector file")
    kv = load_vector_file(path)
    facts = {"kind": "fastText model" if isinstance(kv, FastTextKeyedVectors) else "vector file",
             "vocab_size": len(kv), "vector_size": kv.vector_size, "tokenizer": kv.tokenizer}
    return Source(path.name, path, kv, facts, _cache_file(path, inside=False))


def load_vector_file(path: Path) -> KeyedVectors:
    """The vectors of a file of any kind wordvec reads, recognised by its first bytes (then its name)."""
    if sniff(path):  # Facebook's .bin: words and n-gram buckets (any word gets a vector)
        return load_facebook_vectors(path)
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) == 9 and head[8:9] == b"{":  # safetensors: 8-byte header length, then the JSON header
        header = read_header(path)
        kind = header.get("kind")
        if kind == "fasttextkeyedvectors":
            return FastTextKeyedVectors.load(path)
        if kind == "word2vec":  # Word2Vec.save / FastText.save, or a `wordvec train` checkpoint
            from .ftmodel import FastText
            from .word2vec import Word2Vec

            config = header.get("config")
            subword = isinstance(config, dict) and config.get("subwords") is True
            return (FastText if subword else Word2Vec).load(path).wv
        return KeyedVectors.load(path)
    binary = ".bin" in path.suffixes
    try:
        return KeyedVectors.load_word2vec_format(path, binary=binary)
    except VectorFileError:
        if binary:
            raise
        try:
            return KeyedVectors.load_word2vec_format(path, binary=True)
        except VectorFileError:
            pass
        raise


def run_facts(metrics: dict, config: Config) -> dict:
    """What the page shows about a run: the closest preset, sizes, the final loss and the loss per epoch."""
    def distance(name: str) -> int:
        p = preset(name).to_dict()
        return sum(p.get(k) != v for k, v in config.to_dict().items() if k not in ("dataset", "query_words"))

    losses = [x for x in metrics.get("epoch_losses") or [] if isinstance(x, (int, float)) and math.isfinite(x)]
    held = [x for x in metrics.get("heldout_losses") or [] if isinstance(x, (int, float)) and math.isfinite(x)]
    return {"kind": "run", "preset": min(sorted(PRESETS), key=distance), "model": config.model,
            "loss": config.loss, "vector_size": config.vector_size, "epochs": config.epochs,
            "tokenizer": config.tokenizer, "vocab_size": metrics.get("vocab_size"), "tokens": metrics.get("tokens"),
            "final_loss": metrics.get("final_loss"), "train_seconds": metrics.get("train_seconds"),
            "dataset": metrics.get("dataset"), "epoch_losses": losses, "heldout_losses": held}


def _cache_file(path: Path, inside: bool) -> Path | None:
    """Where the map cache goes: in a writable run directory, else under the user's cache folder (named by the
    input's absolute path); None keeps it in memory."""
    if inside and os.access(path, os.W_OK | os.X_OK):
        return path / MAP_CACHE
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wordvec" / "explore"
    digest = hashlib.blake2b(str(path.resolve()).encode("utf-8", "surrogateescape"), digest_size=12).hexdigest()
    return base / f"{digest}.npz"


# ------------------------------------------------------------------------------------------------- the API


def available_methods() -> list[str]:
    """PCA always; t-SNE with scikit-learn, UMAP with umap-learn, each only where installed."""
    out = ["pca"]
    if importlib.util.find_spec("sklearn") is not None:
        out.append("tsne")
    if importlib.util.find_spec("umap") is not None:
        out.append("umap")
    return out


def _project(x: np.ndarray, method: str) -> np.ndarray:
    if method == "umap":
        import umap

        return umap.UMAP(n_components=2, metric="cosine", random_state=0).fit_transform(x)
    return project_2d(x, method=method)


def _check(sources: list, limit: int) -> None:
    if not sources:
        raise WordvecError("give at least one run directory or vector file to explore")
    if not 1 <= limit <= MAX_LIMIT:
        raise WordvecError(f"--limit must be between 1 and {MAX_LIMIT}, got {limit}")


class Explorer:
    """The answers of the page's API, as plain dicts (the HTTP layer only parses and bounds the requests)."""

    def __init__(self, sources: list[Source], limit: int = DEFAULT_LIMIT):
        _check(sources, limit)
        self.sources = sources
        self.limit = limit
        self.methods = available_methods()

    @classmethod
    def open(cls, paths, limit: int = DEFAULT_LIMIT) -> "Explorer":
        paths = list(paths)
        _check(paths, limit)  # before loading anything
        return cls([open_source(p) for p in paths], limit)

    def warm(self) -> None:
        """Build what the first page and query would otherwise wait for: unit vectors, the int8 copy on big
        vocabularies, the sorted words for completion, the first run's PCA map."""
        for s in self.sources:
            if len(s.kv):
                s.kv.most_similar(s.kv.index_to_key[0], topn=1)
                s.completions("", 1)
        self._cached_map(self.sources[0], "pca")

    # --- helpers ----------------------------------------------------------------------------------------------
    def source(self, run) -> Source:
        if isinstance(run, bool) or not isinstance(run, int):
            raise RequestError("'run' must be the index of a run (an integer)")
        if not 0 <= run < len(self.sources):
            raise RequestError(f"no run {run}: there are {len(self.sources)} (0..{len(self.sources) - 1})",
                               HTTPStatus.NOT_FOUND)
        return self.sources[run]

    def _token(self, s: Source, word: str) -> str:
        """The vocabulary word a query word stands for (after the run's tokenizer), or UnknownWordError; a fastText
        model's unseen word stands for itself (its vector is built from its n-grams)."""
        if isinstance(s.kv, FastTextKeyedVectors) and s.kv.get_index(word, -1) < 0 and word in s.kv:
            return word
        return s.kv.index_to_key[s.kv.get_index(word)]

    def _pairs(self, pairs) -> list[dict]:
        return [{"word": w, "score": round(float(x), 6)} for w, x in pairs]

    # --- endpoints --------------------------------------------------------------------------------------------
    def runs(self) -> dict:
        return {"runs": [{"index": i, "name": s.name, "facts": s.facts, "words": len(s.kv)}
                         for i, s in enumerate(self.sources)],
                "methods": self.methods, "limit": self.limit, "max_k": MAX_K}

    def complete(self, run: int, prefix: str, n: int = 10) -> dict:
        s = self.source(run)
        return {"run": run, "prefix": prefix, "words": s.completions(prefix, n)}

    def neighbors(self, run: int, word: str, k: int = 10) -> dict:
        s = self.source(run)
        token = self._token(s, word)
        return {"run": run, "word": word, "token": token, "neighbors": self._pairs(s.kv.most_similar(word, topn=k))}

    def compare(self, word: str, k: int = 10, runs: list | None = None) -> dict:
        """The same query in every run (or the given ones); words found in two runs or more are `shared`."""
        indices = list(range(len(self.sources))) if runs is None else runs
        columns = []
        for i in indices:
            try:
                columns.append(self.neighbors(i, word, k))
            except UnknownWordError as e:
                columns.append({"run": i, "word": word, "error": str(e), "unknown": True, "neighbors": []})
        seen: dict[str, int] = {}
        for c in columns:
            for w in {p["word"] for p in c["neighbors"]}:
                seen[w] = seen.get(w, 0) + 1
        return {"word": word, "k": k, "columns": columns, "shared": sorted(w for w, n in seen.items() if n > 1)}

    def analogy(self, run: int, positive: list[str], negative: list[str], k: int = 10) -> dict:
        s = self.source(run)
        tokens = [self._token(s, w) for w in positive + negative]
        return {"run": run, "positive": positive, "negative": negative, "tokens": tokens,
                "results": self._pairs(s.kv.most_similar(positive=positive, negative=negative, topn=k))}

    def similarity(self, run: int, a: str, b: str) -> dict:
        s = self.source(run)
        return {"run": run, "a": a, "b": b, "tokens": [self._token(s, a), self._token(s, b)],
                "similarity": round(float(s.kv.similarity(a, b)), 6)}

    def doesnt_match(self, run: int, words: list[str]) -> dict:
        s = self.source(run)
        fasttext = isinstance(s.kv, FastTextKeyedVectors)  # an unseen word has its n-grams' vector
        unknown = [w for w in words if (w not in s.kv if fasttext else s.kv.get_index(w, -1) < 0)]
        known = [w for w in words if w not in unknown]
        if len(known) < 2:
            raise RequestError(f"doesn't match needs at least two words in the vocabulary; unknown: "
                               f"{', '.join(unknown) or 'none'}", HTTPStatus.NOT_FOUND)
        return {"run": run, "words": words, "unknown": unknown, "odd_one": s.kv.doesnt_match(known)}

    def map(self, run: int, method: str = "pca", n: int | None = None) -> dict:
        """The 2-D map of the `n` (<= --limit) most frequent words: computed once per run and method for the
        --limit words, cached, and cut to `n`."""
        s = self.source(run)
        if method not in METHODS:
            raise RequestError(f"unknown map method {method!r}; choose one of {', '.join(self.methods)}")
        if method not in self.methods:
            raise RequestError(f"the {method} map needs {'scikit-learn' if method == 'tsne' else 'umap-learn'}, "
                               f"which is not installed; use one of {', '.join(self.methods)}")
        n = self.limit if n is None else n
        ids, xy = self._cached_map(s, method)
        ids, xy = ids[:n], xy[:n]
        return {"run": run, "method": method, "words": [s.kv.index_to_key[i] for i in ids.tolist()],
                "x": np.round(xy[:, 0].astype(np.float64), 5).tolist(),
                "y": np.round(xy[:, 1].astype(np.float64), 5).tolist()}

    def _cached_map(self, s: Source, method: str) -> tuple[np.ndarray, np.ndarray]:
        with s.lock:
            key = f"{method}-{self.limit}"
            if key in s.maps:
                return s.maps[key]
            ids = s.kv.most_frequent(self.limit).astype(np.int64)
            rows = np.ascontiguousarray(s.kv.vectors[ids], dtype=np.float32)
            digest = hashlib.blake2b(ids.tobytes() + rows.tobytes(), digest_size=16).hexdigest()
            stored = _read_cache(s.cache_file)
            entry = stored.get(key)
            if (entry is not None and str(entry[0]) == digest and entry[1].shape == (len(ids), 2)
                    and np.isfinite(entry[1]).all()):
                xy = entry[1]
            else:
                t = time.perf_counter()
                xy = _normalise(_project(rows, method)) if len(ids) else np.zeros((0, 2), np.float32)
                log.info("%s: %s map of %d words in %.1fs", s.name, method, len(ids), time.perf_counter() - t)
                stored[key] = (np.array(digest), xy)
                _write_cache(s, stored)
            s.maps[key] = (ids, xy)
            return s.maps[key]


def _normalise(xy: np.ndarray) -> np.ndarray:
    """Centred and scaled so that 98% of the points lie within radius 1 (a few outliers must not squeeze the
    rest into a corner; the page zooms out to them)."""
    xy = np.asarray(xy, dtype=np.float64)
    xy = xy - xy.mean(axis=0)
    scale = float(np.quantile(np.hypot(xy[:, 0], xy[:, 1]), 0.98)) if len(xy) else 0.0
    return (xy / scale if scale > 0 else xy).astype(np.float32)


def _read_cache(path: Path | None) -> dict:
    """{key: (digest, xy)} from a cache file; a missing or damaged one is simply empty (it is recomputed)."""
    if path is None or not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k[:-7]: (z[k], z[k[:-7] + ".xy"]) for k in z.files if k.endswith(".digest")}
    except Exception as e:  # noqa: BLE001 - any damage (bad zip, wrong arrays) only means: compute it again
        log.info("ignoring the map cache %s (%s); computing the map again", path, e)
        return {}


def _write_cache(s: Source, stored: dict) -> None:
    if s.cache_file is None:
        return
    if s.cache_file.parent == s.path and not s.path.is_dir():  # the run was removed while served: not recreated
        log.info("keeping the map of %s in memory only (%s is gone)", s.name, s.path)
        s.cache_file = None
        return
    arrays = {}
    for key, (digest, xy) in stored.items():
        arrays[f"{key}.digest"], arrays[f"{key}.xy"] = digest, xy
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    try:
        with atomic_open(s.cache_file, "wb") as f:
            f.write(buf.getvalue())
    except WordvecError as e:
        log.info("keeping the map of %s in memory only (%s)", s.name, e)
        s.cache_file = None


# ------------------------------------------------------------------------------------------------- HTTP


def _string(body: dict, key: str, default: str | None = None, allow_empty: bool = False) -> str:
    value = body.get(key, default)
    if value is None and key not in body:
        raise RequestError(f"'{key}' is missing (it must be a string: send {{\"{key}\": \"...\"}} in the JSON "
                           f"body)")
    if not isinstance(value, str):
        raise RequestError(f"'{key}' must be a string")
    if len(value) > MAX_WORD_CHARS:
        raise RequestError(f"'{key}' is {len(value)} characters long; at most {MAX_WORD_CHARS}")
    if any("\ud800" <= c <= "\udfff" for c in value):  # JSON's \uD800 alone: no character, and not UTF-8
        raise RequestError(f"'{key}' holds half of a UTF-16 surrogate pair, which is not text; send whole characters")
    if not allow_empty and not value.strip():
        raise RequestError(f"'{key}' is empty; type a word")
    return value


def _words(body: dict, key: str, minimum: int = 0) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_WORDS:
        raise RequestError(f"'{key}' must be a list of at most {MAX_WORDS} words")
    out = [_string({key: w}, key) for w in value]
    if len(out) < minimum:
        raise RequestError(f"'{key}' needs at least {minimum} words")
    return out


def _int(body: dict, key: str, default: int, lo: int, hi: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"'{key}' must be a whole number between {lo} and {hi}")
    if not lo <= value <= hi:
        raise RequestError(f"'{key}' must be between {lo} and {hi}, got {value}")
    return value


def _route(ex: Explorer, name: str, body: dict) -> dict:
    run = body.get("run", 0)
    k = lambda: _int(body, "k", 10, 1, MAX_K)  # noqa: E731
    if name == "runs":
        return ex.runs()
    if name == "complete":
        return ex.complete(run, _string(body, "prefix", "", allow_empty=True), _int(body, "n", 10, 1, COMPLETE_MAX))
    if name == "neighbors":
        return ex.neighbors(run, _string(body, "word"), k())
    if name == "compare":
        runs = body.get("runs")
        if runs is not None:
            if not isinstance(runs, list) or len(runs) > len(ex.sources):
                raise RequestError(f"'runs' must be a list of run indices, at most {len(ex.sources)}")
            for r in runs:
                ex.source(r)
            if len(set(runs)) != len(runs):  # a run twice would mark all its words as shared with itself
                raise RequestError(f"'runs' names run {next(r for r in runs if runs.count(r) > 1)} twice; list "
                                   f"each run once")
        return ex.compare(_string(body, "word"), k(), runs)
    if name == "analogy":
        positive, negative = _words(body, "positive", 1), _words(body, "negative")
        return ex.analogy(run, positive, negative, k())
    if name == "similarity":
        return ex.similarity(run, _string(body, "a"), _string(body, "b"))
    if name == "doesnt_match":
        return ex.doesnt_match(run, _words(body, "words", 2))
    if name == "map":
        return ex.map(run, _string(body, "method", "pca"), _int(body, "n", ex.limit, 1, ex.limit))
    raise RequestError(f"no API endpoint {name!r}", HTTPStatus.NOT_FOUND)


class _Handler(BaseHTTPRequestHandler):
    explorer: Explorer  # set on the subclass made by `make_server`
    server_version = "wordvec-explore"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave together: no delayed-ACK stall on keep-alive
    wbufsize = -1  # buffered: http.server flushes once per answer
    timeout = 60  # seconds a connection may sit idle or half-sent before it is closed

    def log_message(self, format, *args):  # http.server prints every request to stderr; keep it in the log
        log.debug("%s %s", self.address_string(), format % args)

    def send_error(self, code, message=None, explain=None):
        """http.server's own errors (bad request line, unsupported method) as JSON too."""
        self._json({"error": message or HTTPStatus(code).phrase}, code, close=True)

    def _json(self, payload: dict, status: int = 200, close: bool = False) -> None:
        try:
            data = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a word of the vectors: JSON's \u escapes carry it
            data = json.dumps(payload, allow_nan=False).encode("ascii")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _foreign_host(self) -> bool:
        """On a loopback address, only pages of this server may talk to it: a Host header naming another site
        is a web page that rebound its name to 127.0.0.1 (DNS rebinding), refused."""
        host, port = self.server.server_address[:2]
        if host not in ("127.0.0.1", "::1", "localhost"):
            return False
        allowed = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
        if (self.headers.get("Host") or "").strip().lower() in allowed:
            return False
        self._json({"error": "this server answers only pages it served itself (Host must be 127.0.0.1 or "
                             "localhost)"}, HTTPStatus.FORBIDDEN, close=True)
        return True

    def do_GET(self):
        if self._foreign_host():
            return
        path, _, query = self.path.partition("?")
        if path.startswith("/api/"):
            if query:  # parameters are typed JSON (k is a number, positive a list): a query string cannot say that
                return self._json({"error": f"{path[:80]} takes its parameters as a JSON body: POST {path[:80]} "
                                            f"{{\"word\": ..., \"k\": ...}}, not a query string"},
                                  HTTPStatus.BAD_REQUEST)
            return self._api(path[5:], {})
        if path not in STATIC:
            return self._json({"error": f"no page {path[:80]!r}; open /"}, HTTPStatus.NOT_FOUND)
        name, ctype = STATIC[path]
        data = resources.files("wordvec").joinpath("explore_static", name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self._foreign_host():
            return
        path = self.path.split("?", 1)[0]
        if not path.startswith("/api/"):
            return self._json({"error": "POST goes to /api/NAME"}, HTTPStatus.NOT_FOUND, close=True)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._json({"error": "Content-Length is not a number"}, HTTPStatus.BAD_REQUEST, close=True)
        if not 0 <= length <= MAX_BODY:
            return self._json({"error": f"request body over {MAX_BODY} bytes"}, HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                              close=True)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._json({"error": "the request body is not valid UTF-8 JSON"}, HTTPStatus.BAD_REQUEST)
        if not isinstance(body, dict):
            return self._json({"error": "the request body must be a JSON object"}, HTTPStatus.BAD_REQUEST)
        self._api(path[5:], body)

    def _api(self, name: str, body: dict) -> None:
        t = time.perf_counter()
        try:
            payload, status = _route(self.explorer, name, body), 200
        except RequestError as e:
            payload, status = {"error": str(e)}, e.status
        except UnknownWordError as e:
            payload, status = {"error": str(e), "unknown": True}, HTTPStatus.NOT_FOUND
        except WordvecError as e:
            payload, status = {"error": str(e)}, HTTPStatus.BAD_REQUEST
        except Exception:  # a bug: logged here with its traceback, one sentence to the page
            log.exception("explore: /api/%s failed", name)
            payload, status = {"error": "internal error; the server's log has the details"}, 500
        payload["ms"] = round((time.perf_counter() - t) * 1000, 3)
        self._json(payload, status)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address):  # a client that hung up mid-answer: not worth a traceback
        log.debug("explore: connection from %s dropped", client_address)


def make_server(explorer: Explorer, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A threaded HTTP server for `explorer` on host:port (port 0 picks a free one); not yet serving."""
    handler = type("Handler", (_Handler,), {"explorer": explorer})
    try:
        return _Server((host, port), handler)
    except OSError as e:
        raise WordvecError(f"cannot listen on {host}:{port} ({e.strerror or e}); pass another --port "
                           f"(0 picks a free one)") from None


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


__all__ = ["Explorer", "Source", "open_source", "run_facts", "make_server", "url_of", "available_methods",
           "RequestError", "MAX_K", "MAX_WORD_CHARS", "MAX_WORDS", "MAX_LIMIT", "DEFAULT_LIMIT"]
