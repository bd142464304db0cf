"""The run directory: the one module that writes it, reads it back and checks it.

A run directory holds:

| file | what |
|---|---|
| `metrics.json` | counts, losses, timing, the full config, neighbours (and `evaluation` once evaluated); strict JSON |
| `vocab.txt` | `token<TAB>count`, line i = id i |
| `vectors.txt` | the word vectors in word2vec text format |
| `model.safetensors` | the trained matrices, named as in `TENSORS` |
| `loss.png` | loss per epoch (and `map.png` after `wordvec plot`, `explore-map.npz` after `wordvec explore`) |

`reserve(out, overwrite)` checks and locks the destination before any work; `PendingRun.commit` builds every file
in a temporary sibling folder and renames it into place, so a failed or killed run never leaves a half-written
directory, and two runs aimed at the same `--out` cannot silently replace each other. `--overwrite` replaces only a
directory that is recognisably a wordvec run.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Config
from .errors import WordvecError
from .files import (atomic_open, check_fields, check_name_room, is_kind, lock_beside, read_json, stale_temp_dirs,
                    temp_dir, unlock)
from .vectors import KeyedVectors
from .vocab import Vocab
from .weights import HS, INPUT, OUTPUT, TrainResult, word_vectors

log = logging.getLogger("wordvec")

METRICS, VOCAB, VECTORS, MODEL, LOSS_PNG, MAP_PNG = (
    "metrics.json", "vocab.txt", "vectors.txt", "model.safetensors", "loss.png", "map.png")
MAP_CACHE = "explore-map.npz"  # `wordvec explore`'s 2-D maps, computed once
TENSORS = {INPUT: "input vectors (syn0)", OUTPUT: "output vectors (syn1neg)",
           HS: "hierarchical-softmax inner nodes (syn1)"}
RUN_FILES = frozenset({METRICS, VOCAB, VECTORS, MODEL, LOSS_PNG, MAP_PNG, MAP_CACHE})
VECTOR_CHOICES = ("input", "output", "mean")


def _fix(run: Path) -> str:
    """The fix for a damaged run (--overwrite would not replace a folder whose metrics.json is damaged)."""
    return f"train it again into a new --out (or remove {run} first)"


def _not_a_run(run: Path) -> str:
    """Why a path that is not a folder is not a run, with the fix that fits it."""
    if run.name.endswith(".checkpoint") and run.is_file():
        out = run.with_name(run.name[:-len(".checkpoint")])
        return (f"{run} is the checkpoint of an unfinished run, not a run directory: finish it with `wordvec train "
                f"... --out {out} --resume` (the arguments it was started with), then use {out}")
    if run.exists():
        return f"{run} is a file, not a run directory; give the folder `wordvec train --out` wrote"
    return f"{run}: no such run directory; check the path, or train one with `wordvec train --out {run}`"


# ------------------------------------------------------------------------------------------------- reading


#: Kinds (`files.check_fields`) of the metrics.json keys wordvec reads back; others are kept as they are.
_SCHEMA = {
    "wordvec_version": "str", "dataset": "str", "train_rows": "int", "test_rows": "int|null", "vocab_size": "int",
    "tokens": "int", "pairs": "int", "final_loss": "number|null", "train_seconds": "number",
    "words_per_second": "number|null", "device": "str", "config": "dict", "neighbors": "dict", "evaluation": "dict",
    "epoch_losses": "list", "heldout_losses": "list",
}


def read_metrics(run_dir: str | os.PathLike) -> dict:
    """metrics.json of a run, checked: a bounded JSON object with the expected types, or one WordvecError naming
    the key."""
    run = Path(run_dir)
    path = run / METRICS
    if not run.is_dir():
        raise WordvecError(_not_a_run(run))
    if (run / "manifest.json").is_file() and not path.exists():
        raise WordvecError(f"{run} is a token store (made by `wordvec prepare`), not a run directory: train from "
                           f"it with `wordvec train --dataset {run} --out runs/NAME`, then use that run")
    if not path.exists():
        raise WordvecError(f"{run} is not a finished wordvec run (no {METRICS}); give the folder `wordvec train "
                           f"--out` wrote (an interrupted run leaves its state in {run.name}.checkpoint: resume it "
                           f"with --resume)")
    fix = f"the run is damaged; {_fix(run)}"
    data = read_json(path, fix=fix)
    check_fields(data, _SCHEMA, str(path), fix, required=("config",))
    for key in ("epoch_losses", "heldout_losses"):
        if not all(is_kind(x, "number") for x in data.get(key, [])):
            raise WordvecError(f"{path}: '{key}' should be a list of numbers; {fix}")
    points = data.get("loss_points")
    if points is not None and not _points_ok(points):
        raise WordvecError(f"{path}: 'loss_points' should be an object of equally long lists of numbers; {fix}")
    return data


def _points_ok(points) -> bool:
    """metrics.json's `loss_points` (`weights.LossCurve.points`): numbers, and lists of numbers (words/s may be
    null) of one length."""
    if not isinstance(points, dict):
        return False
    lists = [v for v in points.values() if isinstance(v, list)]
    number = lambda x: is_kind(x, "number")  # noqa: E731
    return (all(isinstance(v, list) or number(v) for v in points.values()) and len({len(v) for v in lists}) <= 1
            and all(number(x) or (x is None and k == "words_per_second") for k, v in points.items()
                    if isinstance(v, list) for x in v))


def read_config(run_dir: str | os.PathLike, metrics: dict | None = None) -> Config:
    """The run's Config from metrics.json, validated (a damaged value names itself, not a command-line flag)."""
    run = Path(run_dir)
    metrics = read_metrics(run) if metrics is None else metrics
    try:
        return Config.from_dict(metrics["config"]).validate()
    except (WordvecError, TypeError, ValueError) as e:
        reason = re.sub(r"--([a-z][a-z-]*)", lambda m: "config." + m.group(1).replace("-", "_"), str(e))
        raise WordvecError(f"{run / METRICS}: the stored config is not valid ({reason}); the run is damaged; "
                           f"{_fix(run)}") from None


def read_vocab(run_dir: str | os.PathLike) -> Vocab:
    run = Path(run_dir)
    path = run / VOCAB
    if not path.is_file():
        raise WordvecError(f"{path} is missing; {_fix(run)}")
    return Vocab.load(path)


def load_vectors(run_dir: str | os.PathLike, which: str | None = None) -> KeyedVectors:
    """The word vectors of a run: `vectors.txt` (which=None) or the input/output/mean of model.safetensors, with
    the run's counts and tokenizer (query words go through it). Every file is checked against the others."""
    run = Path(run_dir)
    metrics = read_metrics(run)
    config = read_config(run, metrics)
    vocab = read_vocab(run)
    if metrics.get("vocab_size") not in (None, len(vocab)):
        raise WordvecError(f"{run / VOCAB} has {len(vocab)} words but {METRICS} says {metrics['vocab_size']}; "
                           f"the run directory is inconsistent (vocab.txt cut short?); {_fix(run)}")
    if config.subwords:  # the word rows and the n-gram buckets: vectors for any word
        return _subword_vectors(run, config, vocab, which)
    if which is None:
        path = run / VECTORS
        if not path.is_file():
            raise WordvecError(f"{path} is missing; {_fix(run)}")
        kv = KeyedVectors.load_word2vec_format(path)
        if kv.index_to_key != vocab.id2tok:
            raise WordvecError(f"{path} ({len(kv.index_to_key)} words) does not match {run / VOCAB} "
                               f"({len(vocab)} words); the run directory is inconsistent; {_fix(run)}")
        vectors = kv.vectors
    else:
        vectors = _model_vectors(run, which, len(vocab))
    return KeyedVectors(vocab.id2tok, vectors, vocab.counts, config.tokenizer)


def _subword_vectors(run: Path, config: Config, vocab: Vocab, which: str | None):
    """A --subwords run's FastTextKeyedVectors: its input matrix is the words' rows, then the n-gram buckets."""
    from .fasttext import FastTextKeyedVectors

    if which not in (None, "input"):
        raise WordvecError(f"a fasttext run's word vectors are its input vectors (word and n-gram rows); drop "
                           f"--vectors {which} or use --vectors input")
    syn0 = read_tensors(run).get(INPUT)
    want = (len(vocab) + config.bucket, config.vector_size)
    if syn0 is None or syn0.shape != want:
        raise WordvecError(f"{run / MODEL}: {INPUT} has shape {None if syn0 is None else syn0.shape}, expected {want} "
                           f"({len(vocab)} words + {config.bucket} buckets); the run directory is inconsistent; "
                           f"{_fix(run)}")
    if not np.isfinite(syn0).all():
        raise WordvecError(f"{run / MODEL}: the input matrix holds NaN or inf; the run diverged or is damaged; "
                           f"{_fix(run)}")
    v = len(vocab)
    return FastTextKeyedVectors.from_arrays(vocab.id2tok, syn0[:v], syn0[v:], config.min_n, config.max_n,
                                            counts=vocab.counts, tokenizer=config.tokenizer)


def read_tensors(run_dir: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every matrix in model.safetensors, as float32 numpy arrays (no torch needed)."""
    run = Path(run_dir)
    path = run / MODEL
    if not path.is_file():
        raise WordvecError(f"{path} is missing; {_fix(run)}")
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise WordvecError(f"{path} is not a readable safetensors file ({e}); {_fix(run)}") from None
    return {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}


def _model_vectors(run: Path, which: str, n_words: int) -> np.ndarray:
    if which not in VECTOR_CHOICES:
        raise WordvecError(f"--vectors must be one of {', '.join(VECTOR_CHOICES)}, got {which!r}")
    tensors = read_tensors(run)
    for name, mat in tensors.items():
        if name in (INPUT, OUTPUT) and (mat.ndim != 2 or mat.shape[0] != n_words):
            raise WordvecError(f"{run / MODEL}: {name} has shape {mat.shape} but {run / VOCAB} has {n_words} "
                               f"words; the run directory is inconsistent; {_fix(run)}")
    if INPUT not in tensors:
        raise WordvecError(f"{run / MODEL} has no {INPUT} tensor; the run is damaged; {_fix(run)}")
    try:
        vectors = word_vectors(which, tensors[INPUT], tensors.get(OUTPUT))
    except ValueError as e:
        raise WordvecError(f"{run / MODEL}: {e}; use --vectors input") from None
    if not np.isfinite(vectors).all():
        row = int(np.flatnonzero(~np.isfinite(vectors).all(axis=1))[0])
        raise WordvecError(f"{run / MODEL}: row {row} of the {which} vectors is not finite (NaN or inf); "
                           f"the run diverged or is damaged; {_fix(run)}")
    return vectors


# ------------------------------------------------------------------------------------------------- writing


def strict_json(value):
    """A JSON-safe copy: NaN and infinities become null, numpy scalars plain numbers (metrics.json stays strict)."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_metrics(path: str | os.PathLike, metrics: dict) -> None:
    """metrics.json, whole or not at all."""
    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump(strict_json(metrics), f, indent=2, allow_nan=False, ensure_ascii=False)
        f.write("\n")


def update_metrics(run_dir: str | os.PathLike, key: str, value: dict) -> dict:
    """Merge `value` into metrics.json's `key` (re-read first, so nothing written meanwhile is lost)."""
    run = Path(run_dir)
    metrics = read_metrics(run)
    current = metrics.get(key) or {}
    metrics[key] = {**current, **value}
    write_metrics(run / METRICS, metrics)
    return metrics


def is_run_dir(path: str | os.PathLike) -> bool:
    """A folder wordvec may replace: its metrics.json names a wordvec version and it holds only run files."""
    path = Path(path)
    try:
        data = read_json(path / METRICS)
        names = {p.name for p in path.iterdir()}
    except (OSError, WordvecError):
        return False
    return isinstance(data, dict) and "wordvec_version" in data and names <= RUN_FILES


def _dangerous(out: Path) -> bool:
    """The current folder, one of its parents, the home folder or the root: never a run directory."""
    target = out.resolve()
    cwd = Path.cwd().resolve()
    return target == cwd or target in cwd.parents or target == Path.home().resolve() or target == Path("/")


def check_out(out: str | os.PathLike, overwrite: bool = False) -> Path:
    """Refuse an --out that cannot or must not be written, before any work: returns it as a Path."""
    out = Path(out)
    if not str(out).strip():
        raise WordvecError("--out is empty; give the run directory to write")
    if _dangerous(out):
        raise WordvecError(f"--out {out} is the current folder or one of its parents; give a new folder, "
                           f"e.g. --out runs/NAME")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise WordvecError(f"--out {out} exists and is not a folder; choose another --out")
    check_name_room(out)
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise WordvecError(f"{out} already exists; pass --overwrite to replace it, or choose another --out")
        if not is_run_dir(out):
            raise WordvecError(f"{out} is not a wordvec run directory (it holds other files), so --overwrite will "
                               f"not replace it; choose another --out")
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise WordvecError(f"cannot create {out}: {ancestor} is a file; choose another --out")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise WordvecError(f"cannot create {out}: {ancestor} is not writable; choose another --out")
    return out


def checkpoint_path(out: str | os.PathLike) -> Path:
    """Where the run in progress keeps its checkpoint: beside the run directory, `OUT.checkpoint`."""
    out = Path(out)
    return out.absolute().parent / f"{out.name}.checkpoint"


@dataclass
class PendingRun:
    """A run directory being made: the destination, checked and locked (see `reserve`)."""

    out: Path
    overwrite: bool
    _lock_fd: int | None = None
    _lock_path: Path | None = None

    @property
    def parent(self) -> Path:
        return self.out.absolute().parent

    @property
    def checkpoint_path(self) -> Path:
        return checkpoint_path(self.out)

    def commit(self, metrics: dict, vocab: Vocab, kv: KeyedVectors, result: TrainResult) -> Path:
        """Write every file into a temporary sibling folder, then rename it to `out` (replacing a run on
        --overwrite). A folder that appeared at `out` meanwhile is never replaced without --overwrite."""
        from .state import save_tensors

        try:
            tmp = temp_dir(self.parent / self.out.name)
        except OSError as e:
            raise WordvecError(f"cannot create the run directory {self.out} ({e.strerror}); choose a writable "
                               f"--out") from None
        try:
            write_metrics(tmp / METRICS, metrics)
            vocab.save(tmp / VOCAB)
            kv.save_word2vec_format(tmp / VECTORS, sort_attr=None)  # rows in vocab.txt order
            tensors = {INPUT: result.input_vectors}
            if result.output_vectors is not None:
                tensors[OUTPUT] = result.output_vectors
            tensors.update(result.extra_tensors)
            save_tensors(tmp / MODEL, {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()},
                         {"format": "wordvec", "model": str(metrics["config"]["model"])})  # streamed, not copied
            if metrics.get("epoch_losses") or metrics.get("heldout_losses"):
                _plot_loss(tmp / LOSS_PNG, metrics)
            self._move_into_place(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return self.out

    def _move_into_place(self, tmp: Path) -> None:
        out, old = self.out, None
        if out.is_dir() and not out.is_symlink():
            if any(out.iterdir()):
                if not (self.overwrite and is_run_dir(out)):
                    raise WordvecError(f"{out} appeared while this run was training and holds other files; "
                                       f"nothing was replaced; choose another --out")
                old = self.parent / f".{out.name}.old-{os.getpid()}"
                os.replace(out, old)
            else:
                os.rmdir(out)
        elif out.exists() or out.is_symlink():
            raise WordvecError(f"{out} appeared while this run was training and is not a folder; nothing was "
                               f"replaced; choose another --out")
        try:
            os.rename(tmp, out)
        except OSError as e:
            if old is not None:
                os.replace(old, out)
            if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
                raise WordvecError(f"{out} appeared while this run was finishing; nothing was replaced; choose "
                                   f"another --out") from None
            raise WordvecError(f"cannot write {out} ({e.strerror}); choose a writable --out") from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def release(self) -> None:
        if self._lock_fd is not None:
            unlock(self._lock_fd, self._lock_path)
            self._lock_fd = None

    def __enter__(self) -> "PendingRun":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def reserve(out: str | os.PathLike, overwrite: bool = False) -> PendingRun:
    """Check `out` (see `check_out`) and take an exclusive lock on it, so a second run aimed at the same folder
    fails at once instead of replacing the first; temporary folders of killed earlier runs are removed."""
    run = PendingRun(check_out(out, overwrite), overwrite)
    try:
        run.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WordvecError(f"cannot create {run.parent} ({e.strerror}); choose a writable --out") from None
    run._lock_fd, run._lock_path = lock_beside(run.out)
    for stale in stale_temp_dirs(run.out):
        log.info("removing %s, left by an interrupted run", stale)
        shutil.rmtree(stale, ignore_errors=True)
    return run


# ------------------------------------------------------------------------------------------------- commands on a run


def evaluate_run(run_dir, pairs=None, analogies=None, downstream: bool = False, folds: int = 5, sif: bool = False,
                 restrict_vocab: int = 300000) -> dict:
    """The asked evaluations of a run, merged into metrics.json under `evaluation` and returned."""
    from .evaluate import evaluate_word_analogies, evaluate_word_pairs
    from .report import loss_table

    run = Path(run_dir)
    metrics = read_metrics(run)
    kv = load_vectors(run)
    if (pairs or analogies) and kv.counts is not None and np.any(np.diff(kv.counts) > 0):
        kv.sort_by_descending_frequency()  # --restrict-vocab N: the N most frequent words (a lab run's are unsorted)
    results: dict = {}
    loss = loss_table(metrics)
    if loss:
        results["loss"] = loss
    if pairs:
        results["pairs"] = evaluate_word_pairs(kv, pairs, restrict_vocab=restrict_vocab)
    if analogies:
        results["analogies"] = evaluate_word_analogies(kv, analogies, restrict_vocab=restrict_vocab)
    if downstream:
        results["downstream"] = _downstream_run(kv, read_config(run, metrics), folds, sif)
    update_metrics(run, "evaluation", results)
    return results


def _downstream_run(kv: KeyedVectors, config: Config, folds: int, sif: bool) -> dict:
    from .corpus import load_corpus
    from .downstream import downstream
    from .preprocess import get_tokenizer

    splits = load_corpus(config.dataset, config.text_column, config.label_column)
    train = splits["train"]
    if train.labels is None:
        raise WordvecError(f"dataset {config.dataset} has no integer labels in column '{config.label_column}'; "
                           f"the downstream evaluation needs them (train with --label-column NAME)")
    res = downstream(kv, list(train.texts), train.labels, tokenizer=get_tokenizer(config.tokenizer), folds=folds,
                     sif=sif, seed=config.seed)
    return {"dataset": str(config.dataset), **res}


def plot_run(run_dir, method: str = "pca", top: int = 150, words=None) -> list[Path]:
    """`loss.png` (when the run recorded losses) and `map.png` in the run directory; words default to the run's
    query words, or the most frequent words when none of those is in the vocabulary."""
    from .plots import plot_map

    run = Path(run_dir)
    metrics = read_metrics(run)
    config = read_config(run, metrics)
    kv = load_vectors(run)
    written = []
    train, held = metrics.get("epoch_losses") or [], metrics.get("heldout_losses") or []
    if train or held:
        written.append(_plot_loss(run / LOSS_PNG, metrics))
    if words is None:
        words = [w for w in config.query_words if w in kv]
        if not words:
            log.warning("plot: none of the query words %s is in the vocabulary; highlighting the most "
                        "frequent words instead", ", ".join(config.query_words))
            words = [kv.index_to_key[i] for i in kv.most_frequent(4)]
    how = {"pca": "PCA", "tsne": "t-SNE"}.get(method, method)
    title = (f"{run.resolve().name} ({config.model}): {how} map of the {min(top, len(kv.index_to_key))} most "
             f"frequent words" + (f", query words with their {config.topn} nearest neighbours" if words else ""))
    written.append(plot_map(run / MAP_PNG, kv, method=method, top=top, words=words, topn=config.topn,
                            title=title))
    return written


def _plot_loss(path: Path, metrics: dict) -> Path:
    """loss.png from metrics.json: the epoch means, the held-out loss, the points every N words, labelled by the
    run's objective."""
    from .plots import loss_name, plot_loss

    points = metrics.get("loss_points")
    return plot_loss(path, metrics.get("epoch_losses") or [], metrics.get("heldout_losses"),
                     points if isinstance(points, dict) else None, loss_name(metrics.get("config")))


def export_run(run_dir, format: str, out, which: str | None = None, limit: int | None = None,
               name: str | None = None, overwrite: bool = False) -> Path:
    """A run's vectors (vectors.txt, or the `which` matrix of model.safetensors) written in `format` to `out`;
    a projector export is named after the run's folder unless `name` is given."""
    from .export import export_vectors

    check_export_out(run_dir, format, out, overwrite, name)
    kv = load_vectors(run_dir, which)
    if format == "fasttext-bin" and hasattr(kv, "vectors_ngrams"):
        return _export_fasttext_bin(run_dir, kv, out, limit)
    return export_vectors(kv, format, out, limit, name=name or Path(run_dir).resolve().name, overwrite=overwrite)


def check_export_out(source, format: str, out, overwrite: bool, name: str | None = None) -> None:
    """An export's flags fit its format, and it never replaces a file the user has without --overwrite, nor the
    file or run it reads from."""
    if name is not None and format != "projector":
        raise WordvecError(f"--name names a projector export; drop it for --format {format}")
    out, source = Path(out), Path(source)
    if format == "projector" or not out.exists():
        return
    if out.is_dir():
        raise WordvecError(f"--out {out} is a folder; give a file name for --format {format}")
    inside = source.is_dir() and out.resolve().parent == source.resolve()
    if inside or out.resolve() == source.resolve():
        raise WordvecError(f"--out {out} is {'a file of the run' if inside else 'the file'} being exported; "
                           f"choose an --out outside it")
    if not overwrite:
        raise WordvecError(f"--out {out} already exists; choose another --out, or add --overwrite to replace it")


def _export_fasttext_bin(run_dir, kv, out, limit: int | None) -> Path:
    """A --subwords run as fastText's .bin, with the run's hyperparameters and output matrix (gensim and fastText
    read it, and continue training it)."""
    from types import SimpleNamespace

    from .fasttext import save_facebook_model

    if limit is not None:
        raise WordvecError("--limit keeps the most frequent words of a vectors file; a fastText .bin holds the "
                           "whole model: drop --limit")
    config, tensors = read_config(run_dir), read_tensors(run_dir)
    hs, negative = config.heads()
    model = SimpleNamespace(wv=kv, window=config.window, epochs=config.epochs, min_count=config.min_count,
                            negative=negative, hs=hs, sg=int(config.model == "skipgram"), sample=config.sample,
                            syn1neg=tensors.get(OUTPUT), syn1=tensors.get(HS),
                            corpus_total_words=int(read_metrics(run_dir).get("tokens") or 0))
    return save_facebook_model(model, out)


__all__ = ["METRICS", "VOCAB", "VECTORS", "MODEL", "INPUT", "OUTPUT", "HS", "TENSORS", "read_metrics",
           "read_config", "read_vocab", "read_tensors", "load_vectors", "write_metrics", "update_metrics",
           "strict_json", "is_run_dir", "check_out", "reserve", "PendingRun", "checkpoint_path", "evaluate_run", "plot_run",
           "export_run", "check_export_out"]
