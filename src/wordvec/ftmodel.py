"""gensim 4's `FastText`: Word2Vec's lifecycle (build_vocab, train, continued training, callbacks, save / load)
training fastText's subword input. One matrix, syn0, holds one row per vocabulary word then `bucket` rows shared
by the character n-grams (`wordvec.subwords`); the CPU kernels read a word's input as the mean of its rows and add
the gradient to each (`sub_offsets` / `sub_rows` of `kernel_args`). `wv` is a `FastTextKeyedVectors` whose
`vectors_vocab` and `vectors_ngrams` are views of syn0 (trained in place) and whose `vectors` (the composed word
vectors) are recomputed after every train() call, as gensim does. Everything else is Word2Vec's.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from . import subwords
from .config import FASTTEXT
from .errors import WordvecError
from .fasttext import FastTextKeyedVectors, save_facebook_model
from .vectors import UnsupportedError
from .word2vec import _PARAMS, Word2Vec

log = logging.getLogger("wordvec")


def _check_wv(wv) -> None:
    if not isinstance(wv, FastTextKeyedVectors):  # gensim users assign model.wv
        raise WordvecError(f"model.wv is a {type(wv).__name__}, but a FastText model trains and saves the word and "
                           f"n-gram rows of a FastTextKeyedVectors; change model.wv's matrices in place instead")


class FastText(Word2Vec):
    """Train fastText's subword vectors as gensim 4's `FastText` does; `wv[word]` works for any word.

    Parameters are gensim's (`min_n`, `max_n`: the character n-gram lengths; `bucket`: the hash buckets shared by
    the n-grams; `max_n=0`: no n-grams, word2vec with fastText's files), in gensim's order, with Word2Vec's
    keyword-only extras (`shared_negatives`, `progress`, `device`, `backend`). `word_ngrams` is kept as gensim
    keeps it (only 1 is trained, by gensim too). Training runs on the CPU kernels (backend 'hogwild').
    `shared_negatives` is off here (negatives per pair, as fastText): True scores one noise draw per skip-gram
    window, faster, with neighbours further from fastText's (README, "Subword vectors")."""

    _PARAMS = _PARAMS + ("min_n", "max_n", "bucket", "word_ngrams")

    def __init__(self, sentences=None, corpus_file=None, sg=0, hs=0, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, word_ngrams=1, sample=1e-3, seed=1, workers=3, min_alpha=0.0001,
                 negative=5, ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0, min_n=3, max_n=6,
                 sorted_vocab=1, bucket=2000000, trim_rule=None, batch_words=10000, callbacks=(),
                 max_final_vocab=None, shrink_windows=True, *, compute_loss=False, comment=None, device="cpu",
                 backend="auto", shared_negatives=False, progress=False):
        subwords.check_settings(min_n, max_n, bucket)
        self.min_n, self.max_n, self.word_ngrams = int(min_n), int(max_n), int(word_ngrams)
        self.bucket = 0 if (self.word_ngrams <= 1 and self.max_n == 0) else int(bucket)  # gensim's rule
        super().__init__(sentences, corpus_file, vector_size=vector_size, alpha=alpha, window=window,
                         min_count=min_count, max_vocab_size=max_vocab_size, sample=sample, seed=seed,
                         workers=workers, min_alpha=min_alpha, sg=sg, hs=hs, negative=negative,
                         ns_exponent=ns_exponent, cbow_mean=cbow_mean, hashfxn=hashfxn, epochs=epochs,
                         null_word=null_word, trim_rule=trim_rule, sorted_vocab=sorted_vocab, batch_words=batch_words,
                         compute_loss=compute_loss, callbacks=callbacks, comment=comment,
                         max_final_vocab=max_final_vocab, shrink_windows=shrink_windows, device=device,
                         backend=backend, shared_negatives=shared_negatives, progress=progress)
        if not isinstance(self.wv, FastTextKeyedVectors):  # no corpus yet: gensim's empty vectors
            self.wv = FastTextKeyedVectors(vector_size, self.min_n, self.max_n, self.bucket)

    def __str__(self) -> str:
        return (f"{type(self).__name__}<vocab={len(self.wv)}, vector_size={self.vector_size}, alpha={self.alpha}, "
                f"min_n={self.min_n}, max_n={self.max_n}, bucket={self.bucket}>")

    # --- Word2Vec's hooks -----------------------------------------------------------------------------------------
    def _same_ngrams(self) -> None:
        """Training on, or adding words to, rows hashed with other n-gram settings would mix two hashings."""
        wv = self.wv
        if self._weights is not None:
            _check_wv(wv)
            now, made = (self.min_n, self.max_n, self.bucket), (wv.min_n, wv.max_n, wv.bucket)
            if now != made:
                raise WordvecError(f"(min_n, max_n, bucket) are fixed once the vocabulary is built: its n-gram rows "
                                   f"were made for {made}, the model now says {now}; set them back, or "
                                   f"build_vocab without update=True for fresh rows with the new n-grams")

    def _merge_vocab(self, *args, **kwargs):
        self._same_ngrams()
        return super()._merge_vocab(*args, **kwargs)

    def _subword_settings(self) -> dict:
        return {"subwords": True, "min_n": max(1, self.min_n), "max_n": self.max_n, "bucket": self.bucket,
                "batch_size": FASTTEXT.batch_size}  # the torch engine's step (`wordvec.engine_torch`)

    def _extra_rows(self) -> int:
        return self.bucket

    def _wrap_vectors(self) -> None:
        """`wv` over views of syn0: vectors_vocab its first V rows, vectors_ngrams the bucket rows."""
        v, syn0 = len(self._vocab), self._weights.syn0
        self.wv = FastTextKeyedVectors.from_arrays(self._vocab.id2tok, syn0[:v], syn0[v:], self.min_n, self.max_n,
                                                   counts=self._vocab.counts)
        self.wv.bucket = self.bucket

    def _grow_input(self, vocab, n_old: int, rows: np.ndarray) -> None:
        """New words' rows go between the old words' and the buckets (which keep what they learnt)."""
        syn0 = self._synced().syn0
        self._weights.syn0 = np.concatenate([syn0[:n_old], rows, syn0[n_old:]])
        self._vocab = vocab
        self._wrap_vectors()

    def _synced(self):
        """The model's matrices; vectors_vocab / vectors_ngrams replaced by the user (same shapes) are copied in."""
        w = self._weights
        v = len(self._vocab)
        _check_wv(self.wv)
        for part, rows in ((self.wv.vectors_vocab, slice(0, v)), (self.wv.vectors_ngrams, slice(v, None))):
            target = w.syn0[rows]
            if not np.shares_memory(part, target) or part.shape != target.shape:
                if part.shape != target.shape:
                    raise WordvecError(f"model.wv has a matrix of shape {part.shape}, but the model needs "
                                       f"{target.shape}; change the vectors in place")
                target[...] = part
        return w

    def _weights_for(self, config):
        composed = self.wv.vectors
        w = super()._weights_for(config)  # may copy syn0 into memory (mmap) and point wv.vectors at it
        self.wv.vectors = composed
        v = len(self._vocab)
        self.wv.vectors_vocab, self.wv.vectors_ngrams = w.syn0[:v], w.syn0[v:]
        return w

    def _train(self, *args, **kwargs):
        self._same_ngrams()
        try:
            return super()._train(*args, **kwargs)
        finally:
            if self._weights is not None and self._vocab is not None:
                self.wv.adjust_vectors()  # the composed vectors, after every call (gensim)

    def init_weights(self) -> None:
        super().init_weights()
        self._wrap_vectors()
        self._tree_attrs()

    def estimate_memory(self, vocab_size=None, report=None) -> dict:
        report = dict(report or {})
        report["buckets_word"] = 0
        report["vectors_ngrams"] = int(self.bucket) * int(self.vector_size) * 4
        report["vectors_vocab"] = int(vocab_size or len(self.wv)) * int(self.vector_size) * 4
        return super().estimate_memory(vocab_size, report)

    def predict_output_word(self, context_words_list, topn=10):
        raise UnsupportedError("FastText has no predict_output_word (gensim's neither); use a Word2Vec model")

    def score(self, *args, **kwargs):
        raise UnsupportedError("FastText has no score (gensim's neither); use a Word2Vec model with hs=1")

    def save_facebook_model(self, path, encoding: str = "utf-8") -> Path:
        """fastText's .bin (gensim's `save_facebook_model(model, path)`)."""
        return save_facebook_model(self, path, encoding)


__all__ = ["FastText"]
