// Issue 11, part 1: every asynchronous answer the page applies is applied only if it answers the
// latest request of its view (web/latest.js). Each test delays and reorders answers on purpose:
// the worker's replies through the client's test hook (delayReplies), picture decoding by wrapping
// createImageBitmap, garment pages and blobs at the server. Then it checks the final state against
// a fresh computation for the newest request, and that the older answer really arrived late and
// was dropped (window.__lwLanes counters).
// Run: bash scripts/build-web.sh && node --test --test-concurrency=1 tests/browser/stale.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';
import { launch, openPage, waitForIndex, canvasPixels } from './browser.mjs';
import { pngRows, blockInput } from '../js/pictures.mjs';

const delays = new Map(); // request path -> ms, used once
let server, browser;
before(async () => {
  server = await startServer({
    delay(req) {
      const p = req.url.split('?')[0];
      const ms = delays.get(p) || 0;
      delays.delete(p);
      return ms;
    },
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function fresh(context = browser.context) {
  const { page, errors } = await openPage(context, server.url);
  await waitForIndex(page);
  return { page, errors };
}

const dropped = (page, lane) => page.evaluate((lane) => (window.__lwLanes[lane] ? window.__lwLanes[lane].dropped : 0), lane);

// ---------------------------------------------------------------- pictures

/** A grey PNG, white, with a black block (x0..x1, y0..y1): its model input is blockInput(w, h). */
function blockPng(name, W, H, [x0, x1, y0, y1]) {
  const white = Buffer.alloc(W, 255), bar = Buffer.alloc(W, 255);
  bar.fill(0, x0, x1);
  return { name, mimeType: 'image/png', buffer: pngRows(W, H, 0, (y) => (y >= y0 && y < y1 ? bar : white)) };
}
const BIG = blockPng('big-4000.png', 4000, 4000, [500, 3500, 1500, 2500]); // a wide bar
const SMALL = blockPng('small-120.png', 120, 120, [40, 80, 10, 110]); // a tall 40 x 100 bar
const SMALL_INPUT = blockInput(40, 100);
const OTHER = blockPng('other-90.png', 90, 90, [5, 85, 30, 60]); // a wide 80 x 30 bar

async function ownSettled(page, name) {
  await page.waitForFunction((name) => {
    const o = window.__lwOwn;
    return o.busy === 0 && o.lastScore && o.last && o.last.name === name && document.querySelector('#own-score').textContent.includes('IWAE');
  }, name, { timeout: 30000 });
}

/**
 * Everything the panel shows, beside a fresh encode and score of the input it shows: model input,
 * reconstruction, z (the sliders), closest garments, score.
 */
async function ownPanel(page) {
  return page.evaluate(async () => {
    const o = window.__lwOwn, app = window.__lw;
    const pixels = Float32Array.from(o.inputPixels);
    const ref = await app.client.call('ownEncode', { pixels, k: 12, filter: {} });
    const score = await app.client.call('ownScore', { pixels, k: 100 });
    const { drawGarment } = await import('./render.js');
    const { pixelsToBytes } = await import('./preprocess.js');
    const read = (c) => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data);
    const drawn = (bytes) => {
      const c = document.createElement('canvas');
      drawGarment(c, bytes, app.lut);
      return read(c);
    };
    return {
      name: o.last.name,
      input: Array.from(o.inputPixels),
      inputCanvas: read(document.querySelector('#own-input')),
      inputExpected: drawn(pixelsToBytes(pixels)),
      reconCanvas: read(document.querySelector('#own-recon')),
      reconExpected: drawn(ref.recon),
      z: Array.from(app.z),
      sliders: [...document.querySelectorAll('#sliders input[data-dim]')].map((i) => [Number(i.dataset.dim), Number(i.value)]),
      mu: Array.from(ref.mu),
      hits: [...document.querySelectorAll('#own-hits .own-thumb')].map((b) => Number(b.dataset.id)),
      refHits: Array.from(ref.hits.ids),
      iwae: o.lastScore.iwaeNll,
      refIwae: score.iwaeNll,
      status: document.querySelector('#own-score').textContent,
    };
  });
}

function assertPanelShows(s, name, input) {
  assert.equal(s.name, name);
  assert.match(s.status, new RegExp(name.replace('.', '\\.')));
  if (input) assert.deepEqual(s.input, input);
  assert.deepEqual(s.inputCanvas, s.inputExpected, 'the model input canvas shows the input');
  assert.deepEqual(s.reconCanvas, s.reconExpected, 'the reconstruction is of this input');
  assert.deepEqual(s.z, s.mu, 'the sliders hold this input\'s mu');
  for (const [k, v] of s.sliders) assert.ok(Math.abs(v - Math.max(-5, Math.min(5, s.mu[k]))) <= 0.006, `slider ${k}`);
  assert.deepEqual(s.hits, s.refHits, 'closest garments of this input');
  assert.equal(s.iwae, s.refIwae, 'the score is this input\'s');
}

// The instance: no hooks, the big picture simply decodes for longer.
test('own garment: a 4000 x 4000 PNG, then at once a 120 x 120 one: the panel ends on the newest', async () => {
  const { page, errors } = await fresh();
  await page.setInputFiles('#own-file', BIG);
  await page.setInputFiles('#own-file', SMALL);
  await ownSettled(page, SMALL.name);
  assertPanelShows(await ownPanel(page), SMALL.name, SMALL_INPUT);
  // The big one's answers (whenever they came) changed nothing: it still shows the small one.
  await page.waitForTimeout(300);
  assertPanelShows(await ownPanel(page), SMALL.name, SMALL_INPUT);
  assert.deepEqual(errors, []);
  await page.close();
});

/** Chooses `first`, waits until its request reached `stage`, then chooses `second`. */
async function chooseTwo(page, first, second, reached) {
  await page.setInputFiles('#own-file', first);
  await page.waitForFunction(reached, null, { timeout: 20000 });
  await page.setInputFiles('#own-file', second);
}

for (const op of ['ownEncode', 'ownScore']) {
  test(`own garment: the older picture's ${op} answer, delayed past the newer one's, is dropped`, async () => {
    const { page, errors } = await fresh();
    const before = await dropped(page, 'own');
    await page.evaluate((op) => {
      window.__sent = 0;
      window.__lw.client.delayReplies = (o) => (o === op && window.__sent++ === 0 ? 1500 : 0);
    }, op);
    await chooseTwo(page, OTHER, SMALL, () => window.__sent >= 1);
    await ownSettled(page, SMALL.name);
    await page.waitForFunction((n) => window.__lwLanes.own.dropped > n, before, { timeout: 10000 });
    assertPanelShows(await ownPanel(page), SMALL.name, SMALL_INPUT);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('own garment: decoding reordered (the first picture decodes last): the panel ends on the newest', async () => {
  const { page, errors } = await fresh();
  await page.evaluate(() => {
    const real = window.createImageBitmap.bind(window);
    window.__decodes = 0;
    window.createImageBitmap = (...args) => {
      const p = real(...args);
      return window.__decodes++ === 0 ? p.then((b) => new Promise((r) => setTimeout(() => r(b), 1500))) : p;
    };
  });
  const before = await dropped(page, 'own');
  await chooseTwo(page, OTHER, SMALL, () => window.__decodes >= 1);
  await ownSettled(page, SMALL.name);
  await page.waitForFunction((n) => window.__lwLanes.own.dropped > n, before, { timeout: 10000 });
  assertPanelShows(await ownPanel(page), SMALL.name, SMALL_INPUT);
  assert.deepEqual(errors, []);
  await page.close();
});

test('own garment: the encoder download is slow; two pictures chosen meanwhile: the newest wins', async () => {
  const fresh2 = await launch(); // no blob cache: the encoder comes from the (slow) network
  try {
    const { page, errors } = await fresh(fresh2.context);
    delays.set('/data/encoder.lwb', 1500);
    await page.setInputFiles('#own-file', OTHER);
    await page.setInputFiles('#own-file', SMALL);
    await ownSettled(page, SMALL.name);
    assert.ok(await dropped(page, 'own') >= 1, 'the first picture waited for the encoder too, and was dropped');
    assertPanelShows(await ownPanel(page), SMALL.name, SMALL_INPUT);
    assert.deepEqual(errors, []);
  } finally {
    await fresh2.close();
  }
});

// ---------------------------------------------------------------- z, search, source thumbnail

const topResult = (page) => page.evaluate(() => document.querySelector('#rankings .ranking[data-metric="likelihood"] .result:not([hidden])')?.dataset.id);

test('set from garment: the first garment\'s answer arrives after the second\'s: z, search and caption end on the second', async () => {
  const { page, errors } = await fresh();
  const [A, B] = [1234, 65001];
  await page.evaluate((A) => {
    window.__lw.client.delayReplies = (op, args) => (op === 'garment' && args.id === A ? 1500 : 0);
  }, A);
  await page.fill('#garment-id', String(A));
  await page.click('#set-from-garment');
  await page.fill('#garment-id', String(B));
  await page.click('#set-from-garment');
  await page.waitForFunction((n) => window.__lwLanes.z.dropped > n, 0, { timeout: 10000 });
  await page.waitForFunction((B) => document.querySelector('#source-label').textContent === `#${B}`, B);
  await page.waitForFunction((B) => document.querySelector('#rankings .ranking[data-metric="likelihood"] .result:not([hidden])')?.dataset.id === String(B), B);
  const { z, mu, caption } = await page.evaluate(async (B) => ({
    z: Array.from(window.__lw.z),
    mu: Array.from((await window.__lw.client.call('garment', { id: B })).mu),
    caption: document.querySelector('#preview-caption').textContent,
  }), B);
  assert.deepEqual(z, mu);
  assert.match(caption, new RegExp(`garment #${B}`));
  assert.equal(await topResult(page), String(B));
  assert.deepEqual(errors, []);
  await page.close();
});

test('search: a frame whose settings changed in flight never draws its rankings', async () => {
  const { page, errors } = await fresh();
  // Every frame answer is held 600 ms; the class filter changes while one is out.
  await page.evaluate(() => {
    window.__sent = 0;
    window.__lw.client.delayReplies = (op) => (op === 'frame' ? (window.__sent++, 600) : 0);
  });
  await page.locator('#sliders input[data-dim]').first().focus();
  await page.keyboard.press('PageUp');
  await page.waitForFunction(() => window.__sent >= 1); // the frame with the old filter is out
  // The filter's class must differ from every garment already on a card: the page opens on a random
  // garment, and were it of the filtered class, filtering could leave every card as it was (no mutation).
  const onCards = await page.evaluate(() => [...document.querySelectorAll('#rankings .result[data-id]')]
    .map((li) => window.__lw.index?.labels[Number(li.dataset.id)]));
  const target = [7, 9, 5, 0, 1, 2, 3, 4, 6, 8].find((c) => !onCards.includes(c));
  // From the change on, record every garment a ranking card shows.
  await page.evaluate(() => {
    window.__shown = [];
    new MutationObserver((records) => {
      for (const r of records) if (r.target.dataset && r.target.dataset.id) window.__shown.push(Number(r.target.dataset.id));
    }).observe(document.querySelector('#rankings'), { attributes: true, attributeFilter: ['data-id'], subtree: true });
  });
  await page.selectOption('#class-filter', String(target));
  await page.waitForFunction(() => window.__lwLanes.search.dropped > 0, null, { timeout: 10000 });
  await page.waitForFunction((c) => {
    const li = document.querySelector('#rankings .ranking[data-metric="likelihood"] .result:not([hidden])');
    return li && window.__lw.index.labels[Number(li.dataset.id)] === c;
  }, target, { timeout: 10000 });
  const labels = await page.evaluate(() => window.__shown.map((id) => window.__lw.index.labels[id]));
  assert.ok(labels.length > 0);
  assert.deepEqual([...new Set(labels)], [target], 'no card ever showed a garment of the old filter');
  assert.deepEqual(errors, []);
  await page.close();
});

test('garment pages: the first source garment\'s page arrives last; the thumbnail shows the second', async () => {
  const { page, errors } = await fresh();
  const [A, B] = [64 * 700 + 3, 64 * 800 + 5]; // pages 700 and 800, not loaded yet
  delays.set('/data/garments/p0700.bin', 1500);
  await page.fill('#garment-id', String(A));
  await page.click('#set-from-garment');
  await page.waitForFunction((A) => document.querySelector('#source-label').textContent === `#${A}`, A);
  await page.fill('#garment-id', String(B));
  await page.click('#set-from-garment');
  await page.waitForFunction((B) => document.querySelector('#source-label').textContent === `#${B}`, B);
  await page.waitForFunction(() => window.__lwLanes.source.dropped > 0, null, { timeout: 10000 });
  const want = await page.evaluate(async (B) => {
    const { drawGarment } = await import('./render.js');
    const c = document.createElement('canvas');
    drawGarment(c, await window.__lw.store.get(B), window.__lw.lut);
    return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data);
  }, B);
  assert.deepEqual(await canvasPixels(page, '#source-canvas'), want);
  assert.deepEqual(errors, []);
  await page.close();
});

// ---------------------------------------------------------------- timeline

async function keyframeCount(page) {
  return page.locator('#keyframes .keyframe').count();
}

test('timeline: nearest garments turned off while their answer is out: they never appear', async () => {
  const { page, errors } = await fresh();
  await page.waitForFunction(() => document.querySelectorAll('#filmstrip .frame').length === 9);
  await page.evaluate(() => {
    window.__sent = 0;
    window.__lw.client.delayReplies = (op, args) => (op === 'batch' && args.nearest ? (window.__sent++, 1500) : 0);
  });
  await page.check('#nearest');
  await page.waitForFunction(() => window.__sent >= 1); // the path with nearest garments is out
  await page.uncheck('#nearest');
  await page.waitForFunction(() => window.__lwLanes.timeline.dropped > 0, null, { timeout: 10000 });
  await page.waitForTimeout(200);
  assert.equal(await page.locator('#filmstrip .frame .nn').count(), 0);
  assert.equal(await page.locator('#filmstrip .frame').count(), 9);
  assert.doesNotMatch(await page.textContent('#strip-info'), /most likely dataset garment/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('timeline: a keyframe removed while the path is decoding: the old path never returns', async () => {
  const { page, errors } = await fresh();
  await page.waitForFunction(() => document.querySelectorAll('#filmstrip .frame').length === 9);
  await page.evaluate(() => {
    window.__sent = 0;
    window.__lw.client.delayReplies = (op) => (op === 'batch' ? (window.__sent++, 1000) : 0);
  });
  await page.selectOption('#per-segment', '16');
  await page.waitForFunction(() => window.__sent >= 1); // a path of 17 frames is out
  await page.locator('#keyframes .keyframe').first().getByRole('button', { name: /Remove keyframe/ }).click();
  assert.equal(await keyframeCount(page), 1);
  await page.waitForFunction(() => window.__lwLanes.timeline.dropped > 0, null, { timeout: 10000 });
  await page.waitForTimeout(200);
  assert.equal(await page.locator('#filmstrip .frame').count(), 0, 'one keyframe: no path');
  assert.match(await page.textContent('#timeline-status'), /one more keyframe/);
  assert.deepEqual(errors, []);
  await page.close();
});

// ---------------------------------------------------------------- the index download

test('index download slow: what the person did meanwhile stays (keyframes, z), search answers the current z', async () => {
  const fresh2 = await launch(); // no blob cache
  try {
    delays.set('/data/index.lwb', 2000);
    const { page, errors } = await openPage(fresh2.context, server.url);
    assert.equal(await page.getAttribute('body', 'data-index'), 'loading');
    await page.locator('#sliders input[data-dim]').first().focus();
    await page.keyboard.press('PageUp');
    await page.click('#add-current');
    const z = await page.evaluate(() => Array.from(window.__lw.z));
    await waitForIndex(page);
    await page.waitForFunction(() => document.querySelector('#rankings .result:not([hidden])'));
    const keys = await page.evaluate(() => window.__lw.timelineKeys());
    assert.equal(keys.length, 1, 'no default keyframes were put in front of the person\'s own');
    assert.equal(keys[0].type, 'z');
    assert.deepEqual(keys[0].z, z);
    assert.deepEqual(await page.evaluate(() => Array.from(window.__lw.z)), z);
    const want = await page.evaluate(async (z) => (await window.__lw.client.call('frame', { z: Float32Array.from(z), search: { k: 12, metrics: ['likelihood'], filter: { split: 'all', label: -1 } } })).results.likelihood.ids[0], z);
    assert.equal(await topResult(page), String(want));
    assert.deepEqual(errors, []);
  } finally {
    await fresh2.close();
  }
});
