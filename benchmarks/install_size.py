"""What `pip install` costs: the size on disk and the install time of a fresh venv per set of extras.

Builds the wheel once, then for each row creates a venv and installs the wheel with those extras (pip's cache warm
after the first row, so the seconds mostly measure unpacking). torch is installed first as --torch names it (the
CPU build CI uses; a plain `torch` from PyPI is the CUDA build, several GB more). Prints a table: extras, venv MB
(`du`), seconds, and whether torch / numba are importable there.

Run: python benchmarks/install_size.py [--torch "torch==2.13.0"] [--rows core,torch,torch+hub,run]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = {"core": "", "torch": "torch", "torch+hub": "torch,hub", "run": "torch,hub,eval", "dev": "dev"}


def du_mb(path: Path) -> float:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_blocks * 512
    return total / 2 ** 20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--torch", default="torch==2.13.0", help="the torch requirement installed before the extras")
    ap.add_argument("--rows", default="core,torch,torch+hub,run", help=f"comma-separated, of {', '.join(ROWS)}")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "dist", ROOT],
                       check=True)
        (wheel,) = (tmp / "dist").glob("wordvec-*.whl")
        print(f"{'install':<24}{'venv MB':>10}{'seconds':>10}  importable")
        for row in args.rows.split(","):
            extras = ROWS[row]
            venv = tmp / row
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            pip = [venv / "bin" / "python", "-m", "pip", "install", "-q"]
            if "torch" in extras or extras == "dev":
                subprocess.run([*pip, args.torch], check=True)
            subprocess.run([*pip, f"{wheel}[{extras}]" if extras else str(wheel)], check=True)
            seconds = time.perf_counter() - t
            probe = subprocess.run([venv / "bin" / "python", "-c", "import importlib.util as u; print(' '.join("
                                    "m for m in ('torch', 'numba', 'datasets', 'scipy') if u.find_spec(m)))"],
                                   capture_output=True, text=True, check=True).stdout.strip()
            name = f"wordvec[{extras}]" if extras else "wordvec"
            print(f"{name:<24}{du_mb(venv):>10,.0f}{seconds:>10.1f}  {probe or '-'}", flush=True)


if __name__ == "__main__":
    main()
