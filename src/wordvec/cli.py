"""`wordvec train | neighbors | evaluate | export | plot | explore` — a thin layer over functions a notebook can call.

Every user error is a `WordvecError`: printed as one line `wordvec: error: ...`, exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import threading
from pathlib import Path

from .config import PRESETS, VECTORS as VECTOR_CHOICES, Config, preset
from .state import DEFAULT_CHECKPOINT_EVERY, Stopped
from .errors import WordvecError

# ------------------------------------------------------------------------------------------------- train


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_config_flags(p: argparse.ArgumentParser) -> None:
    """One flag per Config field, help and choices from the field's metadata; default None so only what the user
    typed overrides the preset."""
    for f in dataclasses.fields(Config):
        if not f.metadata.get("cli", True):
            continue
        flags = [_flag(f.name), *f.metadata.get("aliases", ())]
        help_text = f.metadata["help"]
        if f.type in ("bool", bool):
            p.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
            continue
        kind = {"int": _int, "float": float, "int | None": _int}.get(str(f.type), str)
        p.add_argument(*flags, dest=f.name, type=kind, default=None, metavar=f.name.upper(), help=help_text,
                       choices=f.metadata.get("choices"))
    p.add_argument("--query", dest="query_words", nargs="+", default=None, metavar="WORD",
                   help="words whose neighbours are printed after training (default: good bad school day)")


def _int(text: str) -> int:
    """An integer flag; also accepts 1e6-style whole numbers (then range checks name the flag)."""
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if not value.is_integer():
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        return int(value)


def config_from_args(args: argparse.Namespace) -> Config:
    from .corpus import default_dataset

    cfg = preset(args.preset)
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(Config)
               if getattr(args, f.name, None) is not None}
    if "query_words" in changes:
        changes["query_words"] = tuple(changes["query_words"])
    changes.setdefault("dataset", default_dataset())
    if args.preset == "lab" and changes.get("model", "softmax") != "softmax":
        raise WordvecError("--preset lab is the full-softmax model; use --preset sgns or cbow for skipgram/cbow")
    if "model" in changes and "loss" not in changes and changes["model"] != cfg.model:
        changes["loss"] = "softmax" if changes["model"] == "softmax" else ("ns" if cfg.loss == "softmax" else cfg.loss)
    cfg = cfg.replace(**changes).validate()
    typed = [name for name in cfg.ignored() if name in changes]
    if typed:
        raise WordvecError(f"{', '.join(_flag(n) for n in typed)} has no effect with --model {cfg.model} "
                           f"--loss {cfg.loss}" + (" --optimizer adamw" if "min_lr" in typed else "") + "; drop it")
    return cfg


def _cmd_train(args: argparse.Namespace) -> int:
    from .distributed import launch, launched, rank
    from .pipeline import train_pipeline
    from .report import training_report

    cfg = config_from_args(args)
    if args.nproc > 1 and not launched():
        return launch(args.nproc, _without_nproc(args.argv))
    out = Path(args.out) if args.out else Path("runs") / args.preset
    metrics = train_pipeline(cfg, out, overwrite=args.overwrite, tensorboard=args.tensorboard, quiet=args.quiet,
                             checkpoint_every=args.checkpoint_every, resume=args.resume)
    if rank() == 0:
        print(training_report(metrics, out), end="")
    return 0


def _without_nproc(argv: list[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            out.append(a)
    return out


# ------------------------------------------------------------------------------------------------- neighbors


def _cmd_neighbors(args: argparse.Namespace) -> int:
    from .fbformat import sniff
    from .rundir import load_vectors

    fasttext = Path(args.run_dir).is_file() and sniff(args.run_dir)
    if fasttext:  # a fastText .bin: unseen words get a vector from their character n-grams
        from .fasttext import load_facebook_vectors

        if args.vectors is not None:
            raise WordvecError("--vectors chooses a matrix of a run directory; a fastText .bin has one set of word "
                               "vectors: leave --vectors out")
        kv = load_facebook_vectors(args.run_dir)
    else:
        kv = load_vectors(args.run_dir, which=args.vectors)
    for word in args.words:
        pairs = kv.most_similar(word, topn=args.k)
        if fasttext and not kv.has_index_for(word):
            print(f"{word}: not in the vocabulary; its vector was built from its character n-grams")
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
    p.add_argument("--folds", type=_positive("--folds", minimum=2), default=5, metavar="K",
                   help="cross-validation folds, at least 2 (default 5)")
    p.add_argument("--restrict-vocab", type=_positive("--restrict-vocab"), default=300000, metavar="N",
                   help="only use the N most frequent words for pairs and analogies (default 300000)")
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .report import format_table
    from .rundir import METRICS, evaluate_run

    results = evaluate_run(args.run_dir, pairs=args.pairs, analogies=args.analogies, downstream=args.downstream,
                           folds=args.folds, sif=args.sif, restrict_vocab=args.restrict_vocab)
    print(format_table(results), end="")
    print(f"(written to {Path(args.run_dir) / METRICS} under 'evaluation')")
    return 0


# ------------------------------------------------------------------------------------------------- export


def _add_export_command(sub) -> None:
    from .export import FORMATS

    p = sub.add_parser("export", help="write a run's vectors as word2vec text/binary, safetensors, projector or "
                                          "fastText .vec files")
    p.add_argument("run_dir")
    p.add_argument("--format", required=True, choices=FORMATS, help="output format")
    p.add_argument("--out", required=True, metavar="PATH", help="file to write (a folder for --format projector)")
    p.add_argument("--vectors", choices=VECTOR_CHOICES, default=None,
                   help="export this matrix of model.safetensors (default: the run's vectors.txt)")
    p.add_argument("--limit", type=_positive("--limit"), default=None, metavar="N",
                   help="keep only the N most frequent words")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args: argparse.Namespace) -> int:
    from .rundir import export_run

    path = export_run(args.run_dir, args.format, args.out, which=args.vectors, limit=args.limit)
    print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------------- plot


def _add_plot_command(sub) -> None:
    p = sub.add_parser("plot", help="draw loss.png and map.png for a run")
    p.add_argument("run_dir")
    p.add_argument("--method", choices=["pca", "tsne"], default="pca", help="2-D projection of the map (default pca)")
    p.add_argument("--top", type=_positive("--top", minimum=0), default=150, metavar="N",
                   help="label the N most frequent words (default 150)")
    p.add_argument("--words", nargs="+", default=None, metavar="W",
                   help="words to highlight with their neighbours (default: the run's query words)")
    p.set_defaults(func=_cmd_plot)


def _cmd_plot(args: argparse.Namespace) -> int:
    from .rundir import plot_run

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


# ------------------------------------------------------------------------------------------------- explore


def _add_explore_command(sub) -> None:
    from .explore import DEFAULT_LIMIT, MAX_LIMIT

    p = sub.add_parser("explore", help="a local page to explore runs: neighbours, analogies, a 2-D map, comparisons")
    p.add_argument("sources", nargs="+", metavar="RUN_OR_VECTORS",
                   help="run directories or word2vec (.txt, .bin) / wordvec (.safetensors) vector files")
    p.add_argument("--port", type=_positive("--port", minimum=0), default=8000,
                   help="port to listen on (default 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--limit", type=_positive("--limit"), default=DEFAULT_LIMIT, metavar="N",
                   help=f"words on the map, the most frequent (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})")
    p.set_defaults(func=_cmd_explore)


def _cmd_explore(args: argparse.Namespace) -> int:
    from .explore import Explorer, make_server, url_of

    if args.port > 65535:
        raise WordvecError(f"--port must be at most 65535, got {args.port}")
    explorer = Explorer.open(args.sources, limit=args.limit)
    server = make_server(explorer, args.host, args.port)  # a port in use fails before the caches are built
    try:
        explorer.warm()
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"wordvec: warning: listening on {args.host}: anyone who can reach this machine can query these "
                  f"vectors; use the default --host 127.0.0.1 to keep the page to this machine", file=sys.stderr)
        print(f"wordvec explore: serving {len(explorer.sources)} run(s) at {url_of(server)} (Ctrl-C stops)",
              flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print("wordvec explore: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0


# ------------------------------------------------------------------------------------------------- main


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--checkpoint-every takes seconds, got {text!r}") from None
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"--checkpoint-every must be 0 (never) or a positive number of seconds, "
                                         f"got {text}")
    return value


def _positive(flag: str, minimum: int = 1):
    """An integer flag of at least `minimum` (argparse reports anything else as one line, exit 2)."""
    def parse(text: str) -> int:
        try:
            value = _int(text)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"{flag} takes a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{flag} must be at least {minimum}, got {value}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: one line naming the help to read, exit 2
        self.exit(2, f"wordvec: error: {message} (see '{self.prog} --help')\n")


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
    p.add_argument("-q", "--quiet", action="store_true", help="print only the report and errors")
    p.add_argument("--checkpoint-every", type=_seconds, default=DEFAULT_CHECKPOINT_EVERY, metavar="SECONDS",
                   help=f"save the training state to OUT.checkpoint this often, and on SIGTERM (0: never; default "
                        f"{DEFAULT_CHECKPOINT_EVERY:g})")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run in OUT.checkpoint (same arguments and data)")
    p.add_argument("--nproc", type=_positive("--nproc"), default=1, metavar="N",
                   help="train with N processes on this machine (starts torchrun; see README for several machines)")
    _add_config_flags(p)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("neighbors", aliases=["neighbours"], help="nearest words by cosine similarity")
    p.add_argument("run_dir", help="a run directory, or a fastText .bin model")
    p.add_argument("words", nargs="+")
    p.add_argument("-k", type=_positive("-k"), default=10, help="how many neighbours (default 10)")
    p.add_argument("--vectors", choices=VECTOR_CHOICES, default=None,
                   help="which matrix to query (default: the run's own choice)")
    p.set_defaults(func=_cmd_neighbors)

    _add_evaluate_command(sub)
    _add_export_command(sub)
    _add_plot_command(sub)
    _add_prepare_command(sub)
    _add_explore_command(sub)
    return parser


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so every `finally` (temporary files, locks) runs as for Ctrl-C."""


def _on_sigterm(signum, frame):
    """A listening training run saves a checkpoint and stops at its next boundary; anything else stops now."""
    from .state import request_stop

    if not request_stop():
        raise _Terminated()


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is logged (tests and notebooks swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _configure_logging(quiet: bool, silent: bool = False) -> None:
    """The CLI's messages: `wordvec: ...` lines on stderr; --quiet keeps only warnings, `silent` (ranks other than
    0 of a distributed run) only errors."""
    logger = logging.getLogger("wordvec")
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("wordvec: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.ERROR if silent else logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    from .distributed import launched, rank

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    _configure_logging(getattr(args, "quiet", False), silent=launched() and rank() != 0)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        return args.func(args)
    except WordvecError as e:
        print(f"wordvec: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wordvec: interrupted; nothing was written", file=sys.stderr)
        return 130
    except _Terminated:
        print("wordvec: terminated; nothing was written", file=sys.stderr)
        return 143
    except Stopped as e:
        print(f"wordvec: {e}", file=sys.stderr)
        return 143
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
