#!/usr/bin/env bash
# Installs what latent-wardrobe needs on Debian, idempotently and quickly when
# everything is present: Debian packages via apt-get, npm packages via npm.
#   scripts/setup.sh            packages for building and running the demo
#   scripts/setup.sh --test     also Chromium (browser tests) and wabt
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake make g++ pkg-config libeigen3-dev catch2 libstb-dev zlib1g-dev libssl-dev libcli11-dev nlohmann-json3-dev
          emscripten ca-certificates curl)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium chromium-driver wabt clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: error: apt-get is not available; install these packages by hand: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      SUDO="sudo -n"
    else
      echo "setup: error: need root (or passwordless sudo) to run apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages (test runner, static server, benchmark reference engines).
if [[ ! -f node_modules/.package-lock.json || package.json -nt node_modules/.package-lock.json ||
      ( -f package-lock.json && package-lock.json -nt node_modules/.package-lock.json ) ]]; then
  echo "setup: installing npm packages"
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
fi
