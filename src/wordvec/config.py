"""One dataclass holds every hyperparameter; presets are named overrides of it.

Each field carries its help text, choices, bounds and help group in its metadata: the CLI flags (of `train` and
`prepare`), their help, `validate()` and the tests that try every out-of-range value are all derived from `Config`
(scikit-learn's declared parameter constraints), so there is one source of truth. Names follow the lab where the lab
has one (embed size, window, epochs) and gensim's otherwise.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from dataclasses import dataclass, field

from .errors import WordvecError

DEFAULT_DATASET = "tweets_hate_speech_detection"

TOKENIZERS = ("auto", "lab", "gensim", "simple")
MODELS = ("softmax", "skipgram", "cbow")
LOSSES = ("softmax", "ns", "hs")
VECTORS = ("input", "output", "mean")
OPTIMIZERS = ("sgd", "adamw")
BACKENDS = ("auto", "hogwild", "torch")
SYNC_MODES = ("sum", "average")
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")

#: The groups of `wordvec train --help`, in order.
GROUPS = ("data", "model", "training", "output", "several processes")


@dataclass(frozen=True)
class Bounds:
    """A numeric field's allowed range, declared once (scikit-learn's `Interval`): `low` (exclusive when
    `low_open`), a hard `high`, or a `limit` no real run reaches (beyond it a typo would allocate gigabytes before
    failing). None: unbounded on that side."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    limit: float | None = None

    def problem(self, flag: str, value) -> str | None:
        """The one-sentence complaint about `value`, or None when it is inside."""
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        top = self.high if self.high is not None else self.limit
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return f"{flag} must be {self._range()}, got {value}"
        if self.high is not None and value > self.high:
            return f"{flag} must be {self._range()}, got {value}"
        if top is not None and value > top:
            return f"{flag} {value} is beyond any real run (at most {top:,})"
        return None

    def _range(self) -> str:
        if self.high is not None:
            return f"between {self.low:,} and {self.high:,}"
        if self.low == 0:
            return "positive" if self.low_open else "0 or more"
        return f"greater than {self.low}" if self.low_open else f"at least {self.low:,}"

    def __str__(self) -> str:
        top = self.high if self.high is not None else self.limit
        if top is None:
            return f"{'>' if self.low_open else '>='} {self.low:,}"
        return f"{self.low:,} .. {top:,}"

    def outside(self) -> list:
        """Values just outside the range, one per bounded side (what a test feeds the CLI)."""
        out = []
        if self.low is not None:
            out.append(self.low if self.low_open else self.low - 1)
        top = self.high if self.high is not None else self.limit
        if top is not None:
            out.append(top + 1)
        return out


def _f(default, help: str, choices: tuple | None = None, cli: bool = True, aliases: tuple = (),
       bounds: Bounds | None = None, group: str = "training"):
    """A Config field with its command-line help, choices, bounds and help group in the metadata."""
    assert group in GROUPS, group
    meta = {"help": help, "choices": choices, "cli": cli, "aliases": aliases, "bounds": bounds, "group": group}
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Config:
    # --- data -------------------------------------------------------------------------------------------------
    dataset: str = _f(DEFAULT_DATASET, "Hub id, folder with train.csv/test.csv, .csv/.parquet/.txt file, folder "
                                       "of .txt files, or a token store (wordvec prepare); default: "
                                       "$WORDVEC_DATASET, else the lab's Hub dataset", group="data")
    text_column: str = _f("tweet", "column holding the text (CSV, parquet, Hub datasets)", group="data")
    label_column: str = _f("label", "column holding integer labels (used by the downstream evaluation)",
                           group="data")
    tokenizer: str = _f("auto", "'gensim' (gensim's simple_preprocess: lower-case letter runs of 2-15 characters), "
                                "'lab' (lower-case, a-z@# only, NLTK stopwords, Snowball stems), 'simple' "
                                "(lower-case, split on whitespace: already tokenised text) or 'auto' (a token "
                                "store's own; gensim for plain text, lab for tables)", TOKENIZERS, group="data")
    # --- vocabulary -------------------------------------------------------------------------------------------
    min_count: int = _f(5, "keep words seen at least this often (gensim's meaning; the lab's `count > 10` is 11)",
                        bounds=Bounds(1), group="data")
    max_vocab_size: int | None = _f(None, "bound memory while counting: when more word types than this are seen, "
                                          "prune the rarest (gensim's meaning)", bounds=Bounds(1), group="data")
    max_final_vocab: int | None = _f(None, "keep at most this many words, the most frequent, by raising --min-count "
                                           "(gensim's meaning)", bounds=Bounds(1), group="data")
    sorted_vocab: bool = _f(True, "number the words by descending count (gensim); --no-sorted-vocab keeps the order "
                                  "of first appearance (the lab's)", group="data")
    # --- model ------------------------------------------------------------------------------------------------
    model: str = _f("skipgram", "'softmax' (the lab's Embedding->Linear network), 'skipgram' or 'cbow'", MODELS,
                    group="model")
    loss: str = _f("ns", "'softmax' (full, the lab's), 'ns' (negative sampling) or 'hs' (hierarchical softmax)",
                   LOSSES, group="model")
    vector_size: int = _f(100, "embedding dimension (the lab's EMBED_SIZE)", aliases=("--embed-size",),
                          bounds=Bounds(1, limit=100_000), group="model")
    window: int = _f(5, "context words on each side of the centre word", bounds=Bounds(1, limit=10_000),
                     group="model")
    negative: int = _f(5, "noise words per positive example (--loss ns)", bounds=Bounds(0, limit=1_000),
                       group="model")
    ns_exponent: float = _f(0.75, "the noise distribution is count ** ns_exponent (negative: rare words drawn more, "
                                  "as gensim allows)", bounds=Bounds(-1_000, limit=1_000), group="model")
    sample: float = _f(1e-3, "frequent-word subsampling threshold (0: off; word2vec.c's formula)", bounds=Bounds(0),
                       group="model")
    shared_negatives: bool = _f(True, "skip-gram with ns: draw one set of negatives per centre word, shared by its "
                                      "context words (Ji et al. 2016); with --subwords each is scored once per "
                                      "window: faster, neighbours further from fastText's (off in --preset "
                                      "fasttext)", group="model")
    reduced_window: bool = _f(True, "draw the effective window uniformly in 1..window per centre word "
                                    "(--no-reduced-window: always the full window)", group="model")
    both_heads: bool = _f(False, "with --loss hs, also train a negative-sampling head, as gensim's hs=1 with "
                                 "negative>0 does", group="model")
    cbow_mean: bool = _f(True, "CBOW: the mean of the context vectors (--no-cbow-mean: their sum, gensim's "
                               "cbow_mean=0)", group="model")
    subwords: bool = _f(False, "fastText's subword model: a word's input vector is the mean of its own row and its "
                               "character n-grams' bucket rows, so unseen words get vectors (--preset fasttext)",
                        group="model")
    min_n: int = _f(3, "--subwords: the shortest character n-gram", bounds=Bounds(1, limit=100), group="model")
    max_n: int = _f(6, "--subwords: the longest character n-gram (below --min-n, with --bucket 0: no n-grams, "
                       "word rows alone)",
                    bounds=Bounds(0, limit=100), group="model")
    bucket: int = _f(2_000_000, "--subwords: hash buckets shared by the n-grams (a bucket x --vector-size float32 "
                                "matrix: 800 MB at 2,000,000 x 100; smaller saves memory)",
                     bounds=Bounds(0, limit=100_000_000), group="model")
    vectors: str = _f("input", "which matrix the word vectors are: 'input', 'output' or the 'mean' of both",
                      VECTORS, group="model")
    # --- optimisation -----------------------------------------------------------------------------------------
    epochs: int = _f(5, "passes over the corpus", bounds=Bounds(1, limit=1_000_000))
    optimizer: str = _f("sgd", "'sgd' (word2vec's linearly decaying rate) or 'adamw' (the lab's; softmax model "
                               "only)", OPTIMIZERS)
    lr: float = _f(0.025, "learning rate (gensim's alpha for sgd)", bounds=Bounds(0, low_open=True))
    min_lr: float = _f(0.0001, "final learning rate of the linear decay (gensim's min_alpha)", bounds=Bounds(0))
    batch_size: int = _f(4096, "pairs per step (softmax model); centre words per step (torch engine)",
                         bounds=Bounds(1, limit=1 << 26))
    launch_batch: int = _f(0, "torch engine: centre words sent to the device at once, trained as consecutive "
                              "--batch-size steps in one launch (0: 65536 on CUDA, one step on CPU)",
                           bounds=Bounds(0, limit=1 << 30))
    seed: int = _f(2023, "random seed (the lab's is 2023)", bounds=Bounds(0, 2 ** 32 - 1))
    device: str = _f("auto", "'auto' (CUDA if available), 'cpu', 'cuda' or 'cuda:N'")
    threads: int = _f(0, "CPU threads (0: all cores)", bounds=Bounds(0, limit=1_024))
    backend: str = _f("auto", "skip-gram/CBOW engine: 'auto' (hogwild on CPU, torch on CUDA), 'hogwild' (the "
                              "compiled CPU kernels) or 'torch' (batched tensors)", BACKENDS)
    # --- several processes ------------------------------------------------------------------------------------
    sync_words: int = _f(20_000, "make the skip-gram/CBOW copies equal after every this many words each process "
                                 "trains", bounds=Bounds(1, limit=1 << 40), group="several processes")
    sync: str = _f("sum", "combine the copies' changes to a row by their 'sum' (as Hogwild threads would), or "
                          "their 'average' over the processes that changed it", SYNC_MODES, group="several processes")
    # --- reporting --------------------------------------------------------------------------------------------
    query_words: tuple[str, ...] = _f(("good", "bad", "school", "day"), "words whose neighbours are printed after "
                                      "training", cli=False, group="output")
    topn: int = _f(10, "neighbours per query word", aliases=("-k",), bounds=Bounds(1, limit=100_000),
                   group="output")
    progress: bool = _f(True, "show a progress bar (--no-progress: quiet)", group="output")
    loss_every: int = _f(0, "skip-gram/CBOW: record the loss, learning rate and words/s every this many words "
                            "(0: about 200 points a run); the CPU kernels' chunks are at most this long, so it "
                            "changes the random streams, not the quality", bounds=Bounds(0, limit=1 << 40),
                         group="output")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["query_words"] = list(self.query_words)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        """A Config from a dict (metrics.json's `config`); unknown keys are ignored, wrong types refused."""
        if not isinstance(d, dict):
            raise WordvecError(f"a config must be an object, got {type(d).__name__}")
        kw = {}
        for f in dataclasses.fields(cls):
            if f.name not in d:
                continue
            value = d[f.name]
            if f.name == "query_words":
                if not isinstance(value, (list, tuple)) or not all(isinstance(w, str) for w in value):
                    raise WordvecError("query_words must be a list of words")
                value = tuple(value)
            elif f.name == "backend" and value == "numba":
                value = "hogwild"  # the CPU kernels' name in runs written before the C kernels
            elif not _type_ok(f.type, value):
                raise WordvecError(f"{f.name} should be {f.type}, got {value!r}")
            kw[f.name] = value
        return cls(**kw)

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)

    def validate(self) -> "Config":
        """Reject impossible settings, and settings the chosen model would silently ignore, with the flag to fix."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not _type_ok(f.type, value):
                raise WordvecError(f"{_flag(f.name)} must be {f.type}, got {value!r}")
            if isinstance(value, float) and not math.isfinite(value):
                raise WordvecError(f"{_flag(f.name)} must be a finite number, got {value}")
            choices = f.metadata.get("choices")
            if choices and value not in choices:
                raise WordvecError(f"{_flag(f.name)} must be one of {', '.join(choices)}, got {value!r}")
            problem = f.metadata["bounds"] and f.metadata["bounds"].problem(_flag(f.name), value)
            if problem:
                raise WordvecError(problem)
        check_rate("--lr", self.lr), check_rate("--min-lr", self.min_lr)
        checks = [
            ((self.model == "softmax") == (self.loss == "softmax"),
             "the full-softmax loss goes with --model softmax (the lab's network) and only with it; "
             "use --loss ns or hs for skipgram/cbow"),
            (self.loss != "ns" or self.negative >= 1, "--loss ns needs --negative of at least 1 (or use --loss hs)"),
            (not self.both_heads or (self.loss == "hs" and self.negative >= 1),
             "--both-heads trains hierarchical softmax and negative sampling together: it needs --loss hs and "
             f"--negative of at least 1 (got --loss {self.loss}, --negative {self.negative})"),
            (self.optimizer == "adamw" or self.min_lr <= self.lr,
             f"--min-lr {self.min_lr} is above --lr {self.lr}; the rate decays from --lr down to --min-lr"),
            (self.model == "softmax" or self.optimizer == "sgd",
             f"--optimizer {self.optimizer} trains only the lab's --model softmax; skip-gram and CBOW use "
             f"word2vec's SGD (drop --optimizer)"),
            (bool(_DEVICE.match(str(self.device))),
             f"--device {self.device!r} is not supported; use auto, cpu, cuda or cuda:N"),
            (not (self.loss == "hs" and not self.both_heads and self.vectors != "input"),
             f"--vectors {self.vectors} needs output vectors, and --loss hs has none (its output matrix is the "
             f"Huffman tree's inner nodes); use --vectors input"),
            (not self.subwords or self.model != "softmax",
             "--subwords is fastText's input for skip-gram / CBOW; the lab's --model softmax has none: use "
             "--preset fasttext (or --model skipgram / cbow with --subwords)"),
            (not self.subwords or self.bucket == 0 or self.max_n >= self.min_n,
             f"--max-n {self.max_n} is below --min-n {self.min_n}, so no word has n-grams and the {self.bucket:,} "
             f"--bucket rows would never train; raise --max-n, or add --bucket 0 for the word rows alone"),
            (not self.subwords or self.vectors == "input",
             f"fasttext's word vectors are its input vectors (word and n-gram rows); drop --vectors {self.vectors}"),
        ]
        for ok, message in checks:
            if not ok:
                raise WordvecError(message)
        for name in self.ignored():
            value, default = getattr(self, name), _DEFAULTS[name]
            if value != default and value != _NEUTRAL.get(name, default):
                if name in ("min_n", "max_n", "bucket"):
                    where = "without --subwords (--preset fasttext)"
                else:
                    extra = {"min_lr": " --optimizer adamw", "launch_batch": " --backend hogwild"}.get(name, "")
                    where = (f"with --model {self.model} --loss {self.loss}"
                             f"{extra if self.model != 'softmax' or name == 'min_lr' else ''}")
                raise WordvecError(f"{_flag(name)} {_show(value)} has no effect {where}; drop it")
        return self

    def identity_dict(self) -> dict:
        """to_dict() without the subword fields of a run that has none: what a word2vec run wrote before they
        existed still compares equal on resume."""
        d = self.to_dict()
        if not self.subwords:
            for name in ("subwords", "min_n", "max_n", "bucket"):
                d.pop(name)
        return d

    def heads(self) -> tuple[int, int]:
        """(hs, negative) as the skip-gram/CBOW kernels take them: hierarchical softmax on/off, noise words per
        example (0: no negative-sampling head)."""
        hs = 1 if self.loss == "hs" else 0
        return hs, (int(self.negative) if (not hs or self.both_heads) else 0)

    def ignored(self) -> list[str]:
        """The fields the chosen model and loss never read."""
        out = []
        if self.model == "softmax":
            out += ["negative", "ns_exponent", "sample", "shared_negatives", "reduced_window", "backend",
                    "both_heads", "cbow_mean", "sync_words", "sync", "loss_every", "launch_batch", "subwords"]
        if self.model == "cbow":
            out += ["shared_negatives"]
        if self.model == "skipgram":
            out += ["cbow_mean"]
        if self.loss == "hs" and not self.both_heads:
            out += ["negative", "ns_exponent", "shared_negatives"]
        if self.optimizer == "adamw":
            out += ["min_lr"]
        if self.backend == "hogwild":  # the CPU kernels take no launches
            out += ["launch_batch"]
        if not self.subwords:
            out += ["min_n", "max_n", "bucket"]
        return list(dict.fromkeys(out))

    def estimate_bytes(self, n_words: int, n_tokens: int) -> int:
        """Memory the training itself will allocate for a vocabulary and corpus of this size (a floor)."""
        matrix = n_words * self.vector_size * 4
        if self.subwords and self.model != "softmax":
            matrix += self.bucket * self.vector_size * 4  # the n-gram rows of the input matrix
        if self.model == "softmax":
            pairs = n_tokens * 2 * self.window
            # two matrices with gradients and AdamW's two moments; the pairs as int64 twice (numpy, torch)
            return 8 * matrix + pairs * 2 * 8 * 2 + min(self.batch_size, pairs) * 2 * 8 * 4
        batch = 0
        if self.backend == "torch" or str(self.device).startswith("cuda"):
            batch = self.batch_size * 2 * self.window * (self.negative + 2) * self.vector_size * 4 * 3
        return 2 * matrix + n_tokens * 4 + batch

    def check_memory(self, n_words: int, n_tokens: int) -> None:
        """Refuse, with the estimate, a run whose matrices and buffers cannot fit in this machine's memory."""
        need = self.estimate_bytes(n_words, n_tokens)
        have = available_memory()
        if have is not None and need > have:
            buckets = self.subwords and self.model != "softmax" and self.bucket
            raise WordvecError(f"this run needs about {need / 2**30:,.1f} GiB ({n_words:,} words"
                               f"{f' + {self.bucket:,} n-gram buckets' if buckets else ''} x "
                               f"{self.vector_size} dimensions, window {self.window}, batch {self.batch_size}) but "
                               f"only {have / 2**30:,.1f} GiB is available; lower "
                               f"{'--bucket, ' if buckets else ''}--vector-size, --window, --batch-size or "
                               f"--max-vocab-size")


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Config) if f.default is not dataclasses.MISSING}
#: Each bounded field's range (field metadata), by name.
BOUNDS: dict[str, Bounds] = {f.name: f.metadata["bounds"] for f in dataclasses.fields(Config) if f.metadata["bounds"]}
#: The sanity caps alone (no real run reaches them), by name.
LIMITS = {name: b.limit for name, b in BOUNDS.items() if b.limit is not None}


def check_bounds(name: str, value, flag: str | None = None) -> None:
    """Refuse a value outside the field's declared range (commands that take a field outside a Config: prepare)."""
    problem = BOUNDS[name].problem(flag or _flag(name), value) if name in BOUNDS else None
    if problem:
        raise WordvecError(problem)
#: Values that switch an unused feature off, accepted besides the default (the lab preset sets them).
_NEUTRAL = {"negative": 0, "sample": 0.0, "reduced_window": False, "shared_negatives": False, "min_lr": 0.0}


FLOAT32_MAX = 3.4028234663852886e38


def check_rate(what: str, value: float) -> float:
    """A learning rate the float32 kernels can hold: finite as float64 is not enough (4e38 overflows float32 to
    inf, and the weights to NaN)."""
    if not (math.isfinite(value) and abs(value) <= FLOAT32_MAX):
        raise WordvecError(f"{what} must be a finite number within float32's range (|x| <= 3.4e38), got {value}")
    return float(value)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _type_ok(annotation: str, value) -> bool:
    """Values of the annotated type (bools are not ints, ints are fine for floats)."""
    t = str(annotation)
    if value is None:
        return "None" in t
    if t.startswith("int"):
        return isinstance(value, int) and not isinstance(value, bool)
    if t.startswith("float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t.startswith("bool"):
        return isinstance(value, bool)
    if t.startswith("str"):
        return isinstance(value, str)
    return True


def available_memory() -> int | None:
    """Bytes of memory available for new allocations (Linux MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


#: The lab, as SPEC.md states it. batch_size and lr are ours: the notebook stepped once per pair (2.56 M AdamW
#: steps, 42 min on a GPU). One AdamW step per batch of 65,536 pairs (the notebook's own DataLoader batch) at
#: lr 0.1 is 42 steps in all and ends at a lower loss than the notebook's 6.7379 (README: "The lab preset").
LAB = Config(
    tokenizer="lab", min_count=11, sorted_vocab=False, model="softmax", loss="softmax", vector_size=50, window=3, negative=0,
    sample=0.0, reduced_window=False, vectors="output", epochs=3, optimizer="adamw", lr=0.1, min_lr=0.0,
    batch_size=65536, seed=2023,
)

#: Skip-gram with negative sampling, the settings of gensim's defaults (window 5, negative 5, sample 1e-3).
SGNS = Config(model="skipgram", loss="ns", vector_size=100, window=5, negative=5, sample=1e-3, epochs=5,
              optimizer="sgd", lr=0.025, min_lr=0.0001, min_count=5, vectors="input")

#: CBOW (mean of the context vectors) with negative sampling, gensim's defaults for sg=0.
CBOW = SGNS.replace(model="cbow", lr=0.025)

#: fastText's subword skip-gram with its defaults (dim 100, ws 5, epoch 5, minCount 5, neg 5, minn 3, maxn 6,
#: bucket 2,000,000, lr 0.05 decaying to 0, t 1e-4); the torch engine's steps are smaller than word2vec's, since
#: n-gram rows are shared by many words of a step (`wordvec.engine_torch`).
FASTTEXT = SGNS.replace(subwords=True, min_n=3, max_n=6, bucket=2_000_000, lr=0.05, min_lr=0.0, sample=1e-4,
                        batch_size=512, shared_negatives=False)

PRESETS: dict[str, Config] = {"lab": LAB, "sgns": SGNS, "cbow": CBOW, "fasttext": FASTTEXT}


def preset(name: str) -> Config:
    try:
        return PRESETS[name]
    except KeyError:
        raise WordvecError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None


__all__ = ["Config", "PRESETS", "preset", "LAB", "SGNS", "CBOW", "FASTTEXT", "DEFAULT_DATASET", "TOKENIZERS", "MODELS",
           "LOSSES", "VECTORS", "OPTIMIZERS", "BACKENDS", "SYNC_MODES", "LIMITS", "BOUNDS", "Bounds", "GROUPS",
           "check_bounds", "available_memory"]
