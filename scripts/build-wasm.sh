#!/usr/bin/env bash
# Builds the WebAssembly runtime in both flavours and assembles what the page
# serves at /wasm/ into build/wasm-dist/:
#   wardrobe.js, wardrobe.d.ts                  (wasm/, the public API)
#   wardrobe_simd.js, wardrobe_simd.wasm        (preset wasm,        build/wasm/wasm/)
#   wardrobe_scalar.js, wardrobe_scalar.wasm    (preset wasm-scalar, build/wasm-scalar/wasm/)
# Also builds the Catch2 suite for wasm in both build dirs (run with
# `ctest --preset wasm` / `ctest --preset wasm-scalar`), unless --module-only.
# Fails if a .wasm exceeds the size budget (300 KB gzip).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${LW_JOBS:-2}
targets=()
if [[ "${1:-}" == "--module-only" ]]; then
  targets=(--target wardrobe_module)
fi
# em++'s JS optimiser needs Debian's acorn (see docs in wasm/README.md).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

for preset in wasm wasm-scalar; do
  echo "build-wasm: $preset" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs" "${targets[@]}"
done

dist=build/wasm-dist
mkdir -p "$dist"
cp wasm/wardrobe.js wasm/wardrobe.d.ts "$dist/"
cp build/wasm/wasm/wardrobe_simd.js build/wasm/wasm/wardrobe_simd.wasm "$dist/"
cp build/wasm-scalar/wasm/wardrobe_scalar.js build/wasm-scalar/wasm/wardrobe_scalar.wasm "$dist/"

budget=$((300 * 1024))
status=0
for f in "$dist"/wardrobe_simd.wasm "$dist"/wardrobe_scalar.wasm; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  echo "build-wasm: $f: $raw bytes, $gz bytes gzip -9 (budget $budget)" >&2
  if ((gz > budget)); then
    echo "build-wasm: error: $f is over the size budget" >&2
    status=1
  fi
done
echo "build-wasm: module in $dist/" >&2
exit $status
