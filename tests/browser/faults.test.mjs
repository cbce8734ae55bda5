// Network faults in real Chromium, injected by the test server (not by the browser): a download
// cut off mid-transfer, a truncated file, a file whose hash differs from the manifest, a 404. Each
// fault happens once; the page must say what failed, keep working with what it has, and load the
// file when the person presses Retry. Fresh browser profile per test (no blob cache).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, webRoot } from './server.mjs';
import { launch, watchErrors, sliderChangesPreview, screenshot } from './browser.mjs';

const faults = new Map(); // request path -> fault, consumed by the first request for it

function serveFault(fault, file, res) {
  const bytes = fs.readFileSync(file);
  const half = bytes.length >> 1;
  const headers = { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' };
  switch (fault) {
    case '404':
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      break;
    case 'truncated': // a complete response that is too short (e.g. a broken proxy or upload)
      res.writeHead(200, { ...headers, 'content-length': half });
      res.end(bytes.subarray(0, half));
      break;
    case 'cut': // the server announces the whole file, sends half, and drops the connection
      res.writeHead(200, { ...headers, 'content-length': bytes.length });
      res.write(bytes.subarray(0, half), () => setTimeout(() => res.socket.destroy(), 50));
      break;
    case 'hash': {
      const copy = Buffer.from(bytes);
      copy[half] ^= 0x5a;
      res.writeHead(200, { ...headers, 'content-length': copy.length });
      res.end(copy);
      break;
    }
    default:
      throw new Error(`unknown fault ${fault}`);
  }
}

let server;
before(async () => {
  server = await startServer({
    intercept(req, res) {
      const p = req.url.split('?')[0];
      const fault = faults.get(p);
      if (!fault) return false;
      faults.delete(p);
      serveFault(fault, path.join(webRoot, p), res);
      return true;
    },
  });
});
after(async () => {
  await server?.close();
});

async function withPage(fn) {
  const b = await launch();
  try {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    await fn(page, errors);
  } finally {
    await b.close();
  }
}

async function retry(page) {
  const button = page.locator('#messages .message button.action', { hasText: 'Retry' });
  assert.equal(await button.count(), 1, 'one Retry button');
  await button.click();
}

/** Search ranks garments: the first result card holds a garment id. */
async function searchWorks(page) {
  await page.waitForFunction(() => {
    const li = document.querySelector('#rankings .ranking:not([hidden]) .result:not([hidden])');
    return li && li.dataset.id !== undefined && !document.querySelector('#rankings').hidden;
  }, null, { timeout: 10000 });
}

for (const [fault, message] of [
  ['cut', /Download of index\.lwb failed after \d+ bytes|index\.lwb is corrupt: \d+ bytes, the manifest says \d+/],
  ['truncated', /index\.lwb is corrupt: \d+ bytes, the manifest says \d+/],
  ['hash', /index\.lwb is corrupt: its SHA-256 is [0-9a-f]{12}…, the manifest says [0-9a-f]{12}…/],
  ['404', /Could not download index\.lwb: HTTP 404/],
]) {
  test(`index fault "${fault}": the page says what failed, keeps the sliders, and Retry loads it`, async () => {
    faults.set('/data/index.lwb', fault);
    await withPage(async (page, errors) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-index="error"]', { timeout: 30000 });
      assert.match(await page.textContent('#messages'), message);
      assert.match(await page.textContent('#search-status'), /Search is unavailable/);
      assert.equal(await page.getAttribute('body', 'data-decoder'), 'ready');
      await sliderChangesPreview(page); // the decoder works without the index
      if (fault === 'cut') await screenshot(page.locator('#messages'), 'fault-index-cut.png');
      await retry(page);
      await page.waitForSelector('body[data-index="ready"]', { timeout: 30000 });
      await searchWorks(page);
      assert.equal(await page.locator('#map-status').isVisible(), false, 'the map error is gone');
      assert.deepEqual(errors, []);
    });
  });
}

for (const [fault, message, where] of [
  ['404', /Could not download decoder\.lwb: HTTP 404/, 'messages'],
  ['cut', /Download of decoder\.lwb failed after \d+ bytes|decoder\.lwb is corrupt: \d+ bytes/, 'preview'],
]) {
  test(`decoder fault "${fault}": the page says so, and Retry (${where}) brings it up`, async () => {
    faults.set('/data/decoder.lwb', fault);
    await withPage(async (page, errors) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-decoder="error"]', { timeout: 30000 });
      assert.match(await page.textContent('#messages'), message);
      assert.ok(await page.locator('#preview-error').isVisible());
      assert.ok(await page.locator('#topk').isDisabled(), 'controls are disabled while nothing can be drawn');
      if (where === 'preview') {
        await screenshot(page.locator('#panel-explore'), 'fault-decoder-cut.png');
        await page.click('#preview-error button.retry');
        assert.equal(await page.locator('#messages .message button.action').count(), 0, 'the other Retry is gone');
      } else {
        await retry(page);
      }
      await page.waitForSelector('body[data-decoder="ready"]', { timeout: 30000 });
      assert.equal(await page.locator('#preview-error').isVisible(), false);
      assert.equal(await page.locator('#topk').isDisabled(), false, 'controls are enabled again');
      await page.waitForSelector('body[data-index="ready"]', { timeout: 30000 });
      await sliderChangesPreview(page);
      await searchWorks(page);
      assert.deepEqual(errors, []);
    });
  });
}
