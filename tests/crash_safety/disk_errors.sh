#!/usr/bin/env bash
# Output errors of `wardrobe train` are reported in one clear line, and an
# existing model / checkpoint is never left truncated:
#   1. --out in a folder that cannot be created (a path component is a
#      file): one line, non-zero exit, before the dataset is read (the data
#      directory given does not exist either). (A merely missing folder is
#      created: tests/cli/output_dirs.sh.)
#   2. --out naming a directory, and a truncated checkpoint for --resume.
#   3. A full disk, simulated with `ulimit -f` (writes beyond the limit fail
#      with EFBIG once SIGXFSZ is ignored): training resumes from an existing
#      checkpoint, fails writing the next one with one error line, and the
#      previous model and checkpoint are byte-identical afterwards, with no
#      temporary files left behind.
#
# usage: disk_errors.sh WARDROBE [SOURCE_DIR]
# Dataset: $FASHION_MNIST_DIR, else SOURCE_DIR/data/fashion-mnist.
set -euo pipefail

# wardrobe, src, data, work (the cwd, removed on exit), fail, ok and
# expect_error (one stderr line mentioning every pattern, exit status 1).
source "$(dirname "$0")/../cli/lib.sh"

small=(--train-limit 600 --validation 100 --test-limit 100 --hidden 16 --latent 2 --threads 1 --quiet)

# 1. An output folder that cannot be created, checked before the (also
#    missing) dataset.
touch afile
expect_error "wardrobe train: error:" "afile/dir" "afile is a file, not a folder" -- \
  train --out afile/dir/m.lwb --data /nonexistent/data "${small[@]}"
grep -q "nonexistent/data" err.txt && fail "the dataset was looked at before the output path was checked"

# 2. Output path is a directory; resume from a truncated checkpoint.
mkdir outdir
expect_error "wardrobe train: error:" "is a directory" -- train --out outdir --data "$data" "${small[@]}"

"$wardrobe" train --out m.lwb --data "$data" --epochs 1 "${small[@]}" 2>train.err || fail "$(cat train.err)"
head -c 1000 m.lwb.ckpt >cut.ckpt
expect_error "wardrobe train: error:" "cut.ckpt" "truncated" -- \
  train --out m2.lwb --resume cut.ckpt --data "$data" --epochs 2 "${small[@]}"

# 3. Disk full while saving epoch 2. Each epoch writes the best model (if it
#    improved) and then the checkpoint, so a failure leaves the model never
#    behind the checkpoint. (a) The limit (in KiB) is below the model's size:
#    the first write fails part-way and neither file changes. (b) The limit
#    lies between the model's and the checkpoint's sizes: the model of epoch 2
#    may be written whole (if epoch 2 improved), the checkpoint's write fails
#    and it stays at epoch 1. Either way one error line names the file, no
#    temporary file is left, and the checkpoint still resumes.
ckpt_bytes=$(stat -c %s m.lwb.ckpt)
model_bytes=$(stat -c %s m.lwb)
model_sum=$(sha256sum m.lwb | cut -c1-64)
ckpt_sum=$(sha256sum m.lwb.ckpt | cut -c1-64)
epoch_of() { head -c 16384 "$1" | grep -a -o -m 1 '"epoch":[0-9]*' | head -n 1 | cut -d: -f2; }
disk_full_run() {  # limit_kib -> the last stderr line; exit status must be 1 with one error line
  local status=0
  (
    trap '' XFSZ
    ulimit -f "$1"
    exec "$wardrobe" train --out m.lwb --resume m.lwb.ckpt --data "$data" --epochs 2 "${small[@]}"
  ) >out.txt 2>err.txt || status=$?
  ((status == 1)) || fail "disk-full run (limit $1 KiB) exit status $status (expected 1): $(cat err.txt)"
  local errors
  errors=$(grep -c "error" err.txt || true)
  ((errors == 1)) || fail "expected one error line, got $errors: $(cat err.txt)"
  local leftovers
  leftovers=$(ls -A | grep -c '\.tmp\.' || true)
  ((leftovers == 0)) || fail "temporary files left behind: $(ls -A)"
  tail -n 1 err.txt
}
# (a)
last=$(disk_full_run $((model_bytes / 1024 / 2)))
[[ $last == "wardrobe train: error: cannot write m.lwb: "*"File too large"* ||
   $last == "wardrobe train: error: cannot write m.lwb.ckpt: "*"File too large"* ]] || fail "unclear disk-full message: $last"
ok "$last"
[[ $(sha256sum m.lwb.ckpt | cut -c1-64) == "$ckpt_sum" ]] || fail "the checkpoint changed after a failed write"
if [[ $last == *"cannot write m.lwb: "* ]]; then
  [[ $(sha256sum m.lwb | cut -c1-64) == "$model_sum" ]] || fail "the model file changed after its write failed"
fi
# (b)
((ckpt_bytes / 1024 / 2 > model_bytes / 1024 + 1)) || fail "test setup: checkpoint ($ckpt_bytes B) not much larger than the model ($model_bytes B)"
last=$(disk_full_run $((ckpt_bytes / 1024 / 2)))
[[ $last == "wardrobe train: error: cannot write m.lwb.ckpt: "*"File too large"* ]] || fail "unclear disk-full message: $last"
ok "$last"
[[ $(sha256sum m.lwb.ckpt | cut -c1-64) == "$ckpt_sum" ]] || fail "the checkpoint changed after a failed write"
if [[ $(sha256sum m.lwb | cut -c1-64) != "$model_sum" ]]; then
  [[ $(epoch_of m.lwb) == 2 ]] || fail "the model file changed but does not hold epoch 2"
  "$wardrobe" sample --model m.lwb --out check.png --n 1 >/dev/null 2>check.err || fail "m.lwb does not load: $(cat check.err)"
fi
[[ $(epoch_of m.lwb.ckpt) == 1 ]] || fail "the checkpoint does not hold epoch 1"
# And the untouched checkpoint still resumes.
"$wardrobe" train --out m.lwb --resume m.lwb.ckpt --data "$data" --epochs 2 "${small[@]}" 2>train.err ||
  fail "resume after the disk-full failure: $(cat train.err)"
echo "disk_errors: PASS"
