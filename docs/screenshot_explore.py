"""Take README's screenshot of `wordvec explore` (docs/img/explore.png) in headless Chromium.

    python docs/screenshot_explore.py RUN [MORE ...] --word love [--analogy a b c] [--out docs/img/explore.png]

Starts `wordvec explore` on the runs (a free port on 127.0.0.1), searches the word in every run side by side,
runs the analogy a - b + c, hovers one of the neighbours on the map and saves the page. Needs Playwright and the
system's Chromium (`apt-get install chromium`, `pip install playwright`).
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--word", required=True)
    ap.add_argument("--analogy", nargs=3, default=None, metavar=("A", "B", "C"))
    ap.add_argument("--similarity", nargs=2, default=None, metavar=("A", "B"))
    ap.add_argument("--odd", nargs="+", default=None, metavar="W")
    ap.add_argument("--zoom", type=float, default=0, help="mouse-wheel steps towards the word on the map")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "img" / "explore.png"))
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no Chromium found; apt-get install chromium")
    proc = subprocess.Popen([sys.executable, "-m", "wordvec", "explore", *args.runs, "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://\S+/", proc.stdout.readline()).group(0)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 960}, device_scale_factor=1)
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]")
            page.fill("#k", str(args.k))
            page.fill("#search", args.word)
            page.press("#search", "Enter")
            page.wait_for_selector("#neighbors li")
            if args.analogy:
                for box, word in zip(("#analogy-a", "#analogy-b", "#analogy-c"), args.analogy):
                    page.fill(box, word)
                page.click("#analogy-form button")
                page.wait_for_selector("#analogy-results li")
            if args.similarity:
                page.fill("#sim-a", args.similarity[0])
                page.fill("#sim-b", args.similarity[1])
                page.click("#similarity-form button")
            if args.odd:
                page.fill("#odd-words", " ".join(args.odd))
                page.click("#odd-form button")
            point = page.evaluate(f"window.explore.map.pagePoint({args.word!r})")
            if point and args.zoom:
                page.mouse.move(point["x"], point["y"])
                for _ in range(int(args.zoom)):
                    page.mouse.wheel(0, -120)
                    page.wait_for_timeout(50)
            near = page.evaluate("[...window.explore.map.near].map(w => window.explore.map.pagePoint(w))"
                                 ".filter(Boolean)")
            if near:
                page.mouse.move(near[0]["x"], near[0]["y"])
            page.wait_for_timeout(400)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=args.out, full_page=True)
            browser.close()
        print(f"wrote {args.out}")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
