"""fastText's subword vectors with gensim 4's API: `FastTextKeyedVectors`, and Facebook's .bin / .vec files.

A fastText model's input matrix holds one row per vocabulary word, then `bucket` rows shared by the character
n-grams that hash to them (`wordvec.subwords`). As in gensim 4 and fastText:

* a vocabulary word's vector (`vectors`, what queries use) is the mean of its own row (`vectors_vocab`) and its
  n-grams' rows (`vectors_ngrams`): (word row + n-gram rows) / (1 + number of n-grams);
* any other word's vector is the mean of its n-grams' rows, so `wv[word]` works for words the corpus never saw
  (a run's vectors hash the word as its tokenizer makes it: 'HAPPPY' as 'happpy' when the run lower-cased);
  a word with no n-gram at all (e.g. the empty word with min_n >= 3) gets the zero vector with a warning, and
  with `bucket=0` an unseen word is a KeyError;
* `word in wv` is True for every word when there are buckets (a vector can be built), `has_index_for` only for
  vocabulary words.

`load_facebook_vectors` / `load_facebook_model` read fastText's .bin (`wordvec.fbformat` owns the bytes) and give
gensim's vectors for every word; `save_facebook_model` writes one that fastText and gensim read.
`FastTextModel` holds what a .bin file holds (vectors, hyperparameters, output matrix, counts) and answers
queries; training is `wordvec.FastText` (`wordvec.ftmodel`), whose models this module's writer saves too.

`FastTextKeyedVectors.save` writes one safetensors file (no pickle): `vectors_vocab`, `vectors_ngrams`, the keys
and per-key attributes as `KeyedVectors.save` stores them, and min_n / max_n / bucket in the JSON header (kind
"fasttextkeyedvectors"); `vectors` is recomputed on load, as gensim does.
"""

from __future__ import annotations

import logging
from numbers import Integral
from pathlib import Path
from typing import Iterable

import numpy as np

from . import fbformat, subwords
from .config import available_memory
from .errors import WordvecError
from .state import (KIND_READERS, file_kind, keys_from_tensors, keys_to_tensors, load_tensors, parse_header,
                    refuse_pickle, save_state, verify_checksums)
from .vectors import KeyedVectors, UnknownWordError, UnsupportedError

logger = logging.getLogger("wordvec")

KIND = "fasttextkeyedvectors"
_SUM_CELLS = 1 << 20  # gathered n-gram values summed per step: bounded temporaries
PICKLE_RECIPE = ('Convert it once under gensim: gensim.models.fasttext.save_facebook_model(FastText.load("old.model"), '
                 '"old.bin"), then wordvec.load_facebook_model("old.bin")')


def mean_rows(offsets: np.ndarray, ids: np.ndarray, matrix: np.ndarray, base: np.ndarray | None = None
              ) -> np.ndarray:
    """Row i: (base[i] + sum of matrix[ids[offsets[i]:offsets[i+1]]]) / (count + 1), or without `base` the mean
    of those rows (zeros where there are none). Vectorised in blocks of words."""
    n = len(offsets) - 1
    out = np.zeros((n, matrix.shape[1]), dtype=np.float32) if base is None else np.array(base, dtype=np.float32)
    counts = np.diff(offsets)
    step_cells = max(1, _SUM_CELLS // max(1, matrix.shape[1]))
    a = 0
    while a < n:
        b = int(np.searchsorted(offsets, offsets[a] + step_cells, side="right")) - 1
        b = min(n, max(b, a + 1))
        lo, hi = int(offsets[a]), int(offsets[b])
        if hi > lo:
            gathered = matrix[ids[lo:hi]].astype(np.float32, copy=False)
            has = counts[a:b] > 0
            sums = np.add.reduceat(gathered, (offsets[a:b] - lo)[has], axis=0)
            out[a:b][has] += sums
        a = b
    out /= (counts + (0 if base is None else 1)).clip(min=1)[:, None]
    return out


def _check_fits(rows: int, dim, dtype) -> None:
    """Refuse, before allocating, matrices this machine cannot hold (a typo in bucket is terabytes)."""
    need, have = rows * int(dim) * np.dtype(dtype).itemsize, available_memory()
    if have is not None and need > have:
        raise WordvecError(f"{rows:,} rows (words + buckets) x {dim} dimensions need {need / 2**30:,.1f} GiB but "
                           f"only {have / 2**30:,.1f} GiB is available; lower bucket or vector_size")


class FastTextKeyedVectors(KeyedVectors):
    """gensim 4's `FastTextKeyedVectors`: word vectors plus n-gram buckets, so any word has a vector.

    `FastTextKeyedVectors(vector_size, min_n, max_n, bucket, count=0, dtype=np.float32)` is gensim's constructor
    (zero matrices; a trainer fills them). `vectors_vocab` (V, D) and `vectors_ngrams` (bucket, D) are the
    trained rows; `vectors` the composed word vectors (recomputed by `adjust_vectors`)."""

    def __init__(self, vector_size, min_n, max_n, bucket, count=0, dtype=np.float32):
        subwords.check_settings(min_n, max_n, bucket)
        _check_fits(int(count) + int(bucket), vector_size, dtype)
        self._init_empty(vector_size, count, dtype)
        self.min_n, self.max_n, self.bucket = int(min_n), int(max_n), int(bucket)
        self.vectors_vocab = np.zeros((int(count), int(vector_size)), dtype=dtype)
        self.vectors_ngrams = np.zeros((self.bucket, int(vector_size)), dtype=dtype)
        self.compatible_hash = True  # gensim's flag: fastText's hash (always, here)
        self._rows = None

    def __repr__(self) -> str:
        return (f"FastTextKeyedVectors({len(self)} words x {self.vector_size}, min_n={self.min_n}, "
                f"max_n={self.max_n}, bucket={self.bucket})")

    @classmethod
    def from_arrays(cls, index_to_key, vectors_vocab, vectors_ngrams, min_n: int, max_n: int, counts=None,
                    tokenizer: str | None = None) -> "FastTextKeyedVectors":
        """Vectors from trained matrices (the arrays are used as given, not copied, when already float32)."""
        vectors_vocab, vectors_ngrams = np.asanyarray(vectors_vocab), np.asanyarray(vectors_ngrams)
        keys = list(index_to_key)
        if vectors_vocab.ndim != 2 or vectors_ngrams.ndim != 2 or len(keys) != len(vectors_vocab) or \
                vectors_ngrams.shape[1] != vectors_vocab.shape[1]:
            raise WordvecError(f"need (words, D) and (bucket, D) matrices for {len(keys)} words; got "
                               f"{vectors_vocab.shape} and {vectors_ngrams.shape}")
        kv = cls(vectors_vocab.shape[1], min_n, max_n, 0)
        KeyedVectors._init_from(kv, keys, np.zeros((len(keys), vectors_vocab.shape[1]), np.float32), counts,
                                tokenizer)
        kv.bucket = len(vectors_ngrams)
        kv.vectors_vocab = vectors_vocab.astype(np.float32, copy=False)
        kv.vectors_ngrams = vectors_ngrams.astype(np.float32, copy=False)
        kv.next_index = len(keys)
        kv.adjust_vectors()
        return kv

    # --- n-grams ----------------------------------------------------------------------------------------------
    def subword_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR (offsets, rows) over [vectors_vocab; vectors_ngrams]: each word's own row, then V + its buckets
        (what training consumes; cached)."""
        if self._rows is None:
            self.recalc_char_ngram_buckets()
        return self._rows

    def recalc_char_ngram_buckets(self) -> None:
        """Recompute every vocabulary word's n-gram buckets (after the vocabulary or min_n/max_n/bucket change)."""
        self._rows = subwords.vocab_rows(self.index_to_key, self.min_n, self.max_n, self.bucket)

    @property
    def buckets_word(self) -> list[np.ndarray]:
        """gensim's per-word bucket lists (uint32), from the CSR."""
        offsets, rows = self.subword_rows()
        return [(rows[a + 1:b] - len(self)).astype(np.uint32) for a, b in zip(offsets[:-1].tolist(),
                                                                               offsets[1:].tolist())]

    def adjust_vectors(self) -> None:
        """vectors = (own row + n-gram rows) / (1 + n-grams) per vocabulary word (gensim's and fastText's)."""
        vocab, ngrams = np.shape(self.vectors_vocab), np.shape(self.vectors_ngrams)
        if len(vocab) != 2 or len(ngrams) != 2 or vocab[0] != len(self.index_to_key) or ngrams[0] != self.bucket \
                or ngrams[1] != vocab[1]:
            raise WordvecError(f"vectors_vocab {vocab} and vectors_ngrams {ngrams} do not fit {len(self)} words and "
                               f"{self.bucket} buckets of one dimension; give matrices of ({len(self)}, D) and "
                               f"({self.bucket}, D)")
        if self.bucket == 0:
            self.vectors = self.vectors_vocab
        else:
            self.recalc_char_ngram_buckets()
            rows_offsets, rows = self._rows
            own = np.zeros(len(rows), dtype=bool)
            own[rows_offsets[:-1]] = True
            offsets = rows_offsets - np.arange(len(rows_offsets))  # the same CSR without each word's own row
            self.vectors = mean_rows(offsets, rows[~own] - len(self), self.vectors_ngrams, base=self.vectors_vocab)
        self._invalidate()

    def _as_token(self, word: str) -> str:
        """An unseen word as the run's tokenizer makes it (its single token), so that 'Happpy' is hashed as the
        lower-cased words the buckets were trained on; the word itself without a tokenizer or a single token."""
        if self._tokenize is not None:
            tokens = self._tokenize(word)
            if len(tokens) == 1:
                return tokens[0]
        return word

    def _inferred(self, words: list[str]) -> np.ndarray:
        """The mean of each word's n-gram rows (zeros, with a warning, for a word without n-grams)."""
        words = [self._as_token(w) for w in words]
        offsets, ids = subwords.hash_ngrams(words, self.min_n, self.max_n, self.bucket)
        empty = np.flatnonzero(np.diff(offsets) == 0)
        if len(empty):
            logger.warning("could not extract any n-grams from %s (min_n=%d, max_n=%d); using the zero vector",
                           ", ".join(repr(words[i]) for i in empty[:5].tolist()), self.min_n, self.max_n)
        return mean_rows(offsets, ids, self.vectors_ngrams)

    def _unseen(self, key) -> bool:
        """A word whose vector is built from its n-grams."""
        return isinstance(key, str) and self.bucket > 0 and self._lookup(key) is None

    # --- lookups ----------------------------------------------------------------------------------------------
    def __contains__(self, key) -> bool:
        """True for any word when there are buckets (gensim: a vector can always be built)."""
        if self.bucket > 0 and isinstance(key, str):
            return True
        return self.has_index_for(key)

    def _has_ngrams(self, word: str) -> bool:
        return subwords.ngram_count(len(word), self.min_n, self.max_n) > 0

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        if not self._unseen(key):
            return super().get_vector(key, norm=norm)
        vec = self._inferred([key])[0]
        if norm:
            length = float(np.linalg.norm(vec))
            return vec / length if length > 0 else vec
        return vec

    def __getitem__(self, key_or_keys):
        if isinstance(key_or_keys, str) or isinstance(key_or_keys, Integral):
            return self.get_vector(key_or_keys)
        keys = list(key_or_keys)
        out = np.empty((len(keys), self.vector_size), dtype=np.float32)
        unseen = [j for j, k in enumerate(keys) if self._unseen(k)]
        seen = [j for j, k in enumerate(keys) if not self._unseen(k)]
        if seen:
            out[seen] = self.vectors[[self.get_index(keys[j]) for j in seen]]
        if unseen:
            out[unseen] = self._inferred([keys[j] for j in unseen])
        return out

    def _mean(self, terms, pre_normalize, ignore_missing, exclude=None):
        """Unseen words enter queries (most_similar, get_mean_vector, ...) as their n-gram vectors (gensim)."""
        out = []
        for item, w in terms:
            if self._unseen(item):
                if not self._has_ngrams(self._as_token(item)):
                    if ignore_missing:
                        continue
                    shortest = max(self.min_n, 1)
                    fix = (f"give a word of {max(1, shortest - 2)} or more characters" if self.max_n >= shortest
                           else "this model has no n-grams (max_n < min_n): only its vocabulary words have vectors")
                    raise UnknownWordError(f"{item!r} is not in the vocabulary and has no character n-grams of "
                                           f"{self.min_n}..{self.max_n} characters, so it has no vector; {fix}")
                item = self.get_vector(item, norm=pre_normalize)
            out.append((item, w))
        return super()._mean(out, pre_normalize, ignore_missing, exclude)

    def doesnt_match(self, words: Iterable):
        words = list(words)
        if self.bucket == 0 or not all(isinstance(w, str) for w in words) or not words:
            return super().doesnt_match(words)
        vecs = np.stack([self.get_vector(w, norm=True) for w in words])
        mean = vecs.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-30)
        return words[int(np.argmin(vecs @ mean))]

    def wmdistance(self, document1, document2, norm: bool = True) -> float:
        """Word Mover's Distance with unseen words through their n-grams (gensim keeps every word `in` the
        vectors; the plain KeyedVectors' version drops words without a row)."""
        if self.bucket == 0:
            return super().wmdistance(document1, document2, norm)
        words = [w for w in (*document1, *document2) if isinstance(w, str)]
        return self.vectors_for_all(words).wmdistance(document1, document2, norm)

    def most_similar_to_given(self, key1, keys_list):
        """The key of `keys_list` most similar to `key1`; unseen words through their n-grams (gensim)."""
        keys_list = list(keys_list)
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    def get_sentence_vector(self, sentence) -> np.ndarray:
        """The mean of the words' unit vectors (gensim's; unseen words through their n-grams)."""
        return self.get_mean_vector(sentence)

    def vectors_for_all(self, keys: Iterable, allow_inference: bool = True, copy_vecattrs: bool = False
                        ) -> KeyedVectors:
        """A plain KeyedVectors with a vector for each distinct key (first-seen order): vocabulary words, and with
        `allow_inference` unseen words from their n-grams; other keys are left out (gensim)."""
        wanted, seen = [], set()
        for key in keys:
            if key not in seen:
                seen.add(key)
                if key in self if allow_inference else self.has_index_for(key):
                    wanted.append(key)
        kv = KeyedVectors(wanted, self[wanted] if wanted else np.zeros((0, self.vector_size), np.float32))
        if copy_vecattrs:
            for name, arr in self.expandos.items():
                known = [k for k in wanted if self.has_index_for(k)]
                for k in known:
                    kv.set_vecattr(k, name, arr[self.get_index(k)])
        return kv

    # --- changes gensim makes through the composed vectors ------------------------------------------------------
    def add_vectors(self, keys, weights, extras=None, replace: bool = False) -> None:
        raise UnsupportedError("FastTextKeyedVectors' word vectors are composed from vectors_vocab and "
                               "vectors_ngrams; adding words needs training (wordvec.FastText's build_vocab(update=True)). Use "
                               "vectors_for_all(words) for a plain KeyedVectors you can extend")

    def add_vector(self, key, vector) -> int:
        self.add_vectors([key], vector)
        return -1

    def sort_by_descending_frequency(self) -> None:
        if self.counts is not None:
            self.vectors_vocab = self.vectors_vocab[np.argsort(-self.counts, kind="stable")]
        super().sort_by_descending_frequency()
        self.adjust_vectors()

    # --- files ------------------------------------------------------------------------------------------------
    def save(self, fname) -> Path:
        """One safetensors file (no pickle): vectors_vocab, vectors_ngrams, keys, attributes, min_n / max_n."""
        if not all(isinstance(k, str) for k in self.index_to_key):
            raise WordvecError("save: FastTextKeyedVectors keys must be words (str)")
        tensors = {"vectors_vocab": self.vectors_vocab, "vectors_ngrams": self.vectors_ngrams,
                   **keys_to_tensors(self.index_to_key)}
        for name, arr in self.expandos.items():
            if arr.dtype == object:
                raise WordvecError(f"save: attribute {name!r} holds Python objects; only numbers can be saved")
            tensors[f"attr.{name}"] = arr
        return save_state(fname, KIND, tensors, {"tokenizer": self.tokenizer, "min_n": self.min_n,
                                                 "max_n": self.max_n, "bucket": self.bucket})

    @classmethod
    def load(cls, fname, mmap: str | None = None) -> "FastTextKeyedVectors":
        """Read a file written by `save`; `mmap='r'` maps vectors_ngrams and vectors_vocab read-only. gensim's
        pickles are refused (unpickling runs code), with the conversion to make once."""
        if mmap not in (None, "r"):
            raise UnsupportedError(f"mmap must be None or 'r' (read-only), got {mmap!r}")
        refuse_pickle(Path(fname), "a gensim file", PICKLE_RECIPE)
        tensors, meta = load_tensors(fname, mmap=mmap, mapped=("vectors_vocab", "vectors_ngrams"))
        header = parse_header(fname, meta, (KIND,))
        verify_checksums(fname, tensors, header)
        try:
            min_n, max_n, bucket = (header[k] for k in ("min_n", "max_n", "bucket"))
            subwords.check_settings(min_n, max_n, bucket)  # ints as saved: 1.5 or true is damage, not a setting
            vocab, ngrams = tensors["vectors_vocab"], tensors["vectors_ngrams"]
            keys = keys_from_tensors(tensors, len(vocab), fname)
        except (KeyError, TypeError, ValueError) as e:
            reason = f" ({e})" if isinstance(e, WordvecError) else ""
            raise WordvecError(f"{fname}: not a complete FastTextKeyedVectors file{reason}; the file is damaged") \
                from None
        if vocab.ndim != 2 or ngrams.ndim != 2 or ngrams.shape != (bucket, vocab.shape[1]):
            raise WordvecError(f"{fname}: matrices of shape {vocab.shape} and {ngrams.shape} do not match bucket "
                               f"{bucket}; the file is damaged")
        for name, arr in (("vectors_vocab", vocab), ("vectors_ngrams", ngrams)):
            if not np.isfinite(arr).all():
                raise WordvecError(f"{fname}: {name} holds NaN or inf values; the file is damaged")
        kv = cls.from_arrays(keys, vocab, ngrams, min_n, max_n, tokenizer=header.get("tokenizer"))
        for name, arr in tensors.items():
            if name.startswith("attr."):
                if arr.shape != (len(keys),):
                    raise WordvecError(f"{fname}: {name} has shape {arr.shape}, expected ({len(keys)},)")
                kv.expandos[name[5:]] = np.array(arr)
        return kv


# ------------------------------------------------------------------------------------------------- models


class FastTextModel:
    """A fastText model as Facebook's .bin holds it: `wv`, the hyperparameters under gensim's names (and fastText's
    in `args`), the output matrix (`syn1neg` for negative sampling, `syn1` for hierarchical softmax) and the
    counts. It is not trained further (`train` raises; wordvec.FastText trains); the vectors answer every query."""

    def __init__(self, wv: FastTextKeyedVectors, args: dict, output: np.ndarray | None = None,
                 corpus_total_words: int = 0):
        self.wv = wv
        self.args = dict(args)
        self.vector_size = self.layer1_size = int(args["dim"])
        self.window, self.epochs, self.min_count = int(args["ws"]), int(args["epoch"]), int(args["minCount"])
        self.negative = int(args["neg"]) if args["loss"] == 2 else 0
        self.hs = int(args["loss"] == 1)
        self.sg = int(args["model"] == 2)
        self.sample = float(args["t"])
        self.word_ngrams, self.lr_update_rate = int(args["wordNgrams"]), int(args["lrUpdateRate"])
        self.bucket, self.min_n, self.max_n = int(args["bucket"]), int(args["minn"]), int(args["maxn"])
        self.corpus_total_words = int(corpus_total_words)
        self.syn1neg = output if self.negative else None
        self.syn1 = output if self.hs else None
        self.output = output

    def __repr__(self) -> str:
        return (f"FastTextModel<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"{'skip-gram' if self.sg else 'CBOW'}, {'hs' if self.hs else 'ns'}, bucket={self.bucket}>")

    @property
    def raw_vocab(self) -> dict:
        counts = self.wv.counts
        return dict(zip(self.wv.index_to_key, (counts if counts is not None else np.zeros(len(self.wv))).tolist()))

    @classmethod
    def from_facebook(cls, path, encoding: str = "utf-8", full_model: bool = True) -> "FastTextModel":
        try:  # a pickle is not a fastText file: the readers' error class, so callers catch one type
            refuse_pickle(Path(path), "a gensim FastText model", PICKLE_RECIPE)
        except WordvecError as e:
            raise fbformat.FastTextFileError(str(e)) from None
        try:
            fb = fbformat.read_model(path, encoding=encoding, full_model=full_model)
        except fbformat.FastTextFileError:
            other = _other_kind(Path(path))
            if other:
                raise fbformat.FastTextFileError(f"{path} is not a fastText .bin model: {other}") from None
            raise
        n = len(fb.words)
        try:
            wv = FastTextKeyedVectors.from_arrays(fb.words, fb.input[:n], fb.input[n:], fb.args["minn"],
                                                  fb.args["maxn"], counts=fb.counts)
        except WordvecError as e:  # e.g. maxn so large that a long word's n-grams cannot be hashed
            raise fbformat.FastTextFileError(f"{path}: {e}; the file is damaged or not one fastText wrote") from None
        logger.info("loaded %d words and %d buckets x %d from %s", n, wv.bucket, wv.vector_size, path)
        return cls(wv, fb.args, fb.output, fb.ntokens)

    def build_vocab(self, *args, **kwargs):
        raise UnsupportedError("a model read from a .bin answers queries (model.wv) and is saved with "
                               "save_facebook_model; to train subword vectors, use wordvec.FastText")

    train = build_vocab

    def save_facebook_model(self, path, encoding: str = "utf-8", lr_update_rate: int | None = None,
                            word_ngrams: int | None = None) -> Path:
        return save_facebook_model(self, path, encoding, lr_update_rate, word_ngrams)


def _other_kind(path: Path) -> str | None:
    """What a file that failed to read as fastText's .bin is instead, with the call that reads it (or None)."""
    kind = file_kind(path)
    return KIND_READERS[kind] if kind in KIND_READERS and kind != "fasttext" else None


def load_facebook_model(path, encoding: str = "utf-8") -> FastTextModel:
    """A fastText .bin model (plain or .gz): vectors, hyperparameters, output matrix and counts."""
    return FastTextModel.from_facebook(path, encoding=encoding, full_model=True)


def load_facebook_vectors(path, encoding: str = "utf-8") -> FastTextKeyedVectors:
    """The word and n-gram vectors of a fastText .bin model (its output matrix is skipped)."""
    return FastTextModel.from_facebook(path, encoding=encoding, full_model=False).wv


_DEFAULT_ARGS = {"ws": 5, "epoch": 5, "minCount": 5, "neg": 5, "wordNgrams": 1, "loss": 2, "model": 2,
                 "lrUpdateRate": 100, "t": 1e-4}


def _model_args(model, wv) -> dict:
    """fastText's args from a FastTextModel, a gensim FastText model, or vectors alone (fastText's defaults)."""
    if isinstance(model, FastTextModel):
        args = dict(model.args)
    elif hasattr(model, "wv"):  # gensim's FastText (duck-typed: gensim is not imported)
        hs = int(getattr(model, "hs", 0))
        args = {"ws": model.window, "epoch": model.epochs, "minCount": model.min_count, "neg": model.negative,
                "wordNgrams": 1, "loss": 1 if hs else 2, "model": 2 if model.sg else 1, "lrUpdateRate": 100,
                "t": model.sample}
    else:
        args = dict(_DEFAULT_ARGS)
    args.update(dim=wv.vector_size, bucket=wv.bucket, minn=wv.min_n, maxn=wv.max_n)
    return args


def save_facebook_model(model, path, encoding: str = "utf-8", lr_update_rate: int | None = None,
                        word_ngrams: int | None = None) -> Path:
    """Write a fastText .bin model that fastText and gensim load: from a `FastTextModel`, a
    `FastTextKeyedVectors` (fastText's default hyperparameters, a zero output matrix), or gensim's FastText /
    FastTextKeyedVectors (read through their attributes, so a gensim model converts in one call)."""
    wv = getattr(model, "wv", model)
    needed = ("vectors_vocab", "vectors_ngrams", "index_to_key", "min_n", "max_n", "bucket")
    if not all(hasattr(wv, a) for a in needed):
        raise WordvecError(f"save_facebook_model needs a subword (fastText) model or FastTextKeyedVectors, got "
                           f"{type(model).__name__}; word2vec vectors have no n-grams: write them with "
                           f"save_word2vec_format (a .vec file)")
    args = _model_args(model, wv)
    if lr_update_rate is not None:
        args["lrUpdateRate"] = int(lr_update_rate)
    if word_ngrams is not None:
        args["wordNgrams"] = int(word_ngrams)
    vocab, ngrams = np.asarray(wv.vectors_vocab, np.float32), np.asarray(wv.vectors_ngrams, np.float32)
    n = len(wv.index_to_key)
    output = getattr(model, "syn1neg", None)
    if output is None:
        output = getattr(model, "syn1", None)
    if output is not None:  # fastText's output matrix has one row per word (a syn1 one row short is padded)
        output = np.asarray(output, np.float32)[:n]
        if len(output) < n:
            output = np.concatenate([output, np.zeros((n - len(output), output.shape[1]), np.float32)])
    if getattr(wv, "expandos", None) is not None and "count" in wv.expandos:
        counts = np.asarray(wv.expandos["count"], np.int64)
    else:
        counts = np.zeros(n, dtype=np.int64)
    total = int(getattr(model, "corpus_total_words", 0) or counts.sum())
    fb = fbformat.FacebookModel(args, list(wv.index_to_key), counts, total, (vocab, ngrams), output)
    return fbformat.write_model(path, fb, encoding)


def save_facebook_vectors(wv, path) -> Path:
    """fastText's .vec text file: the vocabulary's composed vectors in the word2vec text format."""
    return KeyedVectors(list(wv.index_to_key), wv.vectors).save_word2vec_format(path, sort_attr=None)


__all__ = ["FastTextKeyedVectors", "FastTextModel", "load_facebook_model", "load_facebook_vectors",
           "save_facebook_model", "save_facebook_vectors", "mean_rows"]
