"""Fabricated inputs shared by several test files."""

from __future__ import annotations

import json

from wordvec.vectors import save_word2vec_format


def make_run(tmp, words, embed, expand=None, vectors="input", tokenizer="simple"):
    """A run directory as the training pipeline writes it."""
    from safetensors.numpy import save_file

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "metrics.json").write_text(json.dumps({"config": {"tokenizer": tokenizer, "vectors": vectors}}))
    (tmp / "vocab.txt").write_text("".join(f"{w}\t{100 - i}\n" for i, w in enumerate(words)))
    chosen = {"input": embed, "output": expand, "mean": None if expand is None else (embed + expand) / 2}[vectors]
    save_word2vec_format(tmp / "vectors.txt", words, chosen)
    tensors = {"embed.weight": embed} if expand is None else {"embed.weight": embed, "expand.weight": expand}
    save_file(tensors, str(tmp / "model.safetensors"))
    return tmp
