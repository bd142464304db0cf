#!/usr/bin/env bash
# One GPU session, at most BUDGET seconds (480): install what is missing, run the CUDA tests, print every GPU figure
# (benchmarks/gpu.py). Prepared on a CPU: `--cpu-dry-run` runs the same steps there at tiny sizes
# (tests/test_gpu_batch.py does, in CI).
#
#   bash benchmarks/device_check.sh                 # on the GPU machine, from anywhere
#   bash benchmarks/device_check.sh --cpu-dry-run   # on a CPU
#
# PYTHON: the interpreter (default python3). If it has no torch, a venv .venv-gpu gets PyPI's torch (the CUDA
# build on Linux) and wordvec with its dev extras; if it has torch (a GPU image), wordvec is installed into it
# without dependencies, so nothing needs the network; wheels in .whl/ (e.g. nltk's, which the lab tokenizer needs
# and GPU images lack: `pip download --no-deps -d .whl nltk`, then carry .whl) are installed first. DATASET: the
# tweets folder (train.csv, test.csv); default shared/data/tweets_hate_speech_detection in the repository, else
# ../shared/...; without it (or without nltk) the lab preset and the tweets rows are skipped.
set -u
cd "$(dirname "$0")/.."
start=$SECONDS
budget=${BUDGET:-480}
dry=0
[ "${1:-}" = "--cpu-dry-run" ] && dry=1
PY=${PYTHON:-python3}
step() { echo; echo "== $* ($((SECONDS - start)) s)"; }
left() { echo $((budget - (SECONDS - start))); }

step "python and torch"
if ! "$PY" -c "import torch" 2>/dev/null; then
    "$PY" -m venv .venv-gpu && PY=.venv-gpu/bin/python
    "$PY" -m pip install -q torch || { echo "device_check: error: pip could not install torch; give PYTHON=" \
        "an interpreter that has it"; exit 2; }
fi
"$PY" -c "import torch; print('torch', torch.__version__, '| CUDA', torch.version.cuda, '|',
    torch.cuda.device_count(), 'GPU(s)', *(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())))"
if [ $dry = 0 ] && ! "$PY" -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then
    echo "device_check: error: torch sees no GPU here; on a CPU run it with --cpu-dry-run"
    exit 2
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

step "wordvec"
if ls .whl/*.whl >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-index --no-deps .whl/*.whl
fi
if ! "$PY" -c "import wordvec._kernels" 2>/dev/null; then
    if "$PY" -c "import gensim, hypothesis" 2>/dev/null || [ "$PY" = .venv-gpu/bin/python ]; then
        "$PY" -m pip install -q -e ".[dev]"
    else  # a GPU image without the network: the C kernels from source, the dependencies already there
        "$PY" -m pip install -q --no-deps --no-build-isolation -e .
    fi || { echo "wordvec did not install; running from src/ with the numba kernels"
            export PYTHONPATH="$PWD/src" WORDVEC_KERNELS=numba; }
fi
"$PY" -c "import wordvec, wordvec.kernels as k; print('wordvec', wordvec.__version__, '| kernels', k.implementation().__name__)"

dataset=${DATASET:-}
for d in shared/data/tweets_hate_speech_detection ../shared/data/tweets_hate_speech_detection; do
    [ -z "$dataset" ] && [ -f "$d/train.csv" ] && dataset=$d
done
echo "dataset: ${dataset:-none (the lab preset and the tweets rows are skipped)}"

step "CUDA tests (skipped without a GPU) and the torch engine's tests"
tests=$(($(left) / 3))
if [ $dry = 1 ]; then  # the CUDA tests only: they skip here, which is what the dry run can check
    timeout $tests "$PY" -m pytest -q -p no:cacheprovider tests/test_gpu_batch.py tests/test_fasttext_torch.py -m cuda
else
    timeout $tests "$PY" -m pytest -q -p no:cacheprovider tests/test_fasttext_torch.py -m cuda
    echo "tests/test_fasttext_torch.py -m cuda: exit $?"
    timeout $tests "$PY" -m pytest -q -p no:cacheprovider tests/test_gpu_batch.py -m "not slow"
    echo "tests/test_gpu_batch.py: exit $?"
    timeout $tests "$PY" -m pytest -q -p no:cacheprovider tests/test_engine.py -k torch
fi
echo "tests: exit $?"

step "fastText on the torch backend (benchmarks/fasttext_torch.py)"
if [ $dry = 1 ]; then
    PYTHONUNBUFFERED=1 timeout 300 "$PY" benchmarks/fasttext_torch.py --dataset "${dataset:-none}" --cpu-dry-run
else  # fastText's 2 M buckets; the C kernels on every core
    PYTHONUNBUFFERED=1 timeout $(($(left) / 4)) "$PY" benchmarks/fasttext_torch.py --dataset "${dataset:-none}" \
        --device cuda --threads 0 --bucket 2000000
fi

step "every GPU figure (benchmarks/gpu.py)"
args=(--dataset "${dataset:-none}")
if [ $dry = 1 ]; then
    args+=(--cpu-dry-run)
else
    args+=(--zipf-tokens "${ZIPF_TOKENS:-20000000}" --planted-tokens "${PLANTED_TOKENS:-10000000}")
fi
PYTHONUNBUFFERED=1 timeout "$(left)" "$PY" benchmarks/gpu.py "${args[@]}"
rc=$?
[ $rc = 124 ] && echo "device_check: the budget of $budget s ran out; the figures above are the ones measured"
step "done"
exit $rc
