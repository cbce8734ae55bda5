#!/usr/bin/env bash
# Builds the web page: the unbundled development tree build/web/, then the production build
# build/site/ from it (scripts/build-web.mjs: esbuild bundles, content-hashed names, service worker).
#   build/web/            the page (copied from web/)
#   build/web/wasm/       the WebAssembly module (wardrobe.js, wardrobe_{simd,scalar}.{js,wasm}) and
#                         files.json (their sizes and SHA-256, so the page can cache them by hash)
#   build/web/data/       manifest.json, decoder.lwb, encoder.lwb, index.lwb, garments/ pixel pages,
#                         exported and indexed from the default model
#
#   build/site/           the production build (what `npm start` serves; see scripts/build-web.mjs)
#
#   scripts/build-web.sh           build build/web/ and build/site/
#   scripts/build-web.sh --dev     build/web/ only (what `npm run dev` serves, with web/ over it)
#   scripts/build-web.sh --dist    also copy build/site/ to dist/ (what `npm run build` does)
#
# Rebuilds only what changed: the native tool and the wasm module through their own builds; the
# data only when the model or the tool is newer than the last export (or the model path changed);
# page and wasm files only when their source is newer.
#
# Environment: LW_MODEL (default model/default/vae.lwb), LW_DECODER_WEIGHTS (the decoder blob's
# weight storage, `wardrobe export --decoder-dtype`: i8 by default, half the f16 bytes, see
# model/default/MODEL_CARD.md; f16 or f32), LW_JOBS (default 2), FASHION_MNIST_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

dist=0
site=1
for arg in "$@"; do
  case $arg in
    --dist) dist=1 ;;
    --dev) site=0 ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-web: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

jobs=${LW_JOBS:-2}
model=${LW_MODEL:-model/default/vae.lwb}
weights=${LW_DECODER_WEIGHTS:-i8}
case $weights in
  f16 | i8 | f32) ;;
  *) echo "build-web: error: LW_DECODER_WEIGHTS must be i8, f16 or f32, not '$weights'" >&2; exit 2 ;;
esac
out=build/web

bash scripts/setup.sh
FASHION_MNIST_DIR=$(bash scripts/fetch-data.sh)
export FASHION_MNIST_DIR

echo "== build-web: native tool"
cmake --preset native >/dev/null
cmake --build --preset native -j"$jobs" --target wardrobe
tool=build/native/tools/wardrobe

if [[ -f scripts/build-wasm.sh ]]; then
  echo "== build-web: wasm module"
  bash scripts/build-wasm.sh --module-only # the page needs the module, not the wasm test suite
fi

mkdir -p "$out"

# ---- data: export + index, only when the model or the tool changed
if [[ ! -f $model ]]; then
  echo "build-web: error: model $model not found (train one, or set LW_MODEL to a .lwb file)" >&2
  exit 1
fi
data=$out/data
stamp=$data/.built-from
built_from="$(realpath "$model") $weights"
if [[ -f $stamp && -f $data/manifest.json && ! $model -nt $stamp && ! $tool -nt $stamp &&
      "$(cat "$stamp")" == "$built_from" ]]; then
  echo "== build-web: data up to date ($data)"
else
  echo "== build-web: exporting (decoder weights $weights) and indexing $model into $data"
  tmp=$out/.data.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp"
  "$tool" export --model "$model" --out-dir "$tmp" --decoder-dtype "$weights"
  "$tool" index --model "$model" --out-dir "$tmp"
  echo "$built_from" >"$tmp/.built-from"
  rm -rf "$data"
  mv "$tmp" "$data"
fi

# ---- copies a file when the destination is missing, or older and different (keeps mtimes, so
# this is make-like; build-wasm.sh re-copies its outputs every time, so content decides too)
copied=0
copy_if_newer() {
  local src=$1 dst=$2
  if [[ ! -f $dst ]] || { [[ $src -nt $dst ]] && ! cmp -s "$src" "$dst"; }; then
    mkdir -p "$(dirname "$dst")"
    cp -p "$src" "$dst"
    echo "  $dst"
    copied=$((copied + 1))
  fi
}

# ---- the page: web/ -> build/web/, removing files that no longer exist in web/
echo "== build-web: page files"
while IFS= read -r -d '' f; do
  copy_if_newer "web/$f" "$out/$f"
done < <(cd web && find . -type f ! -name '.*' ! -name '*.md' -printf '%P\0')
while IFS= read -r -d '' f; do
  [[ -f web/$f && $f != *.md ]] || { rm -f "$out/$f"; echo "  removed $out/$f"; }
done < <(cd "$out" && find . -type f ! -path './data/*' ! -path './wasm/*' ! -path './vendor/*' ! -name '.*' -printf '%P\0')

# ---- libraries the page imports, from node_modules (installed by setup.sh from package.json)
echo "== build-web: vendor files"
mkdir -p "$out/vendor"
[[ -f node_modules/gifenc/dist/gifenc.esm.js ]] || { echo "build-web: error: node_modules/gifenc missing (run npm install)" >&2; exit 1; }
copy_if_newer node_modules/gifenc/dist/gifenc.esm.js "$out/vendor/gifenc.js"
copy_if_newer node_modules/gifenc/LICENSE.md "$out/vendor/gifenc-LICENSE.txt"
# SHA-256 for pages served over plain http (no WebCrypto): sha2.js and the three modules it imports.
for f in sha2.js _md.js _u64.js utils.js LICENSE; do
  [[ -f node_modules/@noble/hashes/$f ]] || { echo "build-web: error: node_modules/@noble/hashes/$f missing (run npm install)" >&2; exit 1; }
  copy_if_newer "node_modules/@noble/hashes/$f" "$out/vendor/noble-hashes/$f"
done

# ---- the wasm module: wasm/README.md says where the builds put it
echo "== build-web: wasm files"
find_wasm_file() {
  local name=$1 dir
  for dir in "${LW_WASM_DIR:-}" build/wasm-dist build/wasm/wasm build/wasm-scalar/wasm build/wasm build/wasm-scalar wasm; do
    [[ -n $dir && -f $dir/$name ]] && { echo "$dir/$name"; return 0; }
  done
  return 1
}
missing=()
copied=0
for name in wardrobe.js wardrobe_simd.js wardrobe_simd.wasm wardrobe_scalar.js wardrobe_scalar.wasm; do
  if src=$(find_wasm_file "$name"); then
    copy_if_newer "$src" "$out/wasm/$name"
  else
    missing+=("$name")
  fi
done
if ((${#missing[@]})); then
  echo "build-web: warning: wasm files not found: ${missing[*]} (the page needs them; run scripts/build-wasm.sh)" >&2
fi
# Sizes and hashes of the .wasm files, so the page caches them by content (rewritten when one changed).
files_json=$out/wasm/files.json
if compgen -G "$out/wasm/*.wasm" >/dev/null; then
  if [[ ! -f $files_json ]] || ((copied)); then
    {
      echo "{"
      first=1
      for w in "$out"/wasm/*.wasm; do
        ((first)) || echo ","
        first=0
        printf '  "%s": {"bytes": %d, "sha256": "%s"}' "$(basename "$w")" "$(stat -c %s "$w")" "$(sha256sum "$w" | cut -d' ' -f1)"
      done
      echo
      echo "}"
    } >"$files_json.tmp"
    mv "$files_json.tmp" "$files_json"
    echo "  $files_json"
  fi
fi

if ((site)); then
  echo "== build-web: production build (build/site)"
  node scripts/build-web.mjs --from "$out" --out build/site
fi
if ((dist)); then
  ((site)) || { echo "build-web: error: --dist needs the production build (drop --dev)" >&2; exit 2; }
  echo "== build-web: copying build/site to dist/"
  rm -rf dist
  cp -a build/site dist
fi
echo "build-web: done: $out$( ((site)) && echo ', build/site')$( ((dist)) && echo ' and dist/')"
