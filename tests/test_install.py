"""The light install: the wheel, installed into a fresh venv with only the core dependencies (no torch, no numba),
trains a Word2Vec and the sgns preset; what needs an extra says which one, in one line. Where the C kernels are
missing, the numba fallback is announced once and recorded in metrics.json."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from wordvec.cli import main

ROOT = Path(__file__).resolve().parent.parent
WORDS = [f"z{a}{b}" for a in "abcd" for b in "abcdefghij"]  # kept whole by the lab tokenizer


def _corpus(folder: Path) -> Path:
    """A small CSV dataset folder (train.csv) and a text file of the same sentences."""
    import random

    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [" ".join(rng.choice(WORDS[: 10 + i % 30]) for _ in range(12)) for i in range(400)]
    (folder / "corpus.txt").write_text("\n".join(lines) + "\n")
    (folder / "train.csv").write_text("id,label,tweet\n" + "".join(f"{i},{i % 2},{t}\n" for i, t in enumerate(lines)))
    return folder


def _run(cmd: list, cwd: Path, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})
    if check:
        assert proc.returncode == 0, f"{cmd} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory) -> Path:
    """A fresh venv holding the built wheel and the core dependencies alone (pip's cache makes this quick)."""
    base = tmp_path_factory.mktemp("install")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", base / "dist",
          ROOT], cwd=base)
    (wheel,) = (base / "dist").glob("wordvec-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q"]
    _run([*pip, *core], cwd=base)
    _run([*pip, "--no-deps", wheel], cwd=base)
    return venv


def _one_error(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("wordvec: error:"), proc.stderr
    return lines[0]


def test_core_install_has_neither_torch_nor_numba(core_venv, tmp_path):
    proc = _run([core_venv / "bin" / "python", "-c",
                 "import importlib.util as u; print([m for m in ('torch', 'numba', 'datasets', 'scipy', 'sklearn') "
                 "if u.find_spec(m)])"], cwd=tmp_path)
    assert proc.stdout.strip() == "[]"


def test_core_install_trains_word2vec(core_venv, tmp_path):
    data = _corpus(tmp_path / "data")
    code = ("import sys\n"
            "from wordvec import Word2Vec, KeyedVectors, LineSentence\n"
            "m = Word2Vec(LineSentence('data/corpus.txt'), vector_size=16, min_count=1, epochs=2, workers=1, seed=1)\n"
            "m.wv.save_word2vec_format('v.bin', binary=True)\n"
            "kv = KeyedVectors.load_word2vec_format('v.bin', binary=True)\n"
            "assert len(kv) == len(m.wv) and kv.most_similar('zab', topn=3)\n"
            "print(sorted(k for k in ('torch', 'numba', 'scipy') if k in sys.modules))\n")
    proc = _run([core_venv / "bin" / "python", "-c", code], cwd=tmp_path)
    assert proc.stdout.strip() == "[]", proc.stdout
    assert data.exists()


def test_core_install_trains_the_sgns_preset_from_the_cli(core_venv, tmp_path):
    _corpus(tmp_path / "data")
    proc = _run([core_venv / "bin" / "wordvec", "train", "--preset", "sgns", "--dataset", "data", "--out", "run",
                 "--min-count", "1", "--epochs", "1", "--no-progress", "--query", "zab"], cwd=tmp_path)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["kernels"] == "c" and metrics["vocab_size"] >= 30  # (stems may merge a few)
    assert "C kernels" in proc.stdout and "zab ->" in proc.stdout


@pytest.mark.parametrize("flags,extra", [
    (["--preset", "lab", "--dataset", "data"], "torch"),
    (["--preset", "sgns", "--dataset", "data", "--nproc", "2"], "torch"),
    (["--preset", "sgns", "--dataset", "tweets_hate_speech_detection"], "hub"),
])
def test_what_needs_an_extra_names_it(core_venv, tmp_path, flags, extra):
    _corpus(tmp_path / "data")
    proc = _run([core_venv / "bin" / "wordvec", "train", *flags, "--out", "run", "--min-count", "1"], cwd=tmp_path,
                check=False)
    assert f'pip install "wordvec[{extra}]"' in _one_error(proc)
    assert not (tmp_path / "run").exists()


def test_without_c_kernels_or_numba_the_error_names_the_numba_extra(core_venv, tmp_path):
    """The install where no C compiler was present: the extension is absent, and so is numba."""
    _corpus(tmp_path / "data")
    site = next(core_venv.glob("lib/python*/site-packages/wordvec"))
    (built,) = site.glob("_kernels*.so")
    hidden = built.with_name("hidden.so.bak")
    built.rename(hidden)
    try:
        proc = _run([core_venv / "bin" / "wordvec", "train", "--preset", "sgns", "--dataset", "data", "--out", "run"],
                    cwd=tmp_path, check=False)
    finally:
        hidden.rename(built)
    assert 'pip install "wordvec[numba]"' in _one_error(proc)


def test_numba_fallback_is_said_once_and_recorded(tmp_path, monkeypatch, capsys):
    """C kernels absent, numba present (this venv): one warning line, and metrics.json / the report say 'numba'."""
    pytest.importorskip("numba")
    from wordvec import kernels

    monkeypatch.setitem(sys.modules, "wordvec._kernels", None)  # import fails as if never built
    monkeypatch.setattr(kernels, "_FALLBACK_SAID", [])
    monkeypatch.delenv("WORDVEC_KERNELS", raising=False)
    _corpus(tmp_path / "data")
    args = ["train", "--preset", "sgns", "--dataset", str(tmp_path / "data"), "--min-count", "1", "--epochs", "1",
            "--no-progress", "-q", "--threads", "1"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "C kernels were not built" in line]
    assert len(warnings) == 1, captured.err
    for run in ("a", "b"):
        assert json.loads((tmp_path / run / "metrics.json").read_text())["kernels"] == "numba"
    assert "numba kernels" in captured.out
    logging.getLogger("wordvec").handlers.clear()


def _make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The Makefile against a stand-in .venv whose python is `echo` (what would be installed is printed)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    for stamp in (".stamp", ".stamp-dev"):
        (venv / stamp).touch()  # newer than pyproject.toml: no rebuild
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), f"VENV={venv}", "PY=echo PY", *args],
                          capture_output=True, text=True, timeout=60)


def test_make_installs_a_changed_torch_requirement(tmp_path):
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / ".torch").write_text("torch>=2.1\n")
    proc = _make(tmp_path, "install", "TORCH=torch==2.13.0")
    assert proc.returncode == 0, proc.stderr
    assert "TORCH changed (was: torch>=2.1)" in proc.stdout and 'pip install -q torch==2.13.0' in proc.stdout
    assert (tmp_path / "venv" / ".torch").read_text().strip() == "torch==2.13.0"
    again = _make(tmp_path, "install", "TORCH=torch==2.13.0")
    assert "pip install" not in again.stdout  # the same requirement: nothing to do


def test_make_run_never_replaces_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / ".torch").write_text("torch>=2.1\n")
    theirs = tmp_path / "runs" / "mine"
    theirs.mkdir(parents=True)
    (theirs / "notes.txt").write_text("keep me")
    proc = _make(tmp_path, "run", f"OUT={theirs}", "PRESET=sgns")
    assert proc.returncode != 0
    assert "was not written by make run PRESET=sgns; not replacing it" in proc.stdout + proc.stderr
    assert (theirs / "notes.txt").read_text() == "keep me"


def test_without_a_c_compiler_the_wheel_still_builds(tmp_path):
    """setup.py's extension is optional: a failing compiler leaves a wheel without wordvec._kernels."""
    import shutil
    import zipfile

    src = tmp_path / "src-copy"
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("*.so", "__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    proc = _run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "-w",
                 tmp_path / "dist", src], cwd=tmp_path, env={"CC": "/bin/false"})
    assert 'building extension "wordvec._kernels" failed' in proc.stdout + proc.stderr
    assert "experimental" not in proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "dist").glob("wordvec-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "wordvec/kernels.py" in names and not any("_kernels" in n for n in names)
