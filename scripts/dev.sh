#!/usr/bin/env bash
# npm run dev: the development loop. Builds what the page needs besides its sources (the wasm
# module, the data, vendor libraries: scripts/build-web.sh --dev, only what changed), then serves
# web/ over build/web/ unbundled and uncached on http://localhost:8080: edit a file in web/, reload.
# No service worker in this mode; `npm start` serves the production build.
#   PORT=9000 npm run dev    another port
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
host=${HOST:-localhost}
bash scripts/build-web.sh --dev
echo
exec node scripts/serve.mjs --dev --port "$port" --host "$host"
