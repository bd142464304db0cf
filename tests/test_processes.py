"""Whole processes load only what they use: `wordvec neighbors` on a lab run loads NLTK's stemmer alone (not
`import nltk`, which pulls scipy and scikit-learn), a lab run imports neither torch's compiler nor pandas/datasets,
and the lab's AdamW is torch's, bit for bit. (Their speed is measured by benchmarks/processes.py, not here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wordvec.cli import main

REPO = Path(__file__).resolve().parent.parent
HEAVY = {"nltk", "scipy", "sklearn", "pandas", "datasets", "torch._dynamo", "matplotlib"}
WORDS = ["running", "happiness", "generously", "school", "schools", "dying", "agreed", "feed", "skies", "news",
         "dies", "tied", "cried", "sky", "bye", "generous", "general", "communism", "arsenal", "gently",
         "@user", "#fun", "loving", "lovely", "ugly", "news", "howe", "atlas", "cosmos", "bias", "andes", "inning",
         "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed", "consign", "consigned"]


def python(code: str) -> str:
    """stdout of `code` in a fresh interpreter (nothing imported by other tests)."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def loaded(modules_json: str) -> set[str]:
    mods = set(json.loads(modules_json))
    return {h for h in HEAVY if h in mods or any(m.startswith(h + ".") for m in mods)}


def tweet_words(limit: int = 20000) -> list[str]:
    path = REPO.parent / "shared" / "data" / "tweets_hate_speech_detection" / "train.csv"
    if not path.is_file():
        return WORDS
    import re

    text = path.read_text(encoding="utf-8", errors="replace").lower()
    return sorted(set(re.sub(r"[^a-z@# ]", " ", text).split()))[:limit] + WORDS


def test_the_stemmer_alone_is_nltks_stemmer(tmp_path):
    words = tweet_words()
    (tmp_path / "words.json").write_text(json.dumps(words))
    out = python(f"""
import json, sys
from wordvec.preprocess import _stemmer
words = json.load(open({str(tmp_path / 'words.json')!r}))
light = [_stemmer()(w) for w in words]
before = sorted(sys.modules)
from nltk.stem.snowball import SnowballStemmer
import nltk
full = [SnowballStemmer("english").stem(w) for w in words]
print(json.dumps([light == full, before, hasattr(nltk, "collocations")]))
""")
    same, before, whole = json.loads(out)
    assert same and whole  # the same stems; a later `import nltk` is the real package
    assert not loaded(json.dumps(before))


def test_neighbors_loads_no_heavy_package(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    words = ["good", "school", "running", "happy", "day", "love", "friend", "sunny", "weekend", "cats"]
    for split in ("train", "test"):
        rows = [f"{i},{i % 2},@user {' '.join(rng.choice(words, 8))}" for i in range(200)]
        (data / f"{split}.csv").write_text("id,label,tweet\n" + "\n".join(rows) + "\n", encoding="utf-8")
    run = tmp_path / "run"
    assert main(["train", "--preset", "lab", "--dataset", str(data), "--out", str(run), "--no-progress", "-q",
                 "--min-count", "2", "--batch-size", "256", "--epochs", "1"]) == 0
    assert main(["neighbors", str(run), "running", "-k", "3"]) == 0
    want = capsys.readouterr().out.splitlines()[-1]
    out = python(f"""
import json, sys
from wordvec.cli import main
main(["neighbors", {str(run)!r}, "running", "-k", "3"])
print(json.dumps(sorted(sys.modules)))
""").splitlines()
    assert out[0] == want and out[0].startswith("running: ")  # 'running' stemmed to 'run' by the lab tokenizer
    assert not loaded(out[1]) and "torch" not in json.loads(out[1])


def test_a_lab_run_imports_no_compiler_nor_dataframes(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "test"):
        rows = [f"{i},{i % 2},@user good school day love {i % 7} happy friend" for i in range(100)]
        (data / f"{split}.csv").write_text("id,label,tweet\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = python(f"""
import json, sys
from wordvec.cli import main
assert main(["train", "--preset", "lab", "--dataset", {str(data)!r}, "--out", {str(tmp_path / 'run')!r},
             "--no-progress", "-q", "--min-count", "2", "--batch-size", "64", "--epochs", "1"]) == 0
print(json.dumps(sorted(sys.modules)))
""").splitlines()
    assert loaded(out[-1]) == {"matplotlib"}  # loss.png; not torch._dynamo, pandas, datasets, nltk, scipy
    assert (tmp_path / "run" / "loss.png").is_file()


def test_adamw_is_torchs_bit_for_bit():
    torch = pytest.importorskip("torch")
    from wordvec.train import AdamW

    gen = torch.Generator().manual_seed(0)
    a = [torch.randn(30, 8, generator=gen, requires_grad=True) for _ in range(2)]
    b = [p.detach().clone().requires_grad_(True) for p in a]
    mine, theirs = AdamW(a, lr=0.1), torch.optim.AdamW(b, lr=0.1)
    for step in range(12):
        g = [torch.randn(30, 8, generator=gen) for _ in a]
        for opt, params in ((mine, a), (theirs, b)):
            opt.zero_grad(set_to_none=True)
            for p, gi in zip(params, g):
                p.grad = gi.clone()
            opt.step()
        if step == 5:  # a checkpoint round trip in the middle, across the two implementations
            mine.load_state_dict(theirs.state_dict())
    for p, q in zip(a, b):
        assert torch.equal(p, q)
    for i in (0, 1):
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(mine.state_dict()["state"][i][key], theirs.state_dict()["state"][i][key])
            assert mine.state_dict()["state"][i][key].dtype == theirs.state_dict()["state"][i][key].dtype
