"""One table of the kernels' arguments (`kernel_args.ARGS`): the C extension's keyword list, the numba loops and
entry points, and the docs all follow it, and a call by keyword is the same as one by position."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from wordvec import kernel_args, kernels
from wordvec.kernel_args import ARGS, NAMES, bind


def test_the_c_keyword_list_is_the_table():
    c = pytest.importorskip("wordvec._kernels")
    assert c.ARGS == NAMES
    for fn in (c.train_skipgram, c.train_cbow):
        assert tuple(inspect.signature(fn).parameters) == NAMES


def test_the_numba_loops_and_entry_points_are_the_table():
    pytest.importorskip("numba")
    from wordvec import kernels_numba

    for loop in (kernels_numba._train_skipgram, kernels_numba._train_cbow):
        assert tuple(inspect.signature(loop.py_func).parameters) == NAMES
    for fn in (kernels_numba.train_skipgram, kernels_numba.train_cbow):
        assert tuple(inspect.signature(fn).parameters) == NAMES
    assert {k: (np.dtype(a.kind), a.ndim) for k, a in ((a.name, a) for a in kernel_args.ARRAYS)} == {
        k: (np.dtype(d), n) for k, (d, n, _) in kernels_numba._ARRAYS.items()}


def test_the_docs_list_every_argument():
    for a in ARGS:
        assert f"  {a.name} " in kernels.__doc__


def test_bind_names_every_mistake():
    values = list(range(len(NAMES)))
    assert list(bind("f", tuple(values[:3]), dict(zip(NAMES[3:], values[3:]))).values()) == values
    with pytest.raises(TypeError, match="unexpected keyword argument 'lock'"):
        bind("f", (), {"lock": 1})
    with pytest.raises(TypeError, match="multiple values for argument 'ids'"):
        bind("f", (1,), {"ids": 1})
    with pytest.raises(TypeError, match="missing required arguments: 'seed', 'shared_negatives', 'cbow_mean'"):
        bind("f", tuple(values[:-6]), {})
    with pytest.raises(TypeError, match=f"at most {len(NAMES)} arguments"):
        bind("f", tuple(range(len(NAMES) + 1)), {})


def test_an_optional_row_fills_its_default():
    """The optional arguments (lockf, the subword CSR) come last and are None unless given."""
    optional = [a for a in ARGS if a.default is not kernel_args.REQUIRED]
    assert [a.name for a in optional] == ["lockf", "sub_offsets", "sub_rows"] and ARGS[-3:] == tuple(optional)
    n_required = len(NAMES) - len(optional)
    assert all(bind("f", tuple(range(n_required)), {})[a.name] is None for a in optional)
    assert bind("f", tuple(range(n_required)), {"lockf": 7})["lockf"] == 7
    assert not {a.name for a in optional} & {a.name for a in kernel_args.ARRAYS}  # None is allowed: checked where used


def _arguments(sg: bool):
    from wordvec.config import Config
    from wordvec.engine import _tables
    from wordvec.vocab import Vocab

    rng = np.random.default_rng(3)
    n_words, dim = 30, 16
    ids = rng.integers(0, n_words, 600).astype(np.int32)
    config = Config(model="skipgram" if sg else "cbow", loss="ns", vector_size=dim, sample=0.0)
    keep, codes, points, lengths, prob, alias = _tables(config, Vocab([f"w{i}" for i in range(n_words)],
                                                                      np.arange(60, 30, -1)))
    syn0 = rng.random((n_words, dim), dtype=np.float32) - 0.5
    return dict(ids=ids, offsets=np.array([0, 300, 600], np.int64), start=0, stop=600, syn0=syn0,
                syn1=np.zeros((1, 1), np.float32), codes=codes, points=points, lengths=lengths,
                syn1neg=np.zeros((n_words, dim), np.float32), prob=prob, alias=alias, keep=keep, hs=False,
                negative=5, window=3, reduced_window=True, alpha0=0.025, alpha1=0.001, seed=11,
                shared_negatives=False, cbow_mean=True, lockf=np.linspace(0, 1, n_words, dtype=np.float32))


@pytest.mark.parametrize("impl", kernels.IMPLEMENTATIONS)
@pytest.mark.parametrize("sg", [True, False])
def test_by_keyword_is_by_position(impl, sg):
    try:
        module = kernels.implementation(impl)
    except Exception as e:  # noqa: BLE001 - an implementation this install lacks
        pytest.skip(str(e))
    fn = module.train_skipgram if sg else module.train_cbow
    a, b = _arguments(sg), _arguments(sg)
    by_keyword = fn(**dict(reversed(list(a.items()))))
    by_position = fn(*[b[n] for n in NAMES if n in b])  # the subword rows (last) keep their default
    assert by_keyword == by_position and by_keyword[1] > 0
    np.testing.assert_array_equal(a["syn0"], b["syn0"])
    np.testing.assert_array_equal(a["syn1neg"], b["syn1neg"])
    assert not np.array_equal(a["syn1neg"], np.zeros_like(a["syn1neg"]))
