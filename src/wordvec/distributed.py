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
  learning rate of every chunk follows its place in the whole corpus, as in one process. fastText's input matrix
  (words + 2 M bucket rows) is tracked: before each round a rank names the rows its chunks can change, and only
  those are copied and compared, instead of a whole snapshot scanned at every sync.

A rank that dies breaks its peers' next collective operation; every collective has a timeout
(`WORDVEC_DIST_TIMEOUT`, seconds), so no rank hangs: each stops with one line naming the failure.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
import time

import numpy as np

from .config import SYNC_MODES
from .errors import WordvecError, require
from .weights import Replicas

log = logging.getLogger("wordvec")

DEFAULT_TIMEOUT = 300.0


_LAUNCHER_FIX = "start the ranks with torchrun (or --nproc), or unset the variable to train in one process"


def _env_int(name: str, default: int | None, minimum: int = 0, maximum: int | None = None) -> int | None:
    """An integer setting of the launcher's environment, or one line naming the variable."""
    text = os.environ.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise WordvecError(f"environment variable {name}={text[:40]!r} is not a whole number; "
                           f"{_LAUNCHER_FIX}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum} .. {maximum}" if maximum is not None else f"at least {minimum}"
        raise WordvecError(f"environment variable {name}={value} is out of range ({bound}); {_LAUNCHER_FIX}")
    return value


def check_environment() -> tuple[int, int]:
    """(rank, world size) from torch.distributed's environment, every variable wordvec or the env:// rendezvous
    reads checked first, so a bad launcher setting is one line before any work instead of a crash after it."""
    world = _env_int("WORLD_SIZE", 1, minimum=1)
    me = _env_int("RANK", None)
    if me is not None and me >= world:
        told = "WORLD_SIZE is not set" if "WORLD_SIZE" not in os.environ else f"WORLD_SIZE is {world}"
        raise WordvecError(f"environment variable RANK={me} but {told} (a rank must be below the world size); "
                           f"{_LAUNCHER_FIX}")
    local_world = _env_int("LOCAL_WORLD_SIZE", None, minimum=1)
    local = _env_int("LOCAL_RANK", None)
    if local is not None and local_world is not None and local >= local_world:
        raise WordvecError(f"environment variable LOCAL_RANK={local} but LOCAL_WORLD_SIZE is {local_world}; "
                           f"{_LAUNCHER_FIX}")
    _env_int("TORCHELASTIC_RESTART_COUNT", 0)
    _env_int("TORCHELASTIC_MAX_RESTARTS", 0)
    _timeout()
    if world > 1:
        if me is None:
            raise WordvecError(f"WORLD_SIZE is {world} but RANK is not set; {_LAUNCHER_FIX}")
        if not os.environ.get("MASTER_ADDR", "").strip():
            raise WordvecError(f"WORLD_SIZE is {world} but MASTER_ADDR is not set (the address of rank 0); "
                               f"{_LAUNCHER_FIX}")
        if _env_int("MASTER_PORT", None, minimum=1, maximum=65535) is None:
            raise WordvecError(f"WORLD_SIZE is {world} but MASTER_PORT is not set (rank 0's port); {_LAUNCHER_FIX}")
    return me or 0, world


def restart_count() -> int:
    """How many times torchrun restarted the group (elastic runs); 0 otherwise."""
    return _env_int("TORCHELASTIC_RESTART_COUNT", 0)


def launched() -> bool:
    """True in a process that torchrun (or another launcher) started as one of several ranks."""
    return check_environment()[1] > 1


def rank() -> int:
    return check_environment()[0]


def _timeout() -> float:
    text = os.environ.get("WORDVEC_DIST_TIMEOUT")
    try:
        value = DEFAULT_TIMEOUT if text is None else float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1e6:
        raise WordvecError(f"WORDVEC_DIST_TIMEOUT={text!r} must be a number of seconds above 0 (default "
                           f"{DEFAULT_TIMEOUT:g})")
    return value


@contextlib.contextmanager
def session(device: str):
    """Join the process group for the length of a run (a no-op in a single process); yields the device this rank
    uses (cuda:LOCAL_RANK on GPUs)."""
    if not launched():
        yield device
        return
    import torch
    import torch.distributed as dist

    local = _env_int("LOCAL_RANK", 0)
    if device.startswith("cuda"):
        if local >= torch.cuda.device_count():
            raise WordvecError(f"rank {rank()}: LOCAL_RANK {local} but only {torch.cuda.device_count()} GPU(s); "
                               f"start at most that many processes per node")
        torch.cuda.set_device(local)
        device, backend = f"cuda:{local}", "nccl"
    else:
        backend = "gloo"
    _join(dist, backend, _timeout())
    try:
        yield device
    finally:
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


JOIN_MARGIN = 5.0  # seconds a rendezvous may run past WORDVEC_DIST_TIMEOUT before this rank gives up on it


def _join(dist, backend: str, seconds: float) -> None:
    """Join the process group within `seconds` (+ JOIN_MARGIN), whatever answers at MASTER_ADDR:MASTER_PORT.

    torch's store client waits without a deadline for a listener that accepts the connection but does not speak
    its protocol (another program on the port), so the rendezvous runs in a daemon thread and this rank stops
    with one line when it does not finish in time."""
    import threading

    timeout = datetime.timedelta(seconds=seconds)
    failure: list[BaseException] = []

    def join() -> None:
        try:
            # The launcher's store, with keys of our own for each torchrun restart: a restarted group must not read
            # the addresses its killed predecessors published there (connecting to them is refused).
            store, me, world = next(dist.rendezvous("env://", timeout=timeout))
            dist.init_process_group(backend, store=dist.PrefixStore(f"wordvec/attempt-{restart_count()}/", store),
                                    rank=me, world_size=world, timeout=timeout)
        except BaseException as e:  # noqa: BLE001 - reported by the waiting thread
            failure.append(e)

    where = f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}"
    thread = threading.Thread(target=join, name="wordvec-rendezvous", daemon=True)
    thread.start()
    thread.join(seconds + JOIN_MARGIN)
    if thread.is_alive():
        raise WordvecError(f"rank {rank()}: could not join the other processes within {seconds:g} s: nothing at "
                           f"{where} completed torch.distributed's rendezvous (another program on that port, or "
                           f"rank 0 not started); check MASTER_ADDR / MASTER_PORT (torchrun's --rdzv-endpoint), "
                           f"or raise WORDVEC_DIST_TIMEOUT")
    if failure:  # the rendezvous failed: the launcher's settings or the network
        raise WordvecError(f"rank {rank()}: could not join the other processes at {where} "
                           f"({_plain(failure[0])}); check torchrun's --nnodes / --rdzv-endpoint and that the "
                           f"nodes reach each other")


def _plain(e: BaseException) -> str:
    """A communication failure in a few words, without the C++ source locations torch's messages start with."""
    text = _first_line(e)
    low = text.lower()
    for needle, said in (("timed out", "timed out"), ("timeout", "timed out"),
                         ("connection closed", "a peer closed the connection"),
                         ("connection reset", "a peer closed the connection"),
                         ("broken pipe", "a peer closed the connection"),
                         ("connection refused", "connection refused"), ("address already in use", "port in use"),
                         ("eaddrinuse", "port in use")):
        if needle in low:
            return said
    return re.sub(r"\[[^\]]*\.(?:cc|cpp|h|hpp):\d+\]\s*", "", text).strip() or type(e).__name__


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:200]


HIGH_SYNC_SHARE = 0.25  # above this share of training spent in syncs, a run says how to spend less


def sync_hint(world: int, syncs: int, sync_seconds: float, collective_seconds: float, train_seconds: float,
              sync_words: int) -> str | None:
    """A hint when syncs took a high share of a run's training time, else None."""
    share = sync_seconds / train_seconds if train_seconds > 0 else 0.0
    if syncs == 0 or share <= HIGH_SYNC_SHARE:
        return None
    waiting = collective_seconds / sync_seconds if sync_seconds > 0 else 0.0
    return (f"hint: the {world} processes spent {share:.0%} of training synchronising ({syncs} syncs every "
            f"{sync_words:,} words, {waiting:.0%} of that in collectives: the network and waiting for the slowest "
            f"process); on one machine --threads shares one copy without syncs; across machines a larger "
            f"--sync-words syncs less often but lets the copies drift further apart (on a small corpus it costs "
            f"quality: see README)")


def record_error(line: str) -> None:
    """Under torchrun, leave this rank's one error line in the error file torchrun reads, so its failure summary
    names the problem instead of pointing to a page on how to get a traceback."""
    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not path:
        return
    import json

    with contextlib.suppress(OSError):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"message": {"message": line, "extraInfo": {"py_callstack": line,
                                                                   "timestamp": str(int(time.time()))}}}, f)


def collective_error(e: BaseException) -> WordvecError:
    """The one line a rank prints when a peer died or the network failed during a collective operation."""
    return WordvecError(f"rank {rank()}: lost contact with the other processes ({_plain(e)}); another rank "
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
        self.rows_compared = 0  # rows this rank compared with their snapshots in syncs (all matrices)
        self.rows_synced = 0  # rows whose changes this rank exchanged in syncs (all matrices)

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

    def start(self, matrices: list[np.ndarray], tracked: list[bool] | None = None) -> None:
        """Rank 0's matrices to every rank (equal already when seeded alike; a resume loads the same file), and the
        snapshots that later syncs measure changes against: a whole copy of each matrix, except those `tracked`,
        whose rows the trainer names before every round (`track`): only those rows are copied, then, and compared."""
        import torch

        for m in matrices:
            self._call(self.dist.broadcast, torch.from_numpy(m), 0)
        tracked = tracked or [False] * len(matrices)
        self.snapshots = [None if t else m.copy() for m, t in zip(matrices, tracked)]
        self.watched = [None] * len(matrices)

    def track(self, matrices: list[np.ndarray], rows: list[np.ndarray | None]) -> None:
        """Before a round: for each tracked matrix, the rows (sorted, unique) this rank may change in it; their
        values now are what the next sync measures this rank's changes against."""
        for i, (m, r) in enumerate(zip(matrices, rows)):
            if self.snapshots[i] is None:
                r = np.zeros(0, np.int64) if r is None else np.asarray(r, dtype=np.int64)
                self.watched[i] = (r, m[r])

    def sync(self, matrices: list[np.ndarray]) -> None:
        """Every copy becomes snapshot + the combined changes: per row, the mean of the changes of the ranks that
        changed it ('average'; a rank that did not touch a row does not dilute it) or their sum ('sum')."""
        import torch

        t0, c0 = time.perf_counter(), self.collective_seconds
        for i, (m, snap) in enumerate(zip(matrices, self.snapshots)):
            watched, self.watched[i] = self.watched[i], None
            if snap is None and watched is None:
                raise WordvecError("a tracked matrix was synced without track() before the round")
            if snap is None:  # this rank's tracked rows: their values before the round, and now
                cand, before = watched
                current = m[cand]
                differs = np.any(current != before, axis=1)
                changed = cand[differs]
                self.rows_compared += len(cand)
            else:
                changed = _changed_rows(m, snap)
                self.rows_compared += len(m)
            k = torch.tensor([len(changed)], dtype=torch.int64)
            self._call(self.dist.all_reduce, k, self.dist.ReduceOp.MAX)
            k = int(k.item())
            if k == 0:
                continue
            if k * self.world >= self.DENSE_SHARE * len(m):  # most rows changed: the whole matrix, no ids
                if snap is None:
                    self._sync_dense_tracked(m, cand, before, current, changed)
                else:
                    self._sync_dense(torch.from_numpy(m), torch.from_numpy(snap), torch.from_numpy(changed))
                self.rows_synced += len(m)
                continue
            ids = torch.full((k,), -1, dtype=torch.int64)
            ids[:len(changed)] = torch.from_numpy(changed)
            gathered = [torch.empty_like(ids) for _ in range(self.world)]
            self._call(self.dist.all_gather, gathered, ids)
            rows = torch.unique(torch.cat(gathered))
            rows = rows[rows >= 0].numpy()
            self.bytes += ids.numel() * 8 * (self.world - 1)
            # the changes and, in one extra column, how many ranks made them: one all-reduce
            payload = np.empty((len(rows), m.shape[1] + 1), dtype=np.float32)
            if snap is None:
                before = _tracked_changes(m, rows, cand, before, current, differs, payload)
            else:
                before = snap[rows]
                np.subtract(m[rows], before, out=payload[:, :-1])
                payload[:, -1] = np.isin(rows, changed)
            t = torch.from_numpy(payload)
            self._call(self.dist.all_reduce, t)
            delta = payload[:, :-1]
            if self.mode == "average":
                delta /= np.maximum(payload[:, -1:], 1.0)
            update = before + delta
            m[rows] = update
            if snap is not None:
                snap[rows] = update
            self.rows_synced += len(rows)
            self.bytes += payload.nbytes * 2 * (self.world - 1) // self.world  # a ring all-reduce sends this much
        self._count_sync(t0, c0)

    def _sync_dense_tracked(self, m: np.ndarray, rows: np.ndarray, before: np.ndarray, current: np.ndarray,
                            changed: np.ndarray) -> None:
        """`_sync_dense` of a tracked matrix: the change is zero outside this rank's rows, so the change matrix is
        built from them alone; every copy then becomes the rows' values before the round + the combined change."""
        import torch

        payload = np.zeros((m.shape[0], m.shape[1] + 1), dtype=np.float32)
        payload[rows, :-1] = current - before
        payload[changed, -1] = 1.0
        self._call(self.dist.all_reduce, torch.from_numpy(payload))
        change = payload[:, :-1]
        if self.mode == "average":
            change /= np.maximum(payload[:, -1:], 1.0)
        m[rows] = before
        m += change
        self.bytes += payload.nbytes * 2 * (self.world - 1) // self.world

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


def _tracked_changes(m: np.ndarray, rows: np.ndarray, cand: np.ndarray, before: np.ndarray, current: np.ndarray,
                     differs: np.ndarray, payload: np.ndarray) -> np.ndarray:
    """Fill `payload` with this rank's changes of `rows` (sorted) and, in its last column, whether it made them,
    from the rows it tracked (`cand`, sorted: their values `before` the round and `current`ly; `differs`: changed);
    returns the values of `rows` before the round (a row it did not track is unchanged here since the last sync)."""
    pos = np.minimum(np.searchsorted(cand, rows), max(len(cand) - 1, 0))
    hit = cand[pos] == rows if len(cand) else np.zeros(len(rows), dtype=bool)
    at, tracked, untracked = pos[hit], np.flatnonzero(hit), np.flatnonzero(~hit)  # index arrays: faster than masks
    out = np.empty((len(rows), m.shape[1]), dtype=np.float32)
    out[tracked] = before[at]
    out[untracked] = m[rows[untracked]]
    payload[untracked] = 0.0
    payload[tracked, :-1] = current[at] - before[at]
    payload[tracked, -1] = differs[at]
    return out


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
    ours, errors, rest = set(), [], []
    for line in proc.stderr:
        if line.startswith("wordvec: error:"):
            if line not in errors:
                errors.append(line)
        elif line.startswith("wordvec: "):
            if line not in ours:
                sys.stderr.write(line)
                sys.stderr.flush()
            ours.add(line)
        else:
            rest.append(line)
    code = proc.wait()
    if code == 0:
        return 0
    # the cause, not its echoes: ranks that stopped because another failed say so
    causes = [line for line in errors if not any(echo in line for echo in _ECHOES)] or errors[:1]
    sys.stderr.write("".join(causes) or "wordvec: error: torchrun failed: " + "".join(rest[-20:]).strip()
                     .replace("\n", " | ")[-600:] + "\n")
    return 2


_ECHOES = ("stopped because another rank failed", "lost contact with the other processes")


__all__ = ["check_environment", "restart_count", "record_error", "sync_hint", "launched", "rank", "session", "TorchReplicas", "collective_error", "launch"]
