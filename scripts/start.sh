#!/usr/bin/env bash
# npm start: builds the page (scripts/build-web.sh; only what changed) and serves the production
# build, build/site/, with scripts/serve.mjs: the headers a static host should send (hashed files
# immutable for a year, index.html and sw.js revalidated, application/wasm, precompressed copies).
#   PORT=9000 npm start      another port (default 8080)
#   HOST=0.0.0.0 npm start   listen on every interface (default localhost), e.g. to try a phone
#                            (service workers and WebCrypto need https there; the page still works)
# npm run dev serves the unbundled sources instead (scripts/dev.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
host=${HOST:-localhost}
# Say at once that the port is taken, before a build that may take minutes.
if ! node -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+process.argv[1],process.argv[2],()=>s.close())' "$port" "$host"; then
  echo "start: error: port $port on $host is in use; choose another with PORT=<port> npm start" >&2
  exit 1
fi
bash scripts/build-web.sh
echo
exec node scripts/serve.mjs --root build/site --port "$port" --host "$host"
