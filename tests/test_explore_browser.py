"""`wordvec explore` in a real browser: headless Chromium (the system's, driven by Playwright) on two small trained
runs. The neighbours shown must equal `wordvec neighbors`, the analogy KeyedVectors', the hovered point's word the
map's, and the console must stay clean. A screenshot is kept in test-artifacts/ (ignored by git).

Without Chromium or Playwright the tests skip with a message; under CI=true they fail instead (`.ci/run` installs
both: `apt-get install chromium chromium-driver`, `pip install playwright`).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from wordvec.rundir import load_vectors

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
TOPICS = {
    "food": "bread cheese apple soup rice pasta salad butter milk honey".split(),
    "animals": "cat dog horse cow sheep goat mouse bird fish rabbit".split(),
    "city": "street car bus train station road bridge market shop park".split(),
    "weather": "rain snow sun wind cloud storm cold warm fog ice".split(),
}


def chromium_path() -> str | None:
    for name in (os.environ.get("WORDVEC_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        found = name and (shutil.which(name) or (Path(name).is_file() and name))
        if found:
            return str(found)
    return None


def _missing(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the browser tests must run, not skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed; `pip install playwright` (the dev extras) to run the browser tests")
    path = chromium_path()
    if path is None:
        _missing("no Chromium found (chromium, chromium-browser, google-chrome or $WORDVEC_CHROMIUM); "
                 "`apt-get install chromium` to run the browser tests")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])  # never Playwright's own download
        yield b
        b.close()


def _train(out: Path, corpus: Path, preset: str) -> Path:
    subprocess.run([sys.executable, "-m", "wordvec", "train", "--preset", preset, "--dataset", str(corpus),
                    "--tokenizer", "simple", "--out", str(out), "--epochs", "5", "--vector-size", "32",
                    "--min-count", "1", "--seed", "3", "--threads", "1", "-q"],
                   check=True, capture_output=True, timeout=300)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two small runs on a corpus of four topics: skip-gram and CBOW."""
    base = tmp_path_factory.mktemp("browser")
    rng = random.Random(0)
    filler = "the a and of to in is it on with".split()
    lines = []
    for _ in range(4000):
        words = TOPICS[rng.choice(sorted(TOPICS))]
        lines.append(" ".join(rng.choice(words) if rng.random() < 0.7 else rng.choice(filler) for _ in range(12)))
    corpus = base / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n")
    return [_train(base / "sg", corpus, "sgns"), _train(base / "cb", corpus, "cbow")]


@pytest.fixture(scope="module")
def url(runs, tmp_path_factory):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}
    proc = subprocess.Popen([sys.executable, "-m", "wordvec", "explore", *map(str, runs), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if not match:
        proc.kill()
        pytest.fail(f"wordvec explore printed no URL: {line!r} {proc.stderr.read()}")
    yield match.group(0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err


@pytest.fixture
def page(browser, url, request):
    """A fresh page on the explorer, loaded; fails the test on any console error or uncaught exception."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.type}: {m.text}"))
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.goto(url)
    pg.wait_for_selector("body[data-ready=true]", timeout=15000)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not problems, problems


def _cli_neighbours(run: Path, word: str, k: int) -> list[tuple[str, str]]:
    out = subprocess.run([sys.executable, "-m", "wordvec", "neighbors", str(run), word, "-k", str(k)],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith(f"{word}: "))
    return re.findall(r"(\S+) \((-?\d\.\d{3})\)", line[len(word) + 2:])


def _shown(page, run: int) -> list[tuple[str, str]]:
    items = page.locator(f'#neighbors .column[data-run="{run}"] li')
    return [(items.nth(i).get_attribute("data-word"), items.nth(i).locator(".score").inner_text())
            for i in range(items.count())]


def _search(page, word: str, k: int) -> None:
    page.fill("#k", str(k))
    page.fill("#search", "")
    page.type("#search", word, delay=20)
    page.press("#search", "Enter")
    page.wait_for_function(f"document.querySelector('#search-message').textContent.includes('{word}')")


def test_typed_word_shows_the_neighbours_of_wordvec_neighbors(page, runs):
    page.fill("#search", "")
    page.type("#search", "rab", delay=30)
    page.wait_for_function("document.querySelectorAll('#completions option').length > 0")
    assert "rabbit" in page.eval_on_selector_all("#completions option", "os => os.map(o => o.value)")
    _search(page, "horse", 7)
    for i, run in enumerate(runs):
        assert _shown(page, i) == _cli_neighbours(run, "horse", 7)
    assert len(_shown(page, 0)) == 7


def test_an_unknown_word_says_so(page):
    _search(page, "zebra", 5)
    assert "no neighbours for zebra" in page.inner_text("#search-message")
    for run in (0, 1):
        assert "'zebra' is not in the vocabulary" in page.inner_text(f'#neighbors .column[data-run="{run}"]')
    assert page.locator("#neighbors li").count() == 0


def test_analogy_is_keyedvectors_most_similar(page, runs):
    page.fill("#k", "5")
    page.fill("#analogy-a", "cat")
    page.fill("#analogy-b", "dog")
    page.fill("#analogy-c", "rain")
    page.click("#analogy-form button")
    page.wait_for_selector("#analogy-results li")
    shown = page.eval_on_selector_all("#analogy-results li", "ls => ls.map(l => l.dataset.word)")
    expected = load_vectors(runs[0]).most_similar(positive=["cat", "rain"], negative=["dog"], topn=5)
    assert shown == [w for w, _ in expected]


def test_similarity_and_doesnt_match(page, runs):
    kv = load_vectors(runs[0])
    page.fill("#sim-a", "cat")
    page.fill("#sim-b", "snow")
    page.click("#similarity-form button")
    page.wait_for_function("document.querySelector('#similarity-result').textContent.includes('=')")
    assert page.inner_text("#similarity-result").endswith(f"{kv.similarity('cat', 'snow'):.3f}")
    page.fill("#odd-words", "cat dog horse snow")
    page.click("#odd-form button")
    page.wait_for_function("document.querySelector('#odd-result').textContent.includes('odd one')")
    assert page.inner_text("#odd-result") == f"odd one: {kv.doesnt_match(['cat', 'dog', 'horse', 'snow'])}"


def test_hovering_a_point_shows_its_word(page, runs):
    words = page.evaluate("window.explore.map.words")
    assert words == [load_vectors(runs[0]).index_to_key[i] for i in load_vectors(runs[0]).most_frequent(len(words))]
    hovered = []
    for word in ("bread", "storm", "cat", words[-1]):
        page.mouse.move(0, 0)
        point = page.evaluate(f"window.explore.map.pagePoint({word!r})")
        near = page.evaluate(f"window.explore.map.nearest({point['x']} - document.querySelector('#map')"
                             f".getBoundingClientRect().left, {point['y']} - document.querySelector('#map')"
                             f".getBoundingClientRect().top, 0.5)")
        if words[near] != word:  # another point lies exactly on top: the map shows that one
            continue
        page.mouse.move(point["x"], point["y"])
        page.wait_for_selector("#tooltip:not([hidden])")
        assert page.inner_text("#tooltip") == word
        hovered.append(word)
    assert len(hovered) >= 3, hovered
    page.mouse.move(5, 5)
    page.wait_for_selector("#tooltip", state="hidden")


def test_the_map_highlights_the_query_and_zooms(page):
    _search(page, "cat", 5)
    assert page.evaluate("window.explore.map.query") == "cat"
    assert sorted(page.evaluate("[...window.explore.map.near]")) == sorted(w for w, _ in _shown(page, 0))
    box = page.locator("#map").bounding_box()
    before = page.evaluate("window.explore.map.pagePoint('cat')")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_function("window.explore.map.view.scale > 1.5")
    after = page.evaluate("window.explore.map.pagePoint('cat')")
    assert after != before
    page.click("#map-reset")
    assert page.evaluate("window.explore.map.pagePoint('cat')") == before


def test_two_runs_side_by_side_mark_their_overlap(page, runs):
    _search(page, "bridge", 8)
    left, right = _shown(page, 0), _shown(page, 1)
    assert left == _cli_neighbours(runs[0], "bridge", 8) and right == _cli_neighbours(runs[1], "bridge", 8)
    both = {w for w, _ in left} & {w for w, _ in right}
    marked = set(page.eval_on_selector_all("#neighbors li.shared", "ls => ls.map(l => l.dataset.word)"))
    assert marked == both and both
    page.locator("#runs-picker input").nth(1).uncheck()
    page.wait_for_function("document.querySelectorAll('#neighbors .column').length === 1")
    assert page.locator("#neighbors li.shared").count() == 0


def test_the_runs_facts_come_from_metrics_json(page, runs):
    import json

    metrics = json.loads((runs[0] / "metrics.json").read_text())
    facts = dict(zip(page.eval_on_selector_all("#facts dt", "ds => ds.map(d => d.textContent)"),
                     page.eval_on_selector_all("#facts dd", "ds => ds.map(d => d.textContent)")))
    assert facts["preset"] == "sgns" and facts["vocabulary"] == f"{metrics['vocab_size']:,}"
    assert facts["tokens"] == f"{metrics['tokens']:,}"
    page.select_option("#run", "1")
    page.wait_for_function("document.querySelector('#facts dd').textContent === 'cb'")
    assert "cbow" in page.inner_text("#facts")
