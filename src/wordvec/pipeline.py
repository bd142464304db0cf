"""The whole run, end to end: corpus -> tokens -> vocab -> training -> a run directory.

A run directory holds metrics.json, vocab.txt, vectors.txt (word2vec text), model.safetensors and loss.png. It is
built under a temporary name beside its destination and renamed into place at the end, so a failed or
interrupted run never leaves a half-written directory behind.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import __version__
from .config import Config
from .corpus import load_corpus
from .errors import WordvecError
from .preprocess import get_tokenizer
from .vocab import build_and_encode

#: The lab's graded numbers (SPEC.md), checked by `print_report` when the run is the lab on its dataset.
LAB_PARITY = {"train_rows": 31962, "test_rows": 17197, "vocab_size": 3085, "tokens": 204534, "pairs": 854376}
LAB_MAX_LOSS = 6.75


def choose_vectors(which: str, input_vectors: np.ndarray, output_vectors: np.ndarray | None) -> np.ndarray:
    """The word vectors a run publishes: the input matrix, the output matrix, or their mean."""
    if which == "input" or output_vectors is None:
        if which != "input":
            print("wordvec: no output vectors with hierarchical softmax; using the input vectors", file=sys.stderr)
        return input_vectors
    if which == "output":
        return output_vectors
    return (input_vectors + output_vectors) / 2


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def train_pipeline(config: Config, out: str | os.PathLike, overwrite: bool = False,
                   tensorboard: str | os.PathLike | None = None, quiet: bool = False) -> dict:
    """Train `config` and write the run directory `out`; returns the metrics dict (also in out/metrics.json)."""
    config.validate()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise WordvecError(f"{out} already exists; pass --overwrite to replace it, or choose another --out")
    from .train import fit, resolve_device

    resolve_device(config.device)  # a missing GPU is an error before any work, not after tokenising
    writer = _tensorboard_writer(tensorboard)

    t_start = time.perf_counter()
    splits = load_corpus(config.dataset, config.text_column, config.label_column)
    tokenize = get_tokenizer(config.tokenizer)
    train_split = splits["train"]
    _log(f"wordvec: tokenising {config.dataset} ({config.tokenizer} tokenizer)", quiet)
    vocab, train_enc = build_and_encode((tokenize(t) for t in train_split.texts), config.min_count,
                                        config.max_vocab_size)
    test_split = splits.get("test")
    test_enc = vocab.encode(tokenize(t) for t in test_split.texts) if test_split is not None else None
    prep_seconds = time.perf_counter() - t_start
    _log(f"wordvec: {len(vocab):,} words, {len(train_enc):,} training tokens; training {config.model}/"
         f"{config.loss}", quiet)

    def on_epoch(epoch: int, loss: float, held: float | None) -> None:
        if writer is not None:
            writer.add_scalar("loss/train", loss, epoch + 1)
            if held is not None:
                writer.add_scalar("loss/heldout", held, epoch + 1)
            writer.flush()

    result = fit(config, vocab, train_enc, test_enc if config.model == "softmax" else None,
                 progress=config.progress and not quiet, callback=on_epoch)
    if writer is not None:
        writer.close()
    vectors = choose_vectors(config.vectors, result.input_vectors, result.output_vectors)

    from .vectors import KeyedVectors

    kv = KeyedVectors(vocab.id2tok, vectors, counts=vocab.counts, tokenizer=config.tokenizer)
    neighbors = {}
    for word in config.query_words:
        if kv.has_index_for(word):
            neighbors[word] = [w for w, _ in kv.most_similar(word, topn=config.topn)]
    pairs = result.pairs // config.epochs  # the lab's pair count; for skip-gram/CBOW the mean trained per epoch
    metrics = {
        "wordvec_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "dataset": config.dataset,
        "train_rows": train_enc.n_docs,  # one document per row / non-blank line (streams are not re-read)
        "test_rows": test_enc.n_docs if test_enc is not None else 0,
        "vocab_size": len(vocab),
        "tokens": len(train_enc),
        "test_tokens": len(test_enc) if test_enc is not None else 0,
        "pairs": int(pairs),
        "epoch_losses": [float(x) for x in result.epoch_losses],
        "heldout_losses": [float(x) for x in result.heldout_losses],
        "final_loss": float(result.epoch_losses[-1]) if result.epoch_losses else None,
        "train_seconds": round(result.seconds, 4),
        "prep_seconds": round(prep_seconds, 4),
        "words_per_second": round(result.words_per_second, 1),
        "pairs_per_second": round(result.pairs / result.seconds, 1) if result.seconds > 0 else None,
        "words": int(result.words),
        "effective_words": int(result.effective_words),
        "device": result.device,
        "config": config.to_dict(),
        "neighbors": neighbors,
    }
    _write_run(out, metrics, vocab, kv, result, overwrite)
    return metrics


def _write_run(out: Path, metrics: dict, vocab, kv, result, overwrite: bool) -> None:
    """Write every file into a temporary sibling folder, then rename it to `out` (replacing it on --overwrite)."""
    from safetensors.numpy import save_file

    from .export import save_word2vec_format
    from .plots import plot_loss

    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as e:
        raise WordvecError(f"cannot create the run directory {out} ({e.strerror}); choose a writable --out") from None
    try:
        with open(tmp / "metrics.json", "w", encoding="utf-8") as f:
            json.dump(metrics, f, indent=2)
            f.write("\n")
        vocab.save(tmp / "vocab.txt")
        save_word2vec_format(tmp / "vectors.txt", kv.index_to_key, kv.vectors)
        tensors = {"embed.weight": np.ascontiguousarray(result.input_vectors, dtype=np.float32)}
        if result.output_vectors is not None:
            tensors["expand.weight"] = np.ascontiguousarray(result.output_vectors, dtype=np.float32)
        tensors.update({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in result.extra_tensors.items()})
        save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "wordvec", "model": metrics["config"]["model"]})
        plot_loss(tmp / "loss.png", metrics["epoch_losses"], metrics["heldout_losses"] or None)
        old = None
        if out.exists():
            old = parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _tensorboard_writer(logdir):
    if logdir is None:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise WordvecError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter(log_dir=str(logdir))


def print_report(metrics: dict, out: str | os.PathLike | None = None, file=None) -> None:
    """The lab's checks (with a tick where the run is the lab on its dataset) and the neighbours."""
    file = file or sys.stdout
    cfg = metrics["config"]
    is_lab = (cfg.get("model") == "softmax" and cfg.get("tokenizer") == "lab" and cfg.get("min_count") == 11
              and cfg.get("window") == 3 and metrics.get("train_rows") == LAB_PARITY["train_rows"])
    p = lambda *a: print(*a, file=file)  # noqa: E731
    p(f"{'check':<24}{'value':>14}  {'lab':>10}")
    rows = [("train rows", "train_rows"), ("test rows", "test_rows"), ("vocabulary size", "vocab_size"),
            ("train tokens", "tokens"), ("train pairs", "pairs")]
    for label, key in rows:
        mark = ""
        if is_lab:
            mark = f"{LAB_PARITY[key]:>10,} {'ok' if metrics[key] == LAB_PARITY[key] else 'DIFFERS'}"
        p(f"{label:<24}{metrics[key]:>14,}  {mark}")
    losses = ", ".join(f"{x:.4f}" for x in metrics["epoch_losses"])
    p(f"{'epoch losses':<24}{losses:>14}")
    if metrics.get("heldout_losses"):
        p(f"{'held-out losses':<24}{', '.join(f'{x:.4f}' for x in metrics['heldout_losses']):>14}")
    if is_lab and metrics["final_loss"] is not None:
        ok = "ok" if metrics["final_loss"] <= LAB_MAX_LOSS else "ABOVE"
        p(f"{'final loss':<24}{metrics['final_loss']:>14.4f}  {'<= 6.75':>10} {ok}")
    p(f"{'training':<24}{metrics['train_seconds']:>13.2f}s  on {metrics['device']}, "
      f"{metrics['words_per_second']:,.0f} words/s")
    p("")
    for word, near in metrics["neighbors"].items():
        p(f"{word:>8} -> {', '.join(near)}")
    missing = [w for w in cfg.get("query_words", []) if w not in metrics["neighbors"]]
    if missing:
        p(f"(not in the vocabulary: {', '.join(missing)})")
    if out is not None:
        p(f"\nrun written to {out}/ (metrics.json, vocab.txt, vectors.txt, model.safetensors, loss.png)")


__all__ = ["train_pipeline", "print_report", "choose_vectors", "LAB_PARITY"]
