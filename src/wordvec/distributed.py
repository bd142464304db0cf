"""Training on several processes and machines, on torch.distributed: `torchrun ... -m wordvec train ...`.

torchrun starts one process per rank and sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR; `session()` joins the
process group (gloo on CPUs, NCCL on GPUs) when it finds them. Every rank reads the same corpus (a token store on a
shared filesystem, or the same files on every node) and checks that its vocabulary equals rank 0's. Rank 0 alone
writes the run directory, checkpoints and logs; the others print nothing but errors.

* The lab network: `DistributedDataParallel` (in `wordvec.train`): each rank computes its slice of every global
  batch, gradients are all-reduced, so the result is one process's with the same global batch, up to the order of
  floating-point sums.
* Skip-gram / CBOW: each rank trains Hogwild on its share of every round of chunks, then `TorchReplicas.sync` makes
  the copies equal again: only the rows some rank changed since the last round travel (an all-gather of the
  changed row ids, an all-reduce of their changes); when most rows changed, the whole matrix is all-reduced. The
  learning rate of every chunk follows its place in the whole corpus, as in one process.

A rank that dies breaks its peers' next collective operation; every collective has a timeout
(`WORDVEC_DIST_TIMEOUT`, seconds), so no rank hangs: each stops with one line naming the failure.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import time

import numpy as np

from .config import SYNC_MODES
from .errors import WordvecError, require
from .weights import Replicas

log = logging.getLogger("wordvec")

DEFAULT_TIMEOUT = 300.0


def launched() -> bool:
    """True in a process that torchrun (or another launcher) started as one of several ranks."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1) > 1


def rank() -> int:
    return int(os.environ.get("RANK", "0") or 0)


def _timeout() -> float:
    try:
        return float(os.environ.get("WORDVEC_DIST_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        raise WordvecError("WORDVEC_DIST_TIMEOUT must be a number of seconds") from None


@contextlib.contextmanager
def session(device: str):
    """Join the process group for the length of a run (a no-op in a single process); yields the device this rank
    uses (cuda:LOCAL_RANK on GPUs)."""
    if not launched():
        yield device
        return
    import torch
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0") or 0)
    if device.startswith("cuda"):
        if local >= torch.cuda.device_count():
            raise WordvecError(f"rank {rank()}: LOCAL_RANK {local} but only {torch.cuda.device_count()} GPU(s); "
                               f"start at most that many processes per node")
        torch.cuda.set_device(local)
        device, backend = f"cuda:{local}", "nccl"
    else:
        backend = "gloo"
    timeout = datetime.timedelta(seconds=_timeout())
    try:
        # The launcher's store, with keys of our own for each torchrun restart: a restarted group must not read the
        # addresses its killed predecessors published there (connecting to them is refused).
        store, me, world = next(dist.rendezvous("env://", timeout=timeout))
        attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") or "0"
        dist.init_process_group(backend, store=dist.PrefixStore(f"wordvec/attempt-{attempt}/", store), rank=me,
                                world_size=world, timeout=timeout)
    except Exception as e:  # the rendezvous failed: the launcher's settings or the network
        raise WordvecError(f"rank {rank()}: could not join the other processes ({_first_line(e)}); check "
                           f"torchrun's --nnodes / --rdzv-endpoint and that the nodes reach each other") from None
    try:
        yield device
    finally:
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:200]


def collective_error(e: BaseException) -> WordvecError:
    """The one line a rank prints when a peer died or the network failed during a collective operation."""
    return WordvecError(f"rank {rank()}: lost contact with the other processes ({_first_line(e)}); another rank "
                        f"probably failed — see its error; resume from the last checkpoint with --resume")


class TorchReplicas(Replicas):
    """Replicas over torch.distributed (CPU numpy matrices, gloo)."""

    DENSE_SHARE = 0.4  # above this share of changed rows, all-reduce the whole matrix (no id exchange)

    def __init__(self, mode: str = "sum"):
        import torch.distributed as dist

        if mode not in SYNC_MODES:
            raise WordvecError(f"--sync must be one of {', '.join(SYNC_MODES)}, got {mode!r}")
        self.dist = dist
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        self.mode = mode
        self.snapshots: list[np.ndarray] | None = None
        self.bytes = 0  # sent by this rank in syncs (payload, as the all-reduce/all-gather carry it)
        self.seconds = 0.0  # in syncs: local work and collectives
        self.sync_collective_seconds = 0.0  # of which in collectives (the network, and waiting for the slowest rank)
        self.collective_seconds = 0.0
        self.syncs = 0

    def _call(self, fn, *args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        except RuntimeError as e:
            raise collective_error(e) from None
        finally:
            self.collective_seconds += time.perf_counter() - t0

    def _count_sync(self, t0: float, c0: float) -> None:
        self.seconds += time.perf_counter() - t0
        self.sync_collective_seconds += self.collective_seconds - c0
        self.syncs += 1

    def agree(self, flag: bool) -> bool:
        import torch

        t = torch.tensor([1 if flag else 0], dtype=torch.int64)
        self._call(self.dist.all_reduce, t, self.dist.ReduceOp.MAX)
        return bool(t.item())

    def total(self, values: list[float]) -> list[float]:
        import torch

        t = torch.tensor([float(v) for v in values], dtype=torch.float64)
        self._call(self.dist.all_reduce, t)
        return t.tolist()

    def same_everywhere(self, fingerprint: str, what: str) -> None:
        """Refuse to train when a rank read different data (e.g. a node with another copy of the corpus)."""
        import torch

        mine = torch.tensor(list(bytes.fromhex(fingerprint.ljust(16, "0")[:16])), dtype=torch.int64)
        lo, hi = mine.clone(), mine.clone()
        self._call(self.dist.all_reduce, lo, self.dist.ReduceOp.MIN)
        self._call(self.dist.all_reduce, hi, self.dist.ReduceOp.MAX)
        if not torch.equal(lo, hi):
            raise WordvecError(f"rank {self.rank}: the ranks built different {what}s; every node must read the same "
                               f"corpus (prepare one token store on a shared filesystem, or copy it to every node)")

    def start(self, matrices: list[np.ndarray]) -> None:
        """Rank 0's matrices to every rank (equal already when seeded alike; a resume loads the same file), and the
        snapshots that later syncs measure changes against."""
        import torch

        for m in matrices:
            self._call(self.dist.broadcast, torch.from_numpy(m), 0)
        self.snapshots = [m.copy() for m in matrices]

    def sync(self, matrices: list[np.ndarray]) -> None:
        """Every copy becomes snapshot + the combined changes: per row, the mean of the changes of the ranks that
        changed it ('average'; a rank that did not touch a row does not dilute it) or their sum ('sum')."""
        import torch

        t0, c0 = time.perf_counter(), self.collective_seconds
        for m, snap in zip(matrices, self.snapshots):
            changed = _changed_rows(m, snap)
            k = torch.tensor([len(changed)], dtype=torch.int64)
            self._call(self.dist.all_reduce, k, self.dist.ReduceOp.MAX)
            k = int(k.item())
            if k == 0:
                continue
            if k * self.world >= self.DENSE_SHARE * len(m):  # most rows changed: the whole matrix, no ids
                self._sync_dense(torch.from_numpy(m), torch.from_numpy(snap), torch.from_numpy(changed))
                continue
            ids = torch.full((k,), -1, dtype=torch.int64)
            ids[:len(changed)] = torch.from_numpy(changed)
            gathered = [torch.empty_like(ids) for _ in range(self.world)]
            self._call(self.dist.all_gather, gathered, ids)
            rows = torch.unique(torch.cat(gathered))
            rows = rows[rows >= 0].numpy()
            mine = np.isin(rows, changed).astype(np.float32)
            self.bytes += ids.numel() * 8 * (self.world - 1)
            # the changes and, in one extra column, how many ranks made them: one all-reduce
            payload = np.empty((len(rows), m.shape[1] + 1), dtype=np.float32)
            np.subtract(m[rows], snap[rows], out=payload[:, :-1])
            payload[:, -1] = mine
            t = torch.from_numpy(payload)
            self._call(self.dist.all_reduce, t)
            delta = payload[:, :-1]
            if self.mode == "average":
                delta /= np.maximum(payload[:, -1:], 1.0)
            update = snap[rows] + delta
            m[rows] = update
            snap[rows] = update
            self.bytes += payload.nbytes * 2 * (self.world - 1) // self.world  # a ring all-reduce sends this much
        self._count_sync(t0, c0)

    def _sync_dense(self, t, snap, changed=None) -> None:
        """`sync` of one whole matrix (tensors; numpy matrices wrapped without a copy): the change matrix and, in one
        extra column, whether this rank changed each row (`changed`: those rows' ids; None: where the change is not
        zero), all-reduced at once; no row indexing."""
        import torch

        shape = (t.shape[0], t.shape[1] + 1)
        if t.device.type == "cpu" and t.dtype == torch.float32:  # numpy's allocation: a large torch.empty made
            payload = torch.from_numpy(np.empty(shape, dtype=np.float32))  # each CPU sync slower
        else:
            payload = torch.empty(shape, dtype=t.dtype, device=t.device)
        torch.sub(t, snap, out=payload[:, :-1])
        if changed is None:
            payload[:, -1] = (payload[:, :-1] != 0).any(dim=1)
        else:
            payload[:, -1] = 0.0
            payload[changed, -1] = 1.0
        self._call(self.dist.all_reduce, payload)
        change = payload[:, :-1]
        if self.mode == "average":
            change /= payload[:, -1:].clamp(min=1.0)
        snap += change
        t.copy_(snap)
        self.bytes += payload.numel() * payload.element_size() * 2 * (self.world - 1) // self.world

    # --- the torch engine's matrices (tensors on the training device; NCCL on GPUs) -------------------------------
    def start_tensors(self, tensors: list) -> None:
        for t in tensors:
            self._call(self.dist.broadcast, t, 0)
        self.tensor_snapshots = [t.clone() for t in tensors]

    def sync_tensors(self, tensors: list) -> None:
        """As `sync`, on the device and dense: the whole change matrix and a changed-rows count, all-reduced."""
        t0, c0 = time.perf_counter(), self.collective_seconds
        for t, snap in zip(tensors, self.tensor_snapshots):
            self._sync_dense(t, snap)
        self._count_sync(t0, c0)

    def gather_bytes(self, state) -> list:
        """Every rank's copy of a small uint8 tensor (e.g. a generator state), in rank order."""
        import torch

        state = state.cpu()
        parts = [torch.empty_like(state) for _ in range(self.world)]
        self._call(self.dist.all_gather, parts, state)
        return parts


def _changed_rows(m: np.ndarray, snap: np.ndarray, block: int = 1 << 15) -> np.ndarray:
    """Row ids where `m` differs from `snap`, in blocks (no full-size temporary)."""
    out = []
    for a in range(0, len(m), block):
        diff = np.any(m[a:a + block] != snap[a:a + block], axis=1)
        out.append(np.flatnonzero(diff) + a)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def launch(nproc: int, argv: list[str]) -> int:
    """`wordvec train --nproc N ...`: the same command under torchrun on this machine, N ranks. wordvec's own lines
    pass through; torchrun's report of a failed rank is reduced to the ranks' one-line errors."""
    import subprocess
    import sys

    if nproc < 1:
        raise WordvecError(f"--nproc must be at least 1, got {nproc}")
    require("torch", "--nproc (torchrun)")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
           "-m", "wordvec", *argv]
    log.info("starting %d processes under torchrun", nproc)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    ours, rest = [], []
    for line in proc.stderr:
        if line.startswith("wordvec: "):
            if line not in ours:
                sys.stderr.write(line)
                sys.stderr.flush()
            ours.append(line)
        else:
            rest.append(line)
    code = proc.wait()
    if code == 0:
        return 0
    if not any(line.startswith("wordvec: error:") for line in ours):
        sys.stderr.write("wordvec: error: torchrun failed: " + "".join(rest[-20:]).strip().replace("\n", " | ")
                         [-600:] + "\n")
    return 2


__all__ = ["launched", "rank", "session", "TorchReplicas", "collective_error", "launch"]
