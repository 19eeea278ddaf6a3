#!/usr/bin/env bash
# Installs dependencies, builds txc, then runs the main job on the shipped
# tiny example: compile the model to IR and translate a few sentences.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

model=examples/tiny/model.toml
/usr/bin/python3 examples/make_random_weights.py "$model" --seed 1

echo "== txc compile $model --emit mlir (the primitive graph, first lines)"
build/tools/txc compile "$model" --emit mlir -o build/demo/tiny.mlir
head -n 40 build/demo/tiny.mlir
echo "... ($(wc -l < build/demo/tiny.mlir) lines in build/demo/tiny.mlir)"

echo "== source ids"
cat examples/tiny/source.ids
echo "== greedy translation with the reference evaluator"
build/tools/txc run "$model" --reference --ids --beam 1 < examples/tiny/source.ids
echo "== beam-4 translation with the reference evaluator"
build/tools/txc run "$model" --reference --ids --beam 4 < examples/tiny/source.ids
