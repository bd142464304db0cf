"""`wordvec train | neighbors | evaluate | export | plot` — a thin layer over functions a notebook can call.

Every user error is a `WordvecError`: printed as one line `wordvec: error: ...`, exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from .config import PRESETS, Config, preset
from .errors import WordvecError

# ------------------------------------------------------------------------------------------------- train


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


_HELP = {  # one line per Config field shown on the command line
    "dataset": "Hub id, folder with train.csv/test.csv, .csv/.parquet/.txt file, or folder of .txt files",
    "text_column": "column holding the text", "label_column": "column holding the labels (for evaluation)",
    "tokenizer": "'lab' (the lab's NLTK pipeline) or 'simple' (lower-case, split on whitespace)",
    "min_count": "keep words seen at least this often (the lab's `count > 10` is 11)",
    "max_vocab_size": "keep at most this many of the most frequent words",
    "model": "'softmax' (the lab's network), 'skipgram' or 'cbow'",
    "loss": "'softmax' (lab), 'ns' (negative sampling) or 'hs' (hierarchical softmax)",
    "vector_size": "embedding dimension (alias --embed-size)", "window": "context words on each side",
    "negative": "noise words per pair (ns)", "ns_exponent": "noise distribution exponent",
    "sample": "subsampling threshold for frequent words (0: off)",
    "shared_negatives": "skip-gram ns: share one negative draw across a centre's contexts (Ji et al. 2016)",
    "reduced_window": "draw the window in 1..window per centre word (--no-reduced-window: fixed)",
    "vectors": "which matrix are the word vectors: input, output or mean",
    "epochs": "passes over the corpus", "optimizer": "'sgd' (linear decay) or 'adamw' (the lab's)",
    "lr": "learning rate (gensim's alpha)", "min_lr": "final learning rate of the linear decay (min_alpha)",
    "batch_size": "pairs per step (lab model) / centre words per step (torch engine)",
    "seed": "random seed", "device": "'auto', 'cpu', 'cuda' or 'cuda:N'", "threads": "CPU threads (0: all)",
    "backend": "CPU engine for skipgram/cbow: auto, numba or torch", "topn": "neighbours per query word (-k)",
    "progress": "show a progress bar (--no-progress: quiet)",
}
_ALIASES = {"vector_size": ["--embed-size"], "topn": ["-k"]}


def _add_config_flags(p: argparse.ArgumentParser) -> None:
    """One flag per Config field, default None so only what the user typed overrides the preset."""
    for f in dataclasses.fields(Config):
        if f.name not in _HELP:
            continue
        flags = [_flag(f.name)] + _ALIASES.get(f.name, [])
        if f.type in ("bool", bool):
            p.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=None,
                           help=_HELP[f.name])
            continue
        kind = {"int": int, "float": float, "int | None": int}.get(str(f.type), str)
        p.add_argument(*flags, dest=f.name, type=kind, default=None, metavar=f.name.upper(), help=_HELP[f.name])
    p.add_argument("--query", dest="query_words", nargs="+", default=None, metavar="WORD",
                   help="words whose neighbours are printed after training (default: good bad school day)")


def config_from_args(args: argparse.Namespace) -> Config:
    cfg = preset(args.preset)
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(Config)
               if getattr(args, f.name, None) is not None}
    if "query_words" in changes:
        changes["query_words"] = tuple(changes["query_words"])
    if args.preset == "lab" and changes.get("model", "softmax") != "softmax":
        raise WordvecError("--preset lab is the full-softmax model; use --preset sgns or cbow for skipgram/cbow")
    if "model" in changes and "loss" not in changes and changes["model"] != cfg.model:
        changes["loss"] = "softmax" if changes["model"] == "softmax" else ("ns" if cfg.loss == "softmax" else cfg.loss)
    return cfg.replace(**changes).validate()


def _cmd_train(args: argparse.Namespace) -> int:
    from .pipeline import print_report, train_pipeline

    cfg = config_from_args(args)
    out = Path(args.out) if args.out else Path("runs") / args.preset
    metrics = train_pipeline(cfg, out, overwrite=args.overwrite, tensorboard=args.tensorboard)
    print_report(metrics, out)
    return 0


# ------------------------------------------------------------------------------------------------- neighbors


def _cmd_neighbors(args: argparse.Namespace) -> int:
    from .vectors import KeyedVectors

    kv = KeyedVectors.load_run(args.run_dir, which=args.vectors)
    for word in args.words:
        pairs = kv.most_similar(word, topn=args.k)
        print(f"{word}: " + ", ".join(f"{w} ({s:.3f})" for w, s in pairs))
    return 0


# ------------------------------------------------------------------------------------------------- evaluate


def _add_evaluate_command(sub) -> None:
    p = sub.add_parser("evaluate", help="score a run: word pairs, analogies, downstream classifier")
    p.add_argument("run_dir")
    p.add_argument("--pairs", default=None, metavar="FILE",
                   help="word-pair similarity file: word1<TAB>word2<TAB>score, '#' comments (WordSim-353 layout)")
    p.add_argument("--analogies", default=None, metavar="FILE",
                   help="analogy questions in questions-words.txt format (': section' headers, 4 words a line)")
    p.add_argument("--downstream", action="store_true",
                   help="logistic regression on mean text vectors vs TF-IDF, stratified k-fold on the run's labels")
    p.add_argument("--sif", action="store_true", help="SIF-weight the text vectors (a=1e-3) for --downstream")
    p.add_argument("--folds", type=int, default=5, metavar="K", help="cross-validation folds (default 5)")
    p.add_argument("--restrict-vocab", type=int, default=300000, metavar="N",
                   help="only use the N most frequent words for pairs and analogies (default 300000)")
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate_run, format_table

    results = evaluate_run(args.run_dir, pairs=args.pairs, analogies=args.analogies, downstream=args.downstream,
                           folds=args.folds, sif=args.sif, restrict_vocab=args.restrict_vocab)
    print(format_table(results), end="")
    print(f"(written to {Path(args.run_dir) / 'metrics.json'} under 'evaluation')")
    return 0


# ------------------------------------------------------------------------------------------------- export


def _add_export_command(sub) -> None:
    p = sub.add_parser("export", help="write a run's vectors as word2vec text/binary, safetensors or projector files")
    p.add_argument("run_dir")
    p.add_argument("--format", required=True,
                   choices=["word2vec-text", "word2vec-binary", "safetensors", "projector"],
                   help="output format")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="file to write (a folder for --format projector)")
    p.add_argument("--vectors", choices=["input", "output", "mean"], default=None,
                   help="export this matrix of model.safetensors (default: the run's vectors.txt)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="projector only: keep the N most frequent words")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args: argparse.Namespace) -> int:
    from .export import export_run

    path = export_run(args.run_dir, args.format, args.out, which=args.vectors, limit=args.limit)
    print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------------- plot


def _add_plot_command(sub) -> None:
    p = sub.add_parser("plot", help="draw loss.png and map.png for a run")
    p.add_argument("run_dir")
    p.add_argument("--method", choices=["pca", "tsne"], default="pca", help="2-D projection of the map (default pca)")
    p.add_argument("--top", type=int, default=150, metavar="N", help="label the N most frequent words (default 150)")
    p.add_argument("--words", nargs="+", default=None, metavar="W",
                   help="words to highlight with their neighbours (default: the run's query words)")
    p.set_defaults(func=_cmd_plot)


def _cmd_plot(args: argparse.Namespace) -> int:
    from .plots import plot_run

    if args.top < 0:
        raise WordvecError(f"--top must be 0 or more, got {args.top}")
    for path in plot_run(args.run_dir, method=args.method, top=args.top, words=args.words):
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------------- prepare


def _add_prepare_command(sub) -> None:
    p = sub.add_parser("prepare", help="tokenise a corpus once into an on-disk token store (larger than memory)")
    p.add_argument("--dataset", required=True, metavar="SRC",
                   help="Hub id, folder with train.csv, .csv/.parquet file, .txt file or folder of them, plain or "
                        ".gz/.bz2/.xz (only the train split is stored)")
    p.add_argument("--out", required=True, metavar="STORE", help="token store folder to write")
    p.add_argument("--tokenizer", choices=["lab", "simple"], default=Config.tokenizer,
                   help="'lab' (the lab's NLTK pipeline) or 'simple' (lower-case, split on whitespace)")
    p.add_argument("--min-count", type=int, default=Config.min_count, metavar="N",
                   help="keep words seen at least this often (the lab's `count > 10` is 11)")
    p.add_argument("--max-final-vocab", type=int, default=None, metavar="N",
                   help="keep at most this many words, the most frequent, by raising --min-count (gensim's meaning)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="processes that tokenise (default 0: one per CPU core)")
    p.add_argument("--text-column", default=Config.text_column, metavar="C",
                   help="column holding the text (CSV, parquet, Hub datasets)")
    p.add_argument("--no-sort", "--no-sorted-vocab", dest="no_sort", action="store_true",
                   help="number the words in first-seen order (the lab's) instead of by descending count (gensim's)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing token store")
    p.set_defaults(func=_cmd_prepare)


def _cmd_prepare(args: argparse.Namespace) -> int:
    import time

    from .store import open_store, prepare

    t = time.perf_counter()
    path = prepare(args.dataset, args.out, tokenizer=args.tokenizer, min_count=args.min_count,
                   max_final_vocab=args.max_final_vocab, sort_by_count=not args.no_sort, workers=args.workers,
                   text_column=args.text_column, overwrite=args.overwrite)
    seconds = time.perf_counter() - t
    m = open_store(path, check_ids=False).manifest
    order = "by count" if m["vocab_order"] == "count" else "in first-seen order"
    print(f"wrote {path}: {m['tokens']:,} tokens, {m['documents']:,} documents, {m['vocab_size']:,} words "
          f"({m['tokenizer']} tokenizer, min_count {m['min_count']}, numbered {order}) in {seconds:.1f}s "
          f"({m['tokens_read'] / max(seconds, 1e-9):,.0f} tokens read a second)")
    return 0


# ------------------------------------------------------------------------------------------------- main


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: one line and the usage, exit 2
        self.print_usage(sys.stderr)
        self.exit(2, f"wordvec: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wordvec", description=__doc__.splitlines()[0])
    from . import __version__

    parser.add_argument("--version", action="version", version=f"wordvec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("train", help="train a model and write a run directory")
    p.add_argument("--preset", default="lab", choices=sorted(PRESETS), help="starting settings (default: lab)")
    p.add_argument("--out", default=None, help="run directory to write (default: runs/PRESET)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    p.add_argument("--tensorboard", default=None, metavar="DIR", help="also log loss scalars for TensorBoard")
    _add_config_flags(p)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("neighbors", aliases=["neighbours"], help="nearest words by cosine similarity")
    p.add_argument("run_dir")
    p.add_argument("words", nargs="+")
    p.add_argument("-k", type=int, default=10, help="how many neighbours (default 10)")
    p.add_argument("--vectors", choices=["input", "output", "mean"], default=None,
                   help="which matrix to query (default: the run's own choice)")
    p.set_defaults(func=_cmd_neighbors)

    _add_evaluate_command(sub)
    _add_export_command(sub)
    _add_plot_command(sub)
    _add_prepare_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except WordvecError as e:
        print(f"wordvec: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wordvec: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
