"""Time `wordvec explore` over HTTP on random vocabularies of 100k and 1M words: the page's first load and a
neighbour query, against the targets (first paint <= 1 s; a query <= 50 ms server-side at 100k words, <= 100 ms
at 1M).

For each size the script writes random vectors (Zipf counts) to a wordvec file, starts `wordvec explore` on it as a
separate process and talks to it from this process over 127.0.0.1:

* startup: from the command to the printed URL (loading the file, unit vectors, the int8 copy on big
  vocabularies, the sorted words for completion, the PCA map of the --limit most frequent words);
* first load: the requests the page makes before it can draw, one after the other (HTML, CSS, both modules, the
  run list, the map): the first visit, then the median of five more;
  with Chromium and Playwright installed, also the browser's own first paint and the time until the map is drawn;
* a neighbour query (k=10, random words): the round trip and the server-side time the answer reports, medians
  and 95th percentiles, beside two references measured in this process on the same vectors and words:
  `KeyedVectors.most_similar` called directly (what the server adds on top of it) and an exact numpy scan (unit
  matrix @ query, argpartition) — what a query costs without KeyedVectors' int8 pre-scan.

    python benchmarks/explore.py [--sizes 100000 1000000] [--dim 300] [--queries 60] [--limit 2000]
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from wordvec.vectors import KeyedVectors

TARGETS = {100_000: 50.0, 1_000_000: 100.0}
PAGE = ["/", "/style.css", "/app.js", "/map.js"]


def _pct(xs, q):
    return float(np.percentile(xs, q))


def reference_ms(kv: KeyedVectors, rows: np.ndarray, topn: int) -> tuple[list[float], list[float]]:
    """In this process, per query: the exact scan in numpy (unit matrix @ unit query, argpartition, sort the
    top; no pre-scan) and KeyedVectors.most_similar itself (what the server calls)."""
    normed = kv.get_normed_vectors()
    kv.most_similar(kv.index_to_key[0], topn=topn)  # builds the int8 copy on big vocabularies
    scan, ms = [], []
    for i in rows.tolist():
        t = time.perf_counter()
        s = normed @ normed[i]
        top = np.argpartition(-s, topn + 1)[:topn + 1]
        top[np.argsort(-s[top])]
        scan.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        kv.most_similar(kv.index_to_key[i], topn=topn)
        ms.append((time.perf_counter() - t) * 1000)
    return scan, ms


class Client:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> bytes:
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        data = r.read()
        assert r.status == 200, (path, r.status, data[:200])
        return data

    def post(self, name: str, body: dict) -> dict:
        self.conn.request("POST", f"/api/{name}", body=json.dumps(body), headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = json.loads(r.read())
        assert r.status == 200, data
        return data


def first_load(port: int, limit: int) -> float:
    c = Client(port)
    t = time.perf_counter()
    for path in PAGE:
        c.get(path)
    c.post("runs", {})
    c.post("map", {"run": 0, "method": "pca", "n": limit})
    ms = (time.perf_counter() - t) * 1000
    c.conn.close()
    return ms


def browser_load(url: str) -> tuple[float, float] | None:
    """(first contentful paint, map drawn) in ms from navigation, in headless Chromium; None without it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        t = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=60000)
        ready = (time.perf_counter() - t) * 1000
        fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")
        b.close()
    return (float(fcp) if fcp is not None else float("nan")), ready


def bench(rows: int, dim: int, queries: int, limit: int, topn: int, tmp: Path) -> dict:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((rows, dim), dtype=np.float32)
    counts = (1e9 / np.arange(1, rows + 1)).astype(np.int64) + 1  # Zipf: word i is the i-th most frequent
    words = [f"w{i}" for i in range(rows)]
    picks = rng.choice(rows, queries, replace=False)
    kv = KeyedVectors(words, vectors, counts)
    ref, inproc = reference_ms(kv, picks, topn)
    path = tmp / f"random-{rows}.safetensors"
    kv.save(path)
    del vectors, kv
    gc.collect()

    t = time.perf_counter()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "wordvec", "explore", str(path), "--port", "0", "--limit",
                             str(limit)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        startup = time.perf_counter() - t
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not match:
            raise SystemExit(f"wordvec explore did not start: {line!r} {proc.stderr.read()}")
        port = int(match.group(1))
        cold = first_load(port, limit)
        warm = statistics.median(first_load(port, limit) for _ in range(5))
        browser = browser_load(f"http://127.0.0.1:{port}/")
        c = Client(port)
        c.post("neighbors", {"word": words[int(picks[0])], "k": topn})  # warm-up
        trip, server = [], []
        for i in picks.tolist():
            t = time.perf_counter()
            body = c.post("neighbors", {"word": words[i], "k": topn})
            trip.append((time.perf_counter() - t) * 1000)
            server.append(body["ms"])
        c.conn.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        path.unlink(missing_ok=True)
    return {"rows": rows, "startup": startup, "cold": cold, "warm": warm, "browser": browser,
            "trip": trip, "server": server, "ref": ref, "inproc": inproc}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--limit", type=int, default=2000, help="map points (wordvec explore --limit)")
    ap.add_argument("--topn", type=int, default=10)
    args = ap.parse_args()
    print(f"wordvec explore, random {args.dim}-d vectors, {args.queries} neighbour queries (k={args.topn}), map of "
          f"{args.limit:,} words, {os.cpu_count()} CPUs; times in ms (startup in s)")
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench(n, args.dim, args.queries, args.limit, args.topn, Path(tmp)) for n in args.sizes]
    print()
    print("| words | startup s | first load: first visit | first load: later visits | browser: first paint / map drawn |")
    print("|---:|---:|---:|---:|---:|")
    for r in results:
        b = "n/a (no Chromium/Playwright)" if r["browser"] is None else f"{r['browser'][0]:.0f} / {r['browser'][1]:.0f}"
        print(f"| {r['rows']:,} | {r['startup']:.1f} | {r['cold']:.0f} | {r['warm']:.0f} | {b} |")
    print()
    print("| words | query round trip median / p95 | server-side median / p95 | target | in this process: "
          "most_similar / numpy exact scan | server / most_similar | server / numpy scan |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        target = TARGETS.get(r["rows"], 100.0)
        sm, rm, im = (statistics.median(r[k]) for k in ("server", "ref", "inproc"))
        print(f"| {r['rows']:,} | {statistics.median(r['trip']):.1f} / {_pct(r['trip'], 95):.1f} | {sm:.1f} / "
              f"{_pct(r['server'], 95):.1f} | <= {target:.0f}: {'met' if sm <= target else 'MISSED'} | {im:.1f} / "
              f"{rm:.1f} | {sm / im:.2f} | {sm / rm:.2f} |")


if __name__ == "__main__":
    main()
