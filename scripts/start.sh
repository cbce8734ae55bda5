#!/usr/bin/env bash
# npm start: builds the page (scripts/build-web.sh; only what changed) and serves build/web with
# sirv, a static file server that sends the right MIME types (application/wasm included).
#   PORT=9000 npm start      another port (default 8080)
#   HOST=0.0.0.0 npm start   listen on every interface (default localhost), e.g. to try a phone
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
host=${HOST:-localhost}
# sirv-cli would quietly move to another port when this one is taken; say so instead.
if ! node -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+process.argv[1],process.argv[2],()=>s.close())' "$port" "$host"; then
  echo "start: error: port $port on $host is in use; choose another with PORT=<port> npm start" >&2
  exit 1
fi
bash scripts/build-web.sh
echo
echo "latent-wardrobe: serving build/web at http://localhost:$port/  (Ctrl+C stops)"
echo
# --etag + max-age 0: browsers revalidate (cheap 304s), so a rebuild is never hidden by a stale
# cache; the big blobs come from the page's own hash-keyed cache anyway.
exec node_modules/.bin/sirv build/web --port "$port" --host "$host" --etag --maxage 0 --no-logs --no-clear
