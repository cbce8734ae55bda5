#!/usr/bin/env bash
# The wardrobe CLI's flag domains (CLI11 validators; the same domains as the
# hand-written parser before issue 13): a value outside a flag's documented
# domain is a one-line error on stderr naming the value, with a non-zero exit;
# values at the boundaries get past the parser (the runs stop later, at a
# missing dataset, with an error that is not about the flag). --k, --item and
# eval-search's --limit are bounded by the index, checked once it is loaded.
#   tests/cli/flags.sh WARDROBE SOURCE_DIR
set -uo pipefail
w=$1
src=$2
model=$src/model/default/vae.lwb
index=$src/tests/fuzz/corpus/index/index_f32.lwb  # 20 items, 5 of them test items
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
rejects "65537" train --out "$tmp/m.lwb" --batch 65537
rejects "0" train --out "$tmp/m.lwb" --batch 0
rejects "-0.001" train --out "$tmp/m.lwb" --lr -0.001
rejects "0.6" train --out "$tmp/m.lwb" --lr 0.6
rejects "0.7" train --out "$tmp/m.lwb" --lr-min 0.7
rejects "inf" train --out "$tmp/m.lwb" --lr inf
rejects "nan" train --out "$tmp/m.lwb" --lr nan
rejects "257" train --out "$tmp/m.lwb" --threads 257
rejects "-1" train --out "$tmp/m.lwb" --threads -1
rejects "1025" train --out "$tmp/m.lwb" --latent 1025
rejects "0" train --out "$tmp/m.lwb" --hidden 512,0
rejects "adagrad" train --out "$tmp/m.lwb" --schedule adagrad
rejects "rloo" train --out "$tmp/m.lwb" --iwae-gradient rloo
rejects "--iwae-gradient dreg needs the IWAE bound" train --out "$tmp/m.lwb" --iwae-gradient dreg "${nodata[@]}"
rejects 'convolution "c8k4s2" is not of the form' train --out "$tmp/m.lwb" --conv c8k4s2 "${nodata[@]}"
rejects "convolution 0 (c8k9s2p1): kernel must be in [1, 8]" train --out "$tmp/m.lwb" --conv c8k9s2p1 "${nodata[@]}"
rejects "convolution 1 (c8k3s2p3): padding must be in [0, kernel - 1]" train --out "$tmp/m.lwb" \
  --conv c8k4s2p1,c8k3s2p3 "${nodata[@]}"
rejects "--decoder-hidden: value 0 is outside [1, 16384]" train --out "$tmp/m.lwb" --decoder-hidden 0 "${nodata[@]}"
rejects "-0.5" sample --model "$model" --out "$tmp/s.png" --temperature -0.5
rejects "10.5" sample --model "$model" --out "$tmp/s.png" --temperature 10.5
rejects "-1" eval --model "$model" --iwae -1
rejects "100001" eval --model "$model" --iwae 100001
# Whole-number flags say which way a value is wrong: not a number at all, or outside the domain.
rejects "value abc is not a whole number" eval --model "$model" --iwae abc
rejects "value 1.5 is not a whole number" eval --model "$model" --iwae 1.5
rejects "value -1 is outside [0, 100000]" eval --model "$model" --iwae -1
rejects "value 2x is not a whole number" train --out "$tmp/m.lwb" --hidden 512,2x
rejects "f8" export --model "$model" --out-dir "$tmp" --dtype f8
rejects "i4" eval --model "$model" --weights i4
rejects "u8" export --model "$model" --out-dir "$tmp" --decoder-dtype u8
rejects "cosine" search --index "$tmp/i.lwb" --item 0 --metric cosine
rejects "10001" export --model "$model" --out-dir "$tmp" --anomaly-k 10001
rejects "10001" anomalies --model "$model" --out "$tmp/a.png" --k 10001
rejects "10" search --index "$tmp/i.lwb" --item 0 --class 10
rejects "0" search --index "$tmp/i.lwb" --item 0 --k 0
rejects "21" search --index "$index" --item 0 --k 21
rejects "20" search --index "$index" --item 20
rejects "6" eval-search --index "$index" --limit 6
rejects "abc" search --index "$tmp/i.lwb" --z 1,abc
rejects "1e39" search --index "$tmp/i.lwb" --z 1,1e39
rejects "--epoch" train --out "$tmp/m.lwb" --epoch 3
rejects "--model" eval

parses --epochs train --out "$tmp/m.lwb" --epochs 1 --batch 65536 --lr 0.5 --lr-min 0.5 --threads 256 --latent 1024 \
  "${nodata[@]}"
parses --batch train --out "$tmp/m.lwb" --batch 1 --lr 1e-7 --threads 0 --latent 1 --hidden 1 "${nodata[@]}"
parses --iwae-gradient train --out "$tmp/m.lwb" --iwae-samples 2 --iwae-gradient dreg "${nodata[@]}"
parses --conv train --out "$tmp/m.lwb" --conv c32k4s2p1,c64k3s2p1 --hidden 256 --decoder-hidden 256,512 "${nodata[@]}"
parses --iwae eval --model "$model" --iwae 100000 "${nodata[@]}"
parses --iwae eval --model "$model" --iwae 0 "${nodata[@]}"
parses --k search --index "$index" --item 19 --k 20 --class -1
parses --k search --index "$index" --item 0 --k 1 --metric euclidean
parses --limit eval-search --index "$index" --limit 5
parses --dtype export --model "$model" --out-dir "$tmp" --dtype f32 "${nodata[@]}"
parses --dtype export --model "$model" --out-dir "$tmp" --dtype i8 "${nodata[@]}"
parses --weights eval --model "$model" --weights i8 "${nodata[@]}"
parses --decoder-dtype export --model "$model" --out-dir "$tmp" --decoder-dtype i8 "${nodata[@]}"
# Boundaries that run to the end: the largest and smallest temperatures.
for t in 10 0; do
  if "$w" sample --model "$model" --out "$tmp/s.png" --n 1 --temperature $t > /dev/null 2> "$tmp/err"; then
    echo "ok: sample --temperature $t runs"; passes=$((passes + 1))
  else
    echo "FAIL: sample --temperature $t:"; cat "$tmp/err"; failures=$((failures + 1))
  fi
done

echo "$passes passed, $failures failed"
exit $((failures > 0))
