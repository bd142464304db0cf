"""The word2vec engine: skip-gram / CBOW with negative sampling, hierarchical softmax or both, gensim's recipe.

`train_word2vec(config, vocab, encoded)` is the one entry point. Two backends share the recipe (subsampling with
word2vec.c's formula redrawn every epoch, a reduced window drawn uniformly in 1..window per centre word, noise
proportional to count**ns_exponent, a Huffman tree for hs, the learning rate decaying linearly from `lr` to `min_lr`
over all epochs, input vectors uniform in [-1, 1)/vector_size as gensim does, output vectors zero):

* ``hogwild`` (CPU; the default there): compiled Hogwild SGD kernels (`wordvec.kernels`: C, or numba where the C
  extension was not built), one example at a time, as word2vec.c and gensim do, on `threads` Python threads that
  release the GIL. The corpus is cut into chunks of tokens; each chunk has its own random stream (seeded from seed,
  epoch and chunk index) and its own slice of the learning-rate schedule, so with ``threads=1`` results are bit-
  identical for the same seed. With more threads the chunks interleave and update the shared matrices without locks
  (racy by design, like gensim's workers): the result differs from run to run in the last digits, not in quality.
* ``torch`` (any device; always used on CUDA): batched tensor operations, in `wordvec.engine_torch` (imported
  only when it runs, so a CPU run never loads torch).

Training can stop at a chunk boundary and continue later exactly where it stopped (`checkpoint`, `resume`):
the position, the loss sums and the chunking are part of the saved state, and every chunk's random stream depends
only on (seed, epoch, chunk), so with one thread a resumed run is bit-identical to one that never stopped.
Pairs are never materialised for the whole corpus: the corpus is one int32 id array plus document offsets.
"""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np

from .config import Config, check_rate
from .devices import cap_to_cores, resolve_device
from .errors import WordvecError, require
from .files import check_fields, is_kind
from .runctl import RunControl, check_same_settings
from .state import RESUME_FIX, Checkpointer, check_position, expect_tensor
from .vocab import Encoded, Vocab, alias_table, chance_loss, huffman_tree, keep_probabilities, noise_distribution
from .weights import (HS, INPUT, OUTPUT, LossCurve, Replicas, TrainResult, as_hooks, check_resumable, init_vectors,
                      matrix_sum)

log = logging.getLogger("wordvec")


@dataclass
class Weights:
    """The matrices skip-gram / CBOW train, updated in place: syn0 (the word vectors), syn1 (hierarchical
    softmax's inner nodes; None without hs) and syn1neg (negative sampling's output vectors; None without ns)."""

    syn0: np.ndarray
    syn1: np.ndarray | None = None
    syn1neg: np.ndarray | None = None
    lockf: np.ndarray | None = None  # per-word factor on syn0's updates (gensim's vectors_lockf); None: all 1

    def tensors(self) -> dict[str, np.ndarray]:
        """Under the run directory's names."""
        out = {INPUT: self.syn0}
        if self.syn1neg is not None:
            out[OUTPUT] = self.syn1neg
        if self.syn1 is not None:
            out[HS] = self.syn1
        return out

    @classmethod
    def from_tensors(cls, tensors: dict[str, np.ndarray]) -> "Weights":
        """Writable float32 copies of saved matrices."""
        get = lambda name: None if name not in tensors else np.array(tensors[name], dtype=np.float32)  # noqa: E731
        return cls(get(INPUT), get(HS), get(OUTPUT))


def input_rows(config: Config, n_words: int) -> int:
    """syn0's rows: one per word, then with --subwords one per n-gram bucket."""
    return n_words + (config.bucket if config.subwords else 0)


def new_weights(config: Config, vocab: Vocab) -> Weights:
    """gensim's start: syn0 uniform in [-1, 1)/dim from the seed (with subwords its bucket rows too, as fastText and
    gensim start them), the output matrices zero."""
    hs, negative = config.heads()
    n_inner = huffman_tree(vocab.counts).n_inner if hs else 0
    syn0, out = init_vectors(config.seed, input_rows(config, len(vocab)), n_inner if hs else len(vocab),
                             config.vector_size)
    if hs:
        return Weights(syn0, out, np.zeros((len(vocab), config.vector_size), np.float32) if negative else None)
    return Weights(syn0, None, out)


def _check(config: Config, vocab: Vocab, encoded: Encoded, weights: Weights | None) -> None:
    config.validate()
    if config.model not in ("skipgram", "cbow"):
        raise WordvecError(f"the word2vec engine trains --model skipgram or cbow, got {config.model!r} "
                           f"(the lab's full-softmax network is trained by wordvec.train)")
    if len(vocab) == 0:
        raise WordvecError("the vocabulary is empty; lower --min-count or give a larger corpus")
    if len(encoded) == 0:
        raise WordvecError("the corpus has no in-vocabulary tokens to train on; check --dataset and --min-count")
    ids = encoded.ids
    if ids.dtype != np.int32:
        raise WordvecError(f"encoded token ids must be int32, got {ids.dtype}")
    if weights is not None:
        _check_weights(config, vocab, weights)
    if encoded.checked:  # a token store validated itself on open; reading it all again costs a corpus pass
        return
    if int(ids.min()) < 0 or int(ids.max()) >= len(vocab):
        raise WordvecError("encoded token ids fall outside the vocabulary; encode the corpus with this vocabulary")
    off = encoded.offsets
    if off.ndim != 1 or off.size < 2 or off[0] != 0 or off[-1] != len(ids) or np.any(np.diff(off) < 0):
        raise WordvecError("document offsets must start at 0, never decrease and end at the number of tokens")
    if not np.any(np.diff(off) >= 2):
        raise WordvecError("there are no training pairs: every document has fewer than two in-vocabulary words; "
                           "lower --min-count or give a larger corpus")


def _check_weights(config: Config, vocab: Vocab, weights: Weights) -> None:
    """Matrices to continue from (a model's, a checkpoint's): the shapes this vocabulary and config need, whatever
    the corpus, and finite float32 (a NaN row would only train more NaNs)."""
    hs, negative = config.heads()
    shapes = {"syn0": (weights.syn0, (input_rows(config, len(vocab)), config.vector_size)),
              "syn1neg": (weights.syn1neg, (len(vocab), config.vector_size) if negative else None),
              "syn1": (weights.syn1, (max(len(vocab) - 1, 1), config.vector_size) if hs else None)}
    for name, (mat, want) in shapes.items():
        if (mat is None) != (want is None) or (mat is not None and mat.shape != want):
            raise WordvecError(f"{name} has shape {None if mat is None else mat.shape}, but this vocabulary "
                               f"and config need {want}")
        if mat is not None and mat.dtype != np.float32:
            raise WordvecError(f"{name} is {mat.dtype}; the matrices train as float32 (convert with "
                               f".astype(np.float32))")
        if mat is not None:
            check_resumable(name, mat)


def _chunk_seed(seed: int, epoch: int, chunk: int) -> int:
    return (seed * 0x9E3779B1 + epoch * 0x85EBCA77 + chunk * 0xC2B2AE3D + 0x27D4EB2F) % (2 ** 63)


def train_word2vec(config: Config, vocab: Vocab, encoded: Encoded, progress: bool = True, callback=None,
                   checkpoint: Checkpointer | None = None, resume: tuple[dict, dict] | None = None,
                   weights: Weights | None = None, start_alpha: float | None = None, end_alpha: float | None = None,
                   epoch_offset: int = 0, replicas: Replicas | None = None, require_pairs: bool = True
                   ) -> TrainResult:
    """Train skip-gram or CBOW (mean, or sum with cbow_mean=False) with negative sampling, hierarchical softmax or
    both heads (both_heads); see the module doc.

    `weights` continues training matrices in place (else they start afresh); `start_alpha`/`end_alpha` override
    config.lr/min_lr for this call; `epoch_offset` counts epochs trained before (it seeds the random streams, so
    training in several calls is the same as in one). `callback` is a `weights.Hooks` or a plain
    `callback(epoch, mean loss, None)`. `checkpoint` saves the state at chunk boundaries when due; `resume` is
    such a state (`state.load_state`) to continue from. `replicas` (several processes, `wordvec.distributed`):
    each process trains its share of every round of chunks, then the copies are made equal (`Replicas.sync`).
    A run in which subsampling left no pair to train is an error with `require_pairs` (the command line), else a
    warning (gensim's API: its toy corpora lose every word to `sample` in some epochs, and gensim trains on).

    Returns a TrainResult: input_vectors (syn0), output_vectors (syn1neg; None for hs alone), the hs inner-node
    vectors (syn1) in extra_tensors['hs.weight'], the mean loss per example for each epoch, wall seconds, and
    counts: words = in-vocabulary tokens x epochs (before subsampling), effective_words = tokens kept by
    subsampling, pairs = (centre, context) pairs trained.
    """
    device = resolve_device(config.device)
    if resume is not None:  # the matrices come from the checkpoint, or from the model that saved mid-way
        check_checkpoint(resume if weights is None else (weights.tensors(), resume[1]), config, len(vocab),
                         uses_cpu_kernels(config, device))
    if resume is not None and weights is None:
        weights = Weights.from_tensors(resume[0])
    _check(config, vocab, encoded, weights)
    if require_pairs and encoded.checked and not _has_pair(encoded.offsets):  # a token store: say so before training
        raise WordvecError("; ".join(_no_pair(config, encoded.offsets)))
    hooks = as_hooks(callback)
    alphas = (check_rate("start_alpha", float(config.lr if start_alpha is None else start_alpha)),
              check_rate("end_alpha", float(config.min_lr if end_alpha is None else end_alpha)))
    if weights is None:
        weights = new_weights(config, vocab)
    if replicas is not None:
        check_processes(config, device)
    if not uses_cpu_kernels(config, device):
        if _lockf(weights.lockf, len(vocab)) is not None:
            raise WordvecError("vectors_lockf below 1 (frozen rows) is trained by the CPU kernels only; use "
                               "device='cpu', backend='hogwild' (or 'auto')")
        if config.both_heads or not config.cbow_mean:
            raise WordvecError("--both-heads and --no-cbow-mean are trained by the CPU kernels only; use "
                               "--device cpu --backend hogwild (or auto)")
        require("torch", "the torch backend (--backend torch, --device cuda)")
        from .engine_torch import train_torch

        result = train_torch(config, vocab, encoded, device, progress, hooks, checkpoint, resume, weights, alphas,
                             epoch_offset, replicas)
    else:
        warm_up(config)  # compile or load the kernel before the clock starts
        run = _HogwildRun(config, vocab, encoded, weights, alphas, epoch_offset, hooks, checkpoint,
                          None if resume is None else resume[1]["state"], replicas or Replicas())
        result = run.run(progress)
    if result.pairs == 0:
        message, fix = _no_pair(config, encoded.offsets)
        if require_pairs:
            raise WordvecError(f"{message}; {fix}")
        log.warning("%s; the vectors are untrained (%s)", message, fix)
    return result


def _no_pair(config: Config, offsets: np.ndarray) -> tuple[str, str]:
    """Why no pair was trained, and the fix: the corpus itself, else subsampling."""
    if not _has_pair(offsets):
        return ("no pair was trained: every document holds fewer than two in-vocabulary words (a pair is a word and "
                "a neighbour in the same document)", "give documents of several words (one sentence a line, not one "
                "word a line), or lower --min-count so more words stay")
    return (f"no pair was trained: subsampling (sample={config.sample:g}) dropped all but isolated words of this "
            f"small corpus in every epoch", "lower --sample (0: off) or give a larger corpus")


def _has_pair(offsets: np.ndarray) -> bool:
    """Some document holds two tokens or more (offsets read in chunks: a token store's are a memmap)."""
    step = 1 << 22
    return any(bool((np.diff(offsets[a:a + step + 1]) >= 2).any()) for a in range(0, max(len(offsets) - 1, 0), step))


# --- Hogwild: the CPU kernels -----------------------------------------------------------------------------------

def _tables(config: Config, vocab: Vocab):
    """keep-probabilities, the Huffman paths (codes, points, lengths; hs) and the noise alias table (prob, alias;
    ns). A head that does not train gets one-element placeholders."""
    keep = keep_probabilities(vocab.counts, config.sample)
    hs, negative = config.heads()
    if hs:
        tree = huffman_tree(vocab.counts)
        codes, points, lengths = tree.codes, tree.points, tree.lengths
    else:
        codes, points, lengths = np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32), np.zeros(1, np.int32)
    if negative:
        prob, alias = alias_table(noise_distribution(vocab.counts, config.ns_exponent))
    else:
        prob, alias = np.ones(1, np.float32), np.zeros(1, np.int32)
    return keep, codes, points, lengths, prob, alias


_WARM: set = set()


def warm_up(config: Config | None = None) -> None:
    """Run the kernel `config` will run once on a three-word corpus, through the same code path, so timings exclude
    the set-up: with the numba kernels the JIT compile (or the load from numba's on-disk cache); the C kernels
    (`wordvec.kernels`) need none, and this loads neither numba nor scipy. Without a config, every kernel. Once per
    process."""
    configs = [config] if config is not None else [Config(model="skipgram"), Config(model="cbow")]
    counts = np.array([3, 3, 2])
    vocab = Vocab(["a", "b", "c"], counts)
    encoded = Encoded(np.array([0, 1, 2, 1, 0, 2, 1, 0], dtype=np.int32), np.array([0, 4, 8], dtype=np.int64))
    for c in configs:
        key = (c.model, c.heads())
        if c.model in ("skipgram", "cbow") and c.loss in ("ns", "hs") and key not in _WARM:
            tiny = c.replace(epochs=1, threads=1, vector_size=4, device="cpu", backend="hogwild", min_count=1,
                             sample=0.0, subwords=False)  # the same compiled loop runs the subword input
            _HogwildRun(tiny, vocab, encoded, new_weights(tiny, vocab), (0.025, 0.0001), 0, as_hooks(None), None,
                        None, Replicas()).run(progress=False)
            _WARM.add(key)


def check_processes(config: Config, device: str) -> None:
    """Several processes train fastText on the CPU kernels only (their sync tracks the touched bucket rows)."""
    if config.subwords and not uses_cpu_kernels(config, device):
        raise WordvecError("fasttext on the torch backend trains in one process; under torchrun / --nproc train it "
                           "on the CPU kernels (--backend hogwild --device cpu)")


def uses_cpu_kernels(config: Config, device: str) -> bool:
    """Whether skip-gram / CBOW on `device` (resolved) trains with the compiled CPU kernels, not the torch backend."""
    return not (device.startswith("cuda") or config.backend == "torch")


def kernels_used(config: Config, device: str) -> str:
    """What trains skip-gram / CBOW here (metrics.json's `kernels`): 'c' or 'numba' (the CPU kernels), or 'torch'."""
    if not uses_cpu_kernels(config, device):
        return "torch"
    from .kernels import implementation, name_of

    return name_of(implementation())


def check_kernels(config: Config, device: str) -> None:
    """Fail now, before any data is read, when the CPU kernels this run needs cannot load (a bad WORDVEC_KERNELS,
    or C kernels forced where they were not built)."""
    if uses_cpu_kernels(config, device):
        from .kernels import implementation

        implementation()
    else:
        require("torch", "the torch backend (--backend torch, --device cuda)")


#: The fewest tokens a chunk (one kernel call) has, however often loss points are asked for.
MIN_CHUNK = 256

#: A chunk ends at the next document start when one is this near (or within half a chunk), so that small chunks
#: (a loss point's words) never split documents that larger ones would have kept whole.
WHOLE_DOCUMENT = 10_000


def chunk_bounds(corpus: Encoded, chunk: int) -> list[int]:
    """Token positions cutting the corpus into jobs of about `chunk` tokens, at document starts where one is near
    (within half a chunk, or WHOLE_DOCUMENT tokens); only a document longer than that is split (windows are then
    cut at the split, as gensim cuts sentences at 10,000 words). The corpus searches its own offsets (a token
    store's, from the file)."""
    n = int(corpus.offsets[-1])
    targets = np.arange(chunk, n, chunk, dtype=np.int64)
    (at,) = corpus.search_offsets((targets, "left"))
    nxt = corpus.offsets_at(np.minimum(at, len(corpus.offsets) - 1))
    cuts = np.where(nxt - targets < max(chunk // 2, WHOLE_DOCUMENT), nxt, targets)
    return sorted({0, n, *[int(c) for c in cuts if 0 < c < n]})


@dataclass
class Position:
    """Where a run stands, and the sums it has gathered: everything a checkpoint needs besides the weights."""

    epoch: int = 0  # epochs of this call completed
    chunk: int = 0  # chunks of the current epoch completed
    chunk_size: int = 0  # the corpus is cut the same way on resume, whatever the thread count
    loss: float = 0.0  # sums over the current epoch's completed chunks
    examples: int = 0
    kept: int = 0
    pairs: int = 0
    kept_total: int = 0  # over the completed epochs
    pairs_total: int = 0
    epoch_losses: list = field(default_factory=list)
    seconds: float = 0.0
    start_alpha: float = 0.0
    end_alpha: float = 0.0
    epochs: int = 0
    epoch_offset: int = 0
    points: dict = field(default_factory=dict)  # the LossCurve so far


#: A saved position's fields and their JSON kinds: `Position` (the CPU kernels) and the torch engine's.
_POSITION = {"epoch": "int", "chunk": "int", "chunk_size": "int", "loss": "number", "examples": "int", "kept": "int",
             "pairs": "int", "kept_total": "int", "pairs_total": "int", "epoch_losses": "list", "seconds": "number",
             "start_alpha": "number", "end_alpha": "number", "epochs": "int", "epoch_offset": "int", "points": "dict"}
_TORCH_POSITION = {**{k: v for k, v in _POSITION.items() if k not in ("chunk", "chunk_size")}, "batch": "int",
                   "batch_size": "int", "world": "int"}


def check_checkpoint(resume: tuple[dict, dict], config: Config, n_words: int, cpu: bool,
                     path="the checkpoint") -> None:
    """A state to continue from (`state.load_state` of a checkpoint), checked before any of it is used: the
    position has exactly its fields, of their types, within range; every matrix the settings train is there, float32,
    of the shape the vocabulary and --vector-size give, and no other; the torch engine's generator states are bytes."""
    tensors, header = resume
    schema = _POSITION if cpu else _TORCH_POSITION
    state = check_position(path, header.get("state"), schema,
                           required=[k for k in schema if k not in ("world", "points")])
    if "points" in state:
        _check_points(path, state["points"])
    if cpu and state["chunk_size"] < 1:
        raise WordvecError(f"{path}: the saved chunk size is {state['chunk_size']}; {RESUME_FIX}")
    if state["epoch"] > state["epochs"] or len(state["epoch_losses"]) != state["epoch"] or (
            state["epoch"] == state["epochs"] and state.get("chunk", state.get("batch"))):
        raise WordvecError(f"{path}: the saved position (epoch {state['epoch']} of {state['epochs']}, "
                           f"{len(state['epoch_losses'])} epoch losses) is impossible; {RESUME_FIX}")
    hs, negative = config.heads()
    dim = config.vector_size
    want = {INPUT: (input_rows(config, n_words), dim), OUTPUT: (n_words, dim) if negative else None,
            HS: (max(n_words - 1, 1), dim) if hs else None}
    for name, shape in want.items():
        if shape is not None:
            expect_tensor(path, tensors, name, shape, what=f" ({n_words:,} words of --vector-size {dim})")
        elif name in tensors:
            raise WordvecError(f"{path} holds {name}, which --loss {config.loss} does not train; {RESUME_FIX}")
    if not cpu:
        for name, arr in tensors.items():
            if name.startswith("rng.") and (arr.dtype != np.uint8 or arr.ndim != 1):
                raise WordvecError(f"{path}: {name} is not a generator state; {RESUME_FIX}")


#: A saved loss curve (`weights.LossCurve`, as `asdict` writes it): each field's JSON kind.
_POINTS = {"every": "int", "epoch_words": "int", "words": "list", "epoch": "list", "loss": "list", "examples": "list",
           "lr": "list", "words_per_second": "list", "last_words": "int", "last_loss": "number", "last_examples": "int"}


def _check_points(path, points) -> None:
    """The loss curve a checkpoint carries: exactly LossCurve's fields, lists of numbers of one length."""
    check_fields(points, _POINTS, f"{path}: the saved loss curve", RESUME_FIX, exact=True)
    lists = [points[k] for k, kind in _POINTS.items() if kind == "list"]
    numbers = all(is_kind(x, "number") or (x is None and k == "words_per_second")
                  for k in _POINTS if _POINTS[k] == "list" for x in points[k])
    if not numbers or len({len(v) for v in lists}) > 1 or points["every"] < 1:
        raise WordvecError(f"{path}: the saved loss curve is not lists of numbers of one length; {RESUME_FIX}")


class _Done:
    """A finished job, shaped like a Future (one thread: no pool)."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _HogwildRun:
    def __init__(self, config, vocab, encoded, weights, alphas, epoch_offset, hooks, checkpoint, state, replicas):
        from .kernels import kernel_for

        self.config, self.vocab, self.weights, self.replicas = config, vocab, weights, replicas
        self.threads = cap_to_cores("--threads", config.threads)
        self.n = len(encoded)
        self.curve = LossCurve.start(self.n, config.epochs, config.loss_every, state and state.get("points"))
        if state is None:  # a chunk is at most a loss point's words, so a one-epoch run still draws a curve
            chunk = int(min(100_000, max(10_000, self.n // (8 * self.threads)), max(MIN_CHUNK, self.curve.every)))
            if replicas.world > 1:  # a round must fit in sync_words, so chunks cannot be larger
                chunk = int(max(1_000, min(chunk, config.sync_words)))
            self.pos = Position(chunk_size=chunk, start_alpha=alphas[0], end_alpha=alphas[1], epochs=config.epochs,
                                epoch_offset=epoch_offset)
        else:
            check_same_settings(state, {"start_alpha": alphas[0], "end_alpha": alphas[1], "epochs": config.epochs,
                                        "epoch_offset": epoch_offset})
            self.pos = Position(**state)
        self.ctl = RunControl(checkpoint, replicas, hooks, self.pos.seconds)
        self.bounds = chunk_bounds(encoded, self.pos.chunk_size)
        if self.pos.chunk > len(self.bounds) - 1:
            raise WordvecError(f"the checkpoint stands at chunk {self.pos.chunk} of an epoch of "
                               f"{len(self.bounds) - 1} chunks; {RESUME_FIX}")
        self.encoded, self.chunks = encoded, None
        self.tables = _tables(config, vocab)
        self.hs, self.negative = config.heads()
        self.kernel = kernel_for(config.model == "skipgram")
        placeholder = np.zeros((1, 1), np.float32)
        self.syn1 = weights.syn1 if weights.syn1 is not None else placeholder
        self.syn1neg = weights.syn1neg if weights.syn1neg is not None else placeholder
        self.chance = chance_loss(vocab.counts, self.hs, self.negative)
        self.lockf = _lockf(weights.lockf, len(weights.syn0), len(vocab))
        self.sub_offsets, self.sub_rows = _subword_rows(config, vocab)
        # the input rows training can write: with subwords, the CSR's (of 2,000,000 buckets, few are any word's)
        self.trained_rows = None if self.sub_rows is None else np.unique(self.sub_rows)

    def alpha_at(self, done: int) -> float:
        a0, a1 = self.pos.start_alpha, self.pos.end_alpha
        return a0 - (a0 - a1) * (done / (self.n * self.config.epochs))

    def job(self, epoch: int, c: int):
        s, e = self.bounds[c], self.bounds[c + 1]
        done = epoch * self.n
        keep, codes, points, lengths, prob, alias = self.tables
        cfg = self.config
        ids, offsets, start, stop = self.chunks.read(c)
        return self.kernel(ids=ids, offsets=offsets, start=start, stop=stop, syn0=self.weights.syn0, syn1=self.syn1,
                           codes=codes, points=points, lengths=lengths, syn1neg=self.syn1neg, prob=prob, alias=alias,
                           keep=keep, hs=self.hs, negative=self.negative, window=int(cfg.window),
                           reduced_window=bool(cfg.reduced_window), alpha0=self.alpha_at(done + s),
                           alpha1=self.alpha_at(done + e),
                           seed=_chunk_seed(cfg.seed, self.pos.epoch_offset + epoch, c),
                           shared_negatives=bool(cfg.shared_negatives), cbow_mean=bool(cfg.cbow_mean),
                           lockf=self.lockf, sub_offsets=self.sub_offsets, sub_rows=self.sub_rows)

    def _take(self, future, bar) -> None:
        loss, examples, kept, pairs = future.result()
        p = self.pos
        p.loss += loss
        p.examples += examples
        p.kept += kept
        p.pairs += pairs
        p.chunk += 1
        self._point(bar)

    def _point(self, bar, end_of_epoch: bool = False) -> None:
        """A loss point when one is due (`LossCurve`)."""
        p = self.pos
        words = p.epoch * self.n + self.bounds[p.chunk]
        if end_of_epoch or (self.curve.due(words) and p.chunk < len(self.bounds) - 1):
            self.ctl.loss_point(self.curve, bar, words, p.epoch, p.loss, p.examples, self.alpha_at(words),
                                end_of_epoch)

    def run(self, progress: bool) -> TrainResult:
        with self.encoded.open_chunks(self.bounds) as self.chunks:
            return self._run(progress)

    def _run(self, progress: bool) -> TrainResult:
        p, n_chunks = self.pos, len(self.bounds) - 1
        bar = self.ctl.progress_bar(progress, total=self.config.epochs * n_chunks, initial=p.epoch * n_chunks + p.chunk,
                                    desc="word2vec", unit="chunk")
        self.ctl.start()
        pool = ThreadPoolExecutor(max_workers=self.threads) if self.threads > 1 else None
        try:
            (self._rounds if self.replicas.world > 1 else self._chunks)(pool, bar)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            if bar is not None:
                bar.close()
        return self._finish()

    def _submit(self, pool, epoch: int, c: int):
        return pool.submit(self.job, epoch, c) if pool else _Done(self.job(epoch, c))

    def _chunks(self, pool, bar) -> None:
        """One process: chunks in order, at most two per thread in flight; a checkpoint waits for those in flight,
        so every chunk before its position is done and none after it started."""
        p, n_chunks = self.pos, len(self.bounds) - 1
        while p.epoch < self.config.epochs:
            if p.chunk == 0:
                self.ctl.hooks.epoch_begin(p.epoch)
            inflight: deque = deque()
            c = p.chunk
            while c < n_chunks or inflight:
                while c < n_chunks and len(inflight) < 2 * self.threads:
                    inflight.append(self._submit(pool, p.epoch, c))
                    c += 1
                self._take(inflight.popleft(), bar)
                if bar is not None:
                    bar.update(1)
                if p.chunk < n_chunks and self.ctl.due():
                    while inflight:
                        self._take(inflight.popleft(), bar)
                    c = p.chunk
                    self._save()
            self._end_epoch(bar)
            if p.epoch < self.config.epochs and self.ctl.due():
                self._save()

    def _rounds(self, pool, bar) -> None:
        """Several processes: each round of `world` x `chunks_per_sync` chunks is shared out (chunk c to process
        c mod world, counted from the round's start), trained, and the copies synced; sums and decisions are
        agreed on, so every process walks the same rounds and checkpoints at the same one."""
        p, r, n_chunks = self.pos, self.replicas, len(self.bounds) - 1
        per_round = r.world * max(1, int(self.config.sync_words) // max(1, p.chunk_size))
        matrices = list(self.weights.tensors().values())
        tracked = [self.sub_rows is not None] + [False] * (len(matrices) - 1)  # syn0 (V + bucket rows) comes first
        r.start(matrices, tracked)
        while p.epoch < self.config.epochs:
            if p.chunk == 0:
                self.ctl.hooks.epoch_begin(p.epoch)
            while p.chunk < n_chunks:
                end = min(n_chunks, p.chunk + per_round)
                mine = range(p.chunk + r.rank, end, r.world)
                if tracked[0]:
                    r.track(matrices, [self._input_rows(mine)] + [None] * (len(matrices) - 1))
                jobs = [self._submit(pool, p.epoch, c) for c in mine]
                sums = [0.0, 0, 0, 0]
                for job in jobs:
                    for i, x in enumerate(job.result()):
                        sums[i] += x
                r.sync(matrices)
                loss, examples, kept, pairs = r.total(sums)
                p.loss += loss
                p.examples, p.kept, p.pairs = p.examples + int(examples), p.kept + int(kept), p.pairs + int(pairs)
                if bar is not None:
                    bar.update(end - p.chunk)
                p.chunk = end
                self._point(bar)
                if p.chunk < n_chunks and self.ctl.due():
                    self._save()
            self._end_epoch(bar)
            if p.epoch < self.config.epochs and self.ctl.due():
                self._save()

    def _input_rows(self, chunks) -> np.ndarray:
        """The input rows training `chunks` can change (sorted): each of their words' own row and n-gram rows."""
        words = np.zeros(len(self.vocab), dtype=bool)
        for c in chunks:
            ids, _, s, e = self.chunks.read(c)
            words[ids[s:e]] = True
        w = np.flatnonzero(words)
        off = self.sub_offsets
        lengths = off[w + 1] - off[w]
        at = np.repeat(off[w] - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        rows = np.zeros(len(self.weights.syn0), dtype=bool)
        rows[self.sub_rows[at]] = True
        return np.flatnonzero(rows)

    def _finish(self) -> TrainResult:
        p = self.pos
        seconds = self.ctl.elapsed()
        w = self.weights
        return TrainResult(
            input_vectors=w.syn0, output_vectors=w.syn1neg, epoch_losses=list(p.epoch_losses), seconds=seconds,
            device="cpu", words=self.n * self.config.epochs, effective_words=p.kept_total,
            pairs=p.pairs_total, extra_tensors={HS: w.syn1} if w.syn1 is not None else {},
            loss_points=self.curve.points(),
        )

    def _end_epoch(self, bar) -> None:
        p = self.pos
        loss = p.loss / p.examples if p.examples else float("nan")
        if p.examples:
            tensors = self.weights.tensors()
            if self.trained_rows is not None:  # a row no word reads kept its value, finite when the run began
                tensors[INPUT] = tensors[INPUT][self.trained_rows]
            sums = [matrix_sum(m) for m in tensors.values()]
            self.ctl.check_epoch(p.epoch, loss, sums, p.start_alpha, self.chance)
        p.epoch_losses.append(loss)
        self._point(bar, end_of_epoch=True)
        p.kept_total += p.kept
        p.pairs_total += p.pairs
        self.ctl.end_epoch(p.epoch, loss, None, p.loss, p.examples)
        p.epoch += 1
        p.chunk, p.loss, p.examples, p.kept, p.pairs = 0, 0.0, 0, 0, 0

    def _save(self) -> None:
        """After a sync every copy is equal: `RunControl.save` has the first process write."""
        self.ctl.save("word2vec", self.weights.tensors, asdict(self.pos),
                      list(map(matrix_sum, self.weights.tensors().values())), self.pos.start_alpha, self.pos.epoch,
                      self.curve)


def lockf_values(lockf) -> np.ndarray:
    """`wv.vectors_lockf` as a flat float32 array, whatever the user assigned (None: 1 for every word), or one
    WordvecError when it is not numbers."""
    if lockf is None:
        return np.ones(1, dtype=np.float32)
    try:
        with np.errstate(over="ignore"):  # beyond float32: inf, refused where it is used
            return np.asarray(lockf, dtype=np.float32).ravel()
    except (TypeError, ValueError):
        raise WordvecError(f"vectors_lockf must be numbers (one factor per word, or one for all), got "
                           f"{type(lockf).__name__}") from None
def _subword_rows(config: Config, vocab: Vocab) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The kernels' subword CSR (each word's own row, then V + its n-gram buckets), hashed once per run; None, None
    without --subwords (word2vec)."""
    if not config.subwords or config.bucket == 0:
        return None, None
    from .subwords import vocab_rows

    offsets, rows = vocab_rows(vocab.id2tok, config.min_n, config.max_n, config.bucket)
    return np.ascontiguousarray(offsets, dtype=np.int64), np.ascontiguousarray(rows, dtype=np.int32)


def _lockf(lockf, n_words: int, vocab: int | None = None) -> np.ndarray | None:
    """The kernels' lockf: None when every factor is 1 (their fast path), else one finite float32 per input row:
    per word, and with subwords per n-gram bucket after them (`vocab` words; a single value stands for every row,
    as in gensim)."""
    if lockf is None:
        return None
    a = lockf_values(lockf)
    if a.size == 1:
        a = np.full(n_words, a[0], dtype=np.float32)
    if a.shape != (n_words,) or not np.isfinite(a).all():
        rows = f"word ({n_words})" if vocab in (None, n_words) else \
            f"input row ({n_words}: {vocab} words, then {n_words - vocab} n-gram buckets)"
        raise WordvecError(f"vectors_lockf must hold one finite factor per {rows} or a single one, got "
                           f"{a.size} value(s){'' if np.isfinite(a).all() else ' with NaN or inf'}")
    return None if (a == 1.0).all() else np.ascontiguousarray(a)


__all__ = ["train_word2vec", "check_checkpoint", "lockf_values", "Weights", "new_weights", "input_rows", "warm_up",
           "chunk_bounds",
           "check_kernels", "kernels_used", "uses_cpu_kernels"]
