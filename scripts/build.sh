#!/usr/bin/env bash
# Configures and builds txc into build/ with both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2
