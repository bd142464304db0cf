"""A gensim 4 tutorial-style script (simple_preprocess -> Phrases -> Word2Vec -> save/load -> queries -> word2vec
format), run under gensim and, after `sed 's/gensim/wordvec/g'`, under wordvec: the same phrases, the same
transformed corpus, the same vocabulary, neighbours that overlap; and gensim's module paths import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("gensim")

TWEETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tweets_hate_speech_detection" / "train.csv"

SCRIPT = textwrap.dedent('''
    import csv, json, sys
    from gensim.models import Word2Vec, KeyedVectors
    from gensim.models.phrases import Phrases, Phraser, ENGLISH_CONNECTOR_WORDS
    from gensim.models.word2vec import LineSentence
    from gensim.models.callbacks import CallbackAny2Vec
    from gensim.utils import simple_preprocess
    from gensim.test.utils import common_texts, get_tmpfile

    class EpochCount(CallbackAny2Vec):
        def __init__(self):
            self.epochs = 0
        def on_epoch_end(self, model):
            self.epochs += 1

    tweets, tmp = sys.argv[1], sys.argv[2]
    with open(tweets, encoding="utf-8", newline="") as f:
        docs = [simple_preprocess(row["tweet"]) for row in csv.DictReader(f)]
    phrases = Phrases(docs, min_count=5, threshold=10, connector_words=ENGLISH_CONNECTOR_WORDS)
    bigram = Phraser(phrases)
    corpus = [bigram[d] for d in docs]
    with open(tmp + "/corpus.txt", "w", encoding="utf-8") as f:
        f.writelines(" ".join(d) + "\\n" for d in corpus)
    counter = EpochCount()
    model = Word2Vec(LineSentence(tmp + "/corpus.txt"), vector_size=50, window=5, min_count=5, workers=1, epochs=5,
                     seed=3, sg=1, callbacks=[counter])
    path = get_tmpfile("tweets.model")
    model.save(path)
    model = Word2Vec.load(path)
    model.wv.save_word2vec_format(tmp + "/vectors.txt")
    kv = KeyedVectors.load_word2vec_format(tmp + "/vectors.txt")
    toy = Word2Vec(common_texts, vector_size=10, min_count=1, workers=1, seed=1)
    print(json.dumps({
        "phrases": sorted(phrases.export_phrases()), "frozen": len(bigram.phrasegrams),
        "corpus": corpus[:3000], "vocab": model.wv.index_to_key, "epochs": counter.epochs,
        "neighbours": {w: [x for x, _ in kv.most_similar(w, topn=20)] for w in ["love", "happy", "father", "day"]},
        "similar_pair": float(kv.similarity("happy", "smile")), "toy_vocab": toy.wv.index_to_key,
        "read_back": len(kv) == len(model.wv),
    }))
''')


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    if not TWEETS.is_file():
        pytest.skip("the tweets are not in ../shared")
    tmp = tmp_path_factory.mktemp("paths")
    ours = subprocess.run(["sed", "s/gensim/wordvec/g"], input=SCRIPT, capture_output=True, text=True,
                          check=True).stdout
    assert "gensim" not in ours and ours.count("wordvec") == SCRIPT.count("gensim") > 5
    results = []
    for name, script in (("wordvec", ours), ("gensim", SCRIPT)):
        folder = tmp / name
        folder.mkdir()
        (folder / "script.py").write_text(script)
        out = subprocess.run([sys.executable, str(folder / "script.py"), str(TWEETS), str(folder)],
                             capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stderr[-3000:]
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def test_the_same_phrases_and_corpus(both):
    ours, theirs = both
    assert ours["phrases"] == theirs["phrases"] and len(ours["phrases"]) > 1000
    assert ours["frozen"] == theirs["frozen"]
    assert ours["corpus"] == theirs["corpus"]
    assert any("_" in w for d in ours["corpus"] for w in d)


def test_the_same_vocabulary_and_callbacks(both):
    ours, theirs = both
    assert ours["vocab"] == theirs["vocab"] and any("_" in w for w in ours["vocab"])
    assert ours["toy_vocab"] == theirs["toy_vocab"]
    assert ours["epochs"] == theirs["epochs"] == 5
    assert ours["read_back"] and theirs["read_back"]


def test_neighbours_overlap(both):
    ours, theirs = both
    # different random streams: compare with the overlap of two gensim runs' top-20s on this corpus (a few words)
    shared = [len(set(ours["neighbours"][w]) & set(theirs["neighbours"][w])) for w in ours["neighbours"]]
    assert sum(shared) >= 8, (shared, ours["neighbours"], theirs["neighbours"])
    assert abs(ours["similar_pair"] - theirs["similar_pair"]) < 0.35


def test_gensims_module_paths_import():
    import wordvec.models as models
    from wordvec.models.keyedvectors import KeyedVectors
    from wordvec.models.phrases import FrozenPhrases, Phrases
    from wordvec.models.word2vec import LineSentence, Word2Vec
    from wordvec.network import SoftmaxWord2Vec  # the lab's network, under its own name
    from wordvec.phrases import Phrases as Impl
    from wordvec.test.utils import common_texts, datapath
    from wordvec.utils import deaccent, simple_preprocess, tokenize

    assert models.Word2Vec is Word2Vec and models.KeyedVectors is KeyedVectors and models.Phrases is Phrases is Impl
    assert models.Phraser is FrozenPhrases and models.LineSentence is LineSentence
    assert len(common_texts) == 9 and Path(datapath("lee.cor")).is_file()
    assert simple_preprocess("Ça va? OK!", deacc=True) == ["ca", "va", "ok"] and deaccent("é") == "e"
    assert list(tokenize("a1b")) == ["a", "b"] and SoftmaxWord2Vec.__module__ == "wordvec.network"
    with pytest.raises(AttributeError, match="Doc2Vec"):
        models.Doc2Vec  # noqa: B018


def test_the_fasttext_path_reads_facebook_files_and_trains():
    """`gensim.models.fasttext`'s readers and its trainer, `FastText`, at its path."""
    import wordvec.fasttext as owner
    from wordvec.models import FastTextKeyedVectors
    from wordvec.models.fasttext import load_facebook_model, load_facebook_vectors, save_facebook_model

    assert (load_facebook_model, load_facebook_vectors, save_facebook_model, FastTextKeyedVectors) == (
        owner.load_facebook_model, owner.load_facebook_vectors, owner.save_facebook_model, owner.FastTextKeyedVectors)
    from wordvec.ftmodel import FastText as trainer
    from wordvec.models import FastText
    from wordvec.models.fasttext import FastText as at_path

    assert FastText is at_path is trainer
