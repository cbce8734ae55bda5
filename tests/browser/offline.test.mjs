// The production build (build/site/, served by scripts/serve.mjs exactly as `npm start` serves it)
// in real Chromium: the service worker's offline second visit (every panel), a new build picked up
// and announced, a mismatched cached file refetched rather than used, the first view's bytes, the
// page without service workers, and the web app manifest. Fresh browser profile per test.
// Run: bash scripts/build-web.sh && node --test tests/browser/offline.test.mjs
// (A second site, with the same model exported as f32 so every blob hash differs, is built into a
// temporary folder for the update tests.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { startSiteServer, siteRoot, repoRoot } from '../../scripts/serve.mjs';
import { launch, watchErrors, canvasPixels, screenshot } from './browser.mjs';

const requests = []; // {t, path, bytes, status} of every request the server saw
let networkDown = false; // while true the server drops every connection, as an unreachable host would
let blobsDown = false; // while true it drops the connections that ask for a blob (.lwb)
let server;
let siteB = null; // {root, tmp}: the same page with f32 blobs (another build)

before(async () => {
  server = await startSiteServer({
    root: siteRoot,
    onRequest: (e) => requests.push(e),
    intercept: (req) => (networkDown || (blobsDown && /\.lwb$/.test(req.url.split('?')[0]))) && (req.socket.destroy(), true),
  });
});
after(async () => {
  await server?.close();
  if (siteB) fs.rmSync(siteB.tmp, { recursive: true, force: true });
});

/** Builds site B once: build/web with decoder and encoder exported as f32 (new hashes), bundled. */
function buildSiteB() {
  if (siteB) return siteB;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-site-b-'));
  const web = path.join(tmp, 'web');
  execFileSync('cp', ['-al', path.join(repoRoot, 'build/web'), web]); // hard links; export replaces files
  // The encoder's score table needs the test images (k = 1: this build's scores are not looked at).
  const data = process.env.FASHION_MNIST_DIR || execFileSync('bash', [path.join(repoRoot, 'scripts/fetch-data.sh')], { cwd: repoRoot, encoding: 'utf8' }).trim();
  execFileSync(path.join(repoRoot, 'build/native/tools/wardrobe'), ['export', '--model', path.join(repoRoot, 'model/default/vae.lwb'),
    '--out-dir', path.join(web, 'data'), '--data', data, '--dtype', 'f32', '--anomaly-k', '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('node', [path.join(repoRoot, 'scripts/build-web.mjs'), '--from', web, '--out', path.join(tmp, 'site'), '--fast'], { stdio: 'ignore' });
  siteB = { root: path.join(tmp, 'site'), tmp };
  return siteB;
}

/** A site's build id (index.html's data-build) and its decoder blob (the one assets/decoder-*.lwb). */
function buildOf(root) {
  const html = fs.readFileSync(path.join(root, 'index.html'), 'utf8');
  const decoders = fs.readdirSync(path.join(root, 'assets')).filter((f) => /^decoder-[0-9a-f]+\.lwb$/.test(f));
  assert.equal(decoders.length, 1, `one decoder in ${root}/assets`);
  const decoderFile = `assets/${decoders[0]}`;
  return { build: html.match(/data-build="([^"]+)"/)[1], decoderFile, decoderSha: sha256(path.join(root, decoderFile)) };
}

async function openApp(context) {
  const page = await context.newPage();
  const errors = watchErrors(page);
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(server.url);
  await page.waitForSelector('body[data-decoder="ready"]', { timeout: 60000 });
  return { page, errors };
}

/** Waits until the service worker controls the page and is the active one. */
async function serviceWorkerReady(page) {
  await page.waitForFunction(() => navigator.serviceWorker.controller && document.documentElement.dataset.swState === 'ready', null, { timeout: 60000 });
}

const waitForIndex = (page) => page.waitForSelector('body[data-index="ready"]', { timeout: 60000 });

async function previewHasPixels(page) {
  const px = await canvasPixels(page, '#preview');
  assert.ok(new Set(px.filter((_, i) => i % 4 === 0)).size > 10, 'the preview holds a decoded garment');
}

/** Sets z from garment id and waits until search ranks it first, with its thumbnail drawn. */
async function searchFor(page, id) {
  await page.fill('#garment-id', String(id));
  await page.click('#set-from-garment');
  await page.waitForFunction((id) => {
    const li = document.querySelector('#rankings .ranking[data-metric="likelihood"] .result');
    const c = li && li.querySelector('canvas');
    return li && !li.hidden && li.dataset.id === String(id) && c &&
      c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 0 && v > 0);
  }, id, { timeout: 30000 });
}

/** Draws a stroke in the own-garment panel and waits for its score (the encoder runs). */
async function ownGarmentScores(page) {
  const n = await page.evaluate(() => window.__lwOwn.scores.length);
  await page.click('#own-clear');
  const box = await page.locator('#own-canvas').boundingBox();
  await page.mouse.move(box.x + 0.3 * box.width, box.y + 0.2 * box.height);
  await page.mouse.down();
  for (let t = 1; t <= 10; t++) await page.mouse.move(box.x + (0.3 + 0.04 * t) * box.width, box.y + (0.2 + 0.06 * t) * box.height);
  await page.mouse.up();
  await page.click('#own-use-drawing');
  await page.waitForFunction((n) => window.__lwOwn.scores.length > n, n, { timeout: 30000 });
  return page.evaluate(() => window.__lwOwn.lastScore);
}

/** Timeline of two dataset garments: 9 frames decoded; PNG and GIF exports download. */
async function interpolateAndExport(page) {
  await page.waitForSelector('#keyframes .keyframe');
  while ((await page.locator('#keyframes .keyframe').count()) > 0) {
    await page.locator('#keyframes .keyframe').first().getByRole('button', { name: /Remove keyframe/ }).click();
  }
  for (const id of [1234, 60123]) {
    await searchFor(page, id);
    await page.locator('#rankings .ranking[data-metric="likelihood"] .result').first().locator('.add').click();
  }
  await page.waitForFunction(() => document.querySelectorAll('#filmstrip .frame canvas').length === 9, null, { timeout: 30000 });
  const exports = {};
  for (const [button, magic] of [['#export-png', '89504e47'], ['#export-gif', '47494638']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    const file = await download.path();
    exports[button] = fs.readFileSync(file).subarray(0, 4).toString('hex') === magic;
  }
  assert.deepEqual(exports, { '#export-png': true, '#export-gif': true });
}

/** SHA-256 (hex) of what the page's caches hold for a URL path, or null. */
function cachedSha(page, urlPath) {
  return page.evaluate(async (p) => {
    const hit = await caches.match(new URL(p, location.href).href);
    if (!hit) return null;
    const d = await crypto.subtle.digest('SHA-256', await hit.arrayBuffer());
    return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('');
  }, urlPath);
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

test('a second visit works offline: decode, search, interpolate, export, and the own-garment panel', async () => {
  const b = await launch();
  try {
    const first = await openApp(b.context);
    await serviceWorkerReady(first.page);
    await waitForIndex(first.page);
    await searchFor(first.page, 4321); // garment pages cached on first use
    await ownGarmentScores(first.page); // the encoder, loaded once
    assert.deepEqual(first.errors, []);
    await first.page.close();

    // Offline: Chromium's emulation for the page and its workers, and a server that answers nothing
    // (the browser's own update check of sw.js is not subject to the page's emulation).
    await b.context.setOffline(true);
    networkDown = true;
    const since = requests.length;
    const { page, errors } = await openApp(b.context);
    await previewHasPixels(page);
    await waitForIndex(page);
    await searchFor(page, 4321);
    await interpolateAndExport(page);
    const score = await ownGarmentScores(page);
    assert.ok(Number.isFinite(score.iwaeNll), 'the own garment is scored offline');
    await screenshot(page.locator('body'), 'offline-second-visit.png');
    networkDown = false;
    const asked = requests.slice(since).map((r) => r.path);
    assert.deepEqual(asked.filter((p) => p !== '/sw.js'), [], 'nothing but the browser\'s update check of sw.js went to the network');
    // Garment pages the first visit never showed (the thumbnails of other search results) are not
    // cached: those thumbnails stay empty offline, and Chromium reports each failed request.
    const unexpected = errors.filter((e) => !/^requestfailed: .*\/garments-[0-9a-f]+\/p\d+\.bin /.test(e) && !/^console: Failed to load resource: net::ERR_FAILED$/.test(e));
    assert.deepEqual(unexpected, []);
    assert.equal(errors.filter((e) => e.startsWith('console:')).length, errors.filter((e) => e.startsWith('requestfailed:')).length);
  } finally {
    networkDown = false;
    await b.close();
  }
});

test('a new build reaches a returning visitor: announced, then used after Reload, never mixed', async () => {
  const a = buildOf(siteRoot);
  const bSite = buildSiteB();
  const bInfo = buildOf(bSite.root);
  assert.notEqual(a.decoderSha, bInfo.decoderSha, 'site B has other blobs');
  const b = await launch();
  try {
    const first = await openApp(b.context);
    await serviceWorkerReady(first.page);
    await waitForIndex(first.page);
    await first.page.close();

    server.setRoot(bSite.root); // a deployment
    try {
      const { page, errors } = await openApp(b.context);
      // The old build opens, whole (from its service worker), and says a new one is ready.
      await page.waitForSelector('body[data-update="ready"]', { timeout: 60000 });
      const note = page.locator('#notes .note', { hasText: /new version/i });
      assert.equal(await note.count(), 1);
      const seen = () => page.evaluate(() => ({
        build: document.documentElement.dataset.build,
        decoder: window.__lw.manifest.blobs.decoder.sha256,
        scripts: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => /\.(js|css)$/.test(p)),
      }));
      const old = await seen();
      assert.equal(old.build, a.build);
      assert.equal(old.decoder, a.decoderSha);
      for (const p of old.scripts) assert.ok(fs.existsSync(path.join(siteRoot, p)), `${p} is build A's`);
      await screenshot(page.locator('#notes'), 'update-note.png');

      await Promise.all([page.waitForEvent('load'), note.getByRole('button', { name: 'Reload' }).click()]);
      await page.waitForSelector('body[data-decoder="ready"]', { timeout: 60000 });
      const now = await seen();
      assert.equal(now.build, bInfo.build, 'the new build after Reload');
      assert.equal(now.decoder, bInfo.decoderSha, 'the new build\'s decoder');
      for (const p of now.scripts) assert.ok(fs.existsSync(path.join(bSite.root, p)), `${p} is build B's`);
      await previewHasPixels(page);
      assert.equal(await page.locator('#notes .note', { hasText: /new version/i }).count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      server.setRoot(siteRoot);
    }
  } finally {
    await b.close();
  }
});

test('a cached file whose bytes are not its name\'s is fetched again, never used', async () => {
  const a = buildOf(siteRoot);
  const bInfo = buildOf(buildSiteB().root);
  const html = fs.readFileSync(path.join(siteRoot, 'index.html'), 'utf8');
  const pageJs = html.match(/<script type="module" src="([^"]+)"/)[1];
  const wasm = fs.readdirSync(path.join(siteRoot, 'assets')).find((f) => /^wardrobe_simd-.*\.wasm$/.test(f));
  const b = await launch();
  try {
    const first = await openApp(b.context);
    await serviceWorkerReady(first.page);
    await waitForIndex(first.page);
    // Put other builds' bytes under this build's names in every cache that holds them: build B's
    // decoder, the scalar .wasm for the SIMD one, and a page script with one more statement.
    const wrong = {
      [a.decoderFile]: fs.readFileSync(path.join(siteB.root, bInfo.decoderFile)).toString('base64'),
      [`assets/${wasm}`]: fs.readFileSync(path.join(siteRoot, 'assets', fs.readdirSync(path.join(siteRoot, 'assets')).find((f) => /^wardrobe_scalar-.*\.wasm$/.test(f)))).toString('base64'),
      [pageJs]: Buffer.from(`${fs.readFileSync(path.join(siteRoot, pageJs), 'utf8')}\nwindow.__tampered = true;`).toString('base64'),
    };
    const replaced = await first.page.evaluate(async ({ wrong, decoderSha }) => {
      let n = 0;
      const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const [p, b64] of Object.entries(wrong)) {
          const url = new URL(p, location.href).href;
          const hit = await cache.match(url);
          if (hit) {
            await cache.put(url, new Response(bytes(b64), { headers: hit.headers }));
            n++;
          }
        }
        // blobs.js's own copy, keyed by the decoder's hash.
        const key = new URL(`/__latent-wardrobe-cache/${decoderSha}`, location.href).href;
        if (await cache.match(key)) {
          await cache.put(key, new Response(bytes(wrong[Object.keys(wrong)[0]])));
          n++;
        }
      }
      return n;
    }, { wrong, decoderSha: a.decoderSha });
    assert.ok(replaced >= 3, `replaced ${replaced} cached copies`);
    // Empty the HTTP cache too, so that a refetch shows up at the server.
    await (await b.context.newCDPSession(first.page)).send('Network.clearBrowserCache');
    await first.page.close();

    const since = requests.length;
    const { page, errors } = await openApp(b.context);
    await previewHasPixels(page);
    const fetched = requests.slice(since).map((r) => r.path.slice(1));
    for (const p of [a.decoderFile, `assets/${wasm}`, pageJs]) assert.ok(fetched.includes(p), `${p} fetched again (got ${fetched.join(', ')})`);
    assert.equal(await page.evaluate(() => window.__tampered), undefined, 'the altered script did not run');
    assert.equal(await page.evaluate(() => window.__lw.manifest.blobs.decoder.sha256), a.decoderSha);
    // The caches hold the right bytes again.
    await page.waitForFunction(async ([p, sha]) => {
      const hit = await caches.match(new URL(p, location.href).href);
      if (!hit) return false;
      const d = await crypto.subtle.digest('SHA-256', await hit.arrayBuffer());
      return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('') === sha;
    }, [pageJs, sha256(path.join(siteRoot, pageJs))], { timeout: 20000 });
    assert.equal(await cachedSha(page, pageJs), sha256(path.join(siteRoot, pageJs)));
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

test('the first view (until the first garment is on screen) downloads at most 1.5 MB', async () => {
  const b = await launch();
  try {
    const since = requests.length;
    const { page, errors } = await openApp(b.context);
    const shownAt = await page.evaluate(() => performance.timeOrigin + window.__lwPerf.firstGarment);
    await waitForIndex(page);
    const visit = requests.slice(since);
    const firstView = visit.filter((r) => r.t <= shownAt);
    const bytes = firstView.reduce((s, r) => s + r.bytes, 0);
    const listing = firstView.map((r) => `${r.path} ${r.bytes}`).join(', ');
    assert.ok(firstView.some((r) => /decoder-.*\.lwb$/.test(r.path)) && firstView.some((r) => /\.wasm$/.test(r.path)), listing);
    assert.ok(!firstView.some((r) => /index-.*\.lwb$/.test(r.path)), `the index waits for the first garment: ${listing}`);
    assert.ok(bytes <= 1.5e6, `first view ${bytes} bytes: ${listing}`);
    console.log(`# first view: ${(bytes / 1e6).toFixed(3)} MB in ${firstView.length} requests; visit ${(visit.reduce((s, r) => s + r.bytes, 0) / 1e6).toFixed(2)} MB`);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

test('without service workers the page works as before and caches its blobs itself', async () => {
  const b = await launch({ serviceWorkers: 'block' });
  try {
    const first = await openApp(b.context);
    await previewHasPixels(first.page);
    await waitForIndex(first.page);
    await searchFor(first.page, 777);
    assert.equal(await first.page.evaluate(() => navigator.serviceWorker.controller), null);
    // blobs.js's cache holds the decoder (written after it was used).
    await first.page.waitForFunction(async (sha) => Boolean(await (await caches.open('latent-wardrobe-blobs-v1')).match(`/__latent-wardrobe-cache/${sha}`)),
      buildOf(siteRoot).decoderSha, { timeout: 20000 });
    assert.deepEqual(first.errors.filter((e) => !/service ?worker/i.test(e)), []);
    // The second visit can get the decoder only from that cache: the HTTP cache is emptied and the
    // server drops every request for a blob. (With both up, the page takes whichever answers first.)
    await (await b.context.newCDPSession(first.page)).send('Network.clearBrowserCache');
    await first.page.close();
    blobsDown = true;
    const second = await openApp(b.context);
    await previewHasPixels(second.page);
    assert.equal(await second.page.textContent('.load[data-name="decoder"] .load-size'), 'cached');
    // Chromium reports the refused blob requests (the preload's and the worker's); nothing else.
    const refused = (e) => /^requestfailed: .*\.lwb /.test(e) || /^console: Failed to load resource/.test(e);
    assert.deepEqual(second.errors.filter((e) => !/service ?worker/i.test(e) && !refused(e)), []);
  } finally {
    blobsDown = false;
    await b.close();
  }
});

test('the page installs as an app: manifest, icons, service worker', async () => {
  const b = await launch();
  try {
    const { page } = await openApp(b.context);
    await serviceWorkerReady(page);
    const cdp = await b.context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    const { url, data } = await cdp.send('Page.getAppManifest');
    const manifest = JSON.parse(data);
    assert.ok(url.includes('/assets/app-'));
    assert.equal(manifest.display, 'standalone');
    assert.deepEqual(manifest.icons.map((i) => i.sizes), ['192x192', '512x512', '512x512']);
  } finally {
    await b.close();
  }
});
