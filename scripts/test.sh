#!/usr/bin/env bash
# npm test: installs what is missing, builds everything and runs every test:
# the native Catch2 suite (CTest), the same suite compiled to wasm under Node,
# the JS API tests of the wasm module, and the browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
FASHION_MNIST_DIR=$(bash scripts/fetch-data.sh)
export FASHION_MNIST_DIR
jobs=${LW_JOBS:-2}

echo "== native build and tests"
cmake --preset native >/dev/null
cmake --build --preset native -j"$jobs"
ctest --preset native -j"$jobs"

if [[ -f wasm/CMakeLists.txt ]]; then
  echo "== wasm build and tests"
  bash scripts/build-wasm.sh
  # The Catch2 suite compiled to wasm, under Node: SIMD and scalar builds.
  ctest --preset wasm -j"$jobs"
  ctest --preset wasm-scalar -j"$jobs"
  # JS API, golden parity with native, bad input, heap soak (tests/js/*.test.mjs).
  node --test tests/js/
fi

if [[ -f web/index.html && -d tests/browser ]]; then
  echo "== browser tests"
  bash scripts/build-web.sh
  node --test --test-concurrency=1 tests/browser/
fi
