#!/usr/bin/env bash
# npm run bench's training section (also `npm run bench -- --only train`): the time of one ELBO epoch
# of the default model's stage 1 (scripts/train-iwae.sh: 784-768-512-256-16 and the mirrored decoder,
# batch 128, Adam, 2 threads, 55,000 training images, 54,912 per epoch), by `wardrobe train` and by
# a PyTorch reference of the same step (tests/bench/train_epoch_torch.py), in the same run.
#
# Protocol: ROUNDS rounds (default 3, LW_TRAIN_BENCH_ROUNDS); each round runs `wardrobe train
# --epochs 1` as a whole process, then the PyTorch reference, so both see the same load on a shared
# machine. Reported: medians over the rounds of the epoch's seconds (each engine's own timer around
# the epoch's steps: wardrobe's log line "seconds", the script's perf_counter), the whole wardrobe
# process (data loading, the epoch, validation and test evaluation, writing the model), and the
# ratio PyTorch / wardrobe of the epoch medians (above 1: wardrobe is faster).
# LW_TRAIN_BENCH_BASELINE=PATH also times another build's wardrobe in every round (a before/after
# of a change to the trainer) and reports baseline / wardrobe.
# PyTorch is Debian's python3-torch (1.13, OpenBLAS; PyPI's MKL build is not reachable from here); installed when missing and running as root, else the reference
# is skipped with a message. Writes bench-results/train-<timestamp>.json and prints its path last.
# Needs build/native/tools/wardrobe (scripts/bench.sh builds it); `npm run bench:train` builds and runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${LW_TRAIN_BENCH_ROUNDS:-3}
w=build/native/tools/wardrobe
[[ -x $w ]] || { echo "train-bench: $w is missing: run npm run build:native first" >&2; exit 1; }
if [[ -z "${FASHION_MNIST_DIR:-}" ]]; then
  FASHION_MNIST_DIR=$(bash scripts/fetch-data.sh)
  export FASHION_MNIST_DIR
fi
unset OMP_NUM_THREADS  # bench.sh pins the other benchmarks to one thread; training uses two

torch_python=/usr/bin/python3
if ! "$torch_python" -c 'import torch' 2>/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "train-bench: installing Debian's python3-torch for the reference" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-torch python3-numpy >&2
  fi
fi
have_torch=1
"$torch_python" -c 'import torch' 2>/dev/null || {
  have_torch=0
  echo "train-bench: PyTorch is not available (apt-get install python3-torch): no reference, no ratio" >&2
}

# The best OpenBLAS kernels this CPU runs (an explicit OPENBLAS_CORETYPE is kept).
if [[ -n ${OPENBLAS_CORETYPE:-} ]]; then openblas_core=$OPENBLAS_CORETYPE
elif grep -qw avx512f /proc/cpuinfo; then openblas_core=SkylakeX
elif grep -qw avx2 /proc/cpuinfo; then openblas_core=Haswell
else openblas_core=""; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# epoch BINARY SEED: one `BINARY train --epochs 1` process; prints "EPOCH_SECONDS PROCESS_SECONDS".
epoch() {
  local start end
  start=$(date +%s.%N)
  "$1" train --data "$FASHION_MNIST_DIR" --latent 16 --hidden 768,512,256 --batch 128 --epochs 1 --lr 1e-3 \
    --kl-warmup 80 --seed "$2" --threads 2 --test-limit 1000 --quiet --log "$tmp/log.jsonl" --out "$tmp/m.lwb" \
    2> "$tmp/stderr" || { cat "$tmp/stderr" >&2; return 1; }
  end=$(date +%s.%N)
  local seconds
  seconds=$(sed -n 's/.*"seconds":\([0-9.e+-]*\).*/\1/p' "$tmp/log.jsonl" | tail -1)
  if [[ -z $seconds ]]; then
    echo "train-bench: $1 wrote no epoch time (\"seconds\") to its log $tmp/log.jsonl" >&2
    return 1
  fi
  echo "$seconds $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
  rm -f "$tmp"/m.lwb* "$tmp/log.jsonl"
}
baseline=${LW_TRAIN_BENCH_BASELINE:-}  # another build's wardrobe (e.g. main's), timed in the same rounds
[[ -z $baseline || -x $baseline ]] || { echo "train-bench: LW_TRAIN_BENCH_BASELINE=$baseline is not executable" >&2; exit 1; }
wardrobe_epoch=() wardrobe_process=() torch_epoch=() baseline_epoch=()
for ((r = 1; r <= rounds; r++)); do
  read -r e p < <(epoch "$w" "$r")
  [[ -n ${e:-} ]] || exit 1
  wardrobe_epoch+=("$e") wardrobe_process+=("$p")
  if [[ -n $baseline ]]; then
    read -r e p < <(epoch "$baseline" "$r")
    [[ -n ${e:-} ]] || exit 1
    baseline_epoch+=("$e")
  fi
  if ((have_torch)); then
    # Debian's PyTorch does its matrix products in OpenBLAS (BLAS_INFO=generic): two OpenBLAS threads
    # and one intra-op thread was the fastest of the four 1/2-thread combinations on 6,400 images
    # (4.1 s; 5.7 s with 1 + 2, 6.8 s with 1 + 1, 9.6 s with 2 + 2, where the two pools oversubscribe).
    # OpenBLAS 0.3.21 does not know this machine's CPU (family 6, model 207) and falls back to its
    # SSE3 "Prescott" kernels, several times slower; OPENBLAS_CORETYPE names the kernels the CPU can run.
    OPENBLAS_CORETYPE=$openblas_core OPENBLAS_NUM_THREADS=2 "$torch_python" tests/bench/train_epoch_torch.py "$FASHION_MNIST_DIR" --threads 1 \
      > "$tmp/torch.json"
    torch_epoch+=("$("$torch_python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$tmp/torch.json")")
  fi
  # (An empty array's [-1] is an error in bash 5.2, even under :+, so the optional parts test the count.)
  line="train-bench: round $r/$rounds: wardrobe epoch ${wardrobe_epoch[-1]} s (process ${wardrobe_process[-1]} s)"
  ((${#baseline_epoch[@]})) && line+=", baseline epoch ${baseline_epoch[-1]} s"
  ((${#torch_epoch[@]})) && line+=", PyTorch epoch ${torch_epoch[-1]} s"
  echo "$line" >&2
done

mkdir -p bench-results
out="bench-results/train-$(date -u +%Y-%m-%dT%H-%M-%SZ).json"
node tests/bench/train-summary.mjs "$out" "${wardrobe_epoch[*]}" "${wardrobe_process[*]}" "${torch_epoch[*]:-}" \
  "$(cat "$tmp/torch.json" 2>/dev/null || echo '{}')" "${baseline_epoch[*]:-}" "$baseline"
echo "$out"
