"""Predict distributed skip-gram / CBOW throughput at many ranks from one measured multi-process run.

Reads a run directory written by `wordvec train` under torchrun (metrics.json: words, the kept share after
subsampling, training and sync seconds; vocab.txt: the counts), and evaluates docs/scaling.md's model:

    T(W) = S / R + t_local + t_net(W)        X(W) = W * S / T(W)        E(W) = X(W) / (W * R)

R (words/s of one rank training) and t_local (a round's local sync work: finding the changed rows, building the
payload, applying the sum) come from the run; its time in collectives (on one host: loopback, and waiting for the
slower rank) is printed beside the model's network time, not reused. The rows a rank changes in a round (k) and the union over W ranks
(U(W)) are the expected numbers of distinct words in the round's draws, from the vocabulary counts: kept tokens for
the input matrix, kept tokens plus noise draws for the output matrix (negative sampling). The network: ring
collectives (all-gather W-1 steps, all-reduce 2(W-1)), each step alpha seconds of latency, payloads at beta bytes/s.
The prediction of bytes per word at the measured number of ranks is printed beside the measured figure: the check
that k and U are right.

Run: python benchmarks/scaling_model.py RUN_DIR [--ranks 8 64 256] [--sync-words S]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

#: (name, alpha: seconds per message step, beta: bytes/s achieved) -- TCP on 10 GbE, RDMA (or NCCL) on 100 Gb/s
NETWORKS = [("10 Gb/s TCP", 25e-6, 10e9 / 8 * 0.8), ("100 Gb/s RDMA", 5e-6, 100e9 / 8 * 0.8)]
DENSE_SHARE = 0.4  # wordvec.distributed.TorchReplicas: above this share of changed rows, the whole matrix


def distinct(p: np.ndarray, n: float) -> float:
    """Expected number of distinct outcomes in n independent draws from the distribution p."""
    return float(np.sum(-np.expm1(n * np.log1p(-np.minimum(p, 1 - 1e-12)))))


class Model:
    def __init__(self, run: Path, sync_words: int | None = None):
        m = json.loads((run / "metrics.json").read_text())
        c = m["config"]
        if c["loss"] != "ns" or c.get("both_heads"):
            raise SystemExit("the model covers negative sampling (--loss ns) only")
        sync = m.get("sync") or {}
        self.w0 = int(m.get("processes") or 1)
        if self.w0 < 2 or not sync.get("syncs"):
            raise SystemExit(f"{run} is a one-process run; give a run trained under torchrun (--nproc 2)")
        counts = np.array([int(line.rsplit("\t", 1)[1]) for line in
                           (run / "vocab.txt").read_text(encoding="utf-8").splitlines()], dtype=np.float64)
        self.V, self.E = len(counts), int(c["vector_size"])
        self.S = int(sync_words or c["sync_words"])
        self.measured_S = int(c["sync_words"])
        self.kept = m["effective_words"] / m["words"]
        self.R = m["words"] / self.w0 / (m["train_seconds"] - sync["seconds"])
        collective = sync.get("collective_seconds", 0.0)
        self.t_local = (sync["seconds"] - collective) / sync["syncs"]
        self.t_collective = collective / sync["syncs"]
        self.measured_bytes_per_word = sync["bytes_sent_by_rank0"] * self.w0 / m["words"]
        total = counts.sum()
        f = counts / total
        s = float(c["sample"])
        keep = np.minimum(1.0, (np.sqrt(f / s) + 1) * s / f) if s > 0 else np.ones_like(f)
        self.p_kept = counts * keep / (counts * keep).sum()
        noise = counts ** float(c["ns_exponent"])
        self.p_noise = noise / noise.sum()
        sg, shared = c["model"] == "skipgram", c.get("shared_negatives", True)
        self.draws_per_kept = int(c["negative"]) * (1 if (not sg or shared) else int(c["window"]) + 1)

    def rows(self, ranks: int, S: int) -> list[tuple[float, float]]:
        """(k, U): rows one rank changes in a round and the union over `ranks` ranks, for each matrix."""
        n = S * self.kept
        k0, u0 = distinct(self.p_kept, n), distinct(self.p_kept, ranks * n)
        mix = (self.p_kept + self.draws_per_kept * self.p_noise) / (1 + self.draws_per_kept)
        n1 = n * (1 + self.draws_per_kept)
        return [(k0, u0), (distinct(mix, n1), distinct(mix, ranks * n1))]

    def round_bytes(self, W: int, S: int) -> float:
        """Bytes one rank sends in a round, as wordvec counts them."""
        total = 0.0
        for k, U in self.rows(W, S):
            if W * k >= DENSE_SHARE * self.V:
                total += 2 * (W - 1) / W * self.V * (self.E + 1) * 4
            else:
                total += (W - 1) * k * 8 + 2 * (W - 1) / W * U * (self.E + 1) * 4
        return total

    def t_net(self, W: int, S: int, alpha: float, beta: float) -> float:
        steps = 2 * 2 * (W - 1)  # per round: the loss sums and the checkpoint decision (tiny all-reduces)
        for k, U in self.rows(W, S):
            steps += 2 * (W - 1)  # the all-reduce of max k
            steps += 2 * (W - 1) if W * k >= DENSE_SHARE * self.V else 3 * (W - 1)  # (ids +) rows
        return steps * alpha + self.round_bytes(W, S) / beta

    def predict(self, W: int, S: int, alpha: float, beta: float) -> dict:
        t_train = S / self.R
        t = t_train + self.t_local + self.t_net(W, S, alpha, beta)
        (k0, u0), (k1, u1) = self.rows(W, S)
        return {"throughput": W * S / t, "efficiency": t_train / t, "round_s": t, "net_s": t - t_train - self.t_local,
                "union_share": (u0 / self.V, u1 / self.V), "mb_per_round": self.round_bytes(W, S) / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run directory trained under torchrun")
    ap.add_argument("--ranks", type=int, nargs="+", default=[8, 64, 256])
    ap.add_argument("--sync-words", type=int, nargs="+", default=None,
                    help="words per rank between syncs (default: the run's)")
    args = ap.parse_args()
    report(args.run, args.ranks, args.sync_words)


def report(run: Path, ranks: list[int], sync_words: list[int] | None = None) -> None:
    model = Model(run)
    print(f"measured ({model.w0} ranks, {run.name}): R = {model.R:,.0f} words/s per rank, t_local = "
          f"{model.t_local * 1e3:.1f} ms a round (+ {model.t_collective * 1e3:.1f} ms in collectives), S = "
          f"{model.measured_S:,} words, V = {model.V:,}, E = {model.E}, kept after subsampling {model.kept:.1%}")
    predicted = model.round_bytes(model.w0, model.measured_S) / model.measured_S
    print(f"bytes per word at {model.w0} ranks: measured {model.measured_bytes_per_word:.1f}, model "
          f"{predicted:.1f}")
    print("\n| network | S (words/rank/round) | ranks | rows changed (union / V: in, out) | MB sent per rank a round | "
          "network s a round | words/s | efficiency |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, alpha, beta in NETWORKS:
        for S in sync_words or [model.measured_S]:
            for W in ranks:
                p = model.predict(W, S, alpha, beta)
                u_in, u_out = p["union_share"]
                print(f"| {name} | {S:,} | {W} | {u_in:.0%}, {u_out:.0%} | {p['mb_per_round']:.1f} | "
                      f"{p['net_s']:.3f} | {p['throughput'] / 1e6:,.1f} M | {p['efficiency']:.0%} |")
    if not math.isfinite(model.R):
        raise SystemExit("the run's timing is not usable")


if __name__ == "__main__":
    main()
