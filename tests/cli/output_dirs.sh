#!/usr/bin/env bash
# Issue 11, part 5: output folders. For every command that writes (export,
# index, train, sample, reconstruct, anomalies):
#   - a missing nested output folder is created and the outputs exist;
#   - an impossible one (a path component is a file) fails at once, before
#     any work: one error line, exit 1, nothing on stdout. "Before any work"
#     is shown by also giving a model path that does not exist: the error
#     is about the folder, so the model was never opened;
#   - export reports only what it wrote: with a file-size limit between the
#     decoder's and the encoder's sizes, the decoder is written, the encoder
#     fails, the error names the written decoder and nothing claims "exported".
# A small dataset (slices of the real files) keeps it fast.
#
# usage: output_dirs.sh WARDROBE [SOURCE_DIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

slice_dataset small 400 200
export FASHION_MNIST_DIR=$work/small
touch afile
nomodel=$work/no-such-model.lwb

# export
run export --model "$model" --out-dir new/export/a --anomaly-k 2
for f in decoder.lwb encoder.lwb manifest.json; do [[ -s new/export/a/$f ]] || fail "export did not write $f"; done
grep -q "^exported " out.txt || fail "export did not report: $(cat out.txt)"
ok "export created new/export/a: $(ls new/export/a | tr '\n' ' ')"
expect_error "cannot create output folder afile/x/y: afile is a file, not a folder" -- \
  export --model "$nomodel" --out-dir afile/x/y
mkdir -p blocked/decoder.lwb
expect_error "blocked/decoder.lwb is a directory" -- export --model "$nomodel" --out-dir blocked

# index
run index --model "$model" --out-dir new/index/b
for f in index.lwb manifest.json garments/info.txt garments/p0000.bin; do
  [[ -s new/index/b/$f ]] || fail "index did not write $f"
done
grep -q '"garments"' new/index/b/manifest.json || fail "manifest lacks the garments"
ok "index created new/index/b"
expect_error "cannot create output folder afile/x: afile is a file, not a folder" -- index --model "$nomodel" --out-dir afile/x
mkdir -p pages && touch pages/garments
expect_error "cannot create output folder pages/garments: pages/garments is a file, not a folder" -- \
  index --model "$nomodel" --out-dir pages

# train: model, checkpoint and log (the log in a folder of its own)
small=(--train-limit 300 --validation 50 --test-limit 50 --hidden 16 --latent 2 --threads 1 --quiet --epochs 1)
run train --out new/train/m.lwb --log new/logs/run/m.jsonl "${small[@]}"
for f in new/train/m.lwb new/train/m.lwb.ckpt new/logs/run/m.jsonl; do [[ -s $f ]] || fail "train did not write $f"; done
ok "train created new/train and new/logs/run"
expect_error "afile is a file, not a folder" -- train --out afile/m.lwb --resume "$nomodel" "${small[@]}"
expect_error "afile is a file, not a folder" -- train --out m.lwb --log afile/log/m.jsonl --resume "$nomodel" "${small[@]}"

# sample, reconstruct, anomalies: one PNG each
run sample --model "$model" --out new/sample/s.png --n 4
run reconstruct --model "$model" --out new/reconstruct/r.png --n 4
run anomalies --model "$model" --out new/anomalies/a.png --top 4 --k 2
for f in sample/s.png reconstruct/r.png anomalies/a.png; do
  [[ $(head -c 4 "new/$f" | od -An -tx1 | tr -d ' ') == 89504e47 ]] || fail "new/$f is not a PNG"
done
ok "sample, reconstruct and anomalies created their folders"
for cmd in sample reconstruct anomalies; do
  expect_error "cannot create output folder afile/$cmd: afile is a file, not a folder" -- \
    $cmd --model "$nomodel" --out "afile/$cmd/x.png"
done

# export reports only what it wrote: the encoder's write fails (ulimit -f).
dec_bytes=$(stat -c %s new/export/a/decoder.lwb)
enc_bytes=$(stat -c %s new/export/a/encoder.lwb)
((enc_bytes > dec_bytes + 4096)) || fail "encoder ($enc_bytes) not larger than decoder ($dec_bytes)"
status=0
(
  trap '' XFSZ
  ulimit -f $(((dec_bytes + enc_bytes) / 2 / 1024))
  exec "$wardrobe" export --model "$model" --out-dir partial --anomaly-k 2
) >out.txt 2>err.txt || status=$?
((status == 1)) || fail "size-limited export exited $status: $(cat err.txt)"
grep -qF "cannot write partial/encoder.lwb" err.txt || fail "unclear error: $(cat err.txt)"
grep -qF "(already written: partial/decoder.lwb)" err.txt || fail "error does not name the written decoder: $(cat err.txt)"
grep -q "exported" out.txt && fail "export claimed success: $(cat out.txt)"
[[ -s partial/decoder.lwb && ! -e partial/encoder.lwb && ! -e partial/manifest.json ]] ||
  fail "unexpected files after the failure: $(ls partial)"
ok "$(cat err.txt)"
echo "$test_name: PASS"
