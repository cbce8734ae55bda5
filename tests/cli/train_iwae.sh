#!/usr/bin/env bash
# scripts/train-iwae.sh, the default model's one training command (model/default/MODEL_CARD.md,
# "Reproduce"), run end to end on a slice of the real dataset with a small network and one epoch
# per stage:
#   - a bad argument is refused before any work: exit 2, one stderr line naming the parameter;
#   - the four stages write stage{1..4}.lwb and times.txt, and the final model loads (`wardrobe eval`);
#   - the run is a function of its SEED: the same SEED twice gives the same weights, SEED 2 others;
#   - a stage listed in times.txt is skipped when the command is run again (resume).
# The script runs the binary given here (WARDROBE), not build/native's.
#
# usage: train_iwae.sh WARDROBE [SOURCE_DIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
script=$src/scripts/train-iwae.sh
export WARDROBE=$wardrobe

# refuses PARAMETER ARGS...: train-iwae.sh ARGS exits 2 with one line naming PARAMETER.
refuses() {
  local want=$1 status=0
  shift
  bash "$script" "$@" >out.txt 2>err.txt || status=$?
  ((status == 2)) || fail "exit status $status (expected 2) for: $* -- $(cat err.txt)"
  [[ $(grep -c . err.txt) -eq 1 ]] && grep -qF -- "$want" err.txt || fail "for: $*, expected one line naming $want: $(cat err.txt)"
  [[ ! -e $work/refused ]] || fail "$* created its output folder before refusing"
  ok "$* -> $(cat err.txt)"
}
refuses SEED "$work/refused" 1 32 dreg 1,1,1,1 "" "" 1 posterior-mean 0
refuses SEED "$work/refused" 1 32 dreg 1,1,1,1 "" "" 1 posterior-mean x
refuses EPOCHS "$work/refused" 1 32 dreg 1,1,1
refuses IWAE_GRADIENT "$work/refused" 1 32 drag
refuses IWAE_FREEZE "$work/refused" 1 32 dreg 1,1,1,1 "" "" 1 frozen
refuses KL_WARMUP "$work/refused" 1 32 dreg 1,1,1,1 "" "" ten
refuses THREADS "$work/refused" two 32
refuses THREADS "$work/refused" 257 32
refuses THREADS "$work/refused" 010 32  # wardrobe would read 010 as octal 8
refuses THREADS "$work/refused" 18446744073709551617 32  # wraps to 1 in bash arithmetic
refuses HIDDEN "$work/refused" 1 9223372036854775808
refuses KL_WARMUP "$work/refused" 1 32 dreg 1,1,1,1 "" "" 010
refuses HIDDEN "$work/refused" 1 32,,16
refuses HIDDEN "$work/refused" 1 16385
refuses DECODER_HIDDEN "$work/refused" 1 32 dreg 1,1,1,1 "" 16,0

# 5,600 training images: 5,000 held out for validation (the trainer's default), 600 to train on.
slice_dataset small 5600 1000
export FASHION_MNIST_DIR=$work/small
# The script works from the source folder, so its output folders are given as absolute paths.
train() {  # OUT SEED
  bash "$script" "$work/$1" 1 32 dreg 1,1,1,1 "" "" 1 posterior-mean "$2" >"$1.out" 2>&1 || fail "train-iwae.sh $1 failed: $(tail -5 "$1.out")"
}
train a 1
for s in 1 2 3 4; do [[ -s a/stage$s.lwb && -s a/stage$s.log.jsonl ]] || fail "stage $s wrote no model or log"; done
[[ $(grep -c '^stage[1-4] [0-9]*$' a/times.txt) -eq 4 ]] || fail "times.txt: $(cat a/times.txt)"
run eval --model a/stage4.lwb --data "$FASHION_MNIST_DIR" --limit 50 --json
grep -q '"neg_elbo"' out.txt || fail "eval of stage4.lwb: $(cat out.txt)"
ok "four stages, times.txt: $(tr '\n' ' ' < a/times.txt)"

train b 1
train c 2
# A log's losses, without the timings.
losses() { sed -n '/"epoch":1,/p' "$1" | sed 's/"seconds":[0-9.e+-]*,"images_per_s":[0-9.e+-]*//'; }
for s in 1 2 3 4; do
  [[ -n "$(losses a/stage$s.log.jsonl)" && "$(losses a/stage$s.log.jsonl)" == "$(losses b/stage$s.log.jsonl)" ]] ||
    fail "SEED 1 twice gave different stage-$s losses: $(losses a/stage$s.log.jsonl) vs $(losses b/stage$s.log.jsonl)"
done
[[ "$(losses a/stage1.log.jsonl)" != "$(losses c/stage1.log.jsonl)" ]] ||
  fail "SEED 2 gave SEED 1's stage-1 losses"
ok "SEED 1 twice: the same losses in every stage's log; SEED 2: others"

before=$(cat a/times.txt)
bash "$script" "$work/a" 1 32 dreg 1,1,1,1 "" "" 1 posterior-mean 1 >again.out 2>&1 || fail "rerun failed: $(cat again.out)"
[[ $(grep -c "finished in an earlier run" again.out) -eq 4 && "$(cat a/times.txt)" == "$before" ]] ||
  fail "a rerun of a finished run did not skip its four stages: $(cat again.out)"
ok "a rerun skips the four finished stages"
