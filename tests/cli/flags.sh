#!/usr/bin/env bash
# The wardrobe CLI's flag domains (CLI11 validators): a value outside a flag's
# documented domain is a one-line error on stderr naming the value, with a
# non-zero exit; values at the boundaries get past the parser (the runs stop
# later, at a missing dataset, with an error that is not about the flag).
#   tests/cli/flags.sh WARDROBE SOURCE_DIR
set -uo pipefail
w=$1
src=$2
model=$src/model/default/vae.lwb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
passes=0

# rejects FLAG-TEXT-IN-ERROR ARGS...: exit != 0, one stderr line naming the value.
rejects() {
  local want=$1
  shift
  if "$w" "$@" > "$tmp/out" 2> "$tmp/err"; then
    echo "FAIL: accepted: wardrobe $*"; failures=$((failures + 1)); return
  fi
  if [[ $(wc -l < "$tmp/err") -ne 1 ]] || ! grep -qF -- "$want" "$tmp/err"; then
    echo "FAIL: wardrobe $*: expected one line naming '$want', got:"; cat "$tmp/err"; failures=$((failures + 1)); return
  fi
  echo "ok: wardrobe $* -> $(cat "$tmp/err")"; passes=$((passes + 1))
}

# parses FLAG ARGS...: the error (if any) is not about FLAG.
parses() {
  local flag=$1
  shift
  "$w" "$@" > "$tmp/out" 2> "$tmp/err"
  if grep -qF -- "$flag" "$tmp/err"; then
    echo "FAIL: wardrobe $*: $flag rejected:"; cat "$tmp/err"; failures=$((failures + 1)); return
  fi
  echo "ok: wardrobe $* (past the parser)"; passes=$((passes + 1))
}

nodata=(--data "$tmp/no-such-dir")
rejects "0" train --out "$tmp/m.lwb" --epochs 0
rejects "60001" train --out "$tmp/m.lwb" --batch 60001
rejects "0" train --out "$tmp/m.lwb" --batch 0
rejects "-0.001" train --out "$tmp/m.lwb" --lr -0.001
rejects "inf" train --out "$tmp/m.lwb" --lr inf
rejects "nan" train --out "$tmp/m.lwb" --lr nan
rejects "257" train --out "$tmp/m.lwb" --threads 257
rejects "0" train --out "$tmp/m.lwb" --threads 0
rejects "257" train --out "$tmp/m.lwb" --latent 257
rejects "0" train --out "$tmp/m.lwb" --hidden 512,0
rejects "adagrad" train --out "$tmp/m.lwb" --schedule adagrad
rejects "0" sample --model "$model" --out "$tmp/s.png" --temperature 0
rejects "10.5" sample --model "$model" --out "$tmp/s.png" --temperature 10.5
rejects "0" eval --model "$model" --iwae 0
rejects "100001" eval --model "$model" --iwae 100001
rejects "f8" export --model "$model" --out-dir "$tmp" --dtype f8
rejects "cosine" search --index "$tmp/i.lwb" --item 0 --metric cosine
rejects "70001" search --index "$tmp/i.lwb" --item 0 --k 70001
rejects "abc" search --index "$tmp/i.lwb" --z 1,abc
rejects "--epoch" train --out "$tmp/m.lwb" --epoch 3
rejects "--model" eval

parses --epochs train --out "$tmp/m.lwb" --epochs 1 --batch 60000 --lr 0.999 --threads 256 --latent 256 "${nodata[@]}"
parses --batch train --out "$tmp/m.lwb" --batch 1 --threads 1 --latent 1 --hidden 1 "${nodata[@]}"
parses --iwae eval --model "$model" --iwae 100000 "${nodata[@]}"
parses --iwae eval --model "$model" --iwae 1 "${nodata[@]}"
parses --k search --index "$tmp/i.lwb" --item 0 --k 70000
parses --k search --index "$tmp/i.lwb" --item 0 --k 1 --metric euclidean
parses --dtype export --model "$model" --out-dir "$tmp" --dtype f32 "${nodata[@]}"
# Boundaries that run to the end: the largest temperature.
if "$w" sample --model "$model" --out "$tmp/s.png" --n 1 --temperature 10 > /dev/null 2> "$tmp/err"; then
  echo "ok: sample --temperature 10 runs"; passes=$((passes + 1))
else
  echo "FAIL: sample --temperature 10:"; cat "$tmp/err"; failures=$((failures + 1))
fi

echo "$passes passed, $failures failed"
exit $((failures > 0))
