"""README.md's shell blocks run as written, in order, as a newcomer pastes them into one terminal.

Every ```bash block of README.md is a test, in the order of the file, run by bash (`set -e`) in a temporary folder
standing for a fresh clone; `export`s, `source`s and `cd`s carry from one block to the next, as in one shell. A block
is handled by the HTML comment on the line right above it:

    (no comment)                          run it
    <!-- readme-test: slow -->            run it, marked slow (`-m "not slow"` leaves it out)
    <!-- readme-test: skip (why) -->      do not run it; the reason is required and shown by pytest

A new block therefore runs by default. If it names a file a user would bring, add a small stand-in to STAND_INS
below (and say so in its docstring); if it cannot run here (another machine, a kill in between, minutes of
benchmarks), tag it `skip` with the reason.

The user's files, replaced by small generated stand-ins (STAND_INS):
    ../shared/data/tweets_hate_speech_detection   train.csv (2,000 labelled tweet-like rows) and test.csv (500)
    corpus.txt                                    4,000 lines of Zipf-distributed words, one sentence per line
    wiki.txt.xz                                   the same kind of text, 6,000 lines, xz-compressed
    wordsim353.tsv                                60 word pairs with scores (WordSim-353's layout)
    questions-words.txt                           two sections of analogy questions (questions-words.txt layout)
    .venv                                         a link to the venv running these tests (what `make run` builds)
No network: HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

import lzma
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"^<!--\s*readme-test:\s*(?P<kind>\w+)\s*(?:\((?P<why>.*)\))?\s*-->$")


@dataclass
class Block:
    line: int  # where the block starts in README.md (1-based)
    text: str
    kind: str  # "run", "slow" or "skip"
    why: str = ""


def shell_blocks(readme: Path = ROOT / "README.md") -> list[Block]:
    lines = readme.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() in ("```bash", "```sh", "```shell"):
            start, body = i, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            above = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
            tag = TAG.match(above)
            kind, why = (tag["kind"], tag["why"] or "") if tag else ("run", "")
            blocks.append(Block(start + 1, "\n".join(body) + "\n", kind, why))
        i += 1
    return blocks


BLOCKS = shell_blocks()


def test_every_tag_is_known_and_every_skip_says_why():
    for b in BLOCKS:
        assert b.kind in ("run", "slow", "skip"), f"README.md:{b.line}: unknown readme-test tag {b.kind!r}"
        assert b.kind != "skip" or b.why.strip(), f"README.md:{b.line}: a skipped block must say why"
    assert sum(b.kind == "run" for b in BLOCKS) >= 3, "README's walk-through blocks are not found"


# --- the user's files --------------------------------------------------------------------------------------------

def _words(n: int) -> list[str]:
    """n pronounceable lower-case words (the lab tokenizer keeps a-z), plus the report's query words."""
    rng = random.Random(7)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    out = ["good", "bad", "school", "day"]
    while len(out) < n:
        w = "".join(rng.choice(syllables) for _ in range(rng.choice((2, 3))))
        if w not in out:
            out.append(w)
    return out


WORDS = _words(300)


def _sentences(n: int, seed: int, length: int = 12) -> list[str]:
    """Zipf-distributed words, and a collocation now and then for the phrase examples to find."""
    rng = random.Random(seed)
    weights = [1 / (r + 1) for r in range(len(WORDS))]
    return [" ".join(rng.choices(WORDS, weights, k=length)) + (" new york city" if i % 80 == 0 else "")
            for i in range(n)]


def _tweets(folder: Path) -> None:
    folder.mkdir(parents=True)
    rng = random.Random(3)
    train = [f"{i},{int(rng.random() < 0.07)},@user {t}" for i, t in enumerate(_sentences(2000, 1, 10))]
    (folder / "train.csv").write_text("id,label,tweet\n" + "\n".join(train) + "\n")
    test = [f"{31963 + i},@user {t}" for i, t in enumerate(_sentences(500, 2, 10))]
    (folder / "test.csv").write_text("id,tweet\n" + "\n".join(test) + "\n")


def _pairs(path: Path) -> None:
    rng = random.Random(4)
    rows = [f"{rng.choice(WORDS[:80])}\t{rng.choice(WORDS[:80])}\t{rng.uniform(0, 10):.2f}" for _ in range(60)]
    path.write_text("# word1\tword2\tscore\n" + "\n".join(rows) + "\n")


def _analogies(path: Path) -> None:
    rng = random.Random(5)
    lines = []
    for section in ("capital-common-countries", "gram1-adjective-to-adverb"):
        lines.append(f": {section}")
        lines += [" ".join(rng.sample(WORDS[:60], 4)) for _ in range(20)]
    path.write_text("\n".join(lines) + "\n")


STAND_INS = {
    "../shared/data/tweets_hate_speech_detection": _tweets,
    "corpus.txt": lambda p: p.write_text("\n".join(_sentences(4000, 8)) + "\n"),
    "wiki.txt.xz": lambda p: p.write_bytes(lzma.compress(("\n".join(_sentences(6000, 9)) + "\n").encode())),
    "wordsim353.tsv": _pairs,
    "questions-words.txt": _analogies,
    ".venv": lambda p: p.symlink_to(Path(sys.prefix), target_is_directory=True),
}


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """A fresh clone's folder with the stand-ins, and the state one terminal would keep between blocks."""
    if not (Path(sys.prefix) / "bin" / "activate").is_file():
        pytest.skip("README's blocks activate a venv: run the tests with .venv/bin/python")
    base = tmp_path_factory.mktemp("readme")
    clone = base / "wordvec"
    clone.mkdir()
    (clone / "README.md").write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    for rel, make in STAND_INS.items():
        make(clone / rel)
    state = base / "state.sh"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "WORDVEC_", "VIRTUAL_ENV", "PYTHONHOME"))}
    env.update(HF_HUB_OFFLINE="1", MPLBACKEND="Agg", HOME=str(base))
    state.write_text(f"cd {clone}\n")
    return {"state": state, "env": env, "clone": clone}


def _param(b: Block):
    marks = [pytest.mark.slow] if b.kind == "slow" else []
    if b.kind == "skip":
        marks.append(pytest.mark.skip(reason=f"README.md:{b.line}: {b.why}"))
    return pytest.param(b, marks=marks, id=f"line{b.line}")


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS])
def test_block_runs_as_written(block, shell):
    state = shell["state"]
    script = (f"source {state}\nset -e -o pipefail\n{block.text}\n"
              f"{{ export -p | grep -v -E '^declare -x (OLDPWD|PWD|SHLVL|_)='; echo \"cd '$PWD'\"; }} > {state}\n")
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=shell["env"], timeout=600)
    assert proc.returncode == 0, (f"README.md:{block.line}: the block failed (exit {proc.returncode})\n"
                                  f"{block.text}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")
    assert "Traceback" not in proc.stderr, proc.stderr
