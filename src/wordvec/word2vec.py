"""gensim's Word2Vec, reached by changing one import: `from wordvec import Word2Vec`.

The lifecycle is gensim 4's: `Word2Vec(corpus, ...)` is `build_vocab` + `train`; `build_vocab(update=True)` adds
the words of new text (online training); `train` runs any number of times; `save` / `load`; `predict_output_word`
and `score`. Parameters, attributes, errors (their types and messages) follow gensim's documentation and, where
it is silent, what gensim 4.4 was observed to do. Where gensim silently does harm (training on the characters of
strings, scoring a confident wrong prediction as certain, unpickling code), wordvec refuses or differs and says
so; docs/coming-from-gensim.md lists every public name.

Underneath: the vocabulary is a `vocab.Vocab` (gensim's sorted_vocab order), a corpus is read once into an
`Encoded` id array, training is `engine.train_word2vec` on the model's own matrices (syn0 is `wv.vectors`, so
the vectors are never copied), and a saved model is one `state.py` file (safetensors + JSON, no pickle).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import platform
import sys
import time
import warnings
from collections.abc import Iterable, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import GeneratorType
from typing import Iterator

import numpy as np

from .config import Config
from .corpus import LineSentence
from .engine import Weights, lockf_values, new_weights, train_word2vec
from .errors import WordvecError, api_words
from .files import check_fields
from .runctl import differences
from .state import (fingerprint, keys_from_tensors, keys_to_tensors, load_state, read_header, refuse_pickle,
                    save_state)
from .vectors import KeyedVectors, UnsupportedError
from .vocab import (EmptyCorpusError, Encoded, Scan, Vocab, effective_min_count, encode_scan, huffman_tree, keep_word,
                    scan_corpus, select_vocab)
from .weights import HS, INPUT, OUTPUT, Checkpoints, Hooks, TrainResult, init_vectors

log = logging.getLogger("wordvec")

#: Per-word counts in a model file (KeyedVectors' name for the vecattr 'count').
COUNTS = "attr.count"
#: gensim's wv.vectors_lockf in a model file, when some word's factor is not 1.
LOCKF = "vectors_lockf"

# gensim's messages, word for word, so code and searches written against gensim still match.
NO_VOCAB = "you must first build vocabulary before training the model"
NO_PRIOR_VOCAB = ("You cannot do an online vocabulary-update of a model which has no prior vocabulary. First build "
                  "the vocabulary of your model with a corpus before doing an online update.")
NO_TOTALS = ("You must specify either total_examples or total_words, for proper learning-rate and progress "
             "calculations. If you've just built the vocabulary using the same corpus, using the count cached in "
             "the model is sufficient: total_examples=model.corpus_count.")
NO_EPOCHS = "You must specify an explicit epochs count. The usual value is epochs=model.epochs."
NO_HEAD = ("You must set either 'hs' or 'negative' to be positive for proper training. When both 'hs=0' and "
           "'negative=0', there will be no training.")
BOTH_CORPORA = "Both corpus_file and corpus_iterable must not be provided at the same time"
NO_CORPUS = "Either one of corpus_file or corpus_iterable value must be provided"
PREDICT_NEEDS_NS = ("We have currently only implemented predict_output_word for the negative sampling scheme, so you "
                    "need to have run word2vec with negative > 0 for this to work.")
SCORE_NEEDS_HS = ("We have currently only implemented score for the hierarchical softmax scheme, so you need to have "
                  "run word2vec with hs=1 and negative=0 for this to work.")
BOTH_HEADS = ("Both hierarchical softmax and negative sampling are activated. This is probably a mistake. You should "
              "set either 'hs=0' or 'negative=0' to disable one of them. ")
ALPHA_UP = "Effective 'alpha' higher than previous training cycles"
CLASS_ONLY = "This method should be called on a class object."
EMPTY_ITERATOR = ("train() called with an empty iterator (if not intended, be sure to provide a corpus that offers "
                  "restartable iteration = an iterable).")
PICKLE_RECIPE = ('Convert it once under gensim: Word2Vec.load("old.model").wv.save_word2vec_format("old.bin", '
                 'binary=True), then KeyedVectors.load_word2vec_format("old.bin", binary=True)')


class ModelStateError(WordvecError, RuntimeError):
    """The model cannot do this yet (no vocabulary, no head for it): a WordvecError, and gensim's RuntimeError."""


class CorpusTypeError(WordvecError, TypeError):
    """A corpus argument of the wrong kind: a WordvecError, and the TypeError gensim raises."""


class LoadError(WordvecError, AttributeError):
    """`load` misused (called on an instance, or given another kind of file): gensim's AttributeError."""


# --- messages in the API's words ----------------------------------------------------------------------------------

class _ApiWordsFilter(logging.Filter):
    """Rewords a line the layers below log for the command line (a flag, such as the threads one when there are
    fewer cores) as the API names it (`api_words`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "--" in record.getMessage():
            record.msg, record.args = api_words(record.getMessage()), ()
        return True


@contextmanager
def _in_api_words():
    """Errors raised below the API keep their type; a flag in their message, or in a line logged meanwhile, is
    reworded (`api_words`)."""
    words = _ApiWordsFilter()
    log.addFilter(words)
    try:
        yield
    except WordvecError as e:
        if e.args and isinstance(e.args[0], str) and "--" in e.args[0]:
            e.args = (api_words(e.args[0]), *e.args[1:])
        raise
    finally:
        log.removeFilter(words)


class _ClassOnly:
    """gensim's `call_on_class_only`: `Word2Vec.load(path)` works, `model.load(path)` is an AttributeError (it
    would return a new model and leave `model` as it was, which is never what the caller meant)."""

    def __init__(self, func):
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj, cls):
        if obj is None:
            return self.func.__get__(cls, cls)

        def refuse(*args, **kwargs):
            raise LoadError(f"{CLASS_ONLY} Use {cls.__name__}.load(path), which returns the loaded model")
        return refuse


# --- reading a corpus ---------------------------------------------------------------------------------------------

def _is_token_store(path) -> bool:
    """A wordvec token store: a folder with manifest.json (on-disk token ids, wordvec.store)."""
    return isinstance(path, (str, os.PathLike)) and (Path(path) / "manifest.json").is_file()


def _check_corpus(corpus_iterable, corpus_file, passes: int) -> None:
    """gensim's checks of the corpus arguments, with its exception types and messages."""
    if corpus_iterable is not None and corpus_file is not None:
        raise CorpusTypeError(BOTH_CORPORA)
    if corpus_iterable is None and corpus_file is None:
        raise CorpusTypeError(NO_CORPUS)
    if corpus_file is not None:
        if not (isinstance(corpus_file, (str, os.PathLike)) and (os.path.isfile(corpus_file)
                                                                 or _is_token_store(corpus_file))):
            raise CorpusTypeError(f"Parameter corpus_file must be a valid path to a file, got {corpus_file!r} "
                                  f"instead")
        return
    if isinstance(corpus_iterable, (str, bytes)):
        raise CorpusTypeError(f"The corpus_iterable must be an iterable of lists of strings, got the string "
                              f"{corpus_iterable[:40]!r} instead (gensim would train on its characters); give a list "
                              f"of token lists, e.g. [line.split() for line in text.splitlines()]")
    if not isinstance(corpus_iterable, Iterable):
        raise CorpusTypeError(f"The corpus_iterable must be an iterable of lists of strings, got {corpus_iterable} "
                              f"instead")
    if isinstance(corpus_iterable, GeneratorType) and passes > 1:
        raise CorpusTypeError(f"Using a generator as corpus_iterable can't support {passes} passes. Try a "
                              f"re-iterable sequence.")


def _token_lists(corpus, tally: list[int]) -> Iterator:
    """The sentences of `corpus`, refusing bare strings (gensim would train on their characters); counts sentences
    and raw words into `tally`."""
    for n, sentence in enumerate(corpus, 1):
        if isinstance(sentence, (str, bytes)):
            raise CorpusTypeError(f"The corpus_iterable must be an iterable of lists of strings, but sentence {n} is "
                                  f"a string ({sentence[:40]!r}); gensim would train on its characters. Split each "
                                  f"sentence into words first, e.g. [s.split() for s in texts]")
        if not isinstance(sentence, Sized) or not set(map(type, sentence)) <= _STR:
            _check_tokens(sentence, n)
        tally[0] += 1
        tally[1] += len(sentence)
        yield sentence


_STR = {str}


def _check_tokens(sentence, n: int) -> None:
    """gensim's TypeError for a sentence that is not a list of strings, naming the first bad token (an int, None or
    bytes token would otherwise fail deep inside training)."""
    if not isinstance(sentence, Sized) or not isinstance(sentence, Iterable):
        raise CorpusTypeError(f"The corpus_iterable must be an iterable of lists of strings, but sentence {n} is "
                              f"{type(sentence).__name__} {sentence!r:.40}; give each sentence as a list of words")
    for j, token in enumerate(sentence):
        if not isinstance(token, str):
            raise CorpusTypeError(f"The corpus_iterable must be an iterable of lists of strings, but token {j + 1} "
                                  f"of sentence {n} is {type(token).__name__} {token!r:.40}; convert the tokens "
                                  f"to str first, e.g. [[str(t) for t in s] for s in sentences]")


@dataclass
class _Read:
    """A corpus read once: its ids in the model's vocabulary, and the raw counts gensim reports."""

    source: tuple  # what it was read from (see _source)
    encoded: Encoded
    sentences: int
    raw_words: int
    digest: str | None = None

    def fingerprint(self) -> str:
        """A hash of the encoded corpus: a mid-train save continues only on the same one."""
        if self.digest is None:
            h = hashlib.sha256()
            h.update(memoryview(np.ascontiguousarray(self.encoded.ids)).cast("B"))
            h.update(memoryview(np.ascontiguousarray(self.encoded.offsets)).cast("B"))
            self.digest = h.hexdigest()[:32]
        return self.digest


def _source(corpus_iterable, corpus_file) -> tuple:
    """What identifies a corpus between build_vocab and train: the very object (held, and its length if it has
    one), or the file's path, size and modification time."""
    if corpus_file is not None:
        st = os.stat(corpus_file)
        return ("file", os.path.abspath(corpus_file), st.st_size, st.st_mtime_ns)
    return ("object", corpus_iterable, len(corpus_iterable) if hasattr(corpus_iterable, "__len__") else None)


def _same_source(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and (a[1] is b[1] if a[0] == "object" else a[1] == b[1]) and a[2:] == b[2:]


# --- callbacks ----------------------------------------------------------------------------------------------------

class _TrainHooks(Hooks, Checkpoints):
    """gensim's callbacks (`on_train_begin`, `on_epoch_begin`, `on_epoch_end`, `on_train_end`; any subset) on the
    engine's hooks.

    It is also the engine's checkpointer: the engine hands over its position at each epoch boundary, which lets
    `model.save()` inside `on_epoch_end` record where train() stands. So `on_epoch_end` runs there, right after the
    epoch and before the next one begins (the last epoch's runs when the engine returns)."""

    stop_requested = False  # never asked to stop

    def __init__(self, model: "Word2Vec", callbacks, call: "_LazyCall"):
        self.model, self.callbacks, self.call = model, list(callbacks or ()), call
        self.pending = False  # an epoch ended; its on_epoch_end has not run yet
        self.read = None

    def expect(self, read, total_examples, total_words, file_mode: bool, report_delay) -> None:
        """What gensim's progress and end-of-epoch lines compare with (see epoch_end, loss_point)."""
        self.read, self.total_examples, self.total_words, self.file_mode = read, total_examples, total_words, \
            file_mode
        self.report_delay = 1.0 if report_delay is None else float(report_delay)
        self.t_epoch = self.t_report = time.perf_counter()

    def loss_point(self, point: dict) -> None:
        """gensim's INFO progress line, at most every report_delay seconds."""
        now = time.perf_counter()
        if self.read is None or now - self.t_report < self.report_delay or not len(self.read.encoded):
            return
        self.t_report = now
        n = len(self.read.encoded)
        done = 100.0 * (point["words"] - (point["epoch"] - 1) * n) / n
        log.info("EPOCH %i - PROGRESS: at %.2f%% %s, %.0f words/s", point["epoch"] - 1, done,
                 "examples" if self.total_examples else "words", point["words_per_second"] or 0.0)
    def fire(self, name: str) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, name, None)
            if fn is not None:
                fn(self.model)

    def epoch_begin(self, epoch: int) -> None:
        self.fire("on_epoch_begin")
        self.model._snapshot = None  # training moves on from the boundary

    def epoch_end(self, epoch, loss, heldout, loss_sum, examples) -> None:
        if self.model.compute_loss:
            self.model.running_training_loss += float(loss_sum)
        self.pending = True
        if self.read is not None:
            self._log_epoch_end(epoch)

    def _log_epoch_end(self, epoch: int) -> None:
        """gensim's end-of-epoch INFO line and its warnings when the corpus is not the size train() was told
        (epochs numbered from 0, as gensim 4.4 numbers them)."""
        now = time.perf_counter()
        seconds, self.t_epoch = max(now - self.t_epoch, 1e-9), now
        r = self.read
        log.info("EPOCH %i: training on %i raw words (%i in the vocabulary) took %.1fs, %.0f words/s", epoch,
                 r.raw_words, len(r.encoded), seconds, len(r.encoded) / seconds)
        if self.file_mode:
            return
        if self.total_examples and self.total_examples != r.sentences:
            log.warning("EPOCH %i: supplied example count (%i) did not equal expected count (%i)", epoch,
                        r.sentences, self.total_examples)
        if self.total_words and self.total_words != r.raw_words:
            log.warning("EPOCH %i: supplied raw word count (%i) did not equal expected count (%i)", epoch,
                        r.raw_words, self.total_words)

    def due(self) -> bool:
        return self.pending

    def save(self, kind: str, tensors: dict, state: dict) -> None:
        self.model._at_boundary(tensors, {"call": self.call, "state": state})
        self.end_epoch()

    def saved_elsewhere(self) -> None:
        """One process: never."""

    def end_epoch(self) -> None:
        self.pending = False
        self.model.wv._invalidate()
        self.fire("on_epoch_end")


# --- the model ----------------------------------------------------------------------------------------------------

#: Constructor parameters a saved model keeps (trim_rule, hashfxn and callbacks are code: gensim does not keep
#: trim_rule either).
_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed", "workers", "min_alpha",
           "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs", "null_word", "sorted_vocab", "batch_words",
           "compute_loss", "comment", "max_final_vocab", "shrink_windows", "device", "backend", "shared_negatives")
#: What training leaves behind, kept too.
_STATE = ("corpus_count", "corpus_total_words", "train_count", "total_train_time", "effective_min_count",
          "running_training_loss", "lifecycle_events", "epochs_trained", "min_alpha_yet_reached")
_STATE_KINDS = {"corpus_count": "int", "corpus_total_words": "int", "train_count": "int", "total_train_time": "number",
                "effective_min_count": "int", "running_training_loss": "number", "lifecycle_events": "list",
                "epochs_trained": "int", "min_alpha_yet_reached": "number"}
#: The settings a continued train() call must share with the one that saved mid-way.
_RESUME_KEYS = ("model", "loss", "vector_size", "window", "negative", "ns_exponent", "sample", "shared_negatives",
                "reduced_window", "both_heads", "cbow_mean", "seed", "device", "backend", "batch_size", "subwords",
                "min_n", "max_n", "bucket")


def _count_ok(value) -> bool:
    try:
        return -(1 << 63) <= int(value) < 1 << 63
    except (TypeError, ValueError, OverflowError):
        return False


class Word2Vec:
    """Train word2vec as gensim 4 does; `wv` holds the word vectors (a KeyedVectors).

    Every parameter has gensim's meaning. `hs=1` with `negative>0` trains both heads, as gensim does;
    `cbow_mean=0` sums the context vectors. wordvec's own, keyword-only: `device` ('cpu', 'cuda', 'auto'),
    `backend` ('auto', 'hogwild', 'torch'), `shared_negatives` (skip-gram draws one set of negatives per centre word;
    False: per pair) and `progress` (a progress bar). `hashfxn` and `batch_words` are accepted and unused (initial
    vectors come from `seed` alone; the engine cuts the corpus into jobs itself).
    """

    _PARAMS = _PARAMS  # the constructor's parameters a saved model keeps

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5, min_count=5,
                 max_vocab_size=None, sample=1e-3, seed=1, workers=3, min_alpha=0.0001, sg=0, hs=0, negative=5,
                 ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
                 batch_words=10000, compute_loss=False, callbacks=(), comment=None, max_final_vocab=None,
                 shrink_windows=True, *, device="cpu", backend="auto", shared_negatives=True, progress=False):
        self.vector_size, self.alpha, self.window, self.min_count = vector_size, alpha, window, min_count
        self.max_vocab_size, self.sample, self.seed, self.workers = max_vocab_size, sample, seed, workers
        self.min_alpha, self.sg, self.hs, self.negative = min_alpha, sg, hs, negative
        self.ns_exponent, self.cbow_mean, self.hashfxn, self.epochs = ns_exponent, cbow_mean, hashfxn, epochs
        self.null_word, self.sorted_vocab, self.batch_words = null_word, sorted_vocab, batch_words
        self.compute_loss, self.callbacks, self.comment = compute_loss, tuple(callbacks or ()), comment
        self.max_final_vocab, self.shrink_windows = max_final_vocab, shrink_windows
        self.device, self.backend, self.shared_negatives, self.progress = device, backend, shared_negatives, progress
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.train_count = 0
        self.total_train_time = 0.0
        self.running_training_loss = 0.0
        self.epochs_trained = 0  # epochs trained since the weights were made: seeds the random streams
        self.min_alpha_yet_reached = float(alpha)  # gensim's: a later train() starting above it is warned about
        self.raw_vocab: dict = {}
        self.lifecycle_events: list[dict] = []
        if hs or negative:
            self._config()  # bad settings fail here, not after reading the corpus
        self.wv = KeyedVectors(vector_size)
        self.train_result: TrainResult | None = None  # the last train() call's losses, timing and counts
        self._vocab: Vocab | None = None
        self._weights: Weights | None = None
        self._cache: _Read | None = None  # the corpus build_vocab read, for the train() that follows
        self._snapshot: dict | None = None  # where train() stands, while a callback runs at an epoch boundary
        self._resume: dict | None = None  # a loaded mid-train position, for the train() call that continues it
        self.add_lifecycle_event("created", params=str(self))
        if sentences is not None or corpus_file is not None:
            _check_corpus(sentences, corpus_file, passes=1 + int(epochs))
            self.build_vocab(sentences, corpus_file, trim_rule=trim_rule)
            self.train(sentences, corpus_file, total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                       compute_loss=self.compute_loss, callbacks=self.callbacks)

    # --- basics ---------------------------------------------------------------------------------------------------
    def __str__(self) -> str:
        return f"{type(self).__name__}<vocab={len(self.wv)}, vector_size={self.vector_size}, alpha={self.alpha}>"

    @property
    def vocab(self) -> Vocab | None:
        """The vocabulary (words and counts) as wordvec's Vocab; gensim keeps the same in `wv`."""
        return self._vocab

    @property
    def syn1(self) -> np.ndarray:
        """Hierarchical softmax's inner-node vectors with gensim's shape, (words, vector_size) (hs=1 only): row i
        is inner node i, the last row is never used (a tree over V words has V - 1 inner nodes). The engine trains
        the rows above it in place, so this is the live matrix."""
        w = self._weights
        if w is None or w.syn1 is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'syn1' (it exists with hs=1)")
        if not _is_padded(w.syn1):
            w.syn1 = _padded(w.syn1)
        return w.syn1.base[:max(len(self.wv), 1)]

    @syn1.setter
    def syn1(self, value) -> None:
        value = np.asarray(value, dtype=np.float32)
        n_inner = max(len(self.wv) - 1, 1)
        if value.ndim == 2 and value.shape[0] == n_inner + 1:  # gensim's shape: drop the unused row
            value = value[:n_inner]
        self._set_matrix("syn1", value)
        self._weights.syn1 = _padded(self._weights.syn1)

    @property
    def syn1neg(self) -> np.ndarray:
        """Negative sampling's output vectors, (words, vector_size) (negative > 0 only)."""
        if self._weights is None or self._weights.syn1neg is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'syn1neg' (it exists with "
                                 f"negative > 0)")
        return self._weights.syn1neg

    @syn1neg.setter
    def syn1neg(self, value) -> None:
        self._set_matrix("syn1neg", value)

    def _set_matrix(self, name: str, value) -> None:
        if self._weights is None:
            raise ModelStateError(f"build the vocabulary before setting {name}")
        setattr(self._weights, name, np.ascontiguousarray(value, dtype=np.float32))

    @property
    def layer1_size(self) -> int:
        return self.vector_size

    def _config(self, epochs: int | None = None, validate: bool = True) -> Config:
        """The engine's Config for the current attributes (gensim lets users change them between calls); settings
        the chosen heads never read stay at their defaults, so gensim-valid combinations are accepted."""
        hs, negative = bool(self.hs), self.negative
        if validate and not hs and not negative:
            raise WordvecError(NO_HEAD)
        c = Config(model="skipgram" if self.sg else "cbow", loss="hs" if hs else "ns", vector_size=self.vector_size,
                   window=self.window, negative=negative, ns_exponent=self.ns_exponent, sample=self.sample,
                   shared_negatives=bool(self.shared_negatives), reduced_window=bool(self.shrink_windows),
                   both_heads=bool(hs and negative), cbow_mean=bool(self.cbow_mean),
                   epochs=self.epochs if epochs is None else epochs, optimizer="sgd", lr=self.alpha,
                   min_lr=self.min_alpha, seed=self.seed, device=self.device, threads=self.workers,
                   backend=self.backend, min_count=max(1, self.min_count), max_vocab_size=self.max_vocab_size, max_final_vocab=self.max_final_vocab,
                   sorted_vocab=bool(self.sorted_vocab), tokenizer="simple", progress=bool(self.progress),
                   **self._subword_settings())
        defaults = Config()
        c = c.replace(**{name: getattr(defaults, name) for name in c.ignored()})
        if validate:
            try:
                c.validate()
            except WordvecError as e:
                raise WordvecError(api_words(str(e))) from None
        return c

    def _subword_settings(self) -> dict:
        """The Config fields of the input model (FastText's n-grams); none for word2vec."""
        return {}

    def _extra_rows(self) -> int:
        """Input rows after the words' own (FastText's n-gram buckets)."""
        return 0

    def _wrap_vectors(self) -> None:
        """`wv` over the input matrix: for word2vec syn0 is `wv.vectors` (never copied)."""
        self.wv = KeyedVectors(self._vocab.id2tok, self._weights.syn0, counts=self._vocab.counts)
        self._weights.syn0 = self.wv.vectors  # the same array, whatever KeyedVectors decided

    def _grow_input(self, vocab: Vocab, n_old: int, rows: np.ndarray) -> None:
        """Input rows for the words an update adds (after the old words' rows)."""
        lockf = lockf_values(self.wv.vectors_lockf)
        self.wv.add_vectors(vocab.id2tok[n_old:], rows)
        self.wv.counts = vocab.counts
        if lockf.size == n_old and n_old > 1:  # one factor per word: the new words train freely
            self.wv.vectors_lockf = np.concatenate([lockf, np.ones(len(rows), np.float32)])
        self._weights.syn0 = self.wv.vectors

    def _tree_attrs(self) -> None:
        """With hs, each word's Huffman 'code' and 'point' as vecattrs of wv, as gensim sets them."""
        if self.hs and self._vocab is not None and len(self._vocab):
            self.wv.expandos["code"], self.wv.expandos["point"] = tree_attrs(self._vocab.counts)

    def add_lifecycle_event(self, event_name: str, log_level: int = logging.INFO, **event) -> None:
        """Append an event to `lifecycle_events` (kept in saved models) and log it, as gensim does."""
        from . import __version__

        event = dict(event, datetime=datetime.datetime.now().isoformat(), wordvec=__version__,
                     python=sys.version, platform=platform.platform(), event=event_name)
        self.lifecycle_events.append(event)
        log.log(log_level, "%s lifecycle event %s", type(self).__name__, event)

    # --- vocabulary -----------------------------------------------------------------------------------------------
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs) -> None:
        """Count the corpus (one pass; a generator is fine) and keep its words seen at least min_count times.

        The corpus is encoded in the same pass and kept until the next train() on the same object, so the
        constructor path and build_vocab + train read it once. `update=True` adds the new words (counted in this
        corpus alone, min_count / trim_rule applied) after the old ones, whose counts grow; their vectors are
        initialised from the seed and the old vocabulary size, their output rows are zero."""
        _check_corpus(corpus_iterable, corpus_file, passes=1)
        if update and self._vocab is None:
            raise ModelStateError(NO_PRIOR_VOCAB)
        with _in_api_words():
            self._build_vocab(corpus_iterable, corpus_file, update, progress_per, keep_raw_vocab, trim_rule)

    def _build_vocab(self, corpus_iterable, corpus_file, update, progress_per, keep_raw_vocab, trim_rule) -> None:
        if corpus_file is not None and _is_token_store(corpus_file):
            return self._build_from_store(corpus_file, update, trim_rule)
        sentences = self._sentences(corpus_iterable, corpus_file)
        tally = [0, 0]
        try:
            scan = scan_corpus(_token_lists(sentences, tally), self.max_vocab_size, trim_rule, progress_per)
        except EmptyCorpusError:
            raise ModelStateError(f"the corpus has no words ({tally[0]} sentences, all empty), so there is no "
                                  f"vocabulary to build; give a corpus of token lists") from None
        final = self._take_vocab(scan, update, trim_rule, keep_raw_vocab)
        encoded = encode_scan(scan, final)
        self._cache = _Read(_source(corpus_iterable, corpus_file), encoded, tally[0], tally[1])
        self.corpus_count, self.corpus_total_words = tally[0], tally[1]

    def build_vocab_from_freq(self, word_freq: dict, keep_raw_vocab=False, corpus_count=None, trim_rule=None,
                              update=False) -> None:
        """The vocabulary from a {word: count} dict instead of a corpus (gensim's corpus_total_words stays 0)."""
        if update and self._vocab is None:
            raise ModelStateError(NO_PRIOR_VOCAB)
        words = list(word_freq)
        bad = next((w for w in words if not isinstance(w, str)), _STR)
        if bad is not _STR:
            raise CorpusTypeError(f"word_freq must map words (str) to counts, but it holds the key "
                                  f"{type(bad).__name__} {bad!r:.40}; convert the keys to str first")
        try:
            counts = np.fromiter((int(word_freq[w]) for w in words), dtype=np.int64, count=len(words))
        except (TypeError, ValueError, OverflowError):
            bad = next(w for w in words if not _count_ok(word_freq[w]))
            raise CorpusTypeError(f"word_freq must map words to counts (integers below 2**63), but {bad!r:.40} maps "
                                  f"to {word_freq[bad]!r:.40}; give integer counts") from None
        scan = Scan(words, counts, np.ones(len(words), dtype=bool), np.zeros(0, np.int32), np.zeros(0, np.int64))
        self._take_vocab(scan, update, trim_rule, keep_raw_vocab)
        self._cache = None
        self.corpus_count, self.corpus_total_words = int(corpus_count or 0), 0

    def _take_vocab(self, scan: Scan, update: bool, trim_rule, keep_raw_vocab: bool) -> np.ndarray:
        """Adopt the vocabulary of `scan` (fresh, or merged into the old one); returns each scanned id's final id."""
        self._resume = self._snapshot = None
        alive = np.flatnonzero(scan.alive)
        self.raw_vocab = dict(zip((scan.words[i] for i in alive.tolist()), scan.counts[alive].tolist())) \
            if keep_raw_vocab else {}
        if update:
            return self._merge_vocab(scan, trim_rule)
        emc = effective_min_count(scan.counts[alive], self.min_count, self.max_final_vocab)
        try:
            vocab, final = select_vocab(scan, self.min_count, self.max_final_vocab, trim_rule,
                                        bool(self.sorted_vocab), bool(self.null_word))
        except WordvecError as e:
            raise ModelStateError(api_words(str(e)) + " (gensim would build an empty vocabulary and fail at "
                                  "train())") from None
        self._adopt_vocab(vocab, emc, int(scan.counts.sum()))
        return final

    def _adopt_vocab(self, vocab: Vocab, emc: int, occurrences: int) -> None:
        """A fresh vocabulary, and fresh weights for it."""
        if self._vocab is not None:
            log.info("build_vocab without update=True: a fresh vocabulary and fresh weights replace the old ones "
                     "(update=True keeps them)")
        config = self._config(validate=False)
        try:  # before allocating: a huge vector_size (or FastText's bucket) is one sentence, not a MemoryError
            config.check_memory(len(vocab), 0)
        except WordvecError as e:
            raise WordvecError(api_words(str(e))) from None
        self._vocab, self.effective_min_count, self.epochs_trained = vocab, emc, 0
        self._weights = new_weights(config, vocab)
        self._wrap_vectors()
        self._tree_attrs()
        kept = int(vocab.counts.sum())
        self.add_lifecycle_event("build_vocab", msg=f"effective_min_count={emc} retains {len(vocab)} unique words "
                                 f"and {kept} of {occurrences} word occurrences")

    def _build_from_store(self, path, update: bool, trim_rule) -> None:
        """A token store (`wordvec prepare`) as the corpus: its vocabulary, its ids mapped from disk (never read
        whole); its settings must be the model's."""
        from .store import open_store

        if update or trim_rule is not None or self.null_word:
            raise UnsupportedError("a token store holds a finished vocabulary: update=True, trim_rule and null_word "
                                   "need the text it was prepared from (pass that as corpus_file)")
        store = open_store(path)
        store.check(min_count=self.min_count, max_final_vocab=self.max_final_vocab,
                    sort_by_count=bool(self.sorted_vocab), max_vocab_size=self.max_vocab_size)
        self._resume = self._snapshot = None
        self.raw_vocab = {}
        self._adopt_vocab(store.vocab, int(store.manifest["min_count"]),
                          int(store.manifest.get("tokens_read", len(store))))
        self._cache = self._store_read(store)
        self.corpus_count, self.corpus_total_words = self._cache.sentences, self._cache.raw_words

    @staticmethod
    def _store_read(store) -> "_Read":
        return _Read(_source(None, store.path), store.encoded, store.n_docs,
                     int(store.manifest.get("tokens_read", len(store))))

    def _merge_vocab(self, scan: Scan, trim_rule) -> np.ndarray:
        """Online update: old words keep their ids and rows (counts grow), new words are appended in order of first
        appearance (as gensim, sorted_vocab or not), rows initialised deterministically (seed, old size); the
        Huffman tree is rebuilt by the engine over all counts."""
        old = self._vocab
        alive = np.flatnonzero(scan.alive)
        words = [scan.words[i] for i in alive.tolist()]
        counts = scan.counts[alive]
        old_ids = np.fromiter((old.tok2id.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        merged = old.counts.copy()
        merged[old_ids[old_ids >= 0]] += counts[old_ids >= 0]
        fresh = np.flatnonzero(old_ids < 0)
        fresh = fresh[[keep_word(words[i], int(counts[i]), self.min_count, trim_rule) for i in fresh.tolist()]] \
            if len(fresh) else fresh
        n_old, n_new = len(old), len(fresh)
        new_ids = old_ids.copy()
        new_ids[fresh] = np.arange(n_old, n_old + n_new)
        vocab = Vocab(old.id2tok + [words[i] for i in fresh.tolist()], np.concatenate([merged, counts[fresh]]))
        final = np.full(len(scan.words), -1, dtype=np.int32)
        final[alive] = new_ids
        for i in np.flatnonzero(~scan.alive).tolist():  # occurrences counted under an id pruned during the scan
            final[i] = vocab.tok2id.get(scan.words[i], -1)
        w, dim = self._weights, int(self.wv.vector_size)
        self._grow_input(vocab, n_old, init_vectors([int(self.seed), n_old], n_new, 0, dim)[0])
        if w.syn1neg is not None:
            w.syn1neg = np.concatenate([w.syn1neg, np.zeros((n_new, dim), np.float32)])
        if w.syn1 is not None:
            w.syn1 = np.concatenate([w.syn1, np.zeros((max(len(vocab) - 1, 1) - len(w.syn1), dim), np.float32)])
        self._vocab = vocab
        self._tree_attrs()
        self.add_lifecycle_event("build_vocab", msg=f"update: {n_new} new words, {len(vocab)} in all")
        return final

    # --- training -------------------------------------------------------------------------------------------------
    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None, epochs=None,
              start_alpha=None, end_alpha=None, word_count=0, queue_factor=2, report_delay=1.0, compute_loss=False,
              callbacks=(), **kwargs) -> tuple[int, int]:
        """Train on the corpus `epochs` times, the learning rate decaying from start_alpha (default alpha) to
        end_alpha (default min_alpha); returns (words trained after subsampling, raw words), as gensim.

        `total_examples` / `total_words` are required as in gensim but the schedule follows the words actually
        read. With compute_loss, `get_latest_training_loss()` is the summed loss of this call so far. gensim's
        warnings and INFO progress lines (every `report_delay` seconds) go to the `wordvec` logger. A corpus without
        a word of the vocabulary trains nothing and returns (0, raw words), as gensim. `word_count` and
        `queue_factor` are accepted and unused."""
        if self._vocab is None or not len(self._vocab):
            raise ModelStateError(NO_VOCAB)
        if not self.hs and not self.negative:
            raise WordvecError(NO_HEAD)
        if self.hs and self.negative:
            log.warning(BOTH_HEADS)
        start = float(self.alpha if start_alpha is None else start_alpha)
        end = float(self.min_alpha if end_alpha is None else end_alpha)
        if start > self.min_alpha_yet_reached:
            log.warning(ALPHA_UP)
        if not total_examples and not total_words:
            raise WordvecError(NO_TOTALS)
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise WordvecError(NO_EPOCHS)
        _check_corpus(corpus_iterable, corpus_file, passes=epochs)
        with _in_api_words():
            return self._train(corpus_iterable, corpus_file, total_examples, total_words, epochs, start, end,
                               compute_loss, callbacks, report_delay)

    def _train(self, corpus_iterable, corpus_file, total_examples, total_words, epochs, start, end, compute_loss,
               callbacks, report_delay) -> tuple[int, int]:
        config = self._config(epochs)
        read = self._read(corpus_iterable, corpus_file)
        if len(read.encoded) == 0:  # gensim trains nothing and says how much it read
            return self._train_nothing(read, epochs, callbacks, (total_examples, total_words,
                                                                 corpus_file is not None, report_delay))
        settings = config.identity_dict()
        call = {"corpus": None, "vocabulary": fingerprint(self._vocab.id2tok, self._vocab.counts),
                "sentences": read.sentences, "raw_words": read.raw_words, "epochs": epochs, "start_alpha": start,
                "end_alpha": end, "epoch_offset": self.epochs_trained,
                "config": {k: settings[k] for k in _RESUME_KEYS if k in settings}}
        resume = self._take_resume(call, read)
        self.compute_loss = bool(compute_loss)
        hooks = _TrainHooks(self, callbacks, _LazyCall(call, read))
        hooks.expect(read, total_examples, total_words, corpus_file is not None, report_delay)
        if resume is None:
            self.running_training_loss = 0.0
        else:  # until training moves on, a save records the loaded position again
            self._snapshot = dict(resume, call=hooks.call)
        hooks.fire("on_train_begin")
        try:
            if resume is not None and "done" in resume:  # saved after its last epoch: nothing left to train
                d = resume["done"]
                result = TrainResult(self._weights.syn0, self._weights.syn1neg, d["epoch_losses"], d["seconds"],
                                     d["device"], read.encoded.ids.shape[0] * epochs, d["effective_words"], d["pairs"])
            else:
                result = train_word2vec(config, self._vocab, read.encoded, progress=bool(self.progress),
                                        callback=hooks, checkpoint=hooks if hooks.callbacks else None,
                                        weights=self._weights_for(config),
                                        resume=None if resume is None else (resume["tensors"], resume),
                                        start_alpha=start, end_alpha=end, epoch_offset=self.epochs_trained,
                                        require_pairs=False)
                self._snapshot = {"call": hooks.call, "done": {
                    "epoch_losses": result.epoch_losses, "seconds": result.seconds, "device": result.device,
                    "effective_words": result.effective_words, "pairs": result.pairs}}
                hooks.end_epoch()
        finally:
            self._cache = self._snapshot = None
            self.wv._invalidate()
        self.train_result = result
        self.train_count += 1
        self.total_train_time += result.seconds
        self.epochs_trained += epochs
        self.min_alpha_yet_reached = end
        raw = read.raw_words * epochs
        self.add_lifecycle_event("train", msg=f"training on {raw} raw words ({result.effective_words} effective "
                                 f"words) took {result.seconds:.1f}s, {raw / max(result.seconds, 1e-9):.0f} "
                                 f"effective words/s")
        hooks.fire("on_train_end")
        return int(result.effective_words), int(raw)

    def _train_nothing(self, read: "_Read", epochs: int, callbacks, expect: tuple) -> tuple[int, int]:
        """train() on a corpus without a word of the vocabulary: gensim's (0, raw words), callbacks, warnings and
        lines and all."""
        self._cache = None
        raw = read.raw_words * epochs
        empty = read.sentences == 0 and self.train_count == 0
        if not empty:
            log.warning("train(): none of the %d words read is in the vocabulary of %d words; nothing was trained",
                        raw, len(self.wv))
        hooks = _TrainHooks(self, callbacks, None)
        hooks.expect(read, *expect)
        hooks.fire("on_train_begin")
        for epoch in range(epochs):
            hooks.fire("on_epoch_begin")
            if empty:
                log.warning(EMPTY_ITERATOR)
            hooks._log_epoch_end(epoch)
            hooks.fire("on_epoch_end")
        self.train_count += 1
        self.add_lifecycle_event("train", msg=f"training on {raw} raw words (0 effective words) took 0.0s")
        hooks.fire("on_train_end")
        return 0, int(raw)

    def _sentences(self, corpus_iterable, corpus_file):
        if corpus_file is None:
            return corpus_iterable
        return LineSentence(corpus_file)

    def _read(self, corpus_iterable, corpus_file) -> _Read:
        """The corpus in vocabulary ids: the one build_vocab just read when it is the same object (or unchanged
        file), else read now."""
        source = _source(corpus_iterable, corpus_file)
        if self._cache is not None and _same_source(self._cache.source, source):
            log.debug("train() reuses the corpus build_vocab read")
            return self._cache
        self._cache = None
        if corpus_file is not None and _is_token_store(corpus_file):
            from .store import open_store

            store = open_store(corpus_file)
            if fingerprint(store.vocab.id2tok, store.vocab.counts) != fingerprint(self._vocab.id2tok,
                                                                                   self._vocab.counts):
                raise WordvecError(f"the token store {corpus_file} has another vocabulary than this model; build the "
                                   f"vocabulary from it first (build_vocab(corpus_file=...))")
            return self._store_read(store)
        tally = [0, 0]
        encoded = self._vocab.encode(_token_lists(self._sentences(corpus_iterable, corpus_file), tally))
        return _Read(source, encoded, tally[0], tally[1])

    def _synced(self) -> Weights:
        """The model's matrices, syn0 being whatever `wv.vectors` is now (gensim code may replace that array, e.g.
        wv.unit_normalize_all())."""
        w = self._weights
        if w.syn0 is not self.wv.vectors:
            if self.wv.vectors.shape != w.syn0.shape:
                raise WordvecError(f"model.wv.vectors has shape {self.wv.vectors.shape}, but the model's vocabulary "
                                   f"and vector_size need {w.syn0.shape}; change the vectors in place")
            w.syn0 = self.wv.vectors
        return w

    def _weights_for(self, config: Config) -> Weights:
        """The matrices this config trains, writable (a model loaded with mmap='r' is copied into memory first);
        a head switched on after build_vocab starts at zero."""
        w, dim, v = self._synced(), int(self.vector_size), len(self._vocab)
        hs, negative = config.heads()
        if hs and w.syn1 is None:
            w.syn1 = np.zeros((max(v - 1, 1), dim), np.float32)
            self._tree_attrs()
        if negative and w.syn1neg is None:
            w.syn1neg = np.zeros((v, dim), np.float32)
        for name in ("syn0", "syn1", "syn1neg"):
            m = getattr(w, name)
            if m is not None and not (m.flags.writeable and m.flags.c_contiguous and type(m) is np.ndarray):
                log.info("copying %s into memory to train it (the model was loaded with mmap='r')", name)
                setattr(w, name, np.array(m, dtype=np.float32))
        if self.wv.vectors is not w.syn0:
            self.wv.vectors = w.syn0
        return Weights(w.syn0, w.syn1 if hs else None, w.syn1neg if negative else None,
                       lockf=getattr(self.wv, "vectors_lockf", None))

    def _take_resume(self, call: dict, read: _Read) -> dict | None:
        """The loaded mid-train position, if this train() call is the one that saved it; else None (logged)."""
        saved, self._resume = self._resume, None
        if saved is None:
            return None
        mine = dict(call, corpus=read.fingerprint())
        if saved["call"] == mine:
            log.info("continuing the train() call this model was saved in, from epoch %d",
                     saved.get("state", {}).get("epoch", saved["call"]["epochs"]))
            return saved
        diff = sorted(differences(saved["call"], mine))
        log.warning("this model was saved in the middle of a train() call with other arguments (%s differ); this "
                    "call starts afresh from the saved weights", ", ".join(diff))
        return None

    def _at_boundary(self, tensors: dict, snapshot: dict) -> None:
        """The engine stands at an epoch boundary: remember where (for save()), and bring the model's matrices up
        to date where the engine trained copies (torch on a GPU)."""
        for name, mat in self._synced().tensors().items():
            if name in tensors and not np.shares_memory(mat, tensors[name]):
                np.copyto(mat, tensors[name])
        self._snapshot = dict(snapshot, tensors={k: v for k, v in tensors.items() if k.startswith("rng.")})

    def get_latest_training_loss(self) -> float:
        """The summed training loss of the current (or last) train() call, when it ran with compute_loss=True."""
        return self.running_training_loss

    # --- persistence ----------------------------------------------------------------------------------------------
    def save(self, fname_or_handle, separately=None, sep_limit=10 * 1024 ** 2, ignore=frozenset(),
             pickle_protocol=4) -> Path:
        """One wordvec state file (safetensors + JSON; no pickle): the matrices, the words and counts, the Config
        and the model's attributes. Saved from a callback during train(), it also records where that call stands,
        so that `Word2Vec.load(path).train(<the same arguments>)` finishes it. gensim's `separately`, `sep_limit`,
        `ignore` and `pickle_protocol` are accepted and unused (there is one file and no pickle)."""
        if hasattr(fname_or_handle, "write"):
            raise UnsupportedError("Word2Vec.save takes a path, not an open file (the file is written under a "
                                   "temporary name and renamed, so it is never half-written)")
        config = self._config(validate=False)
        tensors: dict[str, np.ndarray] = {}
        if self._vocab is not None:
            extras, _ = checkpoint_extras(self._vocab, config)
            tensors.update(extras)
            tensors.update(self._synced().tensors())
            lockf = lockf_values(getattr(self.wv, "vectors_lockf", None))
            if not np.isfinite(lockf).all():  # load would refuse the file as damaged
                raise WordvecError("model.wv.vectors_lockf holds NaN or infinite factors; set finite ones (0.0 "
                                   "freezes a word, 1.0 lets it train) before saving")
            rows = (1, len(self._vocab), len(self._vocab) + self._extra_rows())  # one, per word, per input row
            if lockf.size in rows and (lockf != 1.0).any():  # frozen rows stay frozen after load
                tensors[LOCKF] = np.ascontiguousarray(lockf.reshape(-1))
        header = {"config": config.to_dict(),
                  "word2vec": {k: getattr(self, k) for k in self._PARAMS + _STATE if hasattr(self, k)}}
        if self._snapshot is not None:
            snap = self._snapshot
            header["train"] = {k: v for k, v in snap.items() if k not in ("tensors", "call")}
            header["train"]["call"] = snap["call"].resolved()
            tensors.update(snap.get("tensors", {}))
        return save_state(fname_or_handle, "word2vec", tensors, header)

    @_ClassOnly
    def load(cls, fname, mmap=None) -> "Word2Vec":
        """A model saved by `save`, or a `wordvec train` checkpoint (kind 'word2vec' with its config and words).
        `mmap='r'` maps the matrices read-only (training copies them into memory first). A gensim pickle is
        refused: unpickling runs code from the file."""
        path = Path(fname)
        refuse_pickle(path, "a gensim .model file", PICKLE_RECIPE)
        kind = read_header(path).get("kind")
        if kind == "keyedvectors":  # gensim: "Model of type ... can't be loaded by ...", an AttributeError
            raise LoadError(f"Model of type KeyedVectors can't be loaded by {cls.__name__}: {path} holds a wordvec "
                            f"'keyedvectors' file, word vectors alone (KeyedVectors.save, model.wv.save); load it "
                            f"with KeyedVectors.load(path)")
        header = read_header(path, ("word2vec",))
        if not isinstance(header.get("config"), dict):
            raise WordvecError(f"{path} is a wordvec training checkpoint without its configuration and words (written "
                               f"by an older wordvec); continue it with `wordvec train --resume` instead")
        tensors, header = load_state(path, mmap=mmap, kinds=("word2vec",))
        check_fields(header, {"config": "dict", "word2vec": "dict", "train": "dict", "state": "dict"}, str(path),
                     "the file is damaged", required=("config",))
        if "train" in header:
            check_fields(header["train"], {"call": "dict"}, f"{path}: train", "the file is damaged")
        try:
            config = Config.from_dict(header["config"])
        except (TypeError, ValueError) as e:
            raise WordvecError(f"{path}: the stored config is not valid ({e}); the file is damaged") from None
        if config.model not in ("skipgram", "cbow"):
            raise WordvecError(f"{path} holds the lab's {config.model} network, not skip-gram or CBOW; load its "
                               f"vectors with wordvec.rundir.load_vectors(the run's folder)")
        if "word2vec" in header:  # the constructor checks the parameters; these it takes as they are
            check_fields(header["word2vec"], _STATE_KINDS, f"{path}: word2vec", "the file is damaged", required=())
        attrs = header.get("word2vec") or _params_from_config(config)
        if config.subwords != (cls._PARAMS != _PARAMS):
            raise LoadError(f"{path} holds a {'FastText' if config.subwords else 'Word2Vec'} model; load it with "
                            f"{'FastText' if config.subwords else 'Word2Vec'}.load")
        model = cls(**{k: attrs[k] for k in cls._PARAMS if k in attrs})
        for k in _STATE:
            if k in attrs:
                setattr(model, k, attrs[k])
        if INPUT in tensors:
            model._adopt(tensors, path)
        if "train" in header:
            model._resume = dict(header["train"], tensors={k: np.array(v) for k, v in tensors.items()
                                                           if k.startswith("rng.")})
        elif "state" in header:
            log.info("%s is a checkpoint of a `wordvec train` run; its vectors are loaded, its position is for "
                     "`wordvec train --resume`", path)
        return model

    def _adopt(self, tensors: dict, path: Path) -> None:
        """Vocabulary and matrices from a loaded file, checked against each other and the config."""
        syn0 = tensors[INPUT]
        if "keys.utf8" not in tensors or COUNTS not in tensors:
            raise WordvecError(f"{path}: the words or their counts are missing; the file is damaged or not a model")
        for name in (INPUT, OUTPUT, HS, COUNTS, LOCKF):
            dtype = tensors[name].dtype if name in tensors else None
            if dtype is not None and (dtype.kind not in "iu" if name == COUNTS else dtype != np.float32):
                raise WordvecError(f"{path}: {name} is {tensors[name].dtype}, expected "
                                   f"{'integers' if name == COUNTS else 'float32'}; the file is damaged")
        words = len(np.asarray(tensors.get("keys.offsets", np.zeros(1)))) - 1
        if self._extra_rows() and syn0.ndim == 2 and len(syn0) != words + self._extra_rows():
            raise WordvecError(f"{path}: {INPUT} has {len(syn0)} rows, but {words} words + bucket "
                               f"{self._extra_rows()} need {words + self._extra_rows()}; the file is damaged")
        keys = keys_from_tensors(tensors, len(syn0) - self._extra_rows(), path)
        counts = np.array(tensors[COUNTS], dtype=np.int64)
        v, dim = len(keys), int(self.vector_size)
        want = {INPUT: (v + self._extra_rows(), dim), OUTPUT: (v, dim), HS: (max(v - 1, 1), dim), COUNTS: (v,), LOCKF: (v,)}
        if LOCKF in tensors and tuple(tensors[LOCKF].shape) in ((1,), (v + self._extra_rows(),)):
            want[LOCKF] = tuple(tensors[LOCKF].shape)  # a single factor, or one per input row (FastText's buckets)
        for name, shape in want.items():
            if name in tensors and tuple(tensors[name].shape) != shape:
                raise WordvecError(f"{path}: {name} has shape {tuple(tensors[name].shape)}, expected {shape} for "
                                   f"{v} words of {dim} dimensions; the file is damaged")
        self._vocab = Vocab(keys, counts)
        self._weights = Weights(syn0, tensors.get(HS), tensors.get(OUTPUT))
        self._wrap_vectors()
        if LOCKF in tensors:
            lockf = np.array(tensors[LOCKF], dtype=np.float32)
            if not np.isfinite(lockf).all():
                raise WordvecError(f"{path}: {LOCKF} holds NaN or infinite factors; the file is damaged")
            self.wv.vectors_lockf = lockf
        self._tree_attrs()

    # --- using the model ------------------------------------------------------------------------------------------
    def predict_output_word(self, context_words_list, topn=10):
        """The most probable centre words for these context words: softmax of the negative-sampling output layer
        against the mean (cbow_mean=1) or sum of the context vectors; [(word, probability)], best first, or None
        when no context word is known. Unknown words are skipped (repeats count again), as in gensim."""
        if self._weights is None or self._weights.syn1neg is None or not self.negative:
            raise ModelStateError(PREDICT_NEEDS_NS)
        index = self.wv.key_to_index
        ids = [index[w] for w in context_words_list if w in index]
        if not ids:
            log.warning("All the input context words are out-of-vocabulary for the current model.")
            return None
        l1 = np.sum(self.wv.vectors[ids], axis=0)  # float32, as gensim: the same probabilities, the same ties
        if self.cbow_mean:
            l1 /= len(ids)
        with np.errstate(over="ignore", invalid="ignore"):
            p = np.exp(np.dot(l1, self._weights.syn1neg.T))
            p /= np.sum(p)
        if not np.isfinite(p).all():  # gensim returns NaN here; the softmax shifted by its maximum does not
            scores = self._weights.syn1neg.astype(np.float64) @ l1.astype(np.float64)
            p = np.exp(scores - scores.max())
            p = (p / p.sum()).astype(np.float32)
        top = _gensim_argsort(p, p.size if topn is None else int(topn))
        return [(self.wv.index_to_key[i], p[i]) for i in top.tolist()]

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2, report_delay=1):
        """log p(sentence) under hierarchical softmax for each sentence (float32 array), as Taddy's document
        classification by inversion uses it: skip-gram sums log p(w_j | w_i) over every pair within the full
        window, CBOW log p(w_i | context) per word (mean or sum as cbow_mean); out-of-vocabulary words are dropped
        first; no subsampling. Differs from gensim, which reads log sigmoid from a 1000-entry table and drops the
        terms beyond +-6 (a confident wrong prediction counts as certain): here log sigmoid is exact. Every sentence
        is scored, also past total_sentences (gensim stops there) and past 10,000 words (gensim truncates)."""
        if self._weights is None or self._weights.syn1 is None or not self.hs:
            raise ModelStateError(SCORE_NEEDS_HS)
        _check_corpus(sentences, None, passes=1)
        tally = [0, 0]
        encoded = self._vocab.encode(_token_lists(sentences, tally))
        if tally[0] > total_sentences:
            log.info("scored all %d sentences (gensim stops at total_sentences=%d)", tally[0], total_sentences)
        return hs_sentence_scores(encoded, self.wv.vectors, self._weights.syn1, huffman_tree(self._vocab.counts),
                                  int(self.window), bool(self.sg), bool(self.cbow_mean))

    # --- gensim's other public methods ----------------------------------------------------------------------------
    def estimate_memory(self, vocab_size=None, report=None) -> dict:
        """Bytes the model needs for `vocab_size` words (default: its vocabulary): gensim's keys; 'vocab' is
        wordvec's own estimate of the Python structures per word."""
        v = int(vocab_size or len(self.wv))
        row = int(self.vector_size) * 4
        report = dict(report or {})
        report["vocab"] = v * 500
        report["vectors"] = v * row
        if self.hs:
            report["syn1"] = v * row  # gensim's shape (see syn1)
        if self.negative:
            report["syn1neg"] = v * row
        report["total"] = sum(val for key, val in report.items() if key != "total")
        log.info("estimated required memory for %d words and %d dimensions: %d bytes", v, self.vector_size,
                 report["total"])
        return report

    def init_weights(self) -> None:
        """Start the matrices afresh from the seed (syn0 random, output layers zero), as a new model would."""
        if self._vocab is None:
            raise ModelStateError(NO_VOCAB)
        self._weights = new_weights(self._config(validate=False), self._vocab)
        self.wv.vectors = self._weights.syn0
        self.wv._invalidate()
        self.epochs_trained = 0
        self._resume = self._snapshot = None

    def reset_from(self, other_model: "Word2Vec") -> None:
        """Take `other_model`'s vocabulary and corpus counts, with fresh weights (gensim's reset_from)."""
        if other_model._vocab is None:
            raise ModelStateError(NO_VOCAB)
        self._vocab = Vocab(list(other_model._vocab.id2tok), other_model._vocab.counts.copy())
        self.corpus_count, self.corpus_total_words = other_model.corpus_count, other_model.corpus_total_words
        self.effective_min_count = getattr(other_model, "effective_min_count", self.min_count)
        self._cache = None
        self.wv = KeyedVectors(self._vocab.id2tok, np.zeros((len(self._vocab), int(self.vector_size)), np.float32),
                               counts=self._vocab.counts)
        self.init_weights()

    def init_sims(self, replace=False) -> None:
        """Deprecated in gensim 4 (norms are computed when needed); replace=True unit-normalises the vectors in
        place, for good."""
        warnings.warn("init_sims() is deprecated (as in gensim 4): norms are computed when needed; use "
                      "model.wv.get_normed_vectors() or, to normalise in place, model.wv.unit_normalize_all()",
                      DeprecationWarning, stacklevel=2)
        if replace:
            self.wv.unit_normalize_all()
        else:
            self.wv.fill_norms()


class _LazyCall:
    """A train() call's identity, hashing the corpus only if a save needs it."""

    def __init__(self, call: dict, read: _Read):
        self.call, self.read = call, read

    def resolved(self) -> dict:
        return dict(self.call, corpus=self.read.fingerprint())


def _padded(syn1: np.ndarray) -> np.ndarray:
    """syn1 (inner nodes, dim) as the first rows of a zeroed buffer one row longer (gensim's shape, see
    Word2Vec.syn1); the engine trains the view, the model shows the buffer."""
    buf = np.zeros((syn1.shape[0] + 1, syn1.shape[1]), dtype=np.float32)
    buf[:-1] = syn1
    return buf[:-1]


def _is_padded(syn1: np.ndarray) -> bool:
    b = syn1.base
    return isinstance(b, np.ndarray) and b.shape == (syn1.shape[0] + 1, syn1.shape[1]) and b.dtype == np.float32 \
        and b.flags.c_contiguous and syn1.__array_interface__["data"][0] == b.__array_interface__["data"][0]


def tree_attrs(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """gensim's vecattrs 'code' (uint8) and 'point' (uint32) of each word: its Huffman path from the root, as
    object arrays of per-word arrays (what `model.wv.get_vecattr(word, 'code')` returns under hs=1)."""
    tree = huffman_tree(counts)
    codes, points = tree.codes, tree.points.astype(np.uint32)
    v = len(tree.lengths)
    code, point = np.empty(v, dtype=object), np.empty(v, dtype=object)
    for i, n in enumerate(tree.lengths.tolist()):
        code[i], point[i] = codes[i, :n], points[i, :n]
    return code, point


def _gensim_argsort(x: np.ndarray, topn: int) -> np.ndarray:
    """Indices of the topn largest values of x, best first, in gensim's order of ties (matutils.argsort with
    reverse=True: numpy's argpartition, then argsort of the part)."""
    x = -np.asarray(x)
    if topn <= 0:
        return np.empty(0, dtype=np.int64)
    if topn >= x.size:
        return np.argsort(x)[:topn]
    part = np.argpartition(x, topn)[:topn]
    return part.take(np.argsort(x.take(part)))


def _params_from_config(config: Config) -> dict:
    """Word2Vec's parameters for a `wordvec train` checkpoint, which holds a Config and no model attributes."""
    hs, negative = config.heads()
    return {"vector_size": config.vector_size, "alpha": config.lr, "window": config.window,
            "min_count": config.min_count, "max_vocab_size": config.max_vocab_size, "sample": config.sample,
            "seed": config.seed, "workers": config.threads, "min_alpha": config.min_lr,
            "sg": int(config.model == "skipgram"), "hs": hs, "negative": negative, "ns_exponent": config.ns_exponent,
            "cbow_mean": int(config.cbow_mean), "epochs": config.epochs, "sorted_vocab": int(config.sorted_vocab),
            "max_final_vocab": config.max_final_vocab, "shrink_windows": config.reduced_window,
            "device": config.device, "backend": config.backend, "shared_negatives": config.shared_negatives,
            "min_n": config.min_n, "max_n": config.max_n, "bucket": config.bucket}


def checkpoint_extras(vocab: Vocab, config: Config) -> tuple[dict[str, np.ndarray], dict]:
    """What a `wordvec train` checkpoint needs besides the engine's state for `Word2Vec.load` to read it: the words
    and counts (arrays for `state.Checkpointer(extras=...)`) and the config (`Checkpointer(meta=...)`)."""
    return {**keys_to_tensors(vocab.id2tok), COUNTS: np.asarray(vocab.counts, dtype=np.int64)}, \
        {"config": config.to_dict()}


# --- scoring ------------------------------------------------------------------------------------------------------

_SCORE_CELLS = 1 << 22  # floats in one block of (examples x path length x dimension): bounded temporaries


def hs_path_log_probs(l1: np.ndarray, targets: np.ndarray, tree, syn1: np.ndarray) -> np.ndarray:
    """log p(target | l1) under hierarchical softmax for each row: the sum over the target's Huffman path of
    log sigmoid(+-l1 . syn1[node]) (code 0: +, code 1: -), exact, in float64."""
    out = np.empty(len(targets), dtype=np.float64)
    width = tree.codes.shape[1]
    step = max(1, _SCORE_CELLS // max(1, width * syn1.shape[1]))
    for a in range(0, len(targets), step):
        t = targets[a:a + step]
        f = np.einsum("pd,pld->pl", l1[a:a + step].astype(np.float64), syn1[tree.points[t]].astype(np.float64))
        z = np.where(tree.codes[t] == 1, -f, f)
        on = np.arange(width)[None, :] < tree.lengths[t][:, None]
        out[a:a + step] = np.where(on, -np.logaddexp(0.0, -z), 0.0).sum(axis=1)
    return out


def hs_sentence_scores(encoded: Encoded, syn0: np.ndarray, syn1: np.ndarray, tree, window: int, sg: bool,
                       cbow_mean: bool) -> np.ndarray:
    """Per-sentence log-probabilities (see Word2Vec.score), vectorised over all positions, in blocks."""
    ids, offsets = encoded.ids, encoded.offsets
    n = len(ids)
    doc = np.repeat(np.arange(encoded.n_docs), np.diff(offsets))
    total = np.zeros(encoded.n_docs, dtype=np.float64)
    block = max(1, _SCORE_CELLS // max(1, syn0.shape[1] * (2 * window + 1)))
    for a in range(0, n, block):
        pos = np.arange(a, min(n, a + block))
        lo = np.maximum(offsets[doc[pos]], pos - window)
        hi = np.minimum(offsets[doc[pos] + 1], pos + window + 1)
        if sg:  # every (context, centre) pair in the full window: context predicts the centre word
            for d in range(-window, window + 1):
                j = pos + d
                ok = (d != 0) & (j >= lo) & (j < hi)
                if ok.any():
                    lp = hs_path_log_probs(syn0[ids[j[ok]]], ids[pos[ok]], tree, syn1)
                    total += np.bincount(doc[pos[ok]], weights=lp, minlength=len(total))
        else:  # the context (mean or sum; zero when there is none) predicts each word
            s, e = max(0, a - window), min(n, pos[-1] + window + 1)
            cs = np.zeros((e - s + 1, syn0.shape[1]), dtype=np.float64)
            np.cumsum(syn0[ids[s:e]], axis=0, dtype=np.float64, out=cs[1:])
            l1 = cs[hi - s] - cs[lo - s] - syn0[ids[pos]]
            if cbow_mean:
                count = (hi - lo - 1)[:, None]
                l1 = np.divide(l1, count, out=np.zeros_like(l1), where=count > 0)
            lp = hs_path_log_probs(l1, ids[pos], tree, syn1)
            total += np.bincount(doc[pos], weights=lp, minlength=len(total))
    return total.astype(np.float32)


__all__ = ["Word2Vec", "checkpoint_extras", "hs_sentence_scores", "hs_path_log_probs", "ModelStateError",
           "CorpusTypeError", "COUNTS"]
