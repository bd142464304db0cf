"""The CPU kernels (C and numba) fuzzed in a child process: random shapes, ids, offsets, Huffman and alias tables,
NaN/inf/huge weights and learning rates, bad dtypes and overlapping arrays. Every call returns its totals or raises
TypeError/ValueError/OverflowError: never a signal (the child would die), never a write outside the arrays (each
array sits between canary words that are checked after the call), never a change to an input it only reads. The C
kernels also run between PROT_NONE guard pages (an access one element past an array faults) and once built with
AddressSanitizer; the numba kernels run between guard pages too."""

from __future__ import annotations

import ctypes
import json
import mmap
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src" / "wordvec" / "_kernels.c"

RATES = [0.025, 0.0, -0.025, 1.0, 1e30, 3.4e38, 4e38, -1e39, float("inf"), float("-inf"), float("nan")]
FILLS = ["small", "zeros", "nan_row", "inf_row", "huge", "all_nan"]
TABLES = ["valid", "valid", "valid", "alias_bad", "points_bad", "lengths_bad", "prob_nan", "keep_nan", "keep_zero"]
SHAPES = [None, None, None, None, "syn1neg_rows", "syn1neg_dim", "syn1_dim", "syn1_empty", "keep_short",
          "prob_short", "codes_short", "points_narrow"]
KINDS = [None, None, None, None, "ids_int64", "syn0_f64", "syn0_fortran", "syn0_readonly", "ids_overlap_syn0",
         "syn1neg_is_syn0", "ids_list"]


@st.composite
def kernel_case(draw) -> dict:
    """One call's parameters; the arrays are drawn in the child from `rng`."""
    return {
        "arch": draw(st.sampled_from(["skipgram", "cbow"])), "hs": draw(st.integers(0, 1)),
        "negative": draw(st.sampled_from([0, 1, 2, 5, 5, -1, 2 ** 21])), "shared": draw(st.booleans()),
        "cbow_mean": draw(st.booleans()), "reduced_window": draw(st.booleans()),
        "v": draw(st.integers(0, 12)), "dim": draw(st.sampled_from([0, 1, 3, 4, 8, 17, 32, 40])),
        "n": draw(st.integers(0, 60)), "docs": draw(st.sampled_from(["sorted", "random", "empty", "one"])),
        "span": draw(st.sampled_from(["full", "full", "part", "bad"])),
        "window": draw(st.sampled_from([1, 2, 5, 5, 0, -1, 2 ** 31 - 1, 2 ** 31])),
        "alpha0": draw(st.sampled_from(RATES)), "alpha1": draw(st.sampled_from(RATES)),
        "fill0": draw(st.sampled_from(FILLS)), "fill1": draw(st.sampled_from(FILLS)),
        "tables": draw(st.sampled_from(TABLES)), "shape": draw(st.sampled_from(SHAPES)),
        "kind": draw(st.sampled_from(KINDS)), "bad_id": draw(st.sampled_from([None] * 4 + [-1, "v", -2 ** 31])),
        "seed": draw(st.integers(-2 ** 63, 2 ** 64 - 1)), "rng": draw(st.integers(0, 2 ** 32 - 1)),
    }


# --- the child: build each case's arrays, call every kernel, check the canaries --------------------------------------

PAD = 16  # canary elements each side of an array
PAGE = mmap.PAGESIZE
_KEEP = []  # guard-page mappings stay alive for the child's life


def _guarded(nbytes: int, right: bool) -> memoryview:
    """`nbytes` of writable memory between two PROT_NONE pages, against the right guard (or the left one)."""
    pages = max(1, -(-nbytes // PAGE))
    m = mmap.mmap(-1, (pages + 2) * PAGE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))
    libc = ctypes.CDLL(None, use_errno=True)
    for at in (base, base + (pages + 1) * PAGE):
        assert libc.mprotect(ctypes.c_void_p(at), PAGE, 0) == 0, os.strerror(ctypes.get_errno())
    _KEEP.append(m)
    start = PAGE + (pages * PAGE - nbytes if right else 0)
    return memoryview(m)[start:start + nbytes]


class Arrays:
    """Allocates a case's arrays by `mode`: 'canary' (padded with known words, checked after), 'left'/'right' (flush
    against a guard page) or 'plain' (exact-size heap arrays, for AddressSanitizer)."""

    def __init__(self, mode: str):
        self.mode, self.padded = mode, []

    def new(self, values: np.ndarray) -> np.ndarray:
        values = np.ascontiguousarray(values)
        if self.mode == "plain":
            return values.copy()
        if self.mode in ("left", "right"):
            if values.nbytes == 0:
                return values.copy()
            out = np.frombuffer(_guarded(values.nbytes, self.mode == "right"), dtype=values.dtype)
            out = out.reshape(values.shape)
            out[...] = values
            return out
        raw = np.empty(values.size + 2 * PAD, dtype=values.dtype)
        raw.view(np.uint8)[:] = 0xA5
        canary = raw.copy()
        inner = raw[PAD:PAD + values.size].reshape(values.shape)
        inner[...] = values
        self.padded.append((raw, canary))
        return inner

    def canaries_intact(self) -> bool:
        return all(np.array_equal(raw[:PAD].view(np.uint8), c[:PAD].view(np.uint8))
                   and np.array_equal(raw[-PAD:].view(np.uint8), c[-PAD:].view(np.uint8)) for raw, c in self.padded)


def _fill(rng, mode: str, shape) -> np.ndarray:
    m = (rng.random(shape, dtype=np.float32) - 0.5) * 0.2
    if mode == "zeros":
        m[...] = 0
    elif mode == "huge":
        m *= np.float32(3e38 / 0.1)
    elif mode == "all_nan":
        m[...] = np.nan
    elif mode in ("nan_row", "inf_row") and shape[0]:
        m[rng.integers(shape[0])] = np.nan if mode == "nan_row" else np.inf
    return m.astype(np.float32)


def build(case: dict, arrays: Arrays) -> tuple[list, list[np.ndarray]]:
    """The kernel's arguments for `case`, and the arrays it must only read (to compare after the call)."""
    from wordvec.vocab import alias_table, huffman_tree, noise_distribution

    rng = np.random.default_rng(case["rng"])
    v, dim, n = case["v"], case["dim"], case["n"]
    counts = rng.integers(1, 50, size=v)
    ids = rng.integers(0, max(v, 1), size=n).astype(np.int32) if v else np.zeros(n, np.int32)
    if case["bad_id"] is not None and n:
        ids[rng.integers(n)] = v if case["bad_id"] == "v" else case["bad_id"]
    if case["docs"] == "sorted":
        offsets = np.unique(np.concatenate([[0, n], rng.integers(0, n + 1, size=rng.integers(0, 8))]))
    elif case["docs"] == "random":
        offsets = rng.integers(-5, n + 6, size=rng.integers(0, 8))
    elif case["docs"] == "one":
        offsets = np.array([0, n])
    else:
        offsets = np.zeros(0)
    start, stop = {"full": (0, n), "part": tuple(sorted(rng.integers(0, n + 1, size=2))),
                   "bad": (int(rng.integers(-3, n + 4)), int(rng.integers(-3, n + 4)))}[case["span"]]
    tree = huffman_tree(counts) if v >= 2 else None
    codes = tree.codes if tree is not None else np.zeros((v, 1), np.uint8)
    points = tree.points if tree is not None else np.zeros((v, 1), np.int32)
    lengths = tree.lengths if tree is not None else np.zeros(v, np.int32)
    if v:
        prob, alias = alias_table(noise_distribution(counts))
    else:
        prob, alias = np.zeros(0, np.float32), np.zeros(0, np.int32)
    keep = rng.random(v, dtype=np.float32)
    t = case["tables"]
    if t == "alias_bad" and v:
        alias = rng.integers(-3, v + 4, size=v).astype(np.int32)
        prob = np.zeros(v, np.float32)
    elif t == "points_bad" and v:
        points = rng.integers(-3, v + 4, size=points.shape).astype(np.int32)
    elif t == "lengths_bad" and v:
        lengths = rng.integers(-3, points.shape[1] + 4, size=v).astype(np.int32)
    elif t == "prob_nan":
        prob = np.full(v, np.nan, np.float32)
    elif t == "keep_nan":
        keep[...] = np.nan
    elif t == "keep_zero":
        keep[...] = 0
    n_inner = max(v - 1, 1)
    shape = case["shape"]
    syn0 = _fill(rng, case["fill0"], (v, dim))
    syn1 = _fill(rng, case["fill1"], (0 if shape == "syn1_empty" else n_inner, dim + (shape == "syn1_dim")))
    syn1neg = _fill(rng, case["fill1"], (v + (shape == "syn1neg_rows"), dim + (shape == "syn1neg_dim")))
    if shape == "keep_short":
        keep = keep[:-1]
    elif shape == "prob_short":
        prob = prob[:-1]
    elif shape == "codes_short":
        codes = codes[:-1]
    elif shape == "points_narrow":
        points = points[:, :-1]
    kind = case["kind"]
    if kind == "ids_overlap_syn0":
        syn0[...] = 0
    a = {name: arrays.new(x) for name, x in dict(
        ids=ids, offsets=offsets.astype(np.int64), syn0=syn0, syn1=syn1, codes=codes.astype(np.uint8),
        points=points.astype(np.int32), lengths=lengths.astype(np.int32), syn1neg=syn1neg,
        prob=prob.astype(np.float32), alias=alias.astype(np.int32), keep=keep.astype(np.float32)).items()}
    read_only = ["ids", "offsets", "codes", "points", "lengths", "prob", "alias", "keep"]
    if kind == "ids_int64":
        a["ids"] = a["ids"].astype(np.int64)
    elif kind == "syn0_f64":
        a["syn0"] = a["syn0"].astype(np.float64)
    elif kind == "syn0_fortran":
        a["syn0"] = np.asfortranarray(a["syn0"])
    elif kind == "syn0_readonly":
        a["syn0"].flags.writeable = False
    elif kind == "ids_overlap_syn0" and a["syn0"].size >= 1:
        a["ids"] = a["syn0"].reshape(-1).view(np.int32)[:max(1, min(n, a["syn0"].size))]
        start, stop = 0, len(a["ids"])
        read_only.remove("ids")
    elif kind == "syn1neg_is_syn0":
        a["syn1neg"] = a["syn0"]
    elif kind == "ids_list":
        a["ids"] = a["ids"].tolist()
        read_only.remove("ids")
    args = [a["ids"], a["offsets"], start, stop, a["syn0"], a["syn1"], a["codes"], a["points"], a["lengths"],
            a["syn1neg"], a["prob"], a["alias"], a["keep"], case["hs"], case["negative"], case["window"],
            case["reduced_window"], case["alpha0"], case["alpha1"], case["seed"], case["shared"], case["cbow_mean"]]
    return args, [(name, a[name], np.array(a[name], copy=True)) for name in read_only]


def child(modules: list[str], modes: list[str]) -> None:
    """Read cases (JSON) from stdin, run each through every kernel module in every allocation mode, print one JSON
    line of outcomes. The case about to run goes to stderr first, so a crash names it."""
    import importlib

    kernels = []
    for name in modules:
        if name.endswith((".so", ".py")):  # a build or copy outside the package (AddressSanitizer)
            spec = importlib.util.spec_from_file_location(Path(name).name.split(".")[0], name)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        else:
            mod = importlib.import_module(name)
        kernels.append((name, mod))
    cases = json.loads(sys.stdin.read())
    outcomes = []
    for i, case in enumerate(cases):
        for name, mod in kernels:
            for mode in modes:
                print(f"case {i} {name} {mode}: {json.dumps(case)}", file=sys.stderr, flush=True)
                arrays = Arrays(mode)
                args, read_only = build(case, arrays)
                fn = mod.train_skipgram if case["arch"] == "skipgram" else mod.train_cbow
                try:
                    out = fn(*args)
                    assert len(out) == 4, out
                    outcome = "trained"
                except (TypeError, ValueError, OverflowError) as e:
                    outcome = type(e).__name__
                except Exception as e:  # noqa: BLE001 - reported, fails the test
                    outcome = f"unexpected {type(e).__name__}: {e}"
                if not arrays.canaries_intact():
                    outcome = "wrote outside an array"
                for rname, now, before in read_only:
                    if not np.array_equal(np.asarray(now), before, equal_nan=before.dtype.kind == "f"):
                        outcome = f"changed {rname}, which it only reads"
                outcomes.append([i, name, mode, outcome])
    print(json.dumps(outcomes))


def run_child(cases: list[dict], modules: list[str], modes: list[str], env: dict | None = None) -> list:
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); from test_kernels_fuzz import child; "
            f"child({modules!r}, {modes!r})")
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(cases), capture_output=True, text=True,
                         timeout=900, env={**os.environ, **(env or {})})
    last = out.stderr.strip().splitlines()[-1:] if out.stderr.strip() else []
    assert out.returncode == 0, f"the child died (exit {out.returncode}) at {last}:\n{out.stderr[-4000:]}"
    outcomes = json.loads(out.stdout.strip().splitlines()[-1])
    bad = [(cases[i], name, mode, o) for i, name, mode, o in outcomes
           if o not in ("trained", "TypeError", "ValueError", "OverflowError")]
    assert not bad, bad[:5]
    return outcomes


def _modules() -> list[str]:
    from test_kernels import c_kernels_built, need_c_kernels

    need_c_kernels()  # fails under CI, skips elsewhere, when the extension is missing
    return ["wordvec._kernels", "wordvec.kernels_numba"] if c_kernels_built() else ["wordvec.kernels_numba"]


# --- the tests ----------------------------------------------------------------------------------------------------

def _worst_cases() -> list[dict]:
    """Every architecture and head with NaN/inf/huge weights and learning rates, valid tables and shapes: the
    calls that once indexed the sigmoid table with a NaN."""
    base = {"negative": 5, "shared": False, "cbow_mean": True, "reduced_window": True, "v": 10, "dim": 8, "n": 60,
            "docs": "sorted", "span": "full", "window": 5, "tables": "valid", "shape": None, "kind": None,
            "bad_id": None, "seed": 7, "rng": 3, "alpha0": 0.025, "alpha1": 0.025, "fill0": "small",
            "fill1": "small"}
    out = []
    for arch, hs, negative, shared in [("skipgram", 0, 5, False), ("skipgram", 0, 5, True), ("skipgram", 1, 0, False),
                                       ("skipgram", 1, 3, False), ("cbow", 0, 5, False), ("cbow", 1, 0, False),
                                       ("cbow", 1, 3, False)]:
        for fill0, fill1, alpha in [("nan_row", "small", 0.025), ("small", "nan_row", 0.025), ("all_nan", "all_nan",
                                    0.025), ("inf_row", "inf_row", 0.025), ("huge", "huge", 3.4e38),
                                    ("small", "small", 3.4e38), ("small", "small", float("nan")),
                                    ("small", "small", 4e38)]:
            out.append(dict(base, arch=arch, hs=hs, negative=negative, shared=shared, fill0=fill0, fill1=fill1,
                            alpha0=alpha, alpha1=alpha, cbow_mean=arch == "skipgram" or hs == 0))
    return out


def test_nan_inf_and_huge_weights_and_rates_never_crash():
    outcomes = run_child(_worst_cases(), _modules(), ["canary"])
    trained = {o for *_, o in outcomes}
    assert "trained" in trained and "ValueError" in trained  # NaN weights train (to NaN), 4e38 is refused


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(kernel_case(), min_size=40, max_size=40))
def test_random_calls_never_crash_nor_write_outside(cases):
    run_child(cases, _modules(), ["canary"])


@pytest.mark.skipif(sys.platform != "linux", reason="guard pages through mmap/mprotect: Linux")
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(kernel_case(), min_size=40, max_size=40))
def test_random_calls_between_guard_pages(cases):
    """Each array flush against a PROT_NONE page, on its right and then on its left: a read or write one element
    past either end faults, and the child dies."""
    run_child(cases + _worst_cases(), _modules(), ["right", "left"])


def _asan_build(tmp: Path) -> tuple[Path, dict]:
    """_kernels.c built with AddressSanitizer, and the environment that preloads its runtime. Skips where libasan is
    missing or cannot run here (a kernel whose address-space randomisation it does not support); gcc itself is
    expected under CI, as for the extension."""
    gcc = shutil.which("gcc")
    if not gcc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("gcc is expected under CI (it builds the C kernels)")
        pytest.skip("no gcc")
    lib = subprocess.run([gcc, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not lib or not os.path.exists(lib):
        pytest.skip("gcc has no libasan here")
    env = {"LD_PRELOAD": os.path.realpath(lib), "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
           "PYTHONMALLOC": "malloc"}
    smoke = subprocess.run([sys.executable, "-c", "import numpy"], capture_output=True, text=True, timeout=300,
                           env={**os.environ, **env})
    if smoke.returncode != 0:
        pytest.skip(f"AddressSanitizer cannot run Python here: {smoke.stderr[-300:]}")
    so = tmp / ("_kernels" + sysconfig.get_config_var("EXT_SUFFIX"))
    cmd = [gcc, "-shared", "-fPIC", "-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer",
           f"-I{sysconfig.get_paths()['include']}", str(SRC), "-o", str(so)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        if "Python.h" in out.stderr and os.environ.get("CI", "").lower() != "true":
            pytest.skip("Python's headers are missing")
        pytest.fail(f"the AddressSanitizer build failed: {out.stderr[-2000:]}")
    return so, env


def test_the_c_kernels_under_address_sanitizer():
    """The worst cases and a fixed random batch through an ASan build of the C kernels, arrays on the heap at their
    exact size: any out-of-bounds read or write is reported and kills the child."""
    with tempfile.TemporaryDirectory() as tmp:
        so, env = _asan_build(Path(tmp))
        rng = np.random.default_rng(0)
        batch = _worst_cases() + [_fixed_case(rng) for _ in range(150)]
        run_child(batch, [str(so)], ["plain"], env=env)


def _fixed_case(rng) -> dict:
    """A random case from numpy's generator (the ASan run is one fixed batch)."""
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    return {"arch": pick(["skipgram", "cbow"]), "hs": int(rng.integers(2)), "negative": pick([0, 1, 2, 5, 5, -1]),
            "shared": bool(rng.integers(2)), "cbow_mean": bool(rng.integers(2)),
            "reduced_window": bool(rng.integers(2)), "v": int(rng.integers(13)), "dim": pick([0, 1, 3, 4, 8, 17, 40]),
            "n": int(rng.integers(61)), "docs": pick(["sorted", "random", "empty", "one"]),
            "span": pick(["full", "full", "part", "bad"]), "window": pick([1, 2, 5, 0, 2 ** 31 - 1]),
            "alpha0": pick(RATES), "alpha1": pick(RATES), "fill0": pick(FILLS), "fill1": pick(FILLS),
            "tables": pick(TABLES), "shape": pick(SHAPES), "kind": pick(KINDS),
            "bad_id": pick([None] * 4 + [-1, "v", -2 ** 31]), "seed": int(rng.integers(2 ** 62)),
            "rng": int(rng.integers(2 ** 32))}


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
@pytest.mark.parametrize("hs,negative", [(0, 5), (1, 0), (1, 3)])
def test_a_nan_score_updates_nothing_and_makes_the_loss_nan(arch, hs, negative):
    """NaN input vectors: every score is NaN, which must take the no-update branch (a table index from NaN would
    give some gradient and spread NaN into the output rows), and the loss turns NaN so the run's divergence check
    stops it."""
    from wordvec.vocab import alias_table, huffman_tree, noise_distribution

    counts = np.array([9, 7, 5, 4, 2, 1])
    tree = huffman_tree(counts)
    prob, alias = alias_table(noise_distribution(counts))
    for name in _modules():
        mod = __import__(name, fromlist=["x"])
        syn0 = np.full((6, 8), np.nan, np.float32)
        syn1, syn1neg = np.zeros((5, 8), np.float32), np.zeros((6, 8), np.float32)
        fn = mod.train_skipgram if arch == "skipgram" else mod.train_cbow
        loss, examples, _, _ = fn(np.array([0, 1, 2, 3, 4, 5, 0, 1], np.int32), np.array([0, 8], np.int64), 0, 8,
                                  syn0, syn1, tree.codes, tree.points, tree.lengths, syn1neg, prob, alias,
                                  np.ones(6, np.float32), hs, negative, 2, False, 0.025, 0.025, 1, False, True)
        assert examples > 0 and np.isnan(loss), name
        assert not syn1.any() and not syn1neg.any(), f"{name}: a NaN score moved an output row"
