"""One run, end to end: corpus -> tokens -> vocabulary -> training -> a run directory (see `wordvec.rundir`).

Everything that can be checked without data is checked first (settings, device, the output folder, the
TensorBoard folder), so a mistake costs nothing; the run directory appears only when training succeeded.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path


from . import __version__
from .runctl import differences
from .state import DEFAULT_CHECKPOINT_EVERY, Checkpointer, fingerprint, listening, load_state
from .config import TOKENIZERS, Config
from .corpus import check_apart, default_tokenizer, load_corpus
from .devices import resolve_device
from .distributed import TorchReplicas, launched, restart_count, session, sync_hint
from .errors import UnknownWordError, WordvecError, require
from .preprocess import get_tokenizer
from .rundir import check_out, checkpoint_path, reserve
from .vectors import KeyedVectors
from .word2vec import checkpoint_extras
from .store import is_store
from .vocab import Encoded, Vocab, build_and_encode
from .weights import Hooks, TrainResult, word_vectors

log = logging.getLogger("wordvec")


def fit(config: Config, vocab: Vocab, train: Encoded, heldout: Encoded | None = None, progress: bool = False,
        callback=None, checkpoint: Checkpointer | None = None, resume: tuple[dict, dict] | None = None,
        replicas=None) -> TrainResult:
    """Train whichever model `config` names on an encoded corpus; `callback(epoch, loss, heldout loss)`.
    `checkpoint` saves the training state when due; `resume` continues from such a state."""
    if config.model == "softmax":
        require("torch", "the lab's network (--preset lab, --model softmax)")
        from .train import train_lab
        from .windows import all_pairs

        pairs = all_pairs(train, config.window)
        held = all_pairs(heldout, config.window) if heldout is not None else None
        result = train_lab(config, len(vocab), pairs, held, progress=progress, callback=callback,
                           checkpoint=checkpoint, resume=resume, replicas=replicas)
        result.words = len(train) * config.epochs
        result.effective_words = result.words
        return result
    from .engine import train_word2vec

    return train_word2vec(config, vocab, train, progress=progress, callback=callback, checkpoint=checkpoint,
                          resume=resume, replicas=replicas)


#: Settings that may change between a run and its resume: they do not change what is computed.
RESUMABLE_CHANGES = frozenset({"progress", "query_words", "topn", "threads", "device", "loss_every"})


def identity(config: Config, vocab: Vocab, train: Encoded) -> dict:
    """What a resumed run must share with the one that wrote the checkpoint."""
    settings = {k: v for k, v in config.identity_dict().items() if k not in RESUMABLE_CHANGES}
    settings["dataset"] = _local_dataset(config.dataset)
    return {"config": settings, "vocabulary": fingerprint(vocab.id2tok, vocab.counts), "tokens": len(train),
            "documents": train.n_docs}


def check_resume(path: Path, meta: dict, want: dict) -> None:
    """Refuse a checkpoint written by a different command or on different data, naming every difference."""
    have = meta.get("identity")
    have = have if isinstance(have, dict) else {}
    theirs = have.get("config") if isinstance(have.get("config"), dict) else {}
    keys = differences(theirs, want["config"], "(unset)")
    switched = ("subwords" in theirs) != ("subwords" in want["config"])  # a word2vec run's identity has no
    if switched:  # subword settings: the switch is named once, not each setting
        keys = [k for k in keys if k not in ("subwords", "min_n", "max_n", "bucket")]
    diffs = [f"--{key.replace('_', '-')} {theirs.get(key, '(unset)')} -> {want['config'][key]}" for key in keys]
    if switched:
        diffs.insert(0, "--subwords on -> off (the checkpoint is a fasttext run's)" if "subwords" in theirs else
                     "--subwords off -> on (the checkpoint is a word2vec run's)")
    data = {key: want[key] for key in ("vocabulary", "tokens", "documents")}
    diffs += [f"the data ({key} {have.get(key)} -> {want[key]})" for key in differences(have, data)]
    if diffs:
        raise WordvecError(f"{path} was written by a different run: {'; '.join(diffs)}; resume with the same "
                           f"arguments and data, or start afresh without --resume")


def nearest(kv: KeyedVectors, word: str, topn: int) -> list[str]:
    """The report's neighbours of one word: `KeyedVectors.most_similar`'s, so the report, `wordvec neighbors`, the
    map and the explorer give the same words in the same order (ties: `vectors.top_k`). The unit vectors it caches
    are the ones the map reads next."""
    return [w for w, _ in kv.most_similar(word, topn=topn)]


def _local_dataset(dataset: str) -> str:
    """A local dataset is stored as an absolute path, so `wordvec evaluate` works from any folder."""
    path = Path(dataset).expanduser()
    return str(path.resolve()) if path.exists() else dataset


def _tensorboard_writer(logdir):
    if logdir is None:
        return None
    logdir = Path(logdir)
    if logdir.exists() and not logdir.is_dir():
        raise WordvecError(f"--tensorboard {logdir} is a file; give a folder for the TensorBoard logs")
    require("tensorboard", "--tensorboard")
    SummaryWriter = require("torch.utils.tensorboard", "--tensorboard").SummaryWriter
    try:
        return SummaryWriter(log_dir=str(logdir))
    except OSError as e:
        raise WordvecError(f"cannot write TensorBoard logs to {logdir} ({e.strerror}); choose another "
                           f"--tensorboard folder") from None


def train_pipeline(config: Config, out: str | os.PathLike, overwrite: bool = False,
                   tensorboard: str | os.PathLike | None = None, quiet: bool = False,
                   checkpoint_every: float = DEFAULT_CHECKPOINT_EVERY, resume: bool = False) -> dict:
    """Train `config` and write the run directory `out`; returns the metrics dict (also in out/metrics.json).

    While training, the state is saved every `checkpoint_every` seconds (0: never) to `OUT.checkpoint` beside the
    run, and once more on SIGTERM; `resume=True` continues from that file. It is removed when the run is written.
    Started by torchrun as one of several ranks, the ranks train together (`wordvec.distributed`) and rank 0 alone
    writes; a torchrun restart (`--max-restarts`) resumes from the checkpoint when there is one.
    """
    device = _check_settings(config, checkpoint_every)
    config = _resolve_tokenizer(config)
    with session(device) as device:
        group = TorchReplicas(config.sync) if launched() else None
        if group is not None:
            config = config.replace(device=device)
        lead = group is None or group.rank == 0
        if lead:
            _say_ignored(config, device)
        pending = together(group, lambda: _reserve(out, overwrite, config.dataset) if lead else None)
        try:
            ckpt = checkpoint_path(out)
            restarted = restart_count() > 0 and ckpt.is_file()
            resume = resume or restarted
            together(group, lambda: _check_checkpoint(ckpt, resume, overwrite))
            writer = together(group, lambda: _tensorboard_writer(tensorboard) if lead else None)
            try:
                metrics, vocab, kv, result = _train(config, device, writer, quiet, ckpt, checkpoint_every, resume,
                                                    group)
            finally:
                if writer is not None:
                    writer.close()
            if lead:
                pending.commit(metrics, vocab, kv, result)
                ckpt.unlink(missing_ok=True)
        finally:
            if pending is not None:
                pending.release()
    return metrics


def _reserve(out, overwrite: bool, dataset):
    """Check and lock the run directory: its own problems first, then its place (never in the dataset folder)."""
    check_apart(check_out(out, overwrite), dataset)
    return reserve(out, overwrite)


def _check_settings(config: Config, checkpoint_every: float) -> str:
    """The checks that need no data and no files; returns the device to train on."""
    config.validate()
    device = resolve_device(config.device)  # a missing GPU is an error before any work, not after tokenising
    if config.model == "softmax":
        require("torch", "the lab's network (--preset lab, --model softmax)")
    else:
        from .engine import check_kernels

        check_kernels(config, device)
    if checkpoint_every < 0 or checkpoint_every != checkpoint_every:
        raise WordvecError(f"--checkpoint-every must be 0 (off) or a number of seconds, got {checkpoint_every}")
    return device


def _say_ignored(config: Config, device: str) -> None:
    """--backend auto picks the engine only now: a flag of the engine it did not pick is said once, not dropped."""
    from .engine import uses_cpu_kernels

    if config.launch_batch and config.model != "softmax" and uses_cpu_kernels(config, device):
        log.warning("--launch-batch %d is ignored: it sets the torch backend's launches, and --backend %s trains "
                    "on the CPU kernels here (no launches); drop it, or use --backend torch", config.launch_batch,
                    config.backend)


def preflight(config: Config, out: str | os.PathLike, overwrite: bool = False,
              tensorboard: str | os.PathLike | None = None, checkpoint_every: float = DEFAULT_CHECKPOINT_EVERY,
              resume: bool = False) -> None:
    """Everything `train_pipeline` checks before reading data, writing nothing: `wordvec train --nproc N` runs it
    before it starts N processes, so a mistake is one line at once rather than N processes' worth, late."""
    from .corpus import _looks_like_path

    device = _check_settings(config, checkpoint_every)
    from .engine import check_processes

    check_processes(config, device)
    check_out(out, overwrite)
    _check_checkpoint(checkpoint_path(out), resume, overwrite)
    if tensorboard is not None and Path(tensorboard).exists() and not Path(tensorboard).is_dir():
        raise WordvecError(f"--tensorboard {tensorboard} is a file; give a folder for the TensorBoard logs")
    dataset = str(config.dataset)
    if not Path(dataset).expanduser().exists() and _looks_like_path(dataset):
        raise WordvecError(f"dataset path {dataset} does not exist; check the path")


def together(group, step):
    """Run `step` on every rank; if it fails on any, it fails on all (one line each), instead of leaving the others
    waiting in the next collective operation."""
    try:
        result, failed = step(), None
    except WordvecError as e:
        result, failed = None, e
    if group is not None and group.agree(failed is not None) and failed is None:
        raise WordvecError(f"rank {group.rank}: stopped because another rank failed (see its error)")
    if failed is not None:
        raise failed
    return result


def _resolve_tokenizer(config: Config) -> Config:
    """`--tokenizer auto`: a token store's own tokenizer, else the dataset's default (corpus.default_tokenizer)."""
    if config.tokenizer != "auto":
        return config
    if is_store(config.dataset):
        from .store import open_store

        name = open_store(config.dataset, check_ids=False).manifest["tokenizer"]
        if name not in TOKENIZERS or name == "auto":  # the store's own word, not a flag the user gave
            raise WordvecError(f"the token store {config.dataset} names the tokenizer {str(name)[:40]!r}, which "
                               f"wordvec does not know; the store is damaged: re-create it with `wordvec prepare "
                               f"--out {config.dataset} --overwrite`")
        return config.replace(tokenizer=name)
    return config.replace(tokenizer=default_tokenizer(config.dataset))


def _from_store(config: Config) -> tuple[Vocab, Encoded]:
    """A token store (`wordvec prepare`) as the training corpus: mapped, not read; its settings must be the run's."""
    from .store import open_store

    store = open_store(config.dataset)
    store.check(tokenizer=config.tokenizer, min_count=config.min_count, max_final_vocab=config.max_final_vocab,
                sort_by_count=config.sorted_vocab, max_vocab_size=config.max_vocab_size)
    for path in store.changed_sources():
        log.warning("%s changed or vanished since the store was prepared; re-run wordvec prepare to train on the "
                    "current text", path)
    m = store.manifest
    log.info("token store %s: %s words, %s tokens (tokenizer %s, min_count %s, max_final_vocab %s, numbered by %s)",
             store.path, f"{len(store.vocab):,}", f"{len(store):,}", m["tokenizer"], m["min_count"],
             m["max_final_vocab"], m["vocab_order"])
    return store.vocab, store.encoded


class _Scalars(Hooks):
    """TensorBoard scalars: the loss per epoch (step: the epoch) and, for skip-gram/CBOW, every loss point's loss,
    learning rate and words/s (step: words trained)."""

    def __init__(self, writer):
        self.writer = writer

    def epoch_end(self, epoch, loss, held, loss_sum, examples) -> None:
        if self.writer is not None:
            self.writer.add_scalar("loss/train", loss, epoch + 1)
            if held is not None:
                self.writer.add_scalar("loss/heldout", held, epoch + 1)
            self.writer.flush()

    def loss_point(self, point: dict) -> None:
        if self.writer is not None:
            step = point["words"]
            self.writer.add_scalar("points/loss", point["loss"], step)
            self.writer.add_scalar("points/lr", point["lr"], step)
            if point["words_per_second"] is not None:
                self.writer.add_scalar("points/words_per_second", point["words_per_second"], step)


def _check_checkpoint(ckpt: Path, resume: bool, overwrite: bool) -> None:
    if resume and not ckpt.is_file():
        raise WordvecError(f"nothing to resume: no checkpoint at {ckpt}; run without --resume")
    if not resume and ckpt.exists() and not overwrite:
        raise WordvecError(f"{ckpt} holds an interrupted run; continue it with --resume, or pass --overwrite to "
                           f"start afresh")


def _train(config: Config, device: str, writer, quiet: bool, ckpt: Path, checkpoint_every: float, resume: bool,
           group=None):
    t_start = time.perf_counter()
    from_store = is_store(config.dataset)
    if from_store:
        vocab, train_enc = _from_store(config)
        test_split = test_enc = None
    else:
        splits = load_corpus(config.dataset, config.text_column, config.label_column)
        tokenize = get_tokenizer(config.tokenizer)
        log.info("tokenising %s (%s tokenizer)", config.dataset, config.tokenizer)
        vocab, train_enc = build_and_encode((tokenize(t) for t in splits["train"].texts), config.min_count,
                                            config.max_vocab_size, max_final_vocab=config.max_final_vocab,
                                            sort_by_count=config.sorted_vocab)
        test_split = splits.get("test")
        test_enc = None
        if test_split is not None and config.model == "softmax":
            test_enc = vocab.encode(tokenize(t) for t in test_split.texts)
    if group is not None:
        group.same_everywhere(fingerprint(vocab.id2tok, vocab.counts), "vocabulary")
    prep_seconds = time.perf_counter() - t_start
    config.check_memory(len(vocab), 0 if train_enc.checked and config.model != "softmax" else len(train_enc))
    log.info("%s words, %s training tokens; training %s/%s on %s", f"{len(vocab):,}", f"{len(train_enc):,}",
             config.model, config.loss, device)

    me = identity(config, vocab, train_enc)
    state = None
    if resume:
        try:
            state = load_state(ckpt, kinds=("lab",) if config.model == "softmax" else ("word2vec",))
        except WordvecError as e:  # a damaged checkpoint: the way out is to start again
            raise WordvecError(f"{e}; it cannot be resumed: start afresh without --resume (with --overwrite, "
                               f"which replaces it)") from None
        check_resume(ckpt, state[1], me)
        if config.model != "softmax":
            from .engine import check_checkpoint, uses_cpu_kernels

            check_checkpoint(state, config, len(vocab), uses_cpu_kernels(config, device), ckpt)
        log.info("resuming from %s", ckpt)
    checkpointer = None
    if checkpoint_every > 0:
        extras, meta = ({}, {}) if config.model == "softmax" else checkpoint_extras(vocab, config)
        checkpointer = Checkpointer(ckpt, checkpoint_every, me, extras, meta)  # Word2Vec.load reads it too
    lead = group is None or group.rank == 0
    with listening(checkpointer):
        result = fit(config, vocab, train_enc, test_enc, progress=config.progress and not quiet and lead,
                     callback=_Scalars(writer), checkpoint=checkpointer, resume=state, replicas=group)
    if checkpointer is not None and checkpointer.saves:
        log.info("%d checkpoint(s) written in %.2f s", checkpointer.saves, checkpointer.seconds)
    if group is not None and config.model != "softmax":
        log.info("%d processes: %d syncs, %.2f s synchronising, %s bytes sent by rank 0", group.world, group.syncs,
                 group.seconds, f"{group.bytes:,}")
        hint = sync_hint(group.world, group.syncs, group.seconds, group.sync_collective_seconds, result.seconds,
                         config.sync_words)
        if hint:
            log.warning(hint)
    if config.subwords:  # the word rows, then the n-gram buckets: vectors for any word
        from .fasttext import FastTextKeyedVectors

        v = len(vocab)
        kv = FastTextKeyedVectors.from_arrays(vocab.id2tok, result.input_vectors[:v], result.input_vectors[v:],
                                              config.min_n, config.max_n, vocab.counts, config.tokenizer)
    else:
        kv = KeyedVectors(vocab.id2tok, word_vectors(config.vectors, result.input_vectors, result.output_vectors),
                          counts=vocab.counts, tokenizer=config.tokenizer)
    neighbors = {}
    for word in config.query_words:
        try:
            neighbors[word] = nearest(kv, word, config.topn)
        except UnknownWordError:  # not in the vocabulary (and, for fastText, without any n-gram): the report says so
            pass
    from .engine import kernels_used
    metrics = {
        "wordvec_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "dataset": _local_dataset(config.dataset),
        "train_rows": train_enc.n_docs,  # one document per row / non-blank line (streams are not re-read)
        "test_rows": None if from_store else (test_enc.n_docs if test_enc is not None else
                                              (len(test_split) if test_split else 0)),  # a store has no test split
        "vocab_size": len(vocab),
        "tokens": len(train_enc),
        "test_tokens": len(test_enc) if test_enc is not None else 0,
        "pairs": int(result.pairs // config.epochs),  # the lab's pair count; skip-gram/CBOW: mean per epoch
        "epoch_losses": [float(x) for x in result.epoch_losses],
        "heldout_losses": [float(x) for x in result.heldout_losses],
        "loss_points": result.loss_points or None,  # every N words: words, epoch, loss, examples, lr, words/s
        "final_loss": float(result.epoch_losses[-1]) if result.epoch_losses else None,
        "train_seconds": round(result.seconds, 4),
        "prep_seconds": round(prep_seconds, 4),
        "words_per_second": round(result.words_per_second, 1),
        "pairs_per_second": round(result.pairs / result.seconds, 1) if result.seconds > 0 else None,
        "words": int(result.words),
        "effective_words": int(result.effective_words),
        "device": result.device,
        "kernels": "torch" if config.model == "softmax" else kernels_used(config, result.device),
        "processes": 1 if group is None else group.world,
        "checkpoints": None if checkpointer is None else {"every": checkpointer.every, "saves": checkpointer.saves,
                                                          "seconds": round(checkpointer.seconds, 4)},
        "sync": None if group is None else {"syncs": group.syncs, "seconds": round(group.seconds, 4),
                                             "collective_seconds": round(group.sync_collective_seconds, 4),
                                             "bytes_sent_by_rank0": int(group.bytes),
                                             "rows_compared_by_rank0": int(group.rows_compared),
                                             "rows_synced_by_rank0": int(group.rows_synced)},
        "config": {**config.to_dict(), "dataset": _local_dataset(config.dataset)},
        "neighbors": neighbors,
    }
    return metrics, vocab, kv, result


__all__ = ["train_pipeline", "preflight", "fit"]
