"""Plots: PNGs of the promised size, written atomically, query words drawn in colour, `wordvec plot` on a run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib.image import imread

from wordvec.cli import main
from wordvec.errors import WordvecError
from wordvec.plots import plot_loss, plot_map, project_2d
from wordvec.rundir import plot_run
from wordvec.vectors import KeyedVectors


def clustered_kv(n_clusters=4, per=12, dim=10, seed=0):
    """Words in tight clusters, most frequent first, so neighbours of a query are its cluster mates."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, dim)) * 3
    words, vecs = [], []
    for k in range(n_clusters):
        for j in range(per):
            words.append(f"c{k}w{j}")
            vecs.append(centres[k] + rng.normal(size=dim) * 0.3)
    order = rng.permutation(len(words))
    return KeyedVectors([words[i] for i in order], np.array(vecs, dtype=np.float32)[order],
                        counts=np.arange(len(words), 0, -1) * 10)


def make_run(run_dir, kv, query_words):
    run_dir.mkdir()
    (run_dir / "vocab.txt").write_text("".join(f"{w}\t{c}\n" for w, c in zip(kv.index_to_key, kv.counts)))
    with open(run_dir / "vectors.txt", "w", encoding="utf-8") as f:
        f.write(f"{len(kv.index_to_key)} {kv.vectors.shape[1]}\n")
        f.writelines(w + " " + " ".join(f"{x:.9g}" for x in v) + "\n" for w, v in zip(kv.index_to_key, kv.vectors))
    metrics = {"train_rows": 10, "test_rows": 0, "vocab_size": len(kv.index_to_key), "tokens": 100, "pairs": 100,
               "epoch_losses": [6.0, 5.1, 4.8], "heldout_losses": [6.3, 5.6, 5.5], "final_loss": 4.8,
               "train_seconds": 1.0, "device": "cpu", "neighbors": {},
               "config": {"dataset": "none", "tokenizer": "simple", "model": "softmax", "loss": "softmax", "vectors": "input",
                          "query_words": list(query_words), "topn": 5}}
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    return run_dir


def png_shape(path):
    img = imread(path)
    assert img.std() > 0.01, f"{path} is blank"
    return img.shape[1], img.shape[0]


def coloured_pixels(path, rgb):
    """How many pixels are close to one colour (a query group's colour, say)."""
    img = imread(path)[..., :3]
    return int((np.abs(img - np.array(rgb) / 255).max(axis=-1) < 0.08).sum())


TAB_BLUE = (31, 119, 180)  # matplotlib's C0: the first query group


def test_loss_plot_has_the_promised_size_and_no_temp_files(tmp_path):
    path = plot_loss(tmp_path / "loss.png", [3.0, 2.0, 1.5], [3.2, 2.6, 2.5])
    assert path == tmp_path / "loss.png" and png_shape(path) == (960, 600)
    assert coloured_pixels(path, (255, 0, 0)) > 100  # the lab's red training line
    assert coloured_pixels(path, TAB_BLUE) > 100  # the held-out line
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]


def test_loss_plot_without_heldout_and_without_losses(tmp_path):
    path = plot_loss(tmp_path / "loss.png", [2.0])
    assert png_shape(path) == (960, 600) and coloured_pixels(path, TAB_BLUE) == 0
    with pytest.raises(WordvecError, match="no losses"):
        plot_loss(tmp_path / "none.png", [])
    with pytest.raises(WordvecError, match="does not exist"):
        plot_loss(tmp_path / "missing" / "loss.png", [1.0])


def test_map_highlights_query_words_only_when_asked(tmp_path):
    kv = clustered_kv()
    plain = plot_map(tmp_path / "plain.png", kv, top=30)
    marked = plot_map(tmp_path / "marked.png", kv, top=30, words=[kv.index_to_key[3]], topn=5)
    assert png_shape(plain) == png_shape(marked) == (1440, 1080)
    assert coloured_pixels(plain, TAB_BLUE) == 0 and coloured_pixels(marked, TAB_BLUE) > 200


def test_map_tsne_and_unknown_words(tmp_path, caplog):
    kv = clustered_kv(n_clusters=3, per=8)
    path = plot_map(tmp_path / "m.png", kv, method="tsne", top=24, words=[kv.index_to_key[0], "nosuchword"], topn=3)
    assert png_shape(path) == (1440, 1080)
    assert "'nosuchword' is not in the vocabulary" in caplog.text
    with pytest.raises(WordvecError, match="none of the words"):
        plot_map(tmp_path / "x.png", kv, words=["nosuchword"])
    with pytest.raises(WordvecError, match="unknown map method"):
        plot_map(tmp_path / "x.png", kv, method="umap")


def test_pca_projection_keeps_the_main_direction():
    rng = np.random.default_rng(0)
    x = np.outer(np.linspace(-5, 5, 50), rng.normal(size=6)) + rng.normal(size=(50, 6)) * 0.01
    xy = project_2d(x)
    assert xy.shape == (50, 2)
    assert abs(np.corrcoef(xy[:, 0], np.linspace(-5, 5, 50))[0, 1]) > 0.999  # first axis = the line
    assert xy[:, 1].std() < 0.05 * xy[:, 0].std()


def test_plot_run_and_cli(tmp_path, capsys):
    kv = clustered_kv()
    run = make_run(tmp_path / "run", kv, query_words=[kv.index_to_key[0], kv.index_to_key[1]])
    paths = plot_run(run, top=20)
    assert [p.name for p in paths] == ["loss.png", "map.png"]
    assert png_shape(run / "loss.png") == (960, 600) and png_shape(run / "map.png") == (1440, 1080)
    (run / "map.png").unlink()
    assert main(["plot", str(run), "--top", "10", "--words", kv.index_to_key[5]]) == 0
    assert "map.png" in capsys.readouterr().out and png_shape(run / "map.png") == (1440, 1080)
    assert main(["plot", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err
