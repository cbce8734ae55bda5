// A static server for the browser tests: sirv on a free port, serving build/web (the unbundled
// build; no precompression, revalidated with ETags). The production build and its headers are
// served by scripts/serve.mjs, which the page benchmarks and the production-build tests use.
// Optional `intercept(req, res)` runs first and returns true when it answered the request itself
// (used to serve corrupt blobs); optional `delay(req)` returns milliseconds to hold a request before
// serving it (to reorder answers).
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const webRoot = path.join(repoRoot, 'build', 'web');

export async function startServer({ root = webRoot, intercept = null, delay = null } = {}) {
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`${root}/index.html not found: run bash scripts/build-web.sh first`);
  }
  const serve = sirv(root, { etag: true, maxAge: 0, dev: false });
  // Body bytes sent, for the benchmark: in total, per path, and per request with its arrival time.
  const bytes = { total: 0, byPath: new Map(), requests: [] };
  const server = http.createServer((req, res) => {
    const write = res.write.bind(res), end = res.end.bind(res);
    const entry = { t: Date.now(), path: req.url.split('?')[0], bytes: 0 };
    bytes.requests.push(entry);
    const count = (chunk) => {
      if (!chunk || typeof chunk === 'function') return;
      const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      bytes.total += n;
      entry.bytes += n;
      bytes.byPath.set(entry.path, (bytes.byPath.get(entry.path) || 0) + n);
    };
    res.write = (chunk, ...rest) => (count(chunk), write(chunk, ...rest));
    res.end = (chunk, ...rest) => (count(chunk), end(chunk, ...rest));
    const answer = () => {
      if (intercept && intercept(req, res)) return;
      serve(req, res, () => {
        res.statusCode = 404;
        res.end('not found');
      });
    };
    const ms = delay ? delay(req) : 0;
    if (ms > 0) setTimeout(answer, ms);
    else answer();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://localhost:${port}/`,
    bytes,
    resetBytes() {
      bytes.total = 0;
      bytes.byPath.clear();
      bytes.requests.length = 0;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(resolve);
    }),
  };
}
