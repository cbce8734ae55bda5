#!/usr/bin/env bash
# Training survives kill -9: a short `wardrobe train` run is killed with
# SIGKILL during epoch 3 (right after the epoch-2 checkpoint is on disk,
# plus a random delay), resumed from PATH.ckpt, killed again at a random
# moment, resumed again, and must end bit-identical to an uninterrupted run
# with the same seed and thread count: same final test_neg_elbo in the log,
# same tensor payload in the final model and checkpoint (the metadata
# differs: it records the command line). After every kill the checkpoint
# and the best-model file must load (never truncated or half-written).
#
# usage: kill_resume.sh WARDROBE [SOURCE_DIR]
# Dataset: $FASHION_MNIST_DIR, else SOURCE_DIR/data/fashion-mnist.
set -euo pipefail

wardrobe=$(realpath "$1")
src=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
data=${FASHION_MNIST_DIR:-$src/data/fashion-mnist}
work=$(mktemp -d "${TMPDIR:-/tmp}/lw-kill-resume.XXXXXX")
child=
cleanup() {
  if [[ -n $child ]]; then kill -9 "$child" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "kill_resume: FAIL: $*" >&2; exit 1; }

flags=(train --data "$data" --train-limit 2000 --validation 200 --test-limit 200 --hidden 64 --latent 4
       --epochs 4 --seed 11 --threads 2 --quiet --out m.lwb)

# Bytes of a blob from its payload on (header field payload_offset, u64 at 112).
payload() {
  local off
  off=$(od -An -t u8 -j 112 -N 8 "$1" | tr -d ' ')
  tail -c +"$((off + 1))" "$1"
}
# Epoch recorded in a checkpoint's metadata ("epoch":N), 0 if none yet.
ckpt_epoch() {
  local e=
  if [[ -f $1 ]]; then
    e=$(head -c 16384 "$1" 2>/dev/null | grep -a -o -m 1 '"epoch":[0-9]*' | head -n 1 | cut -d: -f2) || true
  fi
  echo "${e:-0}"
}
last_test_loss() { tail -n 1 "$1" | grep -o '"test_neg_elbo":[^,]*' | cut -d: -f2; }
# The files a kill may have hit must still load.
# And the best model must not lag behind the checkpoint: a resume only
# rewrites m.lwb if a later epoch improves, so a checkpoint whose best_epoch
# is newer than m.lwb would leave a stale "best" model for good.
meta_field() {
  local v
  v=$(head -c 16384 "$1" 2>/dev/null | grep -a -o -m 1 "\"$2\":[0-9]*" | head -n 1 | cut -d: -f2) || true
  echo "${v:-0}"
}
check_intact() {
  local dir=$1
  "$wardrobe" sample --model "$dir/m.lwb" --out "$dir/check.png" --n 1 >/dev/null 2>"$dir/check.err" ||
    fail "m.lwb does not load after kill -9: $(cat "$dir/check.err")"
  local model_epoch best_epoch
  model_epoch=$(meta_field "$dir/m.lwb" epoch)
  best_epoch=$(meta_field "$dir/m.lwb.ckpt" best_epoch)
  ((model_epoch >= best_epoch)) ||
    fail "after kill -9 the checkpoint's best epoch is $best_epoch but m.lwb holds epoch $model_epoch" \
         "(killed between writing the checkpoint and the model)"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. The uninterrupted reference run.
mkdir "$work/ref" "$work/run"
start=$(now_ms)
(cd "$work/ref" && "$wardrobe" "${flags[@]}" 2>ref.err) || fail "reference run failed: $(cat "$work/ref/ref.err")"
ref_ms=$(($(now_ms) - start))

# 2. Start a run and kill -9 it a random 0..max_delay_ms after its
#    checkpoint reaches epoch `after`. If the run finishes first, start over
#    with a shorter delay.
kill_after_epoch() {
  local after=$1 max_delay_ms=$2
  local attempt
  for attempt in 1 2 3 4 5 6; do
    rm -f "$work/run"/m.lwb*
    (cd "$work/run" && exec "$wardrobe" "${flags[@]}" 2>>run.err) &
    child=$!
    local waited=0
    while (($(ckpt_epoch "$work/run/m.lwb.ckpt") < after)); do
      kill -0 "$child" 2>/dev/null || break
      sleep 0.005
      waited=$((waited + 1))
      ((waited < 12000)) || fail "no epoch-$after checkpoint after 60 s"
    done
    local delay_ms=$((RANDOM % (max_delay_ms + 1)))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if kill -9 "$child" 2>/dev/null; then
      wait "$child" 2>/dev/null || true
      child=
      echo "kill_resume: SIGKILL ${delay_ms} ms after the epoch-$after checkpoint;" \
           "the checkpoint holds epoch $(ckpt_epoch "$work/run/m.lwb.ckpt")"
      return 0
    fi
    wait "$child" 2>/dev/null || true
    child=
    echo "kill_resume: the run finished before the kill (attempt $attempt), retrying with a shorter delay"
    max_delay_ms=$((max_delay_ms / 2))
  done
  fail "could not kill the run mid-training in 6 attempts"
}

kill_after_epoch 2 60
epoch=$(ckpt_epoch "$work/run/m.lwb.ckpt")
((epoch >= 2 && epoch < 4)) || fail "after the kill the checkpoint holds epoch $epoch, expected 2 or 3"
check_intact "$work/run"

# 3. Resume, and kill the resumed run at a uniformly random moment of its
#    expected duration (loading, training, evaluating or writing files);
#    if it wins the race and finishes, fine.
delay_ms=$(( (RANDOM * 32768 + RANDOM) % (ref_ms + 1) ))
(cd "$work/run" && exec "$wardrobe" "${flags[@]}" --resume m.lwb.ckpt 2>>run.err) &
child=$!
sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
if kill -9 "$child" 2>/dev/null; then
  echo "kill_resume: resumed run killed ${delay_ms} ms after its start;" \
       "the checkpoint holds epoch $(ckpt_epoch "$work/run/m.lwb.ckpt")"
else
  echo "kill_resume: the resumed run finished within ${delay_ms} ms (no second kill)"
fi
wait "$child" 2>/dev/null || true
child=
epoch=$(ckpt_epoch "$work/run/m.lwb.ckpt")
check_intact "$work/run"

# 4. Resume to the end.
if ((epoch < 4)); then
  (cd "$work/run" && "$wardrobe" "${flags[@]}" --resume m.lwb.ckpt 2>>run.err) ||
    fail "resume failed: $(tail -n 3 "$work/run/run.err")"
fi
# 5. Same result as the uninterrupted run, bit for bit.
ref_loss=$(last_test_loss "$work/ref/m.lwb.log.jsonl")
run_loss=$(last_test_loss "$work/run/m.lwb.log.jsonl")
echo "kill_resume: final test_neg_elbo uninterrupted $ref_loss, killed and resumed $run_loss"
[[ -n $ref_loss && $ref_loss == "$run_loss" ]] || fail "final test loss differs: $ref_loss vs $run_loss"
[[ $(tail -n 1 "$work/run/m.lwb.log.jsonl" | grep -o '"epoch":[0-9]*') == '"epoch":4' ]] ||
  fail "the resumed log does not end at epoch 4"
cmp -s <(payload "$work/ref/m.lwb") <(payload "$work/run/m.lwb") || fail "final model weights differ"
cmp -s <(payload "$work/ref/m.lwb.ckpt") <(payload "$work/run/m.lwb.ckpt") ||
  fail "final checkpoint (weights, Adam state, RNG, counters) differs"
echo "kill_resume: PASS (model and checkpoint payloads identical to the uninterrupted run)"
