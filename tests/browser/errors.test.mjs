// Failure modes in real Chromium: corrupt or missing blobs, no WebAssembly, no SIMD. Each test
// starts a fresh browser profile, so nothing comes from the blob cache of an earlier test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';
import { launch, watchErrors, canvasPixels, sliderChangesPreview, screenshot } from './browser.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.close();
});

// Serves the real file with one byte flipped in the middle.
async function corrupt(route) {
  const response = await route.fetch();
  const body = Buffer.from(await response.body());
  body[body.length >> 1] ^= 0x5a;
  await route.fulfill({ response, body });
}

async function withPage(fn, { routes = {}, init = null } = {}) {
  const b = await launch();
  try {
    const page = await b.context.newPage();
    const errors = watchErrors(page);
    for (const [pattern, handler] of Object.entries(routes)) await page.route(pattern, handler);
    if (init) await page.addInitScript(init);
    await fn(page, errors);
  } finally {
    await b.close();
  }
}

test('a corrupt index shows an error; the sliders keep working without search', async () => {
  await withPage(
    async (page) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-index="error"]', { timeout: 30000 });
      assert.match(await page.textContent('#messages'), /index\.lwb is corrupt: its SHA-256/);
      assert.match(await page.textContent('#search-status'), /Search is unavailable/);
      assert.equal(await page.getAttribute('body', 'data-decoder'), 'ready');
      await sliderChangesPreview(page, 'PageDown');
      await screenshot(page, 'error-corrupt-index.png');
    },
    { routes: { '**/data/index.lwb': corrupt } },
  );
});

test('a corrupt decoder shows a clear error message in the page', async () => {
  await withPage(
    async (page) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-decoder="error"]', { timeout: 30000 });
      assert.match(await page.textContent('#messages'), /decoder\.lwb is corrupt: its SHA-256/);
      assert.match(await page.textContent('#preview-error'), /decoder\.lwb is corrupt/);
      assert.ok(await page.locator('#preview-error').isVisible());
      await screenshot(page, 'error-corrupt-decoder.png');
    },
    { routes: { '**/data/decoder.lwb': corrupt } },
  );
});

test('a missing decoder says which file could not be downloaded', async () => {
  await withPage(
    async (page) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-decoder="error"]', { timeout: 30000 });
      assert.match(await page.textContent('#messages'), /Could not download decoder\.lwb: HTTP 404/);
    },
    { routes: { '**/data/decoder.lwb': (route) => route.fulfill({ status: 404, body: 'not found' }) } },
  );
});

test('a decoder that matches its hash but is not a valid blob reports the parser message', async () => {
  // Serve garbage and a manifest that vouches for it: the wasm parser must reject it cleanly.
  const garbage = Buffer.alloc(4096, 7);
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha256').update(garbage).digest('hex');
  await withPage(
    async (page) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-decoder="error"]', { timeout: 30000 });
      assert.match(await page.textContent('#messages'), /decoder\.lwb could not be read: /);
    },
    {
      routes: {
        '**/data/manifest.json': async (route) => {
          const response = await route.fetch();
          const m = JSON.parse(await response.text());
          m.blobs.decoder = { ...m.blobs.decoder, bytes: garbage.length, sha256: sha };
          await route.fulfill({ response, body: JSON.stringify(m) });
        },
        '**/data/decoder.lwb': (route) => route.fulfill({ status: 200, body: garbage, contentType: 'application/octet-stream' }),
      },
    },
  );
});

test('without WebAssembly the page says so instead of going blank', async () => {
  await withPage(
    async (page) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-decoder="error"]', { timeout: 15000 });
      assert.match(await page.textContent('#messages'), /does not support WebAssembly/);
    },
    { init: () => delete globalThis.WebAssembly },
  );
});

test('without WebAssembly SIMD the scalar build runs, with a note', async () => {
  // Wraps the module loader so simdSupported() answers false, as on an engine without SIMD.
  const wrapper = `import * as real from './wardrobe.js?real';
export const simdSupported = () => false;
export const loadWardrobe = (options = {}) => real.loadWardrobe({ ...options, simd: false });`;
  await withPage(
    async (page, errors) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-decoder="ready"]', { timeout: 30000 });
      assert.match(await page.textContent('#notes'), /no WebAssembly SIMD/);
      assert.match(await page.textContent('#engine'), /scalar/);
      const px = await canvasPixels(page, '#preview');
      assert.ok(new Set(px).size > 10);
      assert.deepEqual(errors, []);
    },
    {
      routes: {
        '**/wasm/wardrobe.js': (route) => {
          if (route.request().url().endsWith('?real')) return route.continue();
          return route.fulfill({ status: 200, contentType: 'text/javascript', body: wrapper });
        },
      },
    },
  );
});
