// The static server behind `npm start` (the production build, build/site/) and `npm run dev` (the
// unbundled sources). It sends what a static host should send, so what you try locally is what a
// deployment does:
//   assets/*          content-hashed file names: Cache-Control: public, max-age=31536000, immutable
//   everything else   (index.html, sw.js) Cache-Control: no-cache, revalidated with an ETag
//   .wasm             Content-Type: application/wasm (WebAssembly.instantiateStreaming needs it)
//   .br / .gz         precompressed copies written by scripts/build-web.mjs, chosen by Accept-Encoding
// The same rules are written to dist/_headers for Netlify and Cloudflare Pages (build-web.mjs) and
// described for nginx in web/README.md.
//
//   node scripts/serve.mjs [--root build/site] [--port 8080] [--host localhost]
//   node scripts/serve.mjs --dev     web/ over build/web/, nothing cached (edit, reload)
//
// As a module: startSiteServer({root, dev, port, host, intercept, onRequest}) for the benchmark and
// the browser tests, which serve the build exactly as `npm start` does.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const siteRoot = path.join(repoRoot, 'build', 'site');

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';
/** The folder (under the site root) that holds every content-hashed file. */
export const HASHED_DIR = 'assets';

/** Cache-Control for a URL path of the production build: hashed files forever, the rest revalidated. */
export function cacheControlFor(pathname) {
  return pathname.startsWith(`/${HASHED_DIR}/`) ? IMMUTABLE : REVALIDATE;
}

// Types sirv's table does not know (blobs and garment pages are raw bytes).
const EXTRA_TYPES = { '.lwb': 'application/octet-stream', '.bin': 'application/octet-stream' };

function typeFixer(pathname, res) {
  const type = EXTRA_TYPES[path.extname(pathname)];
  if (type) res.setHeader('Content-Type', type);
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/**
 * A request handler (req, res, next) for the production build in `root`: precompressed variants,
 * ETags, the cache policy above.
 */
export function siteHandler(root) {
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`${root}/index.html not found: build the site first (bash scripts/build-web.sh)`);
  }
  return sirv(root, {
    etag: true,
    gzip: true,
    brotli: true,
    dev: false,
    setHeaders(res, pathname) {
      res.setHeader('Cache-Control', cacheControlFor(pathname));
      typeFixer(pathname, res);
    },
  });
}

/** The development handler: web/ (edited sources) first, then build/web/ (wasm, data, vendor); no caching. */
export function devHandler() {
  const roots = [path.join(repoRoot, 'web'), path.join(repoRoot, 'build', 'web')];
  const handlers = roots.map((dir) => sirv(dir, {
    dev: true,
    setHeaders(res, pathname) {
      res.setHeader('Cache-Control', 'no-store');
      typeFixer(pathname, res);
    },
  }));
  return (req, res, next) => {
    const tryAt = (i) => (i < handlers.length ? handlers[i](req, res, () => tryAt(i + 1)) : next());
    tryAt(0);
  };
}

/**
 * Starts an HTTP server. intercept(req, res) runs first and returns true when it answered;
 * onRequest(entry) sees {t, path, bytes} for every request (bytes counted as the body is sent).
 * Returns {url, server, setRoot(dir), close()}; setRoot swaps the served build (a deployment).
 */
export async function startSiteServer({ root = siteRoot, dev = false, port = 0, host = '127.0.0.1', intercept = null, onRequest = null } = {}) {
  let handler = dev ? devHandler() : siteHandler(root);
  const server = http.createServer((req, res) => {
    if (onRequest) countBytes(req, res, onRequest);
    if (intercept && intercept(req, res)) return;
    handler(req, res, () => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain');
      res.setHeader('Cache-Control', 'no-store');
      res.end('not found');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const shownHost = host === '127.0.0.1' || host === '::1' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}/`,
    server,
    setRoot(dir) {
      handler = siteHandler(dir);
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(resolve);
    }),
  };
}

function countBytes(req, res, onRequest) {
  const entry = { t: Date.now(), path: req.url.split('?')[0], bytes: 0, status: 0 };
  onRequest(entry);
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  const count = (chunk) => {
    if (chunk && typeof chunk !== 'function') entry.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  };
  res.write = (chunk, ...rest) => (count(chunk), write(chunk, ...rest));
  res.end = (chunk, ...rest) => {
    count(chunk);
    entry.status = res.statusCode;
    return end(chunk, ...rest);
  };
}

async function main(argv) {
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  const dev = argv.includes('--dev');
  const root = path.resolve(opt('root', siteRoot));
  const port = Number(opt('port', process.env.PORT || 8080));
  const host = opt('host', process.env.HOST || 'localhost');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: error: port '${opt('port', process.env.PORT)}' is not a port number (0-65535)`);
    process.exit(2);
  }
  let site;
  try {
    site = await startSiteServer({ root, dev, port, host });
  } catch (e) {
    const why = e.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use; choose another with PORT=<port>` : e.message;
    console.error(`serve: error: ${why}`);
    process.exit(1);
  }
  const what = dev ? 'web/ over build/web/ (development: unbundled, nothing cached)' : path.relative(repoRoot, root) || root;
  console.log(`latent-wardrobe: serving ${what} at http://${host === '0.0.0.0' ? 'localhost' : host}:${site.server.address().port}/  (Ctrl+C stops)`);
  const stop = () => site.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
