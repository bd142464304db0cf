"""`wordvec phrases` and `wordvec prepare --phrases` under the worst values of every flag and the worst inputs: one
`wordvec: error:` line, exit 2, nothing written, the user's files as they were."""

from __future__ import annotations

import random

import pytest

from wordvec.cli import main
from wordvec.phrasestore import PhraseSettings, prepare_phrases, write_phrases_text
from wordvec.errors import WordvecError


def _corpus() -> str:
    rng = random.Random(2)
    words = [f"w{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(120)]
    return "\n".join(" ".join(rng.choices(words, k=12) + ["new", "york"]) for _ in range(400)) + "\n"


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.txt").write_text(_corpus(), encoding="utf-8")
    (tmp_path / "keep.txt").write_text("the user's file\n")
    (tmp_path / "bad.txt").write_bytes(b"new york caf\xe9\n" * 20)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("\n \n\t\n")
    (tmp_path / "digits.txt").write_text("1 2 3\n4 5 6\n")  # no token for the gensim tokenizer
    (tmp_path / "adir").mkdir()
    (tmp_path / "adir" / "mine.txt").write_text("mine\n")
    return tmp_path


def _listing(root):
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


def _refused(folder, capsys, argv, words):
    before = _listing(folder)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own refusals
        code = e.code
    assert code == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("wordvec: error:")]
    assert len(errors) == 1 and "Traceback" not in captured.err and captured.out == "", captured.err
    assert all(w in errors[0] for w in words), errors[0]
    assert _listing(folder) == before  # no partial output, no temporary file left, the user's files kept


PHRASES_CASES = [
    (["--passes", "0"], ["--passes", "at least 1"]),
    (["--passes", "-3"], ["--passes"]),
    (["--passes", "1e12"], ["--passes", "from 1 to 100"]),
    (["--passes", "x"], ["--passes", "whole number"]),
    (["--threshold", "nan"], ["--threshold", "finite"]),
    (["--threshold", "inf"], ["--threshold", "finite"]),
    (["--threshold=-inf", "--scoring", "npmi"], ["--threshold", "finite"]),
    (["--threshold", "1e400"], ["--threshold", "finite"]),
    (["--threshold", "0"], ["--threshold", "above 0"]),
    (["--threshold", "-5"], ["--threshold", "above 0"]),
    (["--threshold", "1.5", "--scoring", "npmi"], ["--threshold", "between -1 and 1"]),
    (["--threshold", "-1.01", "--scoring", "npmi"], ["--threshold", "between -1 and 1"]),
    (["--threshold", "ten"], ["--threshold", "number"]),
    (["--min-count", "0"], ["--min-count", "at least 1"]),
    (["--min-count", "-1"], ["--min-count"]),
    (["--min-count", "2.5"], ["--min-count", "whole number"]),
    (["--min-count", "1e400"], ["--min-count", "whole number"]),
    (["--min-count", "1e15"], ["no phrase", "--min-count"]),
    (["--threshold", "1e300"], ["no phrase", "--threshold"]),
    (["--scoring", "pmi"], ["--scoring"]),
    (["--connector-words", "french"], ["--connector-words"]),
    (["--workers", "-1"], ["--workers"]),
    (["--tokenizer", "nope"], ["--tokenizer"]),
    (["--out", "c.txt", "--overwrite"], ["--dataset"]),
    (["--out", "keep.txt"], ["already exists", "--overwrite"]),
    (["--out", "keep.txt/"], ["not a wordvec token store"]),
    (["--out", "adir"], ["not a wordvec token store"]),
    (["--out", "."], ["not a wordvec token store"]),
    (["--out", "missing/o.txt"], ["does not exist"]),
    (["--out", ""], ["--out"]),
    (["--dataset", "bad.txt"], ["bad.txt", "UTF-8"]),
    (["--dataset", "empty.txt"], ["empty"]),
    (["--dataset", "blank.txt"], ["blank.txt"]),
    (["--dataset", "digits.txt"], ["no tokens"]),
    (["--dataset", "nothere.txt"], ["nothere.txt"]),
]


@pytest.mark.parametrize("extra, words", PHRASES_CASES, ids=[" ".join(c[0]) or "''" for c in PHRASES_CASES])
def test_the_phrases_command_refuses(folder, capsys, extra, words):
    argv = ["phrases", "--dataset", "c.txt", "--out", "o.txt", "--min-count", "2", *extra]
    _refused(folder, capsys, argv, words)


PREPARE_CASES = [
    (["--phrases", "-1"], ["--phrases", "at least 0"]),
    (["--phrases", "101"], ["--phrases", "from 1 to 100"]),
    (["--phrases", "nan"], ["--phrases", "whole number"]),
    (["--phrase-threshold", "3"], ["--phrase-threshold", "no effect without --phrases"]),
    (["--phrase-min-count", "3", "--phrase-scoring", "npmi"], ["--phrase-min-count, --phrase-scoring", "have no"]),
    (["--phrases", "1", "--phrase-threshold", "nan"], ["--phrase-threshold", "finite"]),
    (["--phrases", "1", "--phrase-threshold", "0"], ["--phrase-threshold", "above 0"]),
    (["--phrases", "1", "--phrase-threshold", "2", "--phrase-scoring", "npmi"],
     ["--phrase-threshold", "between -1 and 1"]),
    (["--phrases", "1", "--phrase-min-count", "0"], ["--phrase-min-count"]),
    (["--phrases", "1", "--phrase-min-count", "1e15"], ["no phrase", "--phrase-min-count"]),
    (["--phrases", "2", "--phrase-threshold", "1e300"], ["no phrase", "--phrase-threshold"]),
    (["--phrases", "1", "--phrase-scoring", "x"], ["--phrase-scoring"]),
    (["--phrases", "1", "--phrase-connector-words", "x"], ["--phrase-connector-words"]),
    (["--phrases", "1", "--workers", "-2"], ["--workers"]),
    (["--phrases", "1", "--min-count", "0"], ["--min-count"]),
    (["--phrases", "1", "--phrase-threshold", "1", "--min-count", "100000"], ["vocabulary is empty"]),
    (["--phrases", "1", "--out", "c.txt", "--overwrite"], ["c.txt"]),
    (["--phrases", "1", "--out", "keep.txt", "--overwrite"], ["not a wordvec token store"]),
    (["--phrases", "1", "--out", "adir", "--overwrite"], ["not a wordvec token store"]),
    (["--phrases", "1", "--dataset", "bad.txt"], ["UTF-8"]),
    (["--phrases", "1", "--dataset", "empty.txt"], ["empty"]),
    (["--phrases", "1", "--dataset", "digits.txt"], ["no tokens"]),
]


@pytest.mark.parametrize("extra, words", PREPARE_CASES, ids=[" ".join(c[0]) for c in PREPARE_CASES])
def test_prepare_phrases_refuses(folder, capsys, extra, words):
    argv = ["prepare", "--dataset", "c.txt", "--out", "st", *extra]
    _refused(folder, capsys, argv, words)


def test_an_existing_store_is_replaced_only_with_overwrite(folder, capsys):
    assert main(["prepare", "--dataset", "c.txt", "--out", "st", "--phrases", "1", "--phrase-min-count", "2"]) == 0
    _refused(folder, capsys, ["prepare", "--dataset", "c.txt", "--out", "st", "--phrases", "1"], ["already exists"])
    _refused(folder, capsys, ["phrases", "--dataset", "c.txt", "--out", "st"], ["already exists"])
    assert main(["phrases", "--dataset", "c.txt", "--out", "st", "--min-count", "3", "--overwrite"]) == 0
    assert '"min_count": 3' in (folder / "st" / "manifest.json").read_text()


def test_the_python_api_refuses_bad_settings(folder):
    for bad in (PhraseSettings(passes=0), PhraseSettings(threshold=float("nan")), PhraseSettings(min_count=True),
                PhraseSettings(scoring="npmi", threshold=3), PhraseSettings(connector_words="all")):
        with pytest.raises(WordvecError):
            prepare_phrases("c.txt", "st", bad)
        with pytest.raises(WordvecError):
            write_phrases_text("c.txt", "o.txt", bad)
    assert not (folder / "st").exists() and not (folder / "o.txt").exists()


def test_a_phrase_of_a_huge_token_of_delimiters(tmp_path):
    """A token holding 150,000 '_' joined into a phrase: found and applied in one scan of it, not one slice per
    '_' (as learn_phrases joins it: gensim scores such a phrase by its first and last '_'-parts)."""
    huge = "_".join(["q"] * 150_000)
    lines = ["x " + huge + " y"] * 8 + ["q q w"] * 8
    (tmp_path / "u.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "o.txt"
    assert main(["phrases", "--dataset", str(tmp_path / "u.txt"), "--out", str(out), "--tokenizer", "simple",
                 "--min-count", "1", "--threshold", "0.1"]) == 0
    from wordvec.phrases import learn_phrases

    model = learn_phrases([line.split() for line in lines], min_count=1, threshold=0.1)[0]
    want = [model[line.split()] for line in lines]
    assert [line.split() for line in out.read_text(encoding="utf-8").splitlines()] == want
    assert want[0][0] == "x_" + huge


@pytest.mark.parametrize("argv", [["phrases", "--dataset", "c.txt", "--out", "o.txt"],
                                  ["phrases", "--dataset", "c.txt", "--out", "st/"],
                                  ["prepare", "--dataset", "c.txt", "--out", "st", "--phrases", "2"]])
@pytest.mark.parametrize("where", ["learn_ids", "IdJoiner"])
def test_interrupted_while_learning_or_joining_leaves_nothing(folder, capsys, monkeypatch, argv, where):
    from wordvec import phrasestore

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(phrasestore, where, stop)
    before = _listing(folder)
    assert main(argv + ["--min-count", "2"] if argv[0] == "phrases" else argv + ["--phrase-min-count", "2"]) == 130
    assert "interrupted" in capsys.readouterr().err and _listing(folder) == before
