"""The architecture, enforced: every module imports only from layers below its own (no circles, no upward or
sideways imports), and the CPU path never loads torch. The layer table is README.md's code map."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "wordvec"

#: Lowest first; a module may import only from strictly lower layers.
LAYERS = [
    ["errors", "kernel_args", "test"],
    ["config", "files", "kernels_numba", "weights", "devices", "subwords"],
    ["corpus", "preprocess", "vocab", "state", "w2vformat", "fbformat", "kernels", "runctl"],
    ["store", "windows", "network", "engine_torch", "phrases", "utils"],
    ["engine", "train", "vectors", "phrasestore"],
    ["evaluate", "downstream", "export", "plots", "report", "word2vec", "fasttext"],
    ["rundir", "distributed", "ftmodel"],
    ["pipeline", "explore", "models"],
    ["cli"],
    ["__main__"],
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def package_imports(path: Path) -> set[str]:
    """Sibling modules `path` imports anywhere (top level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:  # from . import x
                found.update(a.name for a in node.names)
            elif node.module and node.module.startswith("wordvec."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("wordvec."))
    return found - {"__version__"}


def modules() -> list[str]:
    """Modules, and subpackages (gensim's paths: `models`, `test`) counted as one module each."""
    files = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    return sorted(files + [p.parent.name for p in PACKAGE.glob("*/__init__.py")])


def sources(module: str) -> list[Path]:
    """A subpackage's files import with absolute names (`wordvec.word2vec`); they are checked as one module."""
    folder = PACKAGE / module
    return sorted(folder.glob("*.py")) if folder.is_dir() else [PACKAGE / f"{module}.py"]


def test_every_module_has_a_layer():
    missing = [m for m in modules() if m not in LAYER]
    assert not missing, f"add {missing} to the layer table (tests/test_layers.py and README's code map)"


@pytest.mark.parametrize("module", modules())
def test_imports_go_down_only(module):
    layer = LAYER[module]
    imported = set().union(*(package_imports(path) for path in sources(module)))
    bad = sorted(m for m in imported if LAYER.get(m, -1) >= layer)
    assert not bad, (f"{module} (layer {layer}) imports {', '.join(f'{m} (layer {LAYER.get(m)})' for m in bad)}: "
                     f"imports must go to lower layers only")


def test_the_checker_sees_function_level_imports(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from .rundir import x\n    from . import cli\n    import wordvec.engine\n")
    assert package_imports(src) == {"rundir", "cli", "engine"}


def _fresh(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_cpu_word2vec_and_queries_never_import_torch(tmp_path):
    code = f"""
        import sys
        import wordvec
        from wordvec import Word2Vec, KeyedVectors
        sentences = [["a", "b", "c", "d"], ["b", "c", "d", "e"], ["a", "c", "e", "b"]] * 30
        model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=2, workers=1, device="cpu")
        model.wv.most_similar("a", topn=2)
        model.wv.similarity("a", "b")
        path = {str(tmp_path / "v.txt")!r}
        model.wv.save_word2vec_format(path)
        kv = KeyedVectors.load_word2vec_format(path)
        kv.most_similar(positive=["a", "b"], negative=["c"])
        kv.doesnt_match(["a", "b", "e"])
        print("torch" in sys.modules)
    """
    assert _fresh(code) == "False"
