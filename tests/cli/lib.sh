#!/usr/bin/env bash
# Shared by the tests/cli scripts: sourced after `set -euo pipefail` with
# $1 = the wardrobe binary, $2 = the source folder, $3 = lw_model_variant.
# Sets wardrobe, src, data, model, variant and work (a temporary folder
# removed on exit, also the cwd).
wardrobe=$(realpath "$1")
variant=${3:+$(realpath "$3")}
src=$(realpath "${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}")
model=$src/model/default/vae.lwb
test_name=$(basename "$0" .sh)
work=$(mktemp -d "${TMPDIR:-/tmp}/lw-cli-$test_name.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "$test_name: FAIL: $*" >&2; exit 1; }
ok() { echo "$test_name: ok: $*"; }

# The dataset where npm test and the scripts find it (scripts/fetch-data.sh: $FASHION_MNIST_DIR, else
# a complete data/fashion-mnist, else ../shared/fashion-mnist beside the clone, else a download).
data=$(bash "$src/scripts/fetch-data.sh") || fail "no Fashion-MNIST (scripts/fetch-data.sh said why above)"

# expect_error PATTERN... -- ARGS...: wardrobe ARGS exits 1 with exactly one
# stderr line, mentioning every pattern (grep -F), and nothing on stdout.
expect_error() {
  local -a patterns=()
  while [[ $1 != -- ]]; do patterns+=("$1"); shift; done
  shift
  local status=0
  "$wardrobe" "$@" >out.txt 2>err.txt || status=$?
  ((status == 1)) || fail "exit status $status (expected 1) for: $* -- stderr: $(cat err.txt)"
  local lines
  lines=$(grep -c . err.txt || true)
  ((lines == 1)) || fail "expected one stderr line for: $*, got $lines: $(cat err.txt)"
  [[ ! -s out.txt ]] || fail "stdout not empty after an error ($*): $(cat out.txt)"
  local p
  for p in "${patterns[@]}"; do
    grep -qF -- "$p" err.txt || fail "error for: $* lacks '$p': $(cat err.txt)"
  done
  ok "$(cat err.txt)"
}

# run ARGS...: wardrobe ARGS must succeed; stdout in out.txt.
run() {
  "$wardrobe" "$@" >out.txt 2>err.txt || fail "wardrobe $* failed: $(cat err.txt)"
}

# A copy of one of the four files, plain (gunzipped if the source is gzip'd).
plain_copy() {  # STEM DEST
  if [[ -f $data/$1.gz ]]; then gunzip -c "$data/$1.gz" >"$2"; else cp "$data/$1" "$2"; fi
}

# The first BYTES bytes of a file in plain form (head closes the pipe early,
# which must not count as a failure).
plain_head() {  # STEM BYTES
  if [[ -f $data/$1.gz ]]; then (set +o pipefail; gunzip -c "$data/$1.gz" | head -c "$2"); else head -c "$2" "$data/$1"; fi
}

# be32 N: N as 4 big-endian bytes, as printf escapes.
be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }

# slice_dataset DIR N_TRAIN N_TEST: the first images and labels of each split
# as plain IDX files with the header's count set to N (a small dataset).
slice_dataset() {
  local dir=$1 split n
  mkdir -p "$dir"
  for split in train t10k; do
    n=$([[ $split == train ]] && echo "$2" || echo "$3")
    { printf "\\x00\\x00\\x08\\x03$(be32 "$n")$(be32 28)$(be32 28)"
      plain_head "$split-images-idx3-ubyte" $((16 + n * 784)) | tail -c +17; } >"$dir/$split-images-idx3-ubyte"
    { printf "\\x00\\x00\\x08\\x01$(be32 "$n")"
      plain_head "$split-labels-idx1-ubyte" $((8 + n)) | tail -c +9; } >"$dir/$split-labels-idx1-ubyte"
  done
}
