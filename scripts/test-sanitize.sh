#!/usr/bin/env bash
# The whole native test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake preset `sanitize`: RelWithDebInfo, -fsanitize=address,undefined,
# -fno-sanitize-recover=undefined, so any UB report fails its test).
#
# usage: scripts/test-sanitize.sh [extra ctest args, e.g. -R blob]
# env:   JOBS (build parallelism, default 2), FASHION_MNIST_DIR (else found or
#        downloaded by scripts/fetch-data.sh, as in npm test)
#
# Everything runs: Catch2 cases (parsers, IO, search, training) and the
# crash-safety scripts, which drive the sanitized `wardrobe` binary.
set -euo pipefail
cd "$(dirname "$0")/.."

# The toolchain and test packages (idempotent; about a second when all are present).
bash scripts/setup.sh --test
FASHION_MNIST_DIR=$(bash scripts/fetch-data.sh)
export FASHION_MNIST_DIR
# Leaks count as failures; UBSan prints a stack and stops at the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

start=$(date +%s)
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j"${JOBS:-2}"
built=$(date +%s)
ctest --preset sanitize --timeout 900 "$@"
done_at=$(date +%s)
echo "test-sanitize: build $((built - start)) s, tests $((done_at - built)) s"
