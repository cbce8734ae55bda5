// The production build's files and the headers scripts/serve.mjs (npm start) sends, over HTTP
// without a browser: hashed names everywhere but index.html and sw.js, immutable caching for those,
// revalidation for the rest, application/wasm, precompressed copies, dist/_headers, and the
// development server (npm run dev) serving web/ over build/web/ uncached.
// Run: bash scripts/build-web.sh && node --test tests/browser/site.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { startSiteServer, siteRoot, repoRoot, IMMUTABLE } from '../../scripts/serve.mjs';

let site, dev;
before(async () => {
  site = await startSiteServer({ root: siteRoot });
  dev = await startSiteServer({ dev: true });
});
after(async () => {
  await site?.close();
  await dev?.close();
});

function siteFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(siteRoot, p).split(path.sep).join('/'));
    }
  };
  walk(siteRoot);
  return out;
}

const get = (base, p, headers = {}) => fetch(new URL(p, base), { headers });

test('every file but index.html, sw.js and _headers is under assets/ with its content hash in its name', () => {
  const files = siteFiles().filter((f) => !/\.(br|gz)$/.test(f));
  const unhashed = files.filter((f) => !f.startsWith('assets/'));
  assert.deepEqual(unhashed.sort(), ['_headers', 'index.html', 'sw.js']);
  for (const f of files.filter((f) => f.startsWith('assets/'))) {
    // esbuild's hash (8 base-32 characters) or 16 hex digits of SHA-256; garment pages in a hashed folder.
    assert.match(f, /^assets\/([\w.-]+-([0-9a-f]{16}|[A-Z0-9]{8})\.\w+|garments-[0-9a-f]{16}\/[\w.]+)$/, f);
  }
  // Names from SHA-256 name their bytes.
  for (const f of files.filter((f) => /-[0-9a-f]{16}\.(lwb|wasm|png|svg)$/.test(f))) {
    const hex = f.match(/-([0-9a-f]{16})\.\w+$/)[1];
    assert.equal(crypto.createHash('sha256').update(fs.readFileSync(path.join(siteRoot, f))).digest('hex').slice(0, 16), hex, f);
  }
  // Every precompressed copy decompresses to its file.
  for (const f of siteFiles().filter((f) => /\.(br|gz)$/.test(f) && !f.includes('/garments-'))) {
    const packed = fs.readFileSync(path.join(siteRoot, f));
    const plain = f.endsWith('.br') ? zlib.brotliDecompressSync(packed) : zlib.gunzipSync(packed);
    assert.ok(plain.equals(fs.readFileSync(path.join(siteRoot, f.slice(0, -3)))), f);
  }
});

test('index.html names only files of this build, and the service worker precaches them', () => {
  const html = fs.readFileSync(path.join(siteRoot, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:href|src|data-worker)="(assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(refs.some((r) => /^assets\/page-\w+\.js$/.test(r)) && refs.some((r) => /^assets\/worker-\w+\.js$/.test(r)) && refs.some((r) => /\.css$/.test(r)));
  for (const r of refs) assert.ok(fs.existsSync(path.join(siteRoot, r)), r);
  assert.doesNotMatch(html, /modulepreload|src="app\.js"|href="style\.css"/, 'no unbundled file is left');
  assert.match(html, /data-sw="sw\.js"/);
  const sw = fs.readFileSync(path.join(siteRoot, 'sw.js'), 'utf8');
  for (const r of refs.filter((r) => /\.(js|css|webmanifest)$/.test(r))) assert.ok(sw.includes(`"${r}"`), `sw.js precaches ${r}`);
  assert.match(sw, /"url":"assets\/decoder-[0-9a-f]{16}\.lwb"/);
  assert.match(sw, /"url":"assets\/wardrobe_simd-[0-9a-f]{16}\.wasm"/);
  assert.match(sw, /"integrity":"sha256-/);
});

test('npm start\'s server: hashed files immutable, index.html and sw.js revalidated, application/wasm, brotli', async () => {
  const index = await get(site.url, '/');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const etag = index.headers.get('etag');
  assert.ok(etag);
  assert.equal((await get(site.url, '/', { 'if-none-match': etag })).status, 304);
  assert.equal((await get(site.url, '/sw.js')).headers.get('cache-control'), 'no-cache');

  const html = await index.text();
  const pageJs = html.match(/<script type="module" src="([^"]+)"/)[1];
  const js = await get(site.url, pageJs, { 'accept-encoding': 'br, gzip' });
  assert.equal(js.headers.get('cache-control'), IMMUTABLE);
  assert.equal(js.headers.get('content-encoding'), 'br');
  assert.match(js.headers.get('content-type'), /javascript/);
  assert.equal(js.headers.get('vary'), 'Accept-Encoding');

  const wasm = fs.readdirSync(path.join(siteRoot, 'assets')).find((f) => f.endsWith('.wasm'));
  const w = await get(site.url, `/assets/${wasm}`);
  assert.equal(w.headers.get('content-type'), 'application/wasm');
  assert.equal(w.headers.get('cache-control'), IMMUTABLE);
  assert.deepEqual([...new Uint8Array(await w.arrayBuffer()).subarray(0, 4)], [0, 0x61, 0x73, 0x6d]); // \0asm

  const blob = fs.readdirSync(path.join(siteRoot, 'assets')).find((f) => /^decoder-.*\.lwb$/.test(f));
  const b = await get(site.url, `/assets/${blob}`, { 'accept-encoding': 'identity' });
  assert.equal(b.headers.get('content-type'), 'application/octet-stream');
  assert.equal(b.headers.get('content-encoding'), null);
  assert.equal(Number(b.headers.get('content-length')), fs.statSync(path.join(siteRoot, 'assets', blob)).size);
  assert.equal((await get(site.url, '/assets/nothing-0000000000000000.js')).status, 404);
});

test('dist/_headers gives static hosts the same cache policy', () => {
  const text = fs.readFileSync(path.join(siteRoot, '_headers'), 'utf8');
  assert.match(text, /^\/assets\/\*\n {2}Cache-Control: public, max-age=31536000, immutable$/m);
  for (const p of ['/', '/index.html', '/sw.js']) assert.match(text, new RegExp(`^${p.replace(/\./g, '\\.')}\\n {2}Cache-Control: no-cache$`, 'm'));
});

test('npm run dev serves web/ over build/web/, nothing cached', async () => {
  const app = await get(dev.url, '/main.js');
  assert.equal(app.status, 200);
  assert.equal(await app.text(), fs.readFileSync(path.join(repoRoot, 'web/main.js'), 'utf8'));
  assert.equal(app.headers.get('cache-control'), 'no-store');
  const wasm = await get(dev.url, '/wasm/wardrobe_simd.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  const index = await (await get(dev.url, '/')).text();
  assert.doesNotMatch(index, /data-sw=/, 'no service worker in development');
});
