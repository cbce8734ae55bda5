#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each one for a
# bounded time from the committed seed corpus. Exits non-zero if any target
# crashes, leaks, times out or violates an invariant; the input that did it
# is left in build/fuzz/artifacts/<target>/.
#
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60
#   TARGET              blob index idx search (default: all)
# env:   JOBS (build parallelism, default 2), FUZZ_BUILD_DIR (default build/fuzz),
#        FUZZ_FORK (run N fuzzing processes per target, default 1)
#
# New inputs found while fuzzing go to build/fuzz/corpus/<target>/ (kept
# between runs), never into the committed seeds (tests/fuzz/corpus/).
# Inputs that once crashed a target live in tests/fuzz/regressions/<target>/
# and are replayed first.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(blob index idx search)
build=${FUZZ_BUILD_DIR:-build/fuzz}
jobs=${JOBS:-2}

# clang and its libFuzzer runtime come with the test packages (idempotent).
bash scripts/setup.sh --test
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt install clang libclang-rt-14-dev)" >&2; exit 1; }
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release \
    -DLW_FUZZ=ON >"$build.configure.log" 2>&1 || { cat "$build.configure.log" >&2; exit 1; }
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
cmake --build "$build" -j"$jobs" "${build_targets[@]}"

status=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  seeds=tests/fuzz/corpus/$t
  regressions=tests/fuzz/regressions/$t
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$work" "$artifacts"
  log=$build/fuzz_$t.log
  if [[ -d $regressions ]] && compgen -G "$regressions/*" >/dev/null; then
    echo "== fuzz_$t: replaying $(ls "$regressions" | wc -l) regression inputs"
    "$bin" -runs=1 "$regressions"/* >"$build/fuzz_${t}_regressions.log" 2>&1 || {
      tail -n 40 "$build/fuzz_${t}_regressions.log" >&2
      echo "fuzz_$t: a regression input fails again" >&2
      status=1
      summary+=("fuzz_$t: REGRESSION")
      continue
    }
  fi
  echo "== fuzz_$t: ${seconds} s from $seeds (log: $log)"
  # -malloc_limit_mb: inputs are at most 16 KB, so any single allocation
  # over 128 MB means a size taken from the input unchecked: a crash.
  case $t in
    blob | index) max_len=16384 ;;  # seeds are up to ~7 KB
    search) max_len=1100 ;;         # header + 255 floats
    *) max_len=4096 ;;
  esac
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=128 -max_len=$max_len
         -print_final_stats=1 -artifact_prefix="$artifacts/")
  if [[ ${FUZZ_FORK:-1} -gt 1 ]]; then flags+=(-fork="$FUZZ_FORK" -ignore_crashes=0); fi
  if "$bin" "${flags[@]}" "$work" "$seeds" >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*' || echo '?')
    summary+=("fuzz_$t: ok, ${seconds} s, $execs runs, coverage $cov edges, corpus $(ls "$work" | wc -l) files")
  else
    status=1
    grep -E 'ERROR|SUMMARY|invariant|==[0-9]+==|Test unit written' "$log" | head -n 20 >&2 || true
    summary+=("fuzz_$t: CRASH (artifact in $artifacts/, log $log)")
  fi
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit $status
