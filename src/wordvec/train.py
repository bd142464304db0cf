"""The lab's trainer: its full-softmax network (`network.SoftmaxWord2Vec`) trained with minibatch AdamW and
cross-entropy over the vocabulary, returning a `TrainResult` like the skip-gram/CBOW engine does.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .runctl import RunControl
from .state import RESUME_FIX, Checkpointer, check_position, expect_tensor, rng_to_array
from .config import Config
from .devices import resolve_device
from .errors import WordvecError
from .network import SoftmaxWord2Vec
from .weights import TrainResult, as_hooks, check_resumable


# ------------------------------------------------------------------------------------------------ set-up helpers


def seed_everything(seed: int) -> torch.Generator:
    """Seed numpy and torch (the lab seeds numpy with 2023; we seed torch too) and return a CPU generator."""
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@contextmanager
def threads_limited(threads: int):
    """Run a block with `threads` torch threads (0: leave torch's default), then restore the previous setting."""
    before = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ------------------------------------------------------------------------------------------------ the lab's model


class _GroupedSoftmaxLoss(torch.autograd.Function):
    """Mean cross-entropy of `centre` given `context` from the distinct contexts' hidden vectors `h` (U, E).

    The loss is sum_u n_u * logsumexp(h_u . W^T) - sum_pairs h[ctx] . W[centre], over B pairs. The first term
    is computed in blocks of `block` rows, so each (block x V) slab of logits is exponentiated, summed and turned
    into its gradient while it is still in cache; the gradients are formed in the same pass and returned by
    `backward`. The second term is a gather over the B pairs. Exactly the gradients of F.cross_entropy.
    """

    @staticmethod
    def forward(ctx, h, W, inverse, centre, counts, block: int):
        B = inverse.shape[0]
        need_grad = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        scale = counts.to(h.dtype) / B
        gh = torch.empty_like(h) if need_grad else None
        gW = torch.zeros_like(W) if need_grad else None
        dense = h.new_zeros((), dtype=torch.float64)
        for r0 in range(0, h.shape[0], block):
            hb, sb = h[r0:r0 + block], scale[r0:r0 + block]
            z = hb @ W.T
            zmax = z.amax(dim=1, keepdim=True)
            z.sub_(zmax).exp_()
            zsum = z.sum(dim=1, keepdim=True)
            dense += (sb * (zmax + zsum.log()).squeeze(1)).sum()
            if need_grad:
                z.mul_(sb[:, None] / zsum)  # n_u/B * softmax(z_u): the gradient of the first term
                gW.addmm_(z.T, hb)
                torch.mm(z, W, out=gh[r0:r0 + block])
        h_pairs, w_pairs = h[inverse], W[centre]
        picked = (h_pairs * w_pairs).sum() / B
        if need_grad:
            gW.index_add_(0, centre, h_pairs, alpha=-1.0 / B)
            gh.index_add_(0, inverse, w_pairs, alpha=-1.0 / B)
            ctx.save_for_backward(gh, gW)
        return (dense - picked).to(h.dtype)

    @staticmethod
    def backward(ctx, grad):
        gh, gW = ctx.saved_tensors
        return gh * grad, gW * grad, None, None, None, None


def grouped_cross_entropy(model: SoftmaxWord2Vec, context: torch.Tensor, centre: torch.Tensor,
                          reduction: str = "mean", block: int = 128) -> torch.Tensor:
    """`F.cross_entropy(model(context), centre)`, computing each distinct context's logits once.

    The logits depend only on the context word, so a batch of B pairs needs at most V logit rows, not B (a
    65,536-pair batch over the lab's 3,085 words computes at most 3,085 rows, in cache-sized blocks).
    Same value and gradients as the plain loss, far fewer FLOPs and far less memory traffic.
    """
    uniq, inverse = torch.unique(context, return_inverse=True)
    counts = torch.bincount(inverse, minlength=uniq.shape[0])
    loss = _GroupedSoftmaxLoss.apply(model.embed(uniq), model.expand.weight, inverse, centre, counts, block)
    return loss * context.shape[0] if reduction == "sum" else loss


@torch.no_grad()
def heldout_loss(model: SoftmaxWord2Vec, pairs: torch.Tensor, chunk: int = 1 << 16) -> float:
    """Mean cross-entropy of predicting the centre from the context over `pairs` (N, 2): the lab's loss, no update."""
    if pairs.shape[0] == 0:
        return float("nan")
    total = 0.0
    for lo in range(0, pairs.shape[0], chunk):
        b = pairs[lo:lo + chunk]
        total += float(grouped_cross_entropy(model, b[:, 1], b[:, 0], reduction="sum"))
    return total / pairs.shape[0]


def train_lab(config: Config, vocab_size: int, pairs: np.ndarray | torch.Tensor,
              heldout_pairs: np.ndarray | torch.Tensor | None = None, progress: bool | None = None,
              callback: Callable[[int, float, float | None], None] | None = None,
              checkpoint: Checkpointer | None = None, resume: tuple[dict, dict] | None = None,
              replicas=None) -> TrainResult:
    """Train the lab's `SoftmaxWord2Vec` on (centre, context) pairs: shuffle, minibatch, AdamW, cross-entropy.

    Input = context word, target = centre word, as in the notebook. `batch_size=1` is the notebook's loop exactly
    (one optimizer step per pair, in a shuffled order); larger batches take one step per batch with the mean loss.
    The reported epoch loss is the mean of every pair's loss at the moment its batch was trained, as the notebook's.
    `checkpoint` saves the whole state (weights, optimizer, shuffling generator, position, losses) between batches
    when due; `resume` is such a state (`state.load_state`), from which the run continues as if never stopped.
    `replicas` (several processes under torchrun, `wordvec.distributed`): DistributedDataParallel, each process
    computing its slice of every batch; the gradients are all-reduced, so the steps are one process's.
    """
    with threads_limited(config.threads):
        return _LabRun(config, vocab_size, pairs, heldout_pairs, progress, callback, checkpoint, resume,
                       replicas).run()


class _SliceLoss(torch.nn.Module):
    """The grouped loss of one process's slice of a batch, scaled so that DistributedDataParallel's mean over the
    processes is the gradient of the whole batch's mean loss."""

    def __init__(self, model: SoftmaxWord2Vec):
        super().__init__()
        self.model = model

    def forward(self, context: torch.Tensor, centre: torch.Tensor, scale: float) -> torch.Tensor:
        return grouped_cross_entropy(self.model, context, centre, reduction="sum") * scale


#: The lab trainer's saved position: each field's JSON kind.
_LAB_POSITION = {"epoch": "int", "lo": "int", "step": "int", "epoch_total": "number", "losses": "list",
                 "heldout_losses": "list", "seconds": "number"}


class AdamW:
    """torch.optim.AdamW (its defaults) for the lab's matrices: the operations of its single-tensor update on the CPU
    in the same order, so the same bits (tested against it), without torch.optim's step, which imports torch's
    compiler (torch._dynamo) on first use: seconds and tens of MB of a lab run's whole process. The state keeps
    AdamW's names and types (`step`, `exp_avg`, `exp_avg_sq`), so checkpoints are the same as with torch's."""

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2):
        self.params = list(params)
        self.param_groups = [{"params": self.params, "lr": float(lr)}]
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.state: dict[int, dict[str, torch.Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        lr, (beta1, beta2), eps = self.param_groups[0]["lr"], self.betas, self.eps
        for i, param in enumerate(self.params):
            if param.grad is None:
                continue
            grad = param.grad
            st = self.state.get(i)
            if st is None:
                st = self.state[i] = {"step": torch.tensor(0.0, dtype=torch.float32),
                                      "exp_avg": torch.zeros_like(param, memory_format=torch.preserve_format),
                                      "exp_avg_sq": torch.zeros_like(param, memory_format=torch.preserve_format)}
            st["step"] += 1
            param.mul_(1 - lr * self.weight_decay)
            st["exp_avg"].lerp_(grad, 1 - beta1)
            st["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = st["step"].item()
            step_size = lr / (1 - beta1 ** step)
            denom = (st["exp_avg_sq"].sqrt() / (1 - beta2 ** step) ** 0.5).add_(eps)
            param.addcdiv_(st["exp_avg"], denom, value=-step_size)

    def state_dict(self) -> dict:
        return {"state": {i: dict(st) for i, st in self.state.items()}, "param_groups": self.param_groups}

    def load_state_dict(self, state_dict: dict) -> None:
        self.state = {}
        for i, st in state_dict["state"].items():
            p = self.params[int(i)]
            self.state[int(i)] = {k: (v.to(torch.float32) if k == "step" else v.to(p.device, p.dtype)).clone()
                                  for k, v in st.items()}


class _LabRun:
    """One run of the lab trainer, with its state gathered so it can be saved and restored between batches."""

    def __init__(self, config, vocab_size, pairs, heldout_pairs, progress, callback, checkpoint, resume, replicas):
        if vocab_size < 2:
            raise WordvecError(f"the vocabulary has {vocab_size} word(s): the lab's softmax predicts one word among "
                               f"several, so it needs at least 2; lower --min-count or give a larger corpus")
        self.config = config
        self.replicas = replicas if replicas is not None and replicas.world > 1 else None
        if self.replicas is not None and config.batch_size < 2 * self.replicas.world:
            raise WordvecError(f"--batch-size {config.batch_size} cannot be split over {self.replicas.world} "
                               f"processes; the notebook's per-pair loop (--batch-size 1) runs in one process")
        self.progress = config.progress if progress is None else progress
        self.device = torch.device(resolve_device(config.device))
        self.gen = seed_everything(config.seed)
        pairs = torch.as_tensor(pairs, dtype=torch.long)
        self.n = int(pairs.shape[0])
        if self.n == 0:
            raise WordvecError("there are no training pairs: every document has fewer than two in-vocabulary "
                               "words; lower --min-count or use a larger corpus")
        self.pairs = pairs.to(self.device)
        self.held = None if heldout_pairs is None else torch.as_tensor(heldout_pairs, dtype=torch.long).to(
            self.device)
        self.vocab_size = vocab_size
        self.model = SoftmaxWord2Vec(vocab_size, config.vector_size).to(self.device)
        self.ddp = None
        if self.replicas is not None:
            from torch.nn.parallel import DistributedDataParallel

            self.ddp = DistributedDataParallel(_SliceLoss(self.model))  # rank 0's weights to every rank
        params = self.model.parameters()
        self.opt = (AdamW(params, lr=config.lr) if config.optimizer == "adamw"
                    else torch.optim.SGD(params, lr=config.lr))
        total_steps = -(-self.n // config.batch_size) * config.epochs
        self.decay = (config.lr - config.min_lr) / max(1, total_steps) if config.optimizer == "sgd" else 0.0
        # position: the next batch starts at pair `lo` of epoch `epoch`; `gen_state` is the shuffling generator's
        # state when this epoch began (its permutation is drawn again from it on resume)
        self.epoch, self.lo, self.step, self.epoch_total = 0, 0, 0, 0.0
        self.losses: list[float] = []
        self.held_losses: list[float] = []
        self.seconds_before = 0.0
        self.gen_state = self.gen.get_state()
        if resume is not None:
            self._restore(*resume)
        self.ctl = RunControl(checkpoint, self.replicas, as_hooks(callback), self.seconds_before)

    # --- state ------------------------------------------------------------------------------------------------
    def _tensors(self) -> dict[str, np.ndarray]:
        out = {"embed.weight": self.model.embed.weight, "expand.weight": self.model.expand.weight}
        out = {k: v.detach().cpu().numpy() for k, v in out.items()}
        for i, st in self.opt.state_dict()["state"].items():
            for key, value in st.items():
                out[f"optim.{i}.{key}"] = torch.as_tensor(value).detach().cpu().numpy()
        out["rng.shuffle"] = rng_to_array(self.gen_state.numpy().tobytes())
        return out

    def _total(self, epoch_total: torch.Tensor) -> float:
        """The loss summed over every process's slices (this epoch so far)."""
        if self.replicas is None:
            return float(epoch_total)
        return self.replicas.total([float(epoch_total)])[0]

    def _save(self) -> None:
        state = {"epoch": self.epoch, "lo": self.lo, "step": self.step, "epoch_total": self.epoch_total,
                 "losses": self.losses, "heldout_losses": self.held_losses}
        sums = [float(p.detach().double().sum()) for p in self.model.parameters()]
        self.ctl.save("lab", self._tensors, state, sums, self.config.lr, self.epoch)

    def _check_resume(self, tensors: dict, meta: dict, path) -> dict:
        """The checkpoint's position, matrices, optimizer state and generator state, checked against this run
        before any of them is used."""
        state = check_position(path, meta.get("state"), _LAB_POSITION)
        epochs = self.config.epochs
        if (state["epoch"] >= epochs or state["lo"] >= self.n or state["lo"] % self.config.batch_size
                or len(state["losses"]) != state["epoch"] or len(state["heldout_losses"]) not in (0, state["epoch"])):
            raise WordvecError(f"{path}: the saved position (epoch {state['epoch']} of {epochs}, pair {state['lo']} "
                               f"of {self.n}, {len(state['losses'])} epoch losses) is impossible for this run; "
                               f"{RESUME_FIX}")
        params = dict(zip(("embed.weight", "expand.weight"), self.model.parameters()))
        for name, p in params.items():
            expect_tensor(path, tensors, name, tuple(p.shape),
                          what=f" ({self.vocab_size:,} words of --vector-size {self.config.vector_size})")
        opt_state = {k: v for k, v in tensors.items() if k.startswith("optim.")}
        if self.config.optimizer == "adamw" and (opt_state or state["step"]):
            for i, p in enumerate(params.values()):
                expect_tensor(path, tensors, f"optim.{i}.step", None)  # one number, saved as shape (1,)
                if tensors[f"optim.{i}.step"].size != 1:
                    raise WordvecError(f"{path}: optim.{i}.step is not one number; {RESUME_FIX}")
                for key in ("exp_avg", "exp_avg_sq"):
                    expect_tensor(path, tensors, f"optim.{i}.{key}", tuple(p.shape))
            extra = sorted(set(opt_state) - {f"optim.{i}.{k}" for i in range(2) for k in ("step", "exp_avg",
                                                                                          "exp_avg_sq")})
        else:
            extra = sorted(opt_state)
        if extra:
            raise WordvecError(f"{path} holds optimizer state {', '.join(extra[:3])} that --optimizer "
                               f"{self.config.optimizer} does not have; {RESUME_FIX}")
        expect_tensor(path, tensors, "rng.shuffle", tuple(self.gen.get_state().shape), np.uint8)
        return state

    def _restore(self, tensors: dict, meta: dict, path="the checkpoint") -> None:
        state = self._check_resume(tensors, meta, path)
        for name in ("embed.weight", "expand.weight"):
            check_resumable(name, np.asarray(tensors[name]))
        with torch.no_grad():
            self.model.embed.weight.copy_(torch.from_numpy(np.array(tensors["embed.weight"])))
            self.model.expand.weight.copy_(torch.from_numpy(np.array(tensors["expand.weight"])))
        opt_state = self.opt.state_dict()
        for key in tensors:
            if key.startswith("optim."):
                _, i, name = key.split(".", 2)
                opt_state["state"].setdefault(int(i), {})[name] = torch.from_numpy(np.array(tensors[key]))
        self.opt.load_state_dict(opt_state)
        self.gen_state = torch.from_numpy(np.array(tensors["rng.shuffle"]))
        self.epoch, self.lo, self.step = int(state["epoch"]), int(state["lo"]), int(state["step"])
        self.epoch_total = float(state["epoch_total"])
        self.losses = [float(x) for x in state["losses"]]
        self.held_losses = [float(x) for x in state["heldout_losses"]]
        self.seconds_before = float(state["seconds"])

    # --- the loop ---------------------------------------------------------------------------------------------
    def run(self) -> TrainResult:
        config, n, bs, model, opt = self.config, self.n, self.config.batch_size, self.model, self.opt
        bar = self.ctl.progress_bar(self.progress, total=n * config.epochs, initial=self.epoch * n + self.lo,
                                    unit="pair", unit_scale=True, desc="train", dynamic_ncols=True)
        self.ctl.start()
        while self.epoch < config.epochs:
            if self.lo == 0:
                self.ctl.hooks.epoch_begin(self.epoch)
            self.gen.set_state(self.gen_state)
            perm = torch.randperm(n, generator=self.gen).to(self.device)
            # this process's part of the epoch's loss; a resumed partial sum is counted once, on rank 0
            start = self.epoch_total if self.replicas is None or self.replicas.rank == 0 else 0.0
            epoch_total = torch.tensor(start, dtype=torch.float64, device=self.device)
            while self.lo < n:
                batch = self.pairs[perm[self.lo:self.lo + bs]]
                size = batch.shape[0]
                if self.ddp is not None:  # this process's slice; the loss scaled so the mean over processes is right
                    batch = torch.tensor_split(batch, self.replicas.world)[self.replicas.rank]
                centre, context = batch[:, 0], batch[:, 1]
                if self.ddp is not None:
                    loss = self.ddp(context, centre, self.replicas.world / size)
                    part = loss.detach() * size / self.replicas.world  # this slice's summed loss
                elif bs == 1:  # the notebook's per-pair step, verbatim
                    loss = F.cross_entropy(model(context), centre)
                    part = loss.detach()
                else:
                    loss = grouped_cross_entropy(model, context, centre)
                    part = loss.detach() * size
                if self.decay:
                    for g in opt.param_groups:
                        g["lr"] = config.lr - self.decay * self.step
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                epoch_total += part
                self.step += 1
                self.lo += bs
                if bar is not None:
                    bar.update(size)
                if self.lo < n and self.ctl.due():
                    self.epoch_total = self._total(epoch_total)
                    self._save()
            self._end_epoch(self._total(epoch_total))
            if bar is not None:
                bar.set_postfix(loss=f"{self.losses[-1]:.4f}")
            if self.epoch < config.epochs and self.ctl.due():
                self._save()
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        seconds = self.ctl.elapsed()
        if bar is not None:
            bar.close()
        return TrainResult(
            input_vectors=model.embed.weight.detach().float().cpu().numpy(),
            output_vectors=model.expand.weight.detach().float().cpu().numpy(),
            epoch_losses=self.losses, seconds=seconds, device=str(self.device), pairs=n * config.epochs,
            heldout_losses=self.held_losses,
        )

    def _end_epoch(self, loss_sum: float) -> None:
        loss = loss_sum / self.n
        self.losses.append(loss)
        self.ctl.check_epoch(self.epoch, loss, [float(p.detach().double().sum()) for p in self.model.parameters()],
                             self.config.lr, math.log(self.vocab_size))
        if self.held is not None:
            self.held_losses.append(heldout_loss(self.model, self.held))
        self.ctl.end_epoch(self.epoch, loss, self.held_losses[-1] if self.held_losses else None, loss_sum, self.n)
        self.epoch, self.lo, self.epoch_total = self.epoch + 1, 0, 0.0
        self.gen_state = self.gen.get_state()


__all__ = ["AdamW", "train_lab", "grouped_cross_entropy", "heldout_loss", "seed_everything", "threads_limited"]
