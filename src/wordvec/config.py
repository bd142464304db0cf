"""One dataclass holds every hyperparameter; presets are named overrides of it.

The CLI flags and the `config` block of metrics.json are both derived from `Config`, so there is one source of
truth. Names follow the lab where the lab has one (embed size, window, epochs) and gensim's otherwise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .errors import WordvecError

DEFAULT_DATASET = "tweets_hate_speech_detection"


@dataclass
class Config:
    # --- data -------------------------------------------------------------------------------------------------
    dataset: str = DEFAULT_DATASET  # Hub id, local folder of train.csv/test.csv, a .csv/.txt file or a folder of .txt
    text_column: str = "tweet"  # column holding the text (CSV / Hub datasets)
    label_column: str = "label"  # optional label column, used by the downstream evaluation
    tokenizer: str = "lab"  # 'lab' (lower, [^a-z@# ], stopwords, Snowball) or 'simple' (lower + whitespace split)
    # --- vocabulary -------------------------------------------------------------------------------------------
    min_count: int = 5  # keep words seen at least this often (gensim's meaning; the lab's `count > 10` is 11)
    max_vocab_size: int | None = None  # keep at most this many words, the most frequent (None: no cap)
    # --- model ------------------------------------------------------------------------------------------------
    model: str = "skipgram"  # 'softmax' (the lab's Embedding->Linear), 'skipgram' or 'cbow'
    loss: str = "ns"  # 'softmax' (full, lab), 'ns' (negative sampling) or 'hs' (hierarchical softmax)
    vector_size: int = 100  # embedding dimension (the lab's EMBED_SIZE)
    window: int = 5  # context words on each side of the centre word
    negative: int = 5  # noise words per positive pair (loss 'ns')
    ns_exponent: float = 0.75  # noise distribution is count ** ns_exponent
    sample: float = 1e-3  # frequent-word subsampling threshold (0 disables; word2vec.c formula)
    shared_negatives: bool = True  # skip-gram NS (numba): one negative draw per centre word, shared by its contexts
    reduced_window: bool = True  # draw the effective window uniformly in 1..window per centre word
    both_heads: bool = False  # loss 'hs' plus a negative-sampling head (gensim's hs=1 with negative>0)
    cbow_mean: bool = True  # CBOW: mean of the context vectors (False: their sum, gensim's cbow_mean=0)
    vectors: str = "input"  # which matrix the word vectors are: 'input', 'output' or 'mean' of both
    # --- optimisation -----------------------------------------------------------------------------------------
    epochs: int = 5  # passes over the corpus
    optimizer: str = "sgd"  # 'sgd' (word2vec's linear decay) or 'adamw' (the lab's)
    lr: float = 0.025  # learning rate (gensim's alpha for sgd)
    min_lr: float = 0.0001  # final learning rate of the linear decay (gensim's min_alpha)
    batch_size: int = 4096  # pairs per step for the lab model; centre words per step for the torch engine
    seed: int = 2023  # seeds numpy and torch (the lab's seed)
    device: str = "auto"  # 'auto' (CUDA if available), 'cpu' or 'cuda[:N]'
    threads: int = 0  # CPU threads (0: all cores)
    backend: str = "auto"  # skip-gram/CBOW engine on CPU: 'auto', 'numba' (Hogwild kernels) or 'torch'
    # --- reporting --------------------------------------------------------------------------------------------
    query_words: tuple[str, ...] = ("good", "bad", "school", "day")  # neighbours printed after training
    topn: int = 10  # neighbours per query word
    progress: bool = True  # tqdm progress bar

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["query_words"] = list(self.query_words)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        if "query_words" in kw:
            kw["query_words"] = tuple(kw["query_words"])
        return cls(**kw)

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)

    def validate(self) -> "Config":
        """Reject impossible settings up front, with the flag to fix in the message."""
        checks = [
            (self.tokenizer in ("lab", "simple"), f"--tokenizer must be 'lab' or 'simple', got {self.tokenizer!r}"),
            (self.model in ("softmax", "skipgram", "cbow"),
             f"--model must be 'softmax', 'skipgram' or 'cbow', got {self.model!r}"),
            (self.loss in ("softmax", "ns", "hs"), f"--loss must be 'softmax', 'ns' or 'hs', got {self.loss!r}"),
            ((self.model == "softmax") == (self.loss == "softmax"),
             "the full-softmax loss goes with --model softmax (the lab's network) and only with it; "
             "use --loss ns or hs for skipgram/cbow"),
            (self.vector_size >= 1, f"--vector-size must be at least 1, got {self.vector_size}"),
            (self.window >= 1, f"--window must be at least 1, got {self.window}"),
            (self.min_count >= 1, f"--min-count must be at least 1, got {self.min_count}"),
            (self.max_vocab_size is None or self.max_vocab_size >= 1,
             f"--max-vocab-size must be at least 1, got {self.max_vocab_size}"),
            (self.negative >= 0, f"--negative must be 0 or more, got {self.negative}"),
            (self.loss != "ns" or self.negative >= 1,
             "--loss ns needs --negative of at least 1 (or use --loss hs)"),
            (not self.both_heads or (self.loss == "hs" and self.negative >= 1),
             "both_heads trains hierarchical softmax and negative sampling together: it needs --loss hs and "
             f"--negative of at least 1 (got --loss {self.loss}, --negative {self.negative})"),
            (self.cbow_mean or self.model == "cbow",
             f"cbow_mean=False (the sum of the context vectors) applies to --model cbow only, got {self.model!r}"),
            (self.sample >= 0, f"--sample must be 0 or more, got {self.sample}"),
            (self.epochs >= 1, f"--epochs must be at least 1, got {self.epochs}"),
            (self.lr > 0, f"--lr must be positive, got {self.lr}"),
            (self.min_lr >= 0, f"--min-lr must be 0 or more, got {self.min_lr}"),
            (self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}"),
            (self.optimizer in ("sgd", "adamw"), f"--optimizer must be 'sgd' or 'adamw', got {self.optimizer!r}"),
            (self.vectors in ("input", "output", "mean"),
             f"--vectors must be 'input', 'output' or 'mean', got {self.vectors!r}"),
            (self.backend in ("auto", "numba", "torch"),
             f"--backend must be 'auto', 'numba' or 'torch', got {self.backend!r}"),
            (self.threads >= 0, f"--threads must be 0 (all cores) or more, got {self.threads}"),
            (self.topn >= 1, f"-k/--topn must be at least 1, got {self.topn}"),
        ]
        for ok, message in checks:
            if not ok:
                raise WordvecError(message)
        return self


#: The lab, as SPEC.md states it. batch_size and lr are ours: the notebook stepped once per pair (2.56 M AdamW
#: steps, 42 min on a GPU). One AdamW step per batch of 65,536 pairs (the notebook's own DataLoader batch) at
#: lr 0.1 is 42 steps in all and ends at a lower loss than the notebook's 6.7379 (README: "The lab preset").
LAB = Config(
    tokenizer="lab", min_count=11, model="softmax", loss="softmax", vector_size=50, window=3, negative=0,
    sample=0.0, reduced_window=False, vectors="output", epochs=3, optimizer="adamw", lr=0.1, min_lr=0.0,
    batch_size=65536, seed=2023,
)

#: Skip-gram with negative sampling, the settings of gensim's defaults (window 5, negative 5, sample 1e-3).
SGNS = Config(model="skipgram", loss="ns", vector_size=100, window=5, negative=5, sample=1e-3, epochs=5,
              optimizer="sgd", lr=0.025, min_lr=0.0001, min_count=5, vectors="input")

#: CBOW (mean of the context vectors) with negative sampling, gensim's defaults for sg=0.
CBOW = SGNS.replace(model="cbow", lr=0.025)

PRESETS: dict[str, Config] = {"lab": LAB, "sgns": SGNS, "cbow": CBOW}


def preset(name: str) -> Config:
    try:
        return PRESETS[name]
    except KeyError:
        raise WordvecError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None


__all__ = ["Config", "PRESETS", "preset", "LAB", "SGNS", "CBOW", "DEFAULT_DATASET", "field"]
