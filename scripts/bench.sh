#!/usr/bin/env bash
# npm run bench: builds what the benchmark needs (the wasm module in both
# flavours, the native `wardrobe` tool and lw_runtime_bench), then runs
# tests/bench/bench.mjs (arguments are passed on, e.g. --quick, --iters 500,
# --only wasm,native). Prints a table; the JSON path is the last line.
# Then the page benchmarks on the production build and npm start's server, in Chromium:
# tests/bench/page-load.mjs (first garment cold and reload against a static page) and
# tests/bench/page-drag.mjs (frames and garment updates while a slider is dragged, against a
# static page with one slider); skipped when --only is given without 'page'. `npm run bench:page`
# runs the page-load one alone, `npm run bench:drag` the drag one.
# Then training (tests/bench/train-bench.sh: one ELBO epoch of the default model's stage 1, wardrobe
# against PyTorch in the same run); skipped when --only is given without 'train'.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${LW_JOBS:-2}
bash scripts/setup.sh >/dev/null
echo "== bench: building" >&2
bash scripts/build-wasm.sh --module-only
cmake --preset native >/dev/null
cmake --build --preset native -j"$jobs" --target wardrobe lw_runtime_bench >/dev/null
if [[ -z "${FASHION_MNIST_DIR:-}" ]]; then
  FASHION_MNIST_DIR=$(bash scripts/fetch-data.sh)
  export FASHION_MNIST_DIR
fi
# One thread everywhere (the native build links OpenMP).
export OMP_NUM_THREADS=1
only=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [[ ${args[i]} == --only ]] && only=${args[i + 1]:-}; done
[[ $only == page || $only == train ]] || node tests/bench/bench.mjs "$@"
if [[ -z $only || ,$only, == *,page,* ]]; then
  echo "== bench: page load (building the site)" >&2
  bash scripts/build-web.sh >&2
  node tests/bench/page-load.mjs
  node tests/bench/page-drag.mjs
fi
if [[ -z $only || ,$only, == *,train,* ]]; then
  echo "== bench: training epoch against PyTorch" >&2
  bash tests/bench/train-bench.sh
fi
