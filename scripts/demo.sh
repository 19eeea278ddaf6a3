#!/usr/bin/env bash
# Installs dependencies, builds txc, then runs the main job on the shipped
# tiny example: compile the model to a native library and translator, and
# translate a few sentences with the generated binary (checked against the
# reference evaluator).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

model=examples/tiny/model.toml
out=build/demo/tiny
/usr/bin/python3 examples/make_random_weights.py "$model" --seed 11

echo "== txc compile $model --emit mlir: the optimized graph (first lines)"
build/tools/txc compile "$model" --emit mlir -o build/demo/tiny.mlir --dump-ir build/demo/ir
head -n 30 build/demo/tiny.mlir
echo "... ($(wc -l < build/demo/tiny.mlir) lines; each pass's IR in build/demo/ir/)"

echo "== txc compile $model -o $out/"
rm -rf "$out"
build/tools/txc compile "$model" -o "$out/"
ls "$out"

echo "== source ids (examples/tiny/source.ids)"
cat examples/tiny/source.ids
echo "== $out/translate --ids --beam 1"
"$out/translate" --ids --beam 1 < examples/tiny/source.ids | tee build/demo/greedy.txt
echo "== $out/translate --ids (beam 4)"
"$out/translate" --ids < examples/tiny/source.ids | tee build/demo/beam.txt
echo "== the reference evaluator agrees:"
build/tools/txc run "$model" --reference --ids --beam 1 < examples/tiny/source.ids | diff - build/demo/greedy.txt
build/tools/txc run "$model" --reference --ids < examples/tiny/source.ids | diff - build/demo/beam.txt
echo "identical ids, greedy and beam 4"
