#!/usr/bin/env bash
# Builds Facebook's fastText command-line tool from its source package on the package index, as its own Makefile
# does (-O3 -funroll-loops -march=native), for benchmarks/vs_fasttext.py's whole-process rows.
# Usage: bash benchmarks/build_fasttext.sh [DEST]   (default build/fasttext; the tool is DEST/fasttext)
set -euo pipefail
DEST=${1:-build/fasttext}
PYTHON=${PYTHON:-python3}
VERSION=0.9.3  # the source package holds src/*.cc and main.cc, without the Makefile
mkdir -p "$DEST"
"$PYTHON" -m pip download -q --no-deps --no-binary :all: "fasttext==$VERSION" -d "$DEST"
tar xzf "$DEST/fasttext-$VERSION.tar.gz" -C "$DEST"
${CXX:-g++} -pthread -std=c++17 -march=native -O3 -funroll-loops -DNDEBUG "$DEST/fasttext-$VERSION"/src/*.cc \
  -o "$DEST/fasttext.tmp"
mv "$DEST/fasttext.tmp" "$DEST/fasttext"
echo "built $DEST/fasttext (benchmarks/vs_fasttext.py --fasttext-bin $DEST/fasttext)"
