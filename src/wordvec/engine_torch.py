"""The skip-gram / CBOW recipe as batched tensor operations: the backend for CUDA (and `--backend torch` on CPU).

Steps of `batch_size` centre words are cut out of the subsampled token array on the device; their contexts,
negatives and Huffman paths are gathered as tensors, the sigmoid gradients computed in closed form and applied
with `index_add_` (sparse minibatch SGD, no autograd). A row hit several times in one step moves by the sum of
its updates, capped at a few hundred updates' worth (`_capped_add`), so any step size is stable.

A GPU needs far more than one step's work per launch, but one big step learns less than many small ones (the
updates of a step all start from the same weights). So `launch_batch` centre words go to the device at once as
consecutive `batch_size`-word steps (`_Launch`): their inputs are gathered and drawn in a few batched operations,
then the steps run one after another with fixed shapes, on CUDA replayed as one CUDA graph. The result is the
small step's quality at the big batch's launch count.
Deterministic on CPU for the same seed; on CUDA `index_add_` sums in a nondeterministic order.

The recipe (subsampling, reduced window, noise distribution, Huffman tree, linear learning-rate decay, gensim's
initialisation) is the one `wordvec.engine` documents; this module only changes how it is executed.

fastText's subword input (`config.subwords`) is the CPU kernels' (`_kernels.c`): a word's input is the mean of its
rows (its own, then its n-gram buckets: `_Subwords`), summed by `embedding_bag`; the input gradient goes to each
of them unscaled. Skip-gram takes their order (the centre's rows predict each word of its window and take the
window's summed gradient once), CBOW's input is the mean of all the rows of all its context words. A batched step
computes all its updates from the same weights, and n-gram rows ("<th", "ing>") are shared by hundreds of a step's
words, where fastText's one-at-a-time SGD sees each push before the next. Two rules keep that stable:
* the input rows take word2vec's cap counted in the same unit, pair updates: a skip-gram window's summed gradient
  counts as the pairs it sums (counted as one update, the cap let a frequent bucket take ~1,500 pairs at once);
* the output rows' cap is SUBWORD_OUTPUT_UPDATES, not 256: their inputs are means of shared rows, so a step's
  pushes on a frequent word's output row agree far more than word2vec's do (at 256, skip-gram diverged at
  4,096-word steps on the tweets).
Shared rows also make smaller steps pay: `--preset fasttext` takes 512 centre words a step (README "Subword
vectors" has the measurements).
"""

from __future__ import annotations

import logging
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from .config import Config
from .errors import WordvecError
from .runctl import RunControl, check_same_settings
from .state import Checkpointer, rng_to_array
from .vocab import Encoded, Vocab, alias_table, chance_loss, huffman_tree, keep_probabilities, noise_distribution
from .weights import HS, INPUT, OUTPUT, Hooks, LossCurve, TrainResult

log = logging.getLogger("wordvec")


def train_torch(config: Config, vocab: Vocab, encoded: Encoded, device: str, progress: bool = False,
                hooks: Hooks | None = None, checkpoint: Checkpointer | None = None,
                resume: tuple[dict, dict] | None = None, weights=None, alphas: tuple[float, float] | None = None,
                epoch_offset: int = 0, replicas=None) -> TrainResult:
    """Train `config` (skipgram/cbow, ns/hs) on `device`, with the arguments of `engine.train_word2vec`: the
    matrices in `weights` are trained (and written back in place), the state saved at batch boundaries. With
    `replicas` (several processes), each process trains every world-th batch of a round, then the copies are made
    equal (`--sync`: the sum, or the mean, of the changes of the processes that changed a row)."""
    dev = torch.device(device)
    threads = config.threads or os.cpu_count() or 1
    old_threads = torch.get_num_threads()
    if dev.type == "cpu":
        torch.set_num_threads(threads)
    try:
        return _Run(config, vocab, encoded, dev, hooks or Hooks(), checkpoint, resume, weights,
                    alphas or (config.lr, config.min_lr), epoch_offset, replicas).run(progress)
    finally:
        torch.set_num_threads(old_threads)


#: A row hit h times in one step moves by the sum of its h updates, scaled down to at most this many updates'
#: worth (see `_capped_add`).
MAX_ROW_UPDATES = 256.0

#: With fastText's subword input, the output rows' cap instead (see the module doc).
SUBWORD_OUTPUT_UPDATES = 64.0


#: Centre words per launch on CUDA when `launch_batch` is 0 (on CPU: one step per launch).
CUDA_LAUNCH_WORDS = 65536

#: The most bytes of gathered inputs (windows, masks, negatives) one launch may hold (`steps_per_launch`).
LAUNCH_BYTES = 1 << 30

#: CUDA runs every step with fixed shapes (padding slots of weight 0), which CUDA graphs need; the CPU drops the
#: padding instead (the same updates). True (or WORDVEC_FIXED_SHAPES=1) runs the CUDA formulation on the CPU.
FIXED_SHAPES_ON_CPU = os.environ.get("WORDVEC_FIXED_SHAPES") == "1"


def _capped_add(weight, index, updates, n_rows, hits=None, cap: float = MAX_ROW_UPDATES) -> None:
    """weight[i] += the updates aimed at row i in this step, summed, times min(1, cap / hits).

    Summing is what one-at-a-time SGD does (each update computed from slightly older weights): it learns as fast as
    the CPU kernels. But a row hit thousands of times in one batch (a frequent word, the Huffman root, a tiny
    vocabulary, a huge batch) would take thousands of steps at once and diverge; capping the total at a few hundred
    steps' worth keeps any batch size stable. Averaging every row's updates instead (a cap of 1) is stable too but
    learns far slower: on the tweets, skip-gram's downstream F1 fell from 0.40 to 0.24 at 4,096 centre words a
    batch. `hits` (one weight per update, default 1) says which updates count: padding slots of a fixed-shape step
    carry 0. Counted with `index_add_`, not `bincount`, so that nothing waits for the device (CUDA graphs)."""
    ones = torch.ones(index.shape, device=weight.device, dtype=weight.dtype) if hits is None else hits
    count = torch.zeros(n_rows, device=weight.device, dtype=weight.dtype).index_add_(0, index, ones)
    scale = (cap / count.clamp_(min=1.0)).clamp_(max=1.0)
    weight.index_add_(0, index, updates * scale[index].unsqueeze(1))


class _Subwords:
    """fastText's input on the device: each vocabulary word's rows (its own, then V + its n-gram buckets, the CSR
    `subwords.vocab_rows` gives the CPU kernels), and a step's words expanded to bags of rows (`bags`)."""

    def __init__(self, config: Config, vocab: Vocab, n_rows: int, dev):
        from .subwords import vocab_rows

        offsets, rows = vocab_rows(vocab.id2tok, config.min_n, config.max_n, config.bucket)
        self.n_words = len(vocab)
        self.offsets = torch.from_numpy(offsets).to(dev)
        self.rows = torch.from_numpy(rows.astype(np.int64)).to(dev)
        self.counts = self.offsets[1:] - self.offsets[:-1]
        self.rows_per_word = len(rows) / max(1, len(vocab))
        self.hits = torch.zeros(n_rows, device=dev)  # a step's hits per row, zeroed again after each step

    def bags(self, words, mask, per_bag: int, fixed: bool):
        """The rows of a launch's words (k steps, `words` and `mask` (k, N)), as one bag per `per_bag` consecutive
        word slots: rows (k, L), bag (k, L) in order, weight (k, L) (1 / the rows of its bag: the mean; 0 for the
        padding at the end) and embedding_bag's offsets (k, N / per_bag). With `fixed`, L is rounded up to a few
        sizes so that CUDA graphs recorded for one launch replay for the next."""
        dev, (k, n) = words.device, words.shape
        n_bags = n // per_bag
        cnt = torch.where(mask, self.counts[words], 0)
        flat = cnt.reshape(-1)
        per_step = cnt.sum(1)
        total, longest = (int(x) for x in torch.stack([flat.sum(), per_step.max()]).tolist())
        width = max(1, longest)
        if fixed:
            width = int(2 ** (math.ceil(4 * math.log2(width)) / 4)) + 1
        slot = torch.repeat_interleave(torch.arange(k * n, device=dev), flat, output_size=total)
        j = torch.arange(total, device=dev)
        rows = self.rows[self.offsets[words.reshape(-1)[slot]] + j - (torch.cumsum(flat, 0) - flat)[slot]]
        step = torch.div(slot, n, rounding_mode="floor")
        pos = j - (torch.cumsum(per_step, 0) - per_step)[step]
        bag = torch.div(slot % n, per_bag, rounding_mode="floor")
        bag_rows = cnt.reshape(k, n_bags, per_bag).sum(2)
        out_rows = torch.zeros((k, width), device=dev, dtype=torch.long)
        out_bag = torch.full((k, width), n_bags - 1, device=dev, dtype=torch.long)
        out_w = torch.zeros((k, width), device=dev)
        out_rows[step, pos] = rows
        out_bag[step, pos] = bag
        out_w[step, pos] = 1.0 / bag_rows[step, bag].float()
        offsets = torch.searchsorted(out_bag, torch.arange(n_bags, device=dev).expand(k, n_bags).contiguous())
        return out_rows, out_bag, out_w, offsets

    def add(self, syn0, index, updates, hits) -> None:
        """`_capped_add` for the input rows: syn0[i] += the updates aimed at row i, summed, times
        min(1, MAX_ROW_UPDATES / the pair updates they hold), `hits` giving each one's pairs (0: padding). Counted in
        a buffer of syn0's height that only the touched rows dirty: no pass over millions of bucket rows a step,
        and nothing waits for the device."""
        count = self.hits.index_add_(0, index, hits)[index].clamp_(min=1.0)
        syn0.index_add_(0, index, updates * ((MAX_ROW_UPDATES / count).clamp_(max=1.0) * (hits > 0)).unsqueeze(1))
        self.hits.index_fill_(0, index, 0.0)


class _Launch:
    """Runs a launch's steps in order: `step(*inputs[j])` for each j. On CUDA the sequence of steps is recorded once
    per input shape as a CUDA graph and replayed (one launch instead of a few dozen per step): the first launch of
    a shape runs eagerly (warming the kernels), the second records the graph. Recording needs steps that never
    wait for the device, which `_Run._step` guarantees; if recording fails anyway, every launch runs eagerly."""

    def __init__(self, step, per_launch: int, graphs: bool):
        self.step, self.per_launch, self.graphs = step, per_launch, graphs
        self.seen: dict = {}

    def eager(self, inputs) -> None:
        for j in range(inputs[0].shape[0]):
            self.step(*(x[j] for x in inputs))

    def run(self, inputs) -> None:
        if not self.graphs:
            return self.eager(inputs)
        key = tuple(x.shape for x in inputs)
        entry = self.seen.get(key)
        if entry is None:
            self.seen[key] = "warm"
            return self.eager(inputs)
        if entry == "warm":
            static = tuple(x.clone() for x in inputs)
            graph = torch.cuda.CUDAGraph()
            try:
                with torch.cuda.graph(graph):
                    self.eager(static)
            except RuntimeError as exc:  # the steps did not record: run them eagerly from now on
                log.warning("CUDA graph recording failed (%s); running the steps without graphs", exc)
                self.graphs = False
                return self.eager(inputs)
            entry = self.seen[key] = (graph, static)
        graph, static = entry
        for buf, x in zip(static, inputs):
            buf.copy_(x)
        graph.replay()


def steps_per_launch(config: Config, device_type: str, n_words: int, rows_per_word: float = 0.0) -> int:
    """`--batch-size` steps per launch: `--launch-batch` words (0: the device's default) rounded down to whole steps
    (at least one), no more than the corpus of `n_words` fills, and at most what LAUNCH_BYTES of gathered inputs
    hold (a launch gathers every step's windows and negatives at once, and with subwords every input word's
    `rows_per_word` rows: a launch of a large corpus would not fit)."""
    bsz, asked = int(config.batch_size), int(config.launch_batch)
    launch = asked or (CUDA_LAUNCH_WORDS if device_type == "cuda" else bsz)
    steps = max(1, launch // bsz)
    if asked and asked % bsz:
        log.warning("--launch-batch %d is not a multiple of --batch-size %d: each launch trains %d steps of %d "
                    "centre words (%d words)", asked, bsz, steps, bsz, steps * bsz)
    steps = min(steps, max(1, -(-int(n_words) // bsz)))
    window, negative = int(config.window), (0 if config.heads()[0] else int(config.negative))
    per_word = 2 * window * (32 + 32 * negative) + 32  # bytes gathered per centre word: windows, masks, draws
    per_word += int(28 * rows_per_word * (1 if config.model == "skipgram" else 2 * window))  # rows, bags, weights
    cap = max(1, LAUNCH_BYTES // (per_word * bsz))
    if steps > cap:
        log.warning("--launch-batch %d would gather about %.1f GB of inputs a launch; launching %d steps of %d "
                    "centre words at a time instead", launch, steps * bsz * per_word / 1e9, cap, bsz)
        steps = cap
    return steps


def _seed(*parts: int) -> int:
    h = 0x27D4EB2F
    for x in parts:
        h = (h * 0x9E3779B1 + int(x) + 0x85EBCA77) % (2 ** 63)
    return h


class _Run:
    def __init__(self, config, vocab, encoded, dev, hooks, checkpoint, resume, weights, alphas, epoch_offset,
                 replicas):
        self.config, self.vocab, self.dev = config, vocab, dev
        self.weights = weights
        self.rank, self.world = (replicas.rank, replicas.world) if replicas is not None else (0, 1)
        self.replicas = replicas if self.world > 1 else None
        self.hs = config.loss == "hs"
        self.sg = config.model == "skipgram"
        # every epoch's subsampling comes from (seed, epoch), the same on every rank; windows and negatives come
        # from this rank's own generator, whose state a checkpoint keeps
        self.gen = torch.Generator(device=dev).manual_seed(_seed(config.seed, epoch_offset, self.rank))
        self.pos = {"epoch": 0, "batch": 0, "loss": 0.0, "examples": 0, "kept": 0, "pairs": 0, "kept_total": 0,
                    "pairs_total": 0, "epoch_losses": [], "seconds": 0.0, "start_alpha": float(alphas[0]),
                    "end_alpha": float(alphas[1]), "epochs": config.epochs, "epoch_offset": epoch_offset,
                    "batch_size": int(config.batch_size), "world": self.world}
        if resume is not None:
            state = resume[1]["state"]
            check_same_settings({"world": 1, **state}, {k: self.pos[k] for k in (
                "start_alpha", "end_alpha", "epochs", "epoch_offset", "batch_size", "world")})
            self.pos.update(state)
            saved = resume[0].get(f"rng.rank{self.rank}")
            try:
                self.gen.set_state(torch.from_numpy(np.array(saved, dtype=np.uint8)))
            except (RuntimeError, TypeError, ValueError):
                raise WordvecError(f"the checkpoint holds no usable generator state for rank {self.rank}; start "
                                   f"afresh without --resume") from None
        self.ctl = RunControl(checkpoint, self.replicas, hooks, self.pos["seconds"])
        self.n = len(encoded)
        self.curve = LossCurve.start(self.n, config.epochs, config.loss_every, self.pos.get("points"))
        ids = torch.from_numpy(np.ascontiguousarray(encoded.ids)).to(dev)
        self.ids = ids
        lengths = torch.from_numpy(np.diff(encoded.offsets)).to(dev)
        self.doc = torch.repeat_interleave(torch.arange(encoded.n_docs, device=dev, dtype=torch.int32), lengths)
        self.keep = torch.from_numpy(keep_probabilities(vocab.counts, config.sample)).to(dev)
        if self.hs:
            tree = huffman_tree(vocab.counts)
            self.points = torch.from_numpy(tree.points.astype(np.int64)).to(dev)
            self.labels_hs = torch.from_numpy(1.0 - tree.codes.astype(np.float32)).to(dev)
            self.path_mask = (torch.arange(tree.codes.shape[1])[None, :]
                              < torch.from_numpy(tree.lengths)[:, None]).to(dev)
            out = weights.syn1
        else:
            prob_np, alias_np = alias_table(noise_distribution(vocab.counts, config.ns_exponent))
            self.prob = torch.from_numpy(prob_np).to(dev)
            self.alias = torch.from_numpy(alias_np.astype(np.int64)).to(dev)
            out = weights.syn1neg
        self.syn0 = torch.from_numpy(weights.syn0).to(dev)
        self.sub = _Subwords(config, vocab, self.syn0.shape[0], dev) if config.subwords and config.bucket else None
        self.syn1 = torch.from_numpy(out).to(dev)
        window = int(config.window)
        self.offs = torch.cat([torch.arange(-window, 0, device=dev), torch.arange(1, window + 1, device=dev)])
        self.step_loss = torch.zeros((), device=dev, dtype=torch.float64)
        self.fixed_shapes = dev.type == "cuda" or FIXED_SHAPES_ON_CPU
        self.steps = _Launch(self._step if self.sub is None else self._subword_step,
                             steps_per_launch(config, dev.type, self.n, self.sub.rows_per_word if self.sub else 0.0),
                             dev.type == "cuda" and os.environ.get("WORDVEC_CUDA_GRAPHS", "1") != "0")

    def negatives(self, shape):
        i = torch.randint(0, len(self.vocab), shape, device=self.dev, generator=self.gen)
        u = torch.rand(shape, device=self.dev, generator=self.gen)
        return torch.where(u < self.prob[i], i, self.alias[i])

    def run(self, progress: bool) -> TrainResult:
        config, p, dev = self.config, self.pos, self.dev
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        self.ctl.start()
        if self.replicas is not None:
            self.replicas.start_tensors([self.syn0, self.syn1])
        with torch.no_grad():
            while p["epoch"] < config.epochs:
                self._epoch(progress)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        seconds = self.ctl.elapsed()
        out = self.weights.syn1 if self.hs else self.weights.syn1neg
        self.weights.syn0[...] = self.syn0.cpu().numpy()  # in place: the caller's matrices are the model
        out[...] = self.syn1.cpu().numpy()
        where = "cpu" if dev.type == "cpu" else f"cuda:{dev.index or 0}"
        return TrainResult(
            input_vectors=self.weights.syn0, output_vectors=None if self.hs else out,
            epoch_losses=list(p["epoch_losses"]), seconds=seconds, device=where, words=self.n * config.epochs,
            effective_words=int(p["kept_total"]), pairs=int(p["pairs_total"]),
            extra_tensors={HS: out} if self.hs else {}, loss_points=self.curve.points(),
        )

    def _epoch(self, progress: bool) -> None:
        config, p, dev, n = self.config, self.pos, self.dev, self.n
        if p["batch"] == 0:
            self.ctl.hooks.epoch_begin(p["epoch"])
        if config.sample > 0:
            draw = torch.Generator(device=dev).manual_seed(_seed(config.seed, p["epoch_offset"] + p["epoch"], 101))
            mask = torch.rand(n, device=dev, generator=draw) < self.keep[self.ids.long()]
            kept, kdoc = self.ids[mask].long(), self.doc[mask]
        else:
            kept, kdoc = self.ids.long(), self.doc
        m = int(kept.shape[0])
        bsz = p["batch_size"]
        # this rank's sums for the epoch; a resumed partial sum is counted once, on rank 0
        first = self.rank == 0
        self.loss_sum = torch.tensor(p["loss"] if first else 0.0, device=dev, dtype=torch.float64)
        self.examples, self.pairs = (torch.tensor(x if first else 0, device=dev) for x in (p["examples"], p["pairs"]))
        n_batches = (m + bsz - 1) // bsz
        per_round = (self.world * max(1, int(config.sync_words) // bsz) if self.replicas is not None
                     else self.steps.per_launch)
        bar = self.ctl.progress_bar(progress, total=n_batches, desc="word2vec", unit="batch")
        if bar is not None:
            bar.update(p["batch"])
        while p["batch"] < n_batches:
            end = min(n_batches, p["batch"] + per_round)
            mine = range(p["batch"] + self.rank, end, self.world)
            for i in range(0, len(mine), self.steps.per_launch):
                self._launch(mine[i:i + self.steps.per_launch], kept, kdoc, m)
            if self.replicas is not None:
                self.replicas.sync_tensors([self.syn0, self.syn1])
            if bar is not None:
                bar.update(end - p["batch"])
            p["batch"] = end
            words = p["epoch"] * n + min(m, end * bsz) * n // max(m, 1)  # kept tokens -> words of the corpus
            if end < n_batches and self.curve.due(words):
                self._point(words, bar)
            if end < n_batches and self.ctl.due():
                p["loss"], p["examples"], p["pairs"] = self._totals()
                self._save()
        if bar is not None:
            bar.close()
        loss_total, examples, pairs = self._totals()
        loss = loss_total / examples if examples else float("nan")
        if examples:
            self.ctl.check_epoch(p["epoch"], loss, (float(self.syn0.double().sum()), float(self.syn1.double().sum())),
                                 p["start_alpha"], chance_loss(self.vocab.counts, *config.heads()))
        p["epoch_losses"].append(loss)
        self._point((p["epoch"] + 1) * n, None, (loss_total, examples))
        p["kept_total"] += m  # every rank subsampled the same tokens
        p["pairs_total"] += pairs
        self.ctl.end_epoch(p["epoch"], loss, None, loss_total, examples)
        p.update(epoch=p["epoch"] + 1, batch=0, loss=0.0, examples=0, kept=0, pairs=0)
        if p["epoch"] < config.epochs and self.ctl.due():
            self._save()

    def _point(self, words: int, bar, totals: tuple | None = None) -> None:
        """A loss point (`LossCurve`) at `words`; at an epoch's end (`totals` given) the epoch's last one."""
        p, config = self.pos, self.config
        loss_total, examples = totals or self._totals()[:2]
        a0, a1 = p["start_alpha"], p["end_alpha"]
        lr = a0 - (a0 - a1) * words / (self.n * config.epochs)
        self.ctl.loss_point(self.curve, bar, words, p["epoch"], loss_total, examples, lr, totals is not None)

    def _totals(self) -> tuple[float, int, int]:
        """(loss, examples, pairs) of the epoch so far, over every rank."""
        values = [float(self.loss_sum), int(self.examples), int(self.pairs)]
        if self.replicas is not None:
            values = self.replicas.total(values)
        return float(values[0]), int(values[1]), int(values[2])

    def _launch(self, steps: range, kept, kdoc, m: int) -> None:
        """The steps `steps` (batch indices, an arithmetic progression) in one launch: gather every step's centre
        words, contexts and random draws in a few batched operations, then run the steps in order (`_Launch`)."""
        config, p, dev, n = self.config, self.pos, self.dev, self.n
        bsz = p["batch_size"]
        if steps[-1] * bsz + bsz > m:  # the epoch's short last step runs on its own
            if len(steps) > 1:
                self._launch(steps[:-1], kept, kdoc, m)
            steps = steps[-1:]
        k, window = len(steps), int(config.window)
        width = min(bsz, m - steps[0] * bsz)
        starts = (steps.start + steps.step * torch.arange(k, device=dev)) * bsz
        pos = starts[:, None] + torch.arange(width, device=dev)
        q = pos[..., None] + self.offs
        qc = q.clamp(0, m - 1)
        valid = (q >= 0) & (q < m) & (kdoc[qc] == kdoc[pos][..., None])
        if config.reduced_window:
            b = torch.randint(1, window + 1, (k, width, 1), device=dev, generator=self.gen)
            valid &= self.offs.abs() <= b
        centre, ctx = kept[pos], kept[qc]
        frac = (p["epoch"] * n + (starts.double() + width / 2) * (n / max(m, 1))) / (n * config.epochs)
        a0, a1 = p["start_alpha"], p["end_alpha"]
        alpha = (a0 - (a0 - a1) * frac).to(self.syn0.dtype)
        n_valid = valid.sum()
        self.pairs += n_valid
        self.examples += n_valid if self.sg else valid.any(-1).sum()
        negs = (self.negatives((k, width * (2 * window if self.sg else 1), int(config.negative)))
                if not self.hs else torch.zeros((k, 1), device=dev, dtype=torch.long))
        inputs = (centre, ctx, valid.to(self.syn0.dtype), negs, alpha)
        if self.sub is not None:  # the input words' rows: each centre's (skip-gram), every context's (CBOW)
            inputs += (self.sub.bags(centre, valid.any(-1), 1, self.fixed_shapes) if self.sg else
                       self.sub.bags(ctx.reshape(k, -1), valid.reshape(k, -1), 2 * window, self.fixed_shapes))
        self.steps.run(inputs)
        self.loss_sum += self.step_loss
        self.step_loss.zero_()

    def _step(self, centre, ctx, validf, negs, alpha) -> None:
        """One SGD step on `centre` (B,) with contexts `ctx` (B, 2W), `validf` 1 where a context slot is in the
        window: fixed shapes (the slots out of the window carry weight 0), so nothing waits for the device."""
        syn0, dim = self.syn0, self.config.vector_size
        if self.sg:
            inp = ctx.reshape(-1)  # context word predicts the centre word (word2vec.c's order)
            tgt_word = centre[:, None].expand(ctx.shape).reshape(-1)
            mask = validf.reshape(-1)
            if not self.fixed_shapes:  # drop the padding slots: the same updates, less work where waiting is free
                slots = mask.nonzero().squeeze(1)
                inp, tgt_word, mask = inp[slots], tgt_word[slots], mask[slots]
                negs = negs if self.hs else negs[slots]
            vin = syn0[inp]
        else:
            count = validf.sum(1)
            vin = torch.einsum("bc,bce->be", validf, syn0[ctx]) / count.clamp(min=1)[:, None]
            tgt_word = centre
            mask = (count > 0).to(syn0.dtype)
        grad_in = self._objective(vin, tgt_word, mask, negs, alpha)
        if self.sg:
            _capped_add(syn0, inp, grad_in, len(self.vocab), mask)
        else:
            _capped_add(syn0, ctx.reshape(-1), (grad_in[:, None, :] * validf[..., None]).reshape(-1, dim),
                        len(self.vocab), validf.reshape(-1))

    def _subword_step(self, centre, ctx, validf, negs, alpha, rows, bag, weight, offsets) -> None:
        """`_step` with fastText's input: `rows` (L,) of the step's bags (`_Subwords.bags`); a bag's input is the
        weighted sum of its rows (their mean), its gradient goes to each of them."""
        vin = F.embedding_bag(rows, self.syn0, offsets, mode="sum", per_sample_weights=weight)
        if self.sg:  # the centre's input predicts each word of its window; the window's gradients are summed
            centre_of = torch.arange(ctx.shape[0], device=self.dev)[:, None].expand(ctx.shape).reshape(-1)
            tgt_word, mask = ctx.reshape(-1), validf.reshape(-1)
            if not self.fixed_shapes:
                slots = mask.nonzero().squeeze(1)
                centre_of, tgt_word, mask = centre_of[slots], tgt_word[slots], mask[slots]
                negs = negs if self.hs else negs[slots]
            grad_in = self._objective(vin[centre_of], tgt_word, mask, negs, alpha)
            grad_in = torch.zeros_like(vin).index_add_(0, centre_of, grad_in)
        else:
            grad_in = self._objective(vin, centre, (validf.sum(1) > 0).to(vin.dtype), negs, alpha)
        hits = (weight > 0).to(vin.dtype)  # a row of a CBOW bag: one update; of a window: one per pair
        self.sub.add(self.syn0, rows, grad_in[bag], hits * validf.sum(1)[bag] if self.sg else hits)

    def _objective(self, vin, tgt_word, mask, negs, alpha):
        """The output layer's step for inputs `vin` (one row per example, `mask` its weight) predicting `tgt_word`:
        syn1 and the loss move; returns the gradient of the inputs."""
        syn1, dim = self.syn1, self.config.vector_size
        if self.hs:
            targets = self.points[tgt_word]
            labels = self.labels_hs[tgt_word]
            weight = self.path_mask[tgt_word].to(syn1.dtype)
        else:
            targets = torch.cat([tgt_word[:, None], negs], 1)
            labels = torch.zeros(targets.shape, device=self.dev, dtype=syn1.dtype)
            labels[:, 0] = 1.0
            weight = torch.cat([torch.ones_like(mask)[:, None], (negs != tgt_word[:, None]).to(syn1.dtype)], 1)
        weight = weight * mask[:, None]
        vout = syn1[targets]
        f = torch.einsum("be,bke->bk", vin, vout)
        sign = 2.0 * labels - 1.0
        self.step_loss += (-F.logsigmoid(sign * f) * weight).sum().double()
        g = (labels - torch.sigmoid(f)) * weight * alpha
        grad_in = torch.einsum("bk,bke->be", g, vout)
        grad_out = g[..., None] * vin[:, None, :]
        _capped_add(syn1, targets.reshape(-1), grad_out.reshape(-1, dim), syn1.shape[0], weight.reshape(-1),
                    MAX_ROW_UPDATES if self.sub is None else SUBWORD_OUTPUT_UPDATES)
        return grad_in

    def _save(self) -> None:
        """Rank 0 writes the weights (equal on every rank after a sync) and every rank's generator state."""
        sums = float(self.syn0.double().sum()), float(self.syn1.double().sum())
        states = [self.gen.get_state()]
        if self.replicas is not None:
            states = self.replicas.gather_bytes(states[0])

        def tensors() -> dict:
            out = {INPUT: self.syn0.cpu().numpy(), HS if self.hs else OUTPUT: self.syn1.cpu().numpy()}
            out.update({f"rng.rank{r}": rng_to_array(st.cpu().numpy().tobytes()) for r, st in enumerate(states)})
            return out

        self.ctl.save("word2vec", tensors, self.pos, sums, self.pos["start_alpha"], self.pos["epoch"], self.curve)


__all__ = ["train_torch"]
