"""Plots that say what they show (no missing-glyph warnings, the loss named by its objective, PCA's explained
variance on the axes) and TensorBoard projector exports in the layout TensorBoard reads, several side by side."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

import wordvec.plots as plots
from wordvec.cli import main
from wordvec.errors import WordvecError
from wordvec.export import PROJECTOR_CONFIG, save_projector
from wordvec.plots import loss_name, pca_2d, plot_loss, plot_map
from wordvec.rundir import plot_run
from wordvec.vectors import KeyedVectors

from test_plots import clustered_kv, make_run


@pytest.fixture
def figures(monkeypatch):
    """The figures plots.py saves, kept for inspection (their axes' labels and texts)."""
    saved = []
    real = plots._save

    def keep(fig, path):
        saved.append(fig)
        return real(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return saved


def texts(fig) -> list[str]:
    ax = fig.axes[0]
    out = [t.get_text() for t in ax.texts] + [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    legend = ax.get_legend()
    return out + ([t.get_text() for t in legend.get_texts()] if legend else [])


# ------------------------------------------------------------------------------------------------- glyphs


MOJIBAKE = "love\u00f0\u009f\u0098\u008d"  # the tweets' emoji: UTF-8 bytes of U+1F60D read as Latin-1
MISSING = "\U0001F99C\u4e2d"  # a parrot and a CJK character: not in the default font


def emoji_kv():
    kv = clustered_kv(n_clusters=3, per=8)
    words = list(kv.index_to_key)
    words[0], words[1], words[2], words[3] = MOJIBAKE, MISSING, "caf\u00e9", "x" + MISSING
    words[4] = MOJIBAKE + "\u00f0\u009f\u0091"  # a tweet cut mid-emoji
    return KeyedVectors(words, kv.vectors, kv.counts)


def test_emoji_draw_without_missing_glyph_warnings(tmp_path, figures, caplog):
    kv = emoji_kv()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        plot_map(tmp_path / "m.png", kv, top=24, words=[kv.index_to_key[0], kv.index_to_key[1]], topn=3,
                 title="run \u4e2d map")
    glyphs = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not glyphs and "glyph" not in caplog.text.lower()
    drawn = texts(figures[-1])
    assert all(c in plots._glyphs() for t in drawn for c in t)  # nothing the font lacks reaches matplotlib
    assert "love\U0001F60D" in drawn  # repaired: the font has this emoji
    assert plots._printable(kv.index_to_key[4]) == "love\U0001F60D"  # the cut one without its broken tail
    assert "U+1F99C U+4E2D" in drawn and "x" in drawn and "caf\u00e9" in drawn  # dropped, or shown by code point


def test_without_the_fix_the_font_lacks_what_is_drawn(tmp_path, monkeypatch, figures):
    """The check above can fail: with every label passed through, characters the font lacks reach the figure and
    matplotlib warns about each."""
    monkeypatch.setattr(plots, "_printable", lambda text: text)
    kv = emoji_kv()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_map(tmp_path / "m.png", kv, top=24, words=[kv.index_to_key[0]], topn=3)
    assert any(c not in plots._glyphs() for t in texts(figures[-1]) for c in t)
    assert any("missing from font" in str(w.message) for w in caught)


# ------------------------------------------------------------------------------------------------- labels


@pytest.mark.parametrize("config, want", [
    ({"loss": "softmax"}, "NLL (full softmax)"),
    ({"loss": "ns"}, "negative-sampling loss"),
    ({"loss": "hs"}, "hierarchical-softmax loss"),
    ({"loss": "hs", "both_heads": True}, "hierarchical softmax + negative-sampling loss"),
])
def test_loss_axis_names_the_objective(config, want, tmp_path, figures):
    assert loss_name(config) == want
    kv = clustered_kv()
    run = make_run(tmp_path / "run", kv, [kv.index_to_key[0]])
    import json

    m = json.loads((run / "metrics.json").read_text())
    m["config"].update(config, model="softmax" if config["loss"] == "softmax" else "skipgram")
    (run / "metrics.json").write_text(json.dumps(m))
    plot_run(run)
    loss_fig = figures[0]
    assert loss_fig.axes[0].get_ylabel() == want and "NLL" not in want.replace("NLL (full softmax)", "") 


def test_loss_plot_draws_the_points_under_the_epoch_means(tmp_path, figures):
    points = {"every": 100, "epoch_words": 1000, "words": list(range(100, 2001, 100)),
              "loss": list(np.linspace(4, 2, 20))}
    plot_loss(tmp_path / "loss.png", [3.5, 2.5], None, points, "negative-sampling loss")
    ax = figures[-1].axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    curve = lines["Loss every 100 words"]
    np.testing.assert_allclose(curve.get_xdata(), np.arange(1, 21) / 10)  # in epochs
    np.testing.assert_allclose(lines["Loss (epoch mean)"].get_xdata(), [1, 2])
    plot_loss(tmp_path / "loss2.png", [3.5], None, {"every": 5, "epoch_words": 0, "words": [], "loss": []})
    assert "Loss every 5 words" not in [line.get_label() for line in figures[-1].axes[0].get_lines()]


def test_pca_axes_give_the_explained_variance(tmp_path, figures):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3)) * np.array([3.0, 2.0, 1.0])
    xy, share = pca_2d(x)
    var = np.var(x - x.mean(0), axis=0) * 500
    np.testing.assert_allclose(share, np.sort(var)[::-1][:2] / var.sum(), rtol=0.05)
    np.testing.assert_allclose(np.var(xy, axis=0) * 500 / var.sum(), share, rtol=1e-9)
    kv = clustered_kv()
    plot_map(tmp_path / "m.png", kv, top=30, words=[kv.index_to_key[0]], topn=3)
    ax = figures[-1].axes[0]
    _, share = pca_2d(kv.get_normed_vectors()[np.unique(np.concatenate(
        [kv.most_frequent(30), [0], plots._neighbours(kv, 0, 3)]))])
    assert ax.get_xlabel() == f"PCA 1 ({share[0]:.1%} of the variance)"
    assert ax.get_ylabel() == f"PCA 2 ({share[1]:.1%} of the variance)"
    assert pca_2d(np.ones((1, 4)))[1].tolist() == [0.0, 0.0]


# ------------------------------------------------------------------------------------------------- projector


def projector(logdir):
    """TensorBoard's own projector plugin on `logdir`: its parsed config and the tensors/metadata it serves."""
    pytest.importorskip("tensorboard")
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.projector.projector_plugin import ProjectorPlugin
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    plugin = ProjectorPlugin(base_plugin.TBContext(logdir=str(logdir)))
    apps = plugin.get_plugin_apps()

    def get(route, **params):
        r = Client(apps[route], Response).get(route, query_string=params)
        assert r.status_code == 200, (route, params, r.data[:300])
        return r

    runs = get("/runs").get_json()
    return plugin, runs, get


def kv_named(seed, n=30, dim=6):
    rng = np.random.default_rng(seed)
    return KeyedVectors([f"w{seed}_{i}" for i in range(n)], rng.normal(size=(n, dim)).astype(np.float32),
                        np.arange(n, 0, -1))


def test_two_exports_side_by_side_as_tensorboard_reads_them(tmp_path):
    logdir = tmp_path / "tb"
    a, b = kv_named(1), kv_named(2, n=20, dim=4)
    save_projector(logdir, a, name="lab")
    save_projector(logdir, b, name="sgns")
    plugin, runs, get = projector(logdir)
    assert runs == ["."]  # the log folder's root: the config TensorBoard reads without event files
    config = plugin._configs["."]
    assert [e.tensor_name for e in config.embeddings] == ["lab", "sgns"]
    assert [e.tensor_path for e in config.embeddings] == ["lab/vectors.tsv", "sgns/vectors.tsv"]  # relative
    assert [list(e.tensor_shape) for e in config.embeddings] == [[30, 6], [20, 4]]
    for name, kv in (("lab", a), ("sgns", b)):
        tensor = np.frombuffer(get("/tensor", run=".", name=name).data, dtype=np.float32)
        np.testing.assert_allclose(tensor.reshape(kv.vectors.shape), kv.vectors, rtol=1e-5, atol=1e-6)
        meta = get("/metadata", run=".", name=name).data.decode().splitlines()
        assert meta[0] == "word\tcount" and [m.split("\t")[0] for m in meta[1:]] == kv.index_to_key


def test_a_second_export_of_a_name_never_silently_replaces_the_first(tmp_path):
    logdir = tmp_path / "tb"
    first = save_projector(logdir, kv_named(1), name="lab")
    before = {p: p.read_bytes() for p in logdir.rglob("*") if p.is_file()}
    with pytest.raises(WordvecError, match="already holds a projector export named 'lab'.*--name.*--overwrite"):
        save_projector(logdir, kv_named(2), name="lab")
    assert {p: p.read_bytes() for p in logdir.rglob("*") if p.is_file()} == before
    save_projector(logdir, kv_named(3), name="other")
    save_projector(logdir, kv_named(2), name="lab", overwrite=True)  # replaces that export alone
    plugin, _, get = projector(logdir)
    assert sorted(e.tensor_name for e in plugin._configs["."].embeddings) == ["lab", "other"]
    tensor = np.frombuffer(get("/tensor", run=".", name="lab").data, dtype=np.float32)
    np.testing.assert_allclose(tensor, kv_named(2).vectors.ravel(), rtol=1e-5, atol=1e-6)
    assert first.is_dir()


def test_existing_config_entries_are_kept(tmp_path):
    """A config written before (another tool's entry, with braces in a string and a comment) keeps its entries."""
    logdir = tmp_path / "tb"
    logdir.mkdir()
    (logdir / "old").mkdir()
    np.savetxt(logdir / "old" / "v.tsv", np.eye(3), delimiter="\t")
    (logdir / PROJECTOR_CONFIG).write_text('# mine\nembeddings {\n  tensor_name: "old {x}"\n'
                                           '  tensor_path: "old/v.tsv"\n}\n')
    save_projector(logdir, kv_named(1), name="new")
    plugin, _, _ = projector(logdir)
    assert [e.tensor_name for e in plugin._configs["."].embeddings] == ["old {x}", "new"]
    (logdir / PROJECTOR_CONFIG).write_text("embeddings {\n")
    with pytest.raises(WordvecError, match="unbalanced"):
        save_projector(logdir, kv_named(1), name="again")


@pytest.mark.parametrize("name", ["", "..", "a/b", 'q"uote', "new\nline"])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(WordvecError, match="--name"):
        save_projector(tmp_path / "tb", kv_named(1), name=name)
    assert not (tmp_path / "tb").exists() or not any((tmp_path / "tb").iterdir())


def test_cli_exports_runs_side_by_side_beside_their_scalars(tmp_path, capsys):
    """The README's recipe: two runs log scalars under one folder, both are exported there, TensorBoard finds
    both embeddings; exporting a run again is refused, with --name and --overwrite as the ways out."""
    corpus = tmp_path / "c.txt"
    rng = np.random.default_rng(2)
    corpus.write_text("".join(" ".join(rng.choice([f"w{i}" for i in range(40)], 10)) + "\n" for _ in range(300)),
                      encoding="utf-8")
    logdir = tmp_path / "tb"
    for name, preset in (("sg", "sgns"), ("cb", "cbow")):
        assert main(["train", "--preset", preset, "--dataset", str(corpus), "--tokenizer", "simple", "--min-count",
                     "1", "--epochs", "1", "--out", str(tmp_path / "runs" / name), "--no-progress", "-q",
                     "--query", "w1", *(["--tensorboard", str(logdir / name)] if _has_tb() else [])]) == 0
        assert main(["export", str(tmp_path / "runs" / name), "--format", "projector", "--out", str(logdir)]) == 0
    out = capsys.readouterr().out
    assert f"tensorboard --logdir {logdir}" in out
    plugin, runs, get = projector(logdir)
    assert sorted(runs) == [".", "cb", "sg"] or sorted(runs) == ["."]
    assert sorted(e.tensor_name for e in plugin._configs["."].embeddings) == ["cb", "sg"]
    assert main(["export", str(tmp_path / "runs" / "sg"), "--format", "projector", "--out", str(logdir)]) == 2
    assert "already holds a projector export named 'sg'" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "runs" / "sg"), "--format", "projector", "--out", str(logdir),
                 "--name", "sg-again"]) == 0
    assert main(["export", str(tmp_path / "runs" / "sg"), "--format", "word2vec-text", "--out",
                 str(tmp_path / "v.txt"), "--name", "x"]) == 2
    assert "--name names a projector export" in capsys.readouterr().err
    assert not (tmp_path / "v.txt").exists()


def _has_tb() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("points", [[1, 2], {"words": [1, 2], "loss": [1.0]}, {"words": ["a"], "loss": [1.0]},
                                    {"every": "x"}, {"loss": [None]}])
def test_damaged_loss_points_are_one_clear_error(tmp_path, points, capsys):
    import json

    kv = clustered_kv()
    run = make_run(tmp_path / "run", kv, [kv.index_to_key[0]])
    m = json.loads((run / "metrics.json").read_text())
    m["loss_points"] = points
    (run / "metrics.json").write_text(json.dumps(m))
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert main(["plot", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'loss_points'" in err and "damaged" in err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
