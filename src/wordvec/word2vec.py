"""A gensim-style front door: `Word2Vec(sentences, vector_size=..., sg=..., hs=..., negative=...)` and `.wv`.

Parameter names and meanings follow gensim's Word2Vec, so code written against it ports by changing the import;
the training itself is `wordvec.engine.train_word2vec`. Only the mean CBOW (`cbow_mean=1`) is implemented.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .config import Config
from .errors import WordvecError
from .vocab import Vocab, build_and_encode


class Word2Vec:
    """Build the vocabulary from `sentences` (an iterable of token lists, read once) or `corpus_file` (one
    whitespace-tokenised sentence per line) and train at once; `.wv` holds the word vectors (KeyedVectors),
    `.vocab` the Vocab, `.train_result` the TrainResult (losses, timing, counts).

    `workers` is the number of CPU threads; `device` 'auto' uses CUDA when available (torch engine), else the
    compiled CPU engine. `hs=1` trains hierarchical softmax instead of negative sampling (`negative` is then
    ignored; gensim would train both heads at once, which is rarely wanted).
    """

    def __init__(self, sentences: Iterable[Sequence[str]] | None = None, corpus_file: str | None = None,
                 vector_size: int = 100, window: int = 5, min_count: int = 5, max_vocab_size: int | None = None,
                 sample: float = 1e-3, seed: int = 1, workers: int = 2, sg: int = 0, hs: int = 0,
                 negative: int = 5, ns_exponent: float = 0.75, cbow_mean: int = 1, alpha: float = 0.025,
                 min_alpha: float = 0.0001, epochs: int = 5, device: str = "auto", batch_size: int = 4096,
                 backend: str = "auto", progress: bool = False):
        if cbow_mean != 1:
            raise WordvecError("only cbow_mean=1 (the mean of the context vectors) is supported")
        if sentences is not None and corpus_file is not None:
            raise WordvecError("give either sentences or corpus_file, not both")
        if not hs and negative < 1:
            raise WordvecError(f"negative sampling needs negative >= 1 (got {negative}); or set hs=1")
        self.config = Config(
            model="skipgram" if sg else "cbow", loss="hs" if hs else "ns", vector_size=vector_size, window=window,
            negative=negative, ns_exponent=ns_exponent, sample=sample, reduced_window=True, epochs=epochs,
            optimizer="sgd", lr=alpha, min_lr=min_alpha, seed=seed, device=device, threads=workers,
            backend=backend, batch_size=batch_size, min_count=min_count, max_vocab_size=max_vocab_size,
            tokenizer="simple", progress=progress,
        ).validate()
        self.vocab: Vocab | None = None
        self.wv = None
        self.train_result = None
        if corpus_file is not None:
            sentences = _LineSentences(corpus_file)
        if sentences is not None:
            self.build_and_train(sentences)

    def build_and_train(self, sentences: Iterable[Sequence[str]]) -> "Word2Vec":
        """Count and encode the corpus in one pass, then train (gensim's build_vocab + train)."""
        from .engine import train_word2vec
        from .vectors import KeyedVectors

        if isinstance(sentences, (str, bytes)):
            raise WordvecError("sentences must be an iterable of token lists, not one string")
        self.vocab, encoded = build_and_encode(sentences, self.config.min_count, self.config.max_vocab_size)
        self.train_result = train_word2vec(self.config, self.vocab, encoded, progress=self.config.progress)
        self.wv = KeyedVectors(list(self.vocab.id2tok), self.train_result.input_vectors, counts=self.vocab.counts,
                               tokenizer=None)
        return self


class _LineSentences:
    """Re-iterable whitespace-split lines of a UTF-8 file."""

    def __init__(self, path: str):
        self.path = path

    def __iter__(self):
        try:
            f = open(self.path, encoding="utf-8")
        except OSError as e:
            raise WordvecError(f"cannot read corpus_file {self.path}: {e.strerror}") from None
        with f:
            for line in f:
                yield line.split()


__all__ = ["Word2Vec"]
