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

from .config import GROUPS, PRESETS, VECTORS as VECTOR_CHOICES, Config, preset
from .state import DEFAULT_CHECKPOINT_EVERY, Stopped
from .errors import WordvecError

# ------------------------------------------------------------------------------------------------- train


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_config_flags(groups: dict[str, argparse._ArgumentGroup]) -> None:
    """One flag per Config field, in its help group, with help, choices, bounds and every preset's default from the
    field's metadata; default None so only what the user typed overrides the preset."""
    for f in dataclasses.fields(Config):
        if f.metadata.get("cli", True):
            _config_flag(groups[f.metadata["group"]], f.name, default=None)
    groups["output"].add_argument("--query", dest="query_words", nargs="+", default=None, metavar="WORD",
                                  help="words whose neighbours are printed after training (default: good bad "
                                       "school day)")


def _config_flag(p, name: str, default=None, presets: bool = True) -> None:
    """The flag of one Config field, from its metadata. `presets`: the help names each preset's value (train);
    else `default` is the flag's own default (prepare)."""
    f = _FIELDS[name]
    meta = f.metadata
    shown = _preset_values(name) if presets else _show(default)
    help_text = meta["help"] + (f" [{meta['bounds']}]" if meta["bounds"] else "")
    if "default:" not in help_text and shown is not None:
        help_text += f" (default: {shown})"
    help_text = help_text.replace("%", "%%")
    flags = (_flag(name), *meta.get("aliases", ()))
    if f.type in ("bool", bool):
        p.add_argument(*flags, dest=name, action=argparse.BooleanOptionalAction, default=default, help=help_text)
        return
    kind = {"int": _int, "float": float, "int | None": _int}.get(str(f.type), str)
    metavar = None if meta.get("choices") else {_int: "N", float: "X"}.get(kind, name.split("_")[-1].upper())
    p.add_argument(*flags, dest=name, type=kind, default=default, help=help_text, choices=meta.get("choices"),
                   metavar=metavar)


_FIELDS = {f.name: f for f in dataclasses.fields(Config)}


def _show(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (tuple, list)):
        return " ".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _preset_values(name: str) -> str:
    """'5' when every preset has the same value, else 'lab 3; sgns/cbow 5'."""
    by_value: dict[str, list[str]] = {}
    for preset_name, cfg in PRESETS.items():
        by_value.setdefault(_show(getattr(cfg, name)) or "none", []).append(preset_name)
    if len(by_value) == 1:
        return next(iter(by_value))
    return "; ".join(f"{'/'.join(names)} {value}" for value, names in by_value.items())


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
    _inherit_store_settings(changes)
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


def _inherit_store_settings(changes: dict) -> None:
    """A token store carries its settings: a flag the user did not give comes from the store (one the user gave
    that contradicts it is refused later, naming the difference; the run logs the store's settings)."""
    from .store import is_store, store_settings

    if not is_store(changes["dataset"]):
        return
    inherited = {k: v for k, v in store_settings(changes["dataset"]).items()
                 if k not in changes or (k == "tokenizer" and changes[k] == "auto")}
    try:  # the store's own values, not flags the user typed: a bad one means a damaged manifest
        Config().replace(**inherited).validate()
        if inherited.get("tokenizer") == "auto":
            raise WordvecError("--tokenizer 'auto' is not a tokenizer")
    except WordvecError as e:
        raise WordvecError(f"the token store {changes['dataset']} holds a setting wordvec cannot use ({e}); the store "
                           f"is damaged: re-create it with `wordvec prepare --out {changes['dataset']} --overwrite`"
                           ) from None
    changes.update(inherited)


def _cmd_train(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    if args.show_config:
        print(_settings(cfg, args.preset), end="")
        return 0
    from .distributed import launch, launched, rank
    from .pipeline import preflight, train_pipeline
    from .report import training_report

    from .devices import cap_to_cores

    nproc = cap_to_cores("--nproc", args.nproc) if not launched() else 1  # as --workers and --threads
    out = Path(args.out) if args.out else Path("runs") / args.preset
    if nproc > 1:
        preflight(cfg, out, overwrite=args.overwrite, tensorboard=args.tensorboard,
                  checkpoint_every=args.checkpoint_every, resume=args.resume)
        return launch(nproc, _without_nproc(args.argv))
    metrics = train_pipeline(cfg, out, overwrite=args.overwrite, tensorboard=args.tensorboard, quiet=args.quiet,
                             checkpoint_every=args.checkpoint_every, resume=args.resume)
    if rank() == 0:
        print(training_report(metrics, out), end="")
    return 0


def _settings(cfg: Config, preset_name: str) -> str:
    """What `train --show-config` prints: every setting by help group, as the flag that sets it; '*' marks the
    values the flags given changed from the preset, '(unused)' the ones this model never reads."""
    base, ignored = preset(preset_name), set(cfg.ignored())
    lines = [f"preset {preset_name}; * = changed by a flag, (unused) = this model never reads it"]
    for group in GROUPS:
        lines.append(f"{group}:")
        for f in dataclasses.fields(Config):
            if f.metadata["group"] != group:
                continue
            value = getattr(cfg, f.name)
            mark = "*" if value != getattr(base, f.name) else " "
            unused = "  (unused)" if f.name in ignored else ""
            lines.append(f"  {mark} {_setting_flag(f.name):<22} {_show(value) or 'none'}{unused}")
    return "\n".join(lines) + "\n"


def _setting_flag(name: str) -> str:
    return "--query" if name == "query_words" else _flag(name)


def _cmd_presets(args: argparse.Namespace) -> int:
    """Every preset's settings side by side; rows where they differ first."""
    names = list(PRESETS)
    rows = [(_setting_flag(f.name), [_show(getattr(PRESETS[n], f.name)) or "none" for n in names])
            for f in dataclasses.fields(Config) if f.name != "dataset"]
    rows.sort(key=lambda r: len(set(r[1])) == 1)
    widths = [max(len(n), *(len(values[i]) for _, values in rows)) + 2 for i, n in enumerate(names)]
    lines = [f"{'':<20}" + "".join(f"{n:>{w}}" for n, w in zip(names, widths))]
    lines += [f"{flag:<20}" + "".join(f"{v:>{w}}" for v, w in zip(values, widths)) for flag, values in rows]
    print("\n".join(lines))
    print("(wordvec train --preset NAME --show-config prints one preset with your flags applied)")
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
    from .rundir import load_vectors

    path = Path(args.run_dir)
    if path.is_file() and path.suffix != ".checkpoint":  # a vector file, as `wordvec explore` opens it
        from .explore import load_vector_file

        _no_matrix_choice(args)
        kv = load_vector_file(path)
    else:
        kv = load_vectors(args.run_dir, which=args.vectors)
    fasttext = hasattr(kv, "vectors_ngrams")
    if not len(kv):
        raise WordvecError(f"{args.run_dir} holds no words, so no word has neighbours; give a model with a "
                           f"vocabulary")
    for word in args.words:
        try:
            word.encode("utf-8")
        except UnicodeEncodeError:  # bytes the locale could not decode reach Python as lone surrogates
            raise WordvecError(f"the word {word!r} is not valid UTF-8 (undecodable bytes on the command line); "
                               f"pass the words as UTF-8 text") from None
    answers = [(word, kv.most_similar(word, topn=args.k)) for word in args.words]  # every word, then print
    for word, pairs in answers:
        if (fasttext or getattr(kv, "bucket", 0)) and not kv.has_index_for(word):  # a .bin or a fasttext run
            print(f"{word}: not in the vocabulary; its vector was built from its character n-grams")
        print(f"{word}: " + ", ".join(f"{_shown(w)} ({s:.3f})" for w, s in pairs))
    return 0


def _shown(word) -> str:
    """A word as one line shows it: a word with a newline or other control character (a crafted file's) quoted."""
    return word if isinstance(word, str) and word.isprintable() else repr(word)


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
    p.add_argument("--out", required=True, metavar="PATH",
                   help="file to write; for --format projector the TensorBoard log folder (`tensorboard --logdir`)")
    p.add_argument("--vectors", choices=VECTOR_CHOICES, default=None,
                   help="export this matrix of model.safetensors (default: the run's vectors.txt)")
    p.add_argument("--limit", type=_positive("--limit"), default=None, metavar="N",
                   help="keep only the N most frequent words")
    p.add_argument("--name", default=None, help="projector: the embedding's name and folder in the log folder "
                                                "(default: the run's folder name)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file (projector: an export "
                                                                "of the same name)")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args: argparse.Namespace) -> int:
    from .rundir import export_run

    source = Path(args.run_dir)
    if source.is_file() and source.suffix != ".checkpoint":  # a vector file or model, as `neighbors` takes one
        path = _export_file(source, args)
    else:
        path = export_run(args.run_dir, args.format, args.out, which=args.vectors, limit=args.limit,
                          name=args.name, overwrite=args.overwrite)
    print(f"wrote {path}")
    if args.format == "projector":
        print(f"view it: tensorboard --logdir {args.out}  (then the PROJECTOR tab)")
    return 0


def _no_matrix_choice(args: argparse.Namespace) -> None:
    """`neighbors` and `export` given a vector file: --vectors picks a run directory's matrix, a file has one."""
    if args.vectors is not None:
        raise WordvecError("--vectors chooses a matrix of a run directory; a vector file has one set of word "
                           "vectors: leave --vectors out")


def _export_file(source: Path, args: argparse.Namespace) -> Path:
    """Export a vector file or model (a fastText .bin keeps its hyperparameters and output matrix as .bin)."""
    from .explore import load_vector_file
    from .export import export_vectors
    from .fasttext import load_facebook_model, save_facebook_model
    from .fbformat import sniff
    from .rundir import check_export_out

    _no_matrix_choice(args)
    check_export_out(source, args.format, args.out, args.overwrite, args.name)
    if args.format == "fasttext-bin":
        if args.limit is not None:
            raise WordvecError("--limit keeps the most frequent words of a vectors file; a fastText .bin holds the "
                               "whole model: drop --limit")
        model = load_facebook_model(source) if sniff(source) else load_vector_file(source)
        if hasattr(getattr(model, "wv", model), "vectors_ngrams"):
            return save_facebook_model(model, args.out)
    kv = load_vector_file(source)
    return export_vectors(kv, args.format, args.out, args.limit, name=args.name or source.stem,
                          overwrite=args.overwrite)


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
    _config_flag(p, "tokenizer", default=Config.tokenizer, presets=False)
    _config_flag(p, "min_count", default=Config.min_count, presets=False)
    _config_flag(p, "max_final_vocab", default=None, presets=False)
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="processes that tokenise (default 0: one per CPU core)")
    _config_flag(p, "text_column", default=Config.text_column, presets=False)
    p.add_argument("--no-sort", "--no-sorted-vocab", dest="no_sort", action="store_true",
                   help="number the words in first-seen order (the lab's) instead of by descending count (gensim's)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing token store")
    phrases = p.add_argument_group("phrases", "store phrase-joined tokens (new york -> new_york), as 'wordvec "
                                              "phrases' joins them")
    phrases.add_argument("--phrases", type=_positive("--phrases", minimum=0), default=0, metavar="N",
                         help="passes of phrase joining (2 make up to 4-word phrases; default 0: off)")
    _add_phrase_flags(phrases, "--phrase-", default=None)
    p.set_defaults(func=_cmd_prepare)


def _cmd_prepare(args: argparse.Namespace) -> int:
    import time

    from .store import open_store, prepare

    t = time.perf_counter()
    kwargs = dict(tokenizer=args.tokenizer, min_count=args.min_count, max_final_vocab=args.max_final_vocab,
                  sort_by_count=not args.no_sort, workers=args.workers, text_column=args.text_column,
                  overwrite=args.overwrite)
    if args.phrases:
        from .phrasestore import prepare_phrases

        settings, flags = _phrase_settings(args, "--phrase-", args.phrases)
        path = prepare_phrases(args.dataset, args.out, settings, flags=flags, **kwargs)
    else:
        given = [f"--phrase-{k.replace('_', '-')}" for k in _PHRASE_FLAGS
                 if getattr(args, f"phrase_{k}") is not None]
        if given:
            raise WordvecError(f"{', '.join(given)} {'has' if len(given) == 1 else 'have'} no effect without "
                               f"--phrases N; add --phrases 1 (or 2), or drop {'it' if len(given) == 1 else 'them'}")
        path = prepare(args.dataset, args.out, **kwargs)
    seconds = time.perf_counter() - t
    m = open_store(path, check_ids=False).manifest
    order = "by count" if m["vocab_order"] == "count" else "in first-seen order"
    print(f"wrote {path}: {m['tokens']:,} tokens, {m['documents']:,} documents, {m['vocab_size']:,} words "
          f"({m['tokenizer']} tokenizer, min_count {m['min_count']}, numbered {order}) in {seconds:.1f}s "
          f"({m['tokens_read'] / max(seconds, 1e-9):,.0f} tokens read a second)")
    if m.get("phrases"):
        print(_phrases_found(m["phrases"]))
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


# ------------------------------------------------------------------------------------------------- phrases


def _add_phrases_command(sub) -> None:
    p = sub.add_parser("phrases", help="join collocations (new york -> new_york) into a new text corpus or token "
                                       "store, as word2vec.c's word2phrase does (gensim's Phrases scoring)")
    p.add_argument("--dataset", required=True, metavar="SRC", help="the corpus (as for train; the train split)")
    p.add_argument("--out", required=True, metavar="FILE|STORE",
                   help="text file to write: one sentence per line, tokens joined by spaces, phrases by '_' (train "
                        "on it with --tokenizer simple); a folder (or a name ending in '/'): a token store, as "
                        "'wordvec prepare --phrases N' writes it (its vocabulary: prepare's defaults)")
    p.add_argument("--passes", type=_positive("--passes"), default=1, metavar="N",
                   help="each pass joins pairs of the previous pass's tokens: 2 passes make up to 4-word phrases")
    _add_phrase_flags(p, "--", default=PhraseFlagDefaults)
    _config_flag(p, "tokenizer", default=Config.tokenizer, presets=False)
    _config_flag(p, "text_column", default=Config.text_column, presets=False)
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="processes that tokenise (default 0: one per CPU core)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file or token store")
    p.set_defaults(func=_cmd_phrases)


_PHRASE_FLAGS = ("threshold", "min_count", "scoring", "connector_words")


class PhraseFlagDefaults:
    """The defaults of the phrase flags (`wordvec phrases`; prepare's --phrase-* default to the same)."""

    threshold, min_count, scoring, connector_words = 10.0, 5, "default", "none"


def _add_phrase_flags(p, prefix: str, default) -> None:
    """--threshold --min-count --scoring --connector-words (prepare: --phrase-threshold ...); `default` None: only
    what the user typed is set."""
    d = {k: getattr(default, k) if default else None for k in _PHRASE_FLAGS}
    shown = PhraseFlagDefaults
    p.add_argument(f"{prefix}threshold", dest="phrase_threshold", type=str, default=d["threshold"], metavar="X",
                   help=f"score a pair must exceed (default {shown.threshold:g}; npmi: -1..1)")
    p.add_argument(f"{prefix}min-count", dest="phrase_min_count", type=_positive(f"{prefix}min-count"), metavar="N",
                   default=d["min_count"], help=f"ignore words and pairs seen fewer times (default {shown.min_count})")
    p.add_argument(f"{prefix}scoring", dest="phrase_scoring", choices=["default", "npmi"], default=d["scoring"],
                   help="'default' (word2phrase's score) or 'npmi'")
    p.add_argument(f"{prefix}connector-words", dest="phrase_connector_words", choices=["none", "english"],
                   default=d["connector_words"], help="'english': a, the, of, ... may sit inside a phrase "
                                                      "(bank_of_america; default none)")


def _phrase_settings(args: argparse.Namespace, prefix: str, passes: int):
    """(PhraseSettings from the phrase flags, checked; the flags' names, for the errors found later)."""
    from .phrasestore import PhraseSettings

    d = PhraseFlagDefaults
    value = {k: getattr(d, k) if getattr(args, f"phrase_{k}") is None else getattr(args, f"phrase_{k}")
             for k in _PHRASE_FLAGS}
    try:
        value["threshold"] = float(value["threshold"])
    except ValueError:
        raise WordvecError(f"{prefix}threshold takes a number, got {value['threshold']!r}") from None
    flags = {k: prefix + k.replace("_", "-") for k in _PHRASE_FLAGS}
    flags["passes"] = "--passes" if prefix == "--" else "--phrases"
    return PhraseSettings(passes=passes, **value).check(flags), flags


def _phrases_found(entry: dict) -> str:
    found = ", ".join(f"pass {i + 1}: {n:,}" for i, n in enumerate(entry["found"]))
    return f"phrases found: {found}; {entry['phrase_tokens']:,} phrase tokens"


def _cmd_phrases(args: argparse.Namespace) -> int:
    settings, flags = _phrase_settings(args, "--", args.passes)
    if args.out.endswith(("/", "\\")) or Path(args.out).expanduser().is_dir():
        from .store import open_store
        from .phrasestore import prepare_phrases

        path = prepare_phrases(args.dataset, args.out, settings, tokenizer=args.tokenizer, workers=args.workers,
                               text_column=args.text_column, overwrite=args.overwrite, flags=flags)
        m = open_store(path, check_ids=False).manifest
        print(f"wrote the token store {path}: {m['tokens']:,} tokens, {m['documents']:,} documents, "
              f"{m['vocab_size']:,} words ({m['tokenizer']} tokenizer, min_count {m['min_count']}); "
              f"{_phrases_found(m['phrases'])}")
        return 0
    from .phrasestore import write_phrases_text

    entry = write_phrases_text(args.dataset, args.out, settings, tokenizer=args.tokenizer,
                               text_column=args.text_column, workers=args.workers, overwrite=args.overwrite,
                               flags=flags)
    print(f"wrote {args.out}: {entry['documents']:,} sentences, {entry['tokens']:,} tokens ({entry['tokenizer']} "
          f"tokenizer); {_phrases_found(entry)}")
    return 0


# ------------------------------------------------------------------------------------------------- main


TRAIN_EXAMPLES = """examples:
  wordvec train --preset lab --dataset ../shared/data/tweets_hate_speech_detection --out runs/lab
  wordvec train --preset sgns --dataset corpus.txt --tokenizer simple --out runs/sgns
  wordvec train --preset cbow --loss hs --epochs 10 --out runs/cbow-hs
  wordvec train --preset sgns --dataset stores/wiki --tokenizer simple --out runs/wiki --nproc 2
  wordvec train --preset sgns --window 10 --show-config     # what would run, without training
  wordvec presets                                           # every preset's settings side by side

The dataset defaults to $WORDVEC_DATASET when set (a local copy), else the lab's Hub dataset."""


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

    p = sub.add_parser("train", help="train a model and write a run directory", epilog=TRAIN_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       usage="%(prog)s [--preset {lab,sgns,cbow,fasttext}] [--dataset DATASET] [--out OUT] [FLAG ...]",
                       description="Train a preset, changed by any of the flags below, and write the run directory "
                                   "OUT.\nEach default names the presets' values where they differ; the bounds of "
                                   "a value are in [brackets].")
    p.add_argument("--preset", default="lab", choices=sorted(PRESETS), help="starting settings (default: lab)")
    p.add_argument("--show-config", action="store_true",
                   help="print the preset's settings with the flags given applied, and exit (see also 'wordvec "
                        "presets')")
    groups = {name: p.add_argument_group(name) for name in GROUPS}
    out = groups["output"]
    out.add_argument("--out", default=None, help="run directory to write (default: runs/PRESET)")
    out.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    out.add_argument("--tensorboard", default=None, metavar="DIR", help="also log loss scalars for TensorBoard")
    out.add_argument("-q", "--quiet", action="store_true", help="print only the report and errors")
    training = groups["training"]
    training.add_argument("--checkpoint-every", type=_seconds, default=DEFAULT_CHECKPOINT_EVERY, metavar="SECONDS",
                          help=f"save the training state to OUT.checkpoint this often, and on SIGTERM (0: never; "
                               f"default: {DEFAULT_CHECKPOINT_EVERY:g})")
    training.add_argument("--resume", action="store_true",
                          help="continue the interrupted run in OUT.checkpoint (same arguments and data)")
    groups["several processes"].add_argument(
        "--nproc", type=_positive("--nproc"), default=1, metavar="N",
        help="train with N processes on this machine (starts torchrun; see README for several machines; default: 1)")
    _add_config_flags(groups)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("neighbors", aliases=["neighbours"], help="nearest words by cosine similarity")
    p.add_argument("run_dir", help="a run directory, or a vector file: word2vec text/binary, fastText .bin, or "
                                   "wordvec's .safetensors (KeyedVectors.save, Word2Vec.save)")
    p.add_argument("words", nargs="+")
    p.add_argument("-k", type=_positive("-k"), default=10, help="how many neighbours (default 10)")
    p.add_argument("--vectors", choices=VECTOR_CHOICES, default=None,
                   help="which matrix to query (default: the run's own choice)")
    p.set_defaults(func=_cmd_neighbors)

    p = sub.add_parser("presets", help="print every preset's settings side by side")
    p.set_defaults(func=_cmd_presets)

    _add_evaluate_command(sub)
    _add_export_command(sub)
    _add_plot_command(sub)
    _add_prepare_command(sub)
    _add_explore_command(sub)
    _add_phrases_command(sub)
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


def _say(line: str) -> None:
    """One line on stderr in one write: ranks of a distributed run share the terminal, and print's separate write
    of the newline lets their lines run into each other."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


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
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        # a bad RANK / WORLD_SIZE / MASTER_PORT ... is one line before any work
        other_rank = args.command == "train" and launched() and rank() != 0
        _configure_logging(getattr(args, "quiet", False), silent=other_rank)
        return args.func(args)
    except WordvecError as e:
        _say(f"wordvec: error: {e}")
        if args.command == "train":
            from .distributed import record_error

            record_error(f"wordvec: error: {e}")  # torchrun's failure summary then names it
        return 2
    except KeyboardInterrupt:
        _say("wordvec: interrupted; nothing was written")
        return 130
    except _Terminated:
        _say("wordvec: terminated; nothing was written")
        return 143
    except Stopped as e:
        _say(f"wordvec: {e}")
        return 143
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
