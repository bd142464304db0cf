"""Trained word vectors you can query: gensim's `KeyedVectors` names and semantics, vectorised for big vocabularies.

Queries are cosine similarities against a cached matrix of unit vectors. On large vocabularies (>= FAST_MIN_ROWS
rows) `most_similar` first scores every word against an int8 copy of that matrix (a quarter of the memory
traffic, which is what bounds a 1M x 300 scan on a CPU), then rescores the best few hundred exactly in float32
and checks a proven error bound; if the check fails it falls back to the exact full scan. Results are therefore
always those of the exact float32 computation.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from .errors import WordvecError

_VECTOR_CHOICES = ("input", "output", "mean")


class UnknownWordError(WordvecError, KeyError):
    """A query word outside the vocabulary: a WordvecError for the CLI, a KeyError for gensim-style code."""

    __str__ = Exception.__str__  # KeyError would quote the whole message


class KeyedVectors:
    """Words and their vectors (row i of `vectors` belongs to `index_to_key[i]`), with similarity queries.

    `tokenizer` ('lab' or 'simple', as in `wordvec.preprocess.get_tokenizer`) is the preprocessing the vectors
    were trained with; query words go through it, so 'running' finds the stem 'run' of a lab run.
    """

    FAST_MIN_ROWS = 200_000  # below this an exact float32 scan already takes a few ms
    SUGGEST_POOL = 50_000  # unknown-word suggestions come from this many most frequent words

    def __init__(self, index_to_key: list[str], vectors: np.ndarray, counts: np.ndarray | None = None,
                 tokenizer: str | None = None):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
            raise WordvecError(f"vectors must be a (words, dimension) matrix with one row per word; got shape "
                               f"{vectors.shape} for {len(index_to_key)} words")
        self.index_to_key: list[str] = list(index_to_key)
        self.key_to_index: dict[str, int] = {k: i for i, k in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            seen: set[str] = set()
            dup = next(k for k in self.index_to_key if k in seen or seen.add(k))
            raise WordvecError(f"word {dup!r} appears more than once; each word needs exactly one vector")
        self.vectors: np.ndarray = np.ascontiguousarray(vectors, dtype=np.float32)
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        if self.counts is not None and self.counts.shape != (len(self.index_to_key),):
            raise WordvecError(f"counts must have one entry per word ({len(self.index_to_key)}), "
                               f"got shape {self.counts.shape}")
        self.tokenizer = tokenizer
        self._tokenize = None
        if tokenizer is not None:
            from .preprocess import get_tokenizer

            try:
                self._tokenize = get_tokenizer(tokenizer)
            except ValueError as e:
                raise WordvecError(str(e)) from None
        self.norms: np.ndarray | None = None
        self._normed: torch.Tensor | None = None
        self._int8: tuple[torch.Tensor, torch.Tensor, float] | None = None
        self._fast_ok = True
        self._pool: tuple[np.ndarray, np.ndarray] | None = None

    # --- basics -----------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words x {self.vector_size})"

    @property
    def vector_size(self) -> int:
        return int(self.vectors.shape[1])

    def __contains__(self, word) -> bool:
        return isinstance(word, str) and self._lookup(word) is not None

    def __getitem__(self, words):
        if isinstance(words, str):
            return self.get_vector(words)
        return self.vectors[[self.get_index(w) for w in words]]

    def _lookup(self, word: str) -> int | None:
        """Index of a query word: its single token under the run's tokenizer, else the word as given."""
        if self._tokenize is not None:
            toks = self._tokenize(word)
            if len(toks) == 1 and toks[0] in self.key_to_index:
                return self.key_to_index[toks[0]]
        return self.key_to_index.get(word)

    def get_index(self, key: str, default: int | None = None) -> int:
        i = self._lookup(key) if isinstance(key, str) else None
        if i is not None:
            return i
        if default is not None:
            return default
        raise UnknownWordError(self._unknown_message(key))

    def most_frequent(self, n: int) -> np.ndarray:
        """Row ids of the `n` most frequent words (by counts, ties in row order; without counts, the first rows)."""
        n = max(0, min(int(n), len(self)))
        if self.counts is None:
            return np.arange(n)
        return np.argsort(-self.counts, kind="stable")[:n]

    def has_index_for(self, key: str) -> bool:
        return key in self

    def get_vector(self, key: str, norm: bool = False) -> np.ndarray:
        i = self.get_index(key)
        return self.get_normed_vectors()[i] if norm else self.vectors[i]

    # --- unknown words ----------------------------------------------------------------------------------------
    def _unknown_message(self, word) -> str:
        if not isinstance(word, str):
            return f"query items must be words (str) or vectors, got {type(word).__name__}"
        shown = word
        if self._tokenize is not None:
            toks = self._tokenize(word)
            if toks != [word]:
                shown = f"{word!r} (preprocessed: {' '.join(toks) or 'nothing'})"
        if not word.strip():
            return "empty query word"
        close = self.suggest(word)
        hint = f"; did you mean: {', '.join(close)}?" if close else "; no close spelling in the vocabulary"
        return f"{shown if shown != word else repr(word)} is not in the vocabulary ({len(self)} words){hint}"

    def suggest(self, word: str, n: int = 5) -> list[str]:
        """Close spellings among the most frequent words of similar length (fast on a 1M-word vocabulary)."""
        if self._pool is None:
            order = (np.argsort(-self.counts, kind="stable") if self.counts is not None
                     else np.arange(len(self)))[: self.SUGGEST_POOL]
            lengths = np.fromiter((len(self.index_to_key[i]) for i in order), dtype=np.int64, count=len(order))
            self._pool = (order, lengths)
        order, lengths = self._pool
        queries = [word]
        if self._tokenize is not None:
            queries += [t for t in self._tokenize(word) if t != word]
        found: list[str] = []
        for q in queries:
            near = order[np.abs(lengths - len(q)) <= max(2, len(q) // 3)]
            cands = [self.index_to_key[i] for i in near.tolist()]
            found += [c for c in difflib.get_close_matches(q, cands, n=n, cutoff=0.6) if c not in found]
        return found[:n]

    # --- normalised vectors -----------------------------------------------------------------------------------
    def fill_norms(self, force: bool = False) -> None:
        """Cache row norms and unit vectors (zero rows stay zero); every similarity query reads this cache."""
        if self._normed is not None and not force:
            return
        v = torch.from_numpy(self.vectors)
        norms = torch.linalg.vector_norm(v, dim=1)
        normed = torch.empty_like(v)
        step = 1 << 16  # chunks keep the temporary small on big matrices
        for a in range(0, v.shape[0], step):
            torch.div(v[a:a + step], norms[a:a + step].clamp_min(1e-30).unsqueeze(1), out=normed[a:a + step])
        self.norms = norms.numpy()
        self._normed = normed
        self._int8 = None

    def get_normed_vectors(self) -> np.ndarray:
        self.fill_norms()
        return self._normed.numpy()

    def _int8_cache(self):
        """Per-row int8 copy of the unit vectors, bf16 scales, and the worst per-element rounding error."""
        if self._int8 is None:
            n = self._normed
            scale = (n.abs().amax(dim=1) / 127.0).clamp_min(1e-12)
            q = torch.empty(n.shape, dtype=torch.int8)
            step = 1 << 16
            for a in range(0, n.shape[0], step):
                q[a:a + step] = torch.round(n[a:a + step] / scale[a:a + step, None]).to(torch.int8)
            self._int8 = (q, scale.to(torch.bfloat16), float(scale.max()) / 2)
        return self._int8

    # --- nearest neighbours -----------------------------------------------------------------------------------
    def _vec_or_index(self, item):
        if isinstance(item, str):
            return None, self.get_index(item)
        if isinstance(item, (np.ndarray, torch.Tensor)):
            vec = np.asarray(item.detach().cpu() if isinstance(item, torch.Tensor) else item, dtype=np.float32)
            if vec.shape != (self.vector_size,):
                raise WordvecError(f"query vectors must have shape ({self.vector_size},), got {vec.shape}")
            return vec, None
        raise UnknownWordError(self._unknown_message(item))

    def _terms(self, positive, negative):
        """(vectors, weights, indices of query words): gensim's accepted forms, word or (word, weight) or vector."""
        def as_list(x):
            if x is None:
                return []
            if isinstance(x, (str, np.ndarray, torch.Tensor)):
                return [x]
            return list(x)

        terms = [(p, 1.0) for p in as_list(positive)] + [(n, -1.0) for n in as_list(negative)]
        if not terms:
            raise WordvecError("give at least one positive or negative word")
        normed = self.get_normed_vectors()
        vecs, weights, used = [], [], []
        for item, w in terms:
            if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[1], str):
                item, w = item[0], float(item[1]) * (1 if w > 0 else -1)
            vec, i = self._vec_or_index(item)
            if i is not None:
                used.append(i)
                vec = normed[i]
            vecs.append(vec)
            weights.append(w)
        return np.stack(vecs), np.asarray(weights, dtype=np.float32), used

    def _limit(self, restrict_vocab: int | None) -> int:
        return len(self) if restrict_vocab is None else max(0, min(int(restrict_vocab), len(self)))

    def _select(self, scores: torch.Tensor, topn: int, exclude: Sequence[int]):
        """Best `topn` of a score vector, skipping `exclude`, as [(word, score)]."""
        k = min(topn + len(exclude), scores.shape[0])
        vals, idx = torch.topk(scores, k)
        return self._pairs(vals, idx, topn, exclude)

    def _pairs(self, vals, idx, topn, exclude):
        ex = set(exclude)
        out = [(self.index_to_key[i], float(s)) for s, i in zip(vals.tolist(), idx.tolist()) if i not in ex]
        return out[:topn]

    def most_similar(self, positive=None, negative=None, topn: int | None = 10, restrict_vocab: int | None = None):
        """Words nearest to mean(positive) - mean(negative) of unit vectors (3CosAdd), query words excluded.

        `topn=None` returns the whole score array (gensim's convention).
        """
        vecs, weights, used = self._terms(positive, negative)
        mean = weights @ vecs / np.abs(weights).sum()
        norm = float(np.linalg.norm(mean))
        if norm == 0.0:
            raise WordvecError("the query vector is zero (the positive and negative words cancel out)")
        q = torch.from_numpy((mean / norm).astype(np.float32))
        n = self._limit(restrict_vocab)
        if topn is None:
            return torch.mv(self._normed[:n], q).numpy()
        if topn <= 0 or n == 0:
            return []
        k = min(topn + len(used), n)
        if n >= self.FAST_MIN_ROWS and self._fast_ok:
            hit = self._fast_topk(q, k, n)
            if hit is not None:
                return self._pairs(hit[0], hit[1], topn, used)
        return self._select(torch.mv(self._normed[:n], q), topn, used)

    def _fast_topk(self, q: torch.Tensor, k: int, n: int):
        """Exact top-k of normed[:n] @ q via an int8 pre-scan; None when the error bound cannot prove it."""
        try:
            w8, scale, half_step = self._int8_cache()
            qb = q.to(torch.bfloat16)
            coarse = torch._weight_int8pack_mm(qb.unsqueeze(0), w8[:n], scale[:n])[0].float()  # bf16 topk is unreliable
        except (RuntimeError, AttributeError, NotImplementedError):  # op missing on this build/CPU: exact scan
            self._fast_ok = False
            return None
        c = min(n - 1, k + max(k, 256))
        cvals, cand = torch.topk(coarse, c + 1)
        threshold = float(cvals[c])  # best coarse score among the words not rescored
        cand = cand[:c]
        exact = self._normed[cand] @ q
        vals, order = torch.topk(exact, k)
        # |coarse - exact| <= weight rounding + query rounding + bf16 scale/output rounding + fp32 summation
        eps = (float(q.abs().sum()) * half_step + float(torch.linalg.vector_norm(q - qb.float())) * 1.05
               + 2 * 2.0 ** -8 + 1e-3)
        if float(vals[-1]) < threshold + eps:
            return None
        return vals, cand[order]

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None):
        """3CosMul (Levy & Goldberg): prod((1+cos)/2 of positives) / (prod((1+cos)/2 of negatives) + 1e-6)."""
        vecs, weights, used = self._terms(positive, negative)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs = vecs / np.where(norms == 0, 1, norms)
        n = self._limit(restrict_vocab)
        sims = (1 + self._normed[:n] @ torch.from_numpy(vecs.T.copy())) / 2  # (n, terms)
        pos = torch.from_numpy(weights > 0)
        scores = sims[:, pos].prod(dim=1) / (sims[:, ~pos].prod(dim=1) + 1e-6)
        if topn is None:
            return scores.numpy()
        if topn <= 0 or n == 0:
            return []
        return self._select(scores, topn, used)

    def similar_by_vector(self, vector, topn: int = 10, restrict_vocab: int | None = None):
        return self.most_similar(positive=[np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word: str, topn: int = 10, restrict_vocab: int | None = None):
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    # --- pairwise ---------------------------------------------------------------------------------------------
    def similarity(self, w1: str, w2: str) -> float:
        return float(self.get_vector(w1, norm=True) @ self.get_vector(w2, norm=True))

    def distance(self, w1: str, w2: str) -> float:
        return 1.0 - self.similarity(w1, w2)

    def _mean_unit(self, words: Iterable[str]) -> np.ndarray:
        words = list(words)
        if not words:
            raise WordvecError("the word list is empty")
        m = self.get_normed_vectors()[[self.get_index(w) for w in words]].mean(axis=0)
        return m / max(float(np.linalg.norm(m)), 1e-30)

    def n_similarity(self, ws1: Iterable[str], ws2: Iterable[str]) -> float:
        """Cosine between the means of two word sets (gensim's definition)."""
        return float(self._mean_unit(ws1) @ self._mean_unit(ws2))

    def doesnt_match(self, words: Iterable[str]) -> str:
        """The word farthest from the mean of all of them (every word must be known)."""
        words = list(words)
        if len(words) < 2:
            raise WordvecError("doesnt_match needs at least two words")
        idx = [self.get_index(w) for w in words]
        vecs = self.get_normed_vectors()[idx]
        mean = vecs.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-30)
        return words[int(np.argmin(vecs @ mean))]

    # --- files ------------------------------------------------------------------------------------------------
    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike, binary: bool = False) -> "KeyedVectors":
        from .export import load_word2vec_format  # export builds on this module, not the reverse

        return load_word2vec_format(path, binary=binary)

    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = False) -> Path:
        from .export import save_word2vec_format

        return save_word2vec_format(path, self.index_to_key, self.vectors, binary=binary)

    @classmethod
    def load_run(cls, run_dir: str | os.PathLike, which: str | None = None) -> "KeyedVectors":
        """Vectors of a training run: `vectors.txt` (which=None) or input/output/mean from model.safetensors."""
        from .vocab import Vocab

        run = Path(run_dir)
        fix = f"run `wordvec train --out {run}` first"
        if not run.is_dir():
            raise WordvecError(f"{run}: no such run directory; {fix}")
        metrics_path = run / "metrics.json"
        if not metrics_path.is_file():
            raise WordvecError(f"{metrics_path} is missing, so {run} is not a finished wordvec run; {fix}")
        try:
            cfg = json.loads(metrics_path.read_text(encoding="utf-8")).get("config", {}) or {}
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as e:
            raise WordvecError(f"{metrics_path} is not valid JSON ({e}); {fix}") from None
        vocab_path = run / "vocab.txt"
        if not vocab_path.is_file():
            raise WordvecError(f"{vocab_path} is missing; {fix}")
        vocab = Vocab.load(vocab_path)
        tokenizer = cfg.get("tokenizer")
        if which is None:
            vec_path = run / "vectors.txt"
            if not vec_path.is_file():
                raise WordvecError(f"{vec_path} is missing; {fix}")
            kv = cls.load_word2vec_format(vec_path)
            if kv.index_to_key == vocab.id2tok:
                counts = vocab.counts
            else:
                counts = np.array([vocab.counts[vocab.tok2id[k]] if k in vocab.tok2id else 0
                                   for k in kv.index_to_key], dtype=np.int64)
            return cls(kv.index_to_key, kv.vectors, counts, tokenizer)
        if which not in _VECTOR_CHOICES:
            raise WordvecError(f"which must be one of {', '.join(_VECTOR_CHOICES)}, got {which!r}")
        model_path = run / "model.safetensors"
        if not model_path.is_file():
            raise WordvecError(f"{model_path} is missing; {fix}")
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            tensors = load_file(str(model_path))
        except (SafetensorError, OSError) as e:
            raise WordvecError(f"{model_path} is not a readable safetensors file ({e}); {fix}") from None
        need = {"input": ["embed.weight"], "output": ["expand.weight"],
                "mean": ["embed.weight", "expand.weight"]}[which]
        missing = [t for t in need if t not in tensors]
        if missing:
            raise WordvecError(f"{model_path} has no {', '.join(missing)} tensor, so there are no {which} vectors "
                               f"(hierarchical-softmax runs have no output vectors); use --vectors input")
        mats = [tensors[t].float() for t in need]
        vecs = (mats[0] if len(mats) == 1 else (mats[0] + mats[1]) / 2).numpy()
        if vecs.shape[0] != len(vocab):
            raise WordvecError(f"{model_path} has {vecs.shape[0]} rows but {vocab_path} has {len(vocab)} words; "
                               f"the run directory is inconsistent; {fix}")
        return cls(vocab.id2tok, vecs, vocab.counts, tokenizer)


def resolve_keys(kv: "KeyedVectors", words: Sequence[str], case_insensitive: bool = True,
                 restrict_vocab: int | None = None) -> np.ndarray:
    """Row ids of `words` (-1 where unknown or not among the `restrict_vocab` most frequent words), looked up the
    way the run was trained: lower-cased, then through the kv's tokenizer when it has one."""
    allowed = None
    if restrict_vocab is not None and restrict_vocab < len(kv):
        allowed = np.zeros(len(kv), dtype=bool)
        allowed[kv.most_frequent(restrict_vocab)] = True
    memo: dict[str, int] = {}
    out = np.full(len(words), -1, dtype=np.int64)
    for i, word in enumerate(words):  # over the query words, not the vocabulary
        idx = memo.get(word)
        if idx is None:
            w = word.lower() if case_insensitive else word
            idx = kv.get_index(w, default=-1)  # KeyedVectors' own lookup: the single token, else the word
            if idx >= 0 and allowed is not None and not allowed[idx]:
                idx = -1
            memo[word] = idx
        out[i] = idx
    return out


__all__ = ["KeyedVectors", "UnknownWordError", "resolve_keys"]
