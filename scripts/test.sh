#!/usr/bin/env bash
# Installs dependencies, builds txc and runs every test (unit, lit, numeric
# against the reference evaluator and PyTorch, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2
