"""Plain-text reports: the training summary with the lab's checks, and the evaluation tables."""

from __future__ import annotations

import math

#: The lab's graded numbers (SPEC.md), checked by `training_report` when the run is the lab on its dataset.
LAB_PARITY = {"train_rows": 31962, "test_rows": 17197, "vocab_size": 3085, "tokens": 204534, "pairs": 854376}
LAB_MAX_LOSS = 6.75


def _num(x) -> float | None:
    """JSON-safe float: NaN/inf become None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def loss_table(metrics: dict) -> dict | None:
    """Training and held-out loss per epoch, side by side, from what the trainer recorded."""
    train = metrics.get("epoch_losses") or []
    held = metrics.get("heldout_losses") or []
    if not train and not held:
        return None
    n = max(len(train), len(held))
    pad = lambda xs: [_num(v) if v is not None else None for v in xs] + [None] * (n - len(xs))  # noqa: E731
    return {"epoch": list(range(1, n + 1)), "train": pad(train), "heldout": pad(held)}


def is_lab_run(metrics: dict) -> bool:
    """The lab's network, tokenizer, vocabulary threshold and window on the lab's training rows: the run whose
    numbers the lab graded."""
    cfg = metrics.get("config") or {}
    return (cfg.get("model") == "softmax" and cfg.get("tokenizer") == "lab" and cfg.get("min_count") == 11
            and cfg.get("window") == 3 and metrics.get("train_rows") == LAB_PARITY["train_rows"])


def training_report(metrics: dict, out=None) -> str:
    """The run's counts, losses, speed and neighbours; beside the counts, the lab's graded numbers and a verdict
    only when the run is the lab (`is_lab_run`), and only for what the run read (a token store holds no test
    split, so its test rows are not compared)."""
    cfg = metrics["config"]
    is_lab = is_lab_run(metrics)
    lines = [f"{'check':<24}{'value':>14}  {'lab':>10}" if is_lab else f"{'':<24}{'value':>14}"]
    rows = [("train rows", "train_rows"), ("test rows", "test_rows"), ("vocabulary size", "vocab_size"),
            ("train tokens", "tokens"), ("train pairs", "pairs")]
    for label, key in rows:
        value = metrics.get(key)
        if value is None:
            why = "not read: a token store holds the train split only" if key == "test_rows" else "not recorded"
            lines.append(f"{label:<24}{'-':>14}  ({why})")
            continue
        mark = ""
        if is_lab:
            mark = f"{LAB_PARITY[key]:>10,} {'ok' if value == LAB_PARITY[key] else 'DIFFERS'}"
        lines.append(f"{label:<24}{value:>14,}  {mark}".rstrip())
    if cfg.get("tokenizer"):  # what --tokenizer auto chose for this dataset
        lines.append(f"{'tokenizer':<24}{cfg['tokenizer']:>14}")
    lines.append(f"{'epoch losses':<24}{', '.join(f'{x:.4f}' for x in metrics['epoch_losses']):>14}")
    if metrics.get("heldout_losses"):
        lines.append(f"{'held-out losses':<24}{', '.join(f'{x:.4f}' for x in metrics['heldout_losses']):>14}")
    if is_lab and metrics.get("final_loss") is not None:
        ok = "ok" if metrics["final_loss"] <= LAB_MAX_LOSS else "ABOVE"
        lines.append(f"{'final loss':<24}{metrics['final_loss']:>14.4f}  {'<= 6.75':>10} {ok}")
    speed = metrics.get("words_per_second")
    kernels = {"c": ", C kernels", "numba": ", numba kernels"}.get(metrics.get("kernels"), "")
    lines.append(f"{'training':<24}{metrics['train_seconds']:>13.2f}s  on {metrics['device']}{kernels}"
                 + (f", {speed:,.0f} words/s" if speed else ""))
    lines.append("")
    for word, near in metrics["neighbors"].items():
        lines.append(f"{word:>8} -> {', '.join(near)}")
    missing = [w for w in cfg.get("query_words", []) if w not in metrics["neighbors"]]
    if missing:
        lines.append(f"(not in the vocabulary: {', '.join(missing)})")
    if out is not None:
        lines.append(f"\nrun written to {out}/ (metrics.json, vocab.txt, vectors.txt, model.safetensors, loss.png)")
    return "\n".join(lines) + "\n"


def _f(x, spec=".3f") -> str:
    return "-" if x is None else format(x, spec)


def format_table(results: dict) -> str:
    """The evaluation as aligned plain text, one block per evaluation that was run."""
    out: list[str] = []
    if "pairs" in results:
        p = results["pairs"]
        out += [f"word pairs  {p['file']}",
                f"  pairs used {p['n']}/{p['pairs']}  (out of vocabulary {p['oov_ratio']:.1%})",
                f"  Spearman rho {_f(p['spearman'])}  (p={_f(p['spearman_p'], '.2g')})",
                f"  Pearson r    {_f(p['pearson'])}  (p={_f(p['pearson_p'], '.2g')})", ""]
    if "analogies" in results:
        a = results["analogies"]
        width = max([len(s["section"]) for s in a["sections"]] + [7])
        out += [f"analogies  {a['file']}  (3CosAdd; {a['oov_ratio']:.1%} of questions skipped as out of vocabulary)",
                f"  {'section':<{width}}  {'correct':>7}  {'asked':>6}  {'skipped':>7}  accuracy"]
        for s in a["sections"]:
            used = s["correct"] + s["incorrect"]
            out.append(f"  {s['section']:<{width}}  {s['correct']:>7}  {used:>6}  {s['skipped']:>7}  "
                       f"{_f(s['accuracy'], '.1%') if s['accuracy'] is not None else '-'}")
        acc = _f(a["accuracy"], ".1%") if a["accuracy"] is not None else "-"
        out += [f"  {'overall':<{width}}  {a['correct']:>7}  {a['n']:>6}  {a['questions'] - a['n']:>7}  {acc}", ""]
    if "downstream" in results:
        d = results["downstream"]
        out += [f"downstream  {d.get('dataset', '')}  {d['texts']} texts, {d['folds']}-fold stratified, "
                f"class {d['positive_label']} = {d['positive_share']:.1%}, logistic regression (balanced)",
                f"  tokens out of vocabulary {d['oov_token_ratio']:.1%}, texts with no known token "
                f"{d['empty_texts']:.1%}",
                f"  {'metric':<13}  {'vectors' + (' (SIF)' if d['sif'] else ' (mean)'):>17}  {'TF-IDF':>17}"]
        for k in ("f1", "precision", "recall", "accuracy"):
            e, t = d["embedding"][k], d["tfidf"][k]
            name = f"{k} ({d['positive_label']})" if k != "accuracy" else k
            out.append(f"  {name:<13}  {e['mean']:>9.3f} ± {e['std']:.3f}  {t['mean']:>9.3f} ± {t['std']:.3f}")
        out.append("")
    if "loss" in results:
        lo = results["loss"]
        out.append(f"loss per epoch  {'epoch':>5}  {'train':>8}  {'held-out':>8}")
        for e, tr, he in zip(lo["epoch"], lo["train"], lo["heldout"]):
            out.append(f"                {e:>5}  {_f(tr, '8.4f')}  {_f(he, '8.4f')}")
        out.append("")
    return "\n".join(out).rstrip() + "\n" if out else "nothing evaluated\n"


__all__ = ["training_report", "is_lab_run", "format_table", "loss_table", "LAB_PARITY", "LAB_MAX_LOSS"]
