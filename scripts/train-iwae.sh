#!/usr/bin/env bash
# Trains an IWAE model of issue 14 in one command: four `wardrobe train` stages run back to back, each
# fine-tuning the previous stage's model with a fresh Adam state (`--init`). With no options after OUT_DIR
# they are stop 16's wider model (228.67 nats on the whole test set):
#
#   1. ELBO, 784-768-512-16 (or HIDDEN), 110 epochs, cosine learning rate 1e-3 -> 1e-5, KL warm-up 10 epochs
#   2. IWAE bound, K = 8 samples (Burda et al., ICLR 2016), 20 epochs, 3e-4 -> 1e-5
#   3. IWAE, K = 8, 60 more epochs, 3e-4 -> 1e-5
#   4. IWAE, K = 32, 12 epochs, 1e-4 -> 1e-5
#
# The default model (model/default/MODEL_CARD.md, "Reproduce"):
#   scripts/train-iwae.sh OUT 2 768,512,256 dreg 100,20,30,8 "" "" 80 posterior-mean
#
# Usage: scripts/train-iwae.sh OUT_DIR [THREADS] [HIDDEN] [IWAE_GRADIENT] [EPOCHS] [CONV] [DECODER_HIDDEN] [KL_WARMUP] [IWAE_FREEZE] [SEED]
#   (build/native must be
# built; THREADS default 2; HIDDEN the encoder's hidden sizes, input side first, default 768,512, the
# decoder mirrors them; IWAE_GRADIENT the encoder's estimator in stages 2-4, standard or dreg, default
# standard; EPOCHS the four stages' epoch counts, comma-separated, default 110,20,60,12; CONV the
# encoder's convolutions before its HIDDEN dense layers, `wardrobe train --conv` form, e.g.
# c32k4s2p1,c64k3s2p1, default none; DECODER_HIDDEN the decoder's hidden sizes, z side first, default
# HIDDEN reversed; KL_WARMUP the epochs of stage 1 over which the KL weight rises from 0 to 1, default 10;
# IWAE_FREEZE none (default) or posterior-mean: stages 2-4 leave the encoder's mu(x) as stage 1 made it
# (`wardrobe train --freeze-posterior-mean`) and fine-tune the decoder and sigma(x) only; SEED the run's
# seed, default 1: the stages use seeds 4 (SEED - 1) + 1 .. 4 (SEED - 1) + 4 (weights, batch order,
# binarisation and noise), so SEED 1 is the committed model's run and SEED 2 an independent run of it.
# Stop 23's convolutional run: OUT 2 256 dreg 80,20,16,8 c32k4s2p1,c64k3s2p1 256,512,768)
# Writes OUT_DIR/stage{1..4}.lwb (each with its .log.jsonl) and OUT_DIR/times.txt (wall seconds per
# stage, as the whole `wardrobe train` process). The final model is OUT_DIR/stage4.lwb.
# A stage listed in OUT_DIR/times.txt has finished and is skipped, so a stopped run resumes at the
# stage it was in (that stage starts again from its first epoch). The model file alone does not say
# a stage finished: `wardrobe train` writes the best model so far after every improving epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 1 ]]; then
  echo "usage: scripts/train-iwae.sh OUT_DIR [THREADS] [HIDDEN] [IWAE_GRADIENT] [EPOCHS] [CONV] [DECODER_HIDDEN] [KL_WARMUP] [IWAE_FREEZE] [SEED]" >&2
  exit 2
fi
# whole_in VALUE MIN MAX: VALUE is a whole number in [MIN, MAX], without leading zeros (wardrobe's option
# parser reads 010 as octal 8) and short enough for bash's 64-bit arithmetic not to wrap.
whole_in() {
  [[ $1 =~ ^(0|[1-9][0-9]{0,8})$ ]] && (($1 >= $2 && $1 <= $3))
}
out=$1
threads=${2:-2}
hidden=${3:-768,512}
estimator=${4:-standard}
IFS=, read -r -a epochs <<< "${5:-110,20,60,12}"
# A convolutional encoder (wardrobe train --conv) and a decoder of its own
# (--decoder-hidden); empty: the MLP encoder and the mirrored decoder.
arch=()
[[ -n ${6:-} ]] && arch+=(--conv "$6")
[[ -n ${7:-} ]] && arch+=(--decoder-hidden "$7")
warmup=${8:-10}
if ! whole_in "$warmup" 0 100000; then
  echo "train-iwae: KL_WARMUP must be a whole number of epochs in [0, 100000], got '$warmup'" >&2
  exit 2
fi
freeze=()
case ${9:-none} in
  none) ;;
  posterior-mean) freeze=(--freeze-posterior-mean) ;;
  *)
    echo "train-iwae: IWAE_FREEZE must be none or posterior-mean, got '$9'" >&2
    exit 2
    ;;
esac
seed=${10:-1}
if ! whole_in "$seed" 1 100000; then
  echo "train-iwae: SEED must be a whole number in [1, 100000], got '$seed'" >&2
  exit 2
fi
first_seed=$((4 * (seed - 1)))
# Checked here, not at stage 2, so a typo does not cost stage 1's twenty minutes first.
if [[ $estimator != standard && $estimator != dreg ]]; then
  echo "train-iwae: IWAE_GRADIENT must be standard or dreg, got '$estimator'" >&2
  exit 2
fi
# Each count checked on its own, so an empty or zero one ("110,20,,12") is refused now, not at its stage.
if [[ ${#epochs[@]} -ne 4 ]]; then
  echo "train-iwae: EPOCHS must be four epoch counts separated by commas, got '${5:-}'" >&2
  exit 2
fi
for n in "${epochs[@]}"; do
  if ! whole_in "$n" 1 100000; then
    echo "train-iwae: EPOCHS must be four epoch counts in [1, 100000], got '${5:-}'" >&2
    exit 2
  fi
done
# THREADS, HIDDEN and DECODER_HIDDEN in the ranges `wardrobe train` accepts (--threads 0..256, 0 = all
# cores; sizes 1..16384), so a typo is refused before OUT_DIR exists.
if ! whole_in "$threads" 0 256; then
  echo "train-iwae: THREADS must be a whole number in [0, 256] (0 = all cores), got '$threads'" >&2
  exit 2
fi
check_sizes() {  # NAME VALUE: comma-separated layer sizes in [1, 16384]
  local size ok=1
  local -a sizes
  [[ $2 =~ ^[0-9]+(,[0-9]+)*$ ]] || ok=0  # no empty sizes, spaces or other characters
  IFS=, read -r -a sizes <<< "$2"
  for size in "${sizes[@]}"; do whole_in "$size" 1 16384 || ok=0; done
  if ((!ok)); then
    echo "train-iwae: $1 must be layer sizes in [1, 16384] separated by commas, got '$2'" >&2
    exit 2
  fi
}
check_sizes HIDDEN "$hidden"
[[ -n ${7:-} ]] && check_sizes DECODER_HIDDEN "$7"
mkdir -p "$out"
FASHION_MNIST_DIR=$(bash scripts/fetch-data.sh)
export FASHION_MNIST_DIR
w=${WARDROBE:-build/native/tools/wardrobe}  # WARDROBE: another build's binary (tests/cli/train_iwae.sh)
if [[ ! -x $w ]]; then
  echo "train-iwae: $w is missing: run npm run build:native first" >&2
  exit 1
fi

# stage NAME INIT FLAGS...: one `wardrobe train` run, timed as a whole process.
stage() {
  local name=$1 init=$2
  shift 2
  if [[ -f "$out/$name.lwb" ]] && grep -q "^$name " "$out/times.txt" 2>/dev/null; then
    echo "train-iwae: $name finished in an earlier run ($out/times.txt), skipped" >&2
    return
  fi
  local from=()
  [[ -n $init ]] && from=(--init "$out/$init.lwb")
  local start=$SECONDS
  "$w" train --data "$FASHION_MNIST_DIR" "${from[@]}" --batch 128 --schedule cosine --lr-min 1e-5 \
    --threads "$threads" --test-limit 1000 --log "$out/$name.log.jsonl" --out "$out/$name.lwb" "$@"
  echo "$name $((SECONDS - start))" >> "$out/times.txt"
}

stage stage1 "" --latent 16 --hidden "$hidden" "${arch[@]}" --epochs "${epochs[0]}" --lr 1e-3 --kl-warmup "$warmup" --seed $((first_seed + 1))
stage stage2 stage1 --iwae-samples 8 --iwae-gradient "$estimator" "${freeze[@]}" --epochs "${epochs[1]}" --lr 3e-4 --seed $((first_seed + 2))
stage stage3 stage2 --iwae-samples 8 --iwae-gradient "$estimator" "${freeze[@]}" --epochs "${epochs[2]}" --lr 3e-4 --seed $((first_seed + 3))
stage stage4 stage3 --iwae-samples 32 --iwae-gradient "$estimator" "${freeze[@]}" --epochs "${epochs[3]}" --lr 1e-4 --seed $((first_seed + 4))
awk '{ s += $2 } END { printf "train-iwae: %d s in all (%.1f min)\n", s, s / 60 }' "$out/times.txt" >&2
