"""Config's field metadata is the one place a setting's bounds, choices and help live: for every bounded field the
value just outside its range is generated and refused by the command line (train, and prepare for the fields it
takes) with one `wordvec: error:` line naming the flag; `train --help` shows every default and choice; presets print
their settings."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from wordvec.cli import main
from wordvec.config import BOUNDS, GROUPS, PRESETS, Config, preset

FIELDS = {f.name: f for f in dataclasses.fields(Config)}
CASES = [(name, value) for name, bounds in BOUNDS.items() for value in bounds.outside()]
PREPARE_FIELDS = ("min_count", "max_final_vocab")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _one_error_line(args: list[str], capsys) -> str:
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 2, (args, code, captured.err)
    assert len(lines) == 1 and lines[0].startswith("wordvec: error:"), lines
    assert captured.out == ""
    return lines[0]


def test_every_numeric_field_is_bounded():
    numeric = {f.name for f in dataclasses.fields(Config) if str(f.type).split(" ")[0] in ("int", "float")}
    assert numeric == set(BOUNDS), numeric ^ set(BOUNDS)
    assert all(b.low is not None for b in BOUNDS.values())


@pytest.mark.parametrize("name,value", CASES, ids=[f"{n}={v}" for n, v in CASES])
def test_train_refuses_out_of_range(name, value, tmp_path, capsys):
    out = tmp_path / "out"
    line = _one_error_line(["train", "--preset", "sgns", f"{_flag(name)}={value}", "--dataset", str(tmp_path),
                            "--out", str(out)], capsys)
    assert _flag(name) in line and str(value) in line, line
    assert not out.exists()
    for p in PRESETS.values():  # the presets themselves are inside every bound
        assert BOUNDS[name].problem(_flag(name), getattr(p, name)) is None


@pytest.mark.parametrize("name,value", CASES, ids=[f"{n}={v}" for n, v in CASES])
def test_validate_refuses_out_of_range(name, value):
    from wordvec.errors import WordvecError

    with pytest.raises(WordvecError, match=_flag(name)):
        preset("sgns").replace(**{name: value}).validate()


@pytest.mark.parametrize("name", PREPARE_FIELDS)
def test_prepare_refuses_out_of_range(name, tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("a b c\n")
    for value in BOUNDS[name].outside():
        line = _one_error_line(["prepare", "--dataset", str(src), "--out", str(tmp_path / "store"),
                                f"{_flag(name)}={value}"], capsys)
        assert _flag(name) in line, line
        assert not (tmp_path / "store").exists()


def test_inside_the_bounds_is_accepted():
    for name, bounds in BOUNDS.items():
        top = bounds.high if bounds.high is not None else bounds.limit
        for value in (bounds.low + (1 if bounds.low_open else 0), top):
            if value is not None:
                assert bounds.problem(_flag(name), value) is None, (name, value)


def test_help_shows_every_default_choice_and_group():
    proc = subprocess.run([sys.executable, "-m", "wordvec", "train", "--help"], capture_output=True, text=True,
                          env={"COLUMNS": "100", "PATH": ""}, check=True)
    text = proc.stdout
    for group in GROUPS:
        assert f"\n{group}:\n" in text, group
    flat = " ".join(text.split())
    for f in dataclasses.fields(Config):
        if not f.metadata["cli"]:
            continue
        flag = _flag(f.name)
        assert flag in text, flag
        for choice in f.metadata["choices"] or ():
            assert choice in flat
        if f.metadata["bounds"]:
            assert f"[{f.metadata['bounds']}]" in flat, flag
    # every preset's value of a setting where the presets differ, e.g. the window
    assert "(default: lab 3; sgns/cbow/fasttext 5)" in flat
    assert "(default: 2023)" in flat and "examples:" in text


def test_show_config_prints_the_preset_with_the_flags_applied(capsys):
    assert main(["train", "--preset", "sgns", "--window", "7", "--show-config"]) == 0
    out = capsys.readouterr().out
    window = next(line for line in out.splitlines() if "--window" in line)
    assert window.split() == ["*", "--window", "7"]
    epochs = next(line for line in out.splitlines() if "--epochs" in line)
    assert epochs.split() == ["--epochs", str(PRESETS["sgns"].epochs)]
    assert "--cbow-mean" in next(line for line in out.splitlines() if line.endswith("(unused)"))


def test_presets_command_prints_every_preset(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == list(PRESETS)
    window = next(line for line in out.splitlines() if line.startswith("--window "))
    assert window.split()[1:] == [str(p.window) for p in PRESETS.values()]
