// Issue 11, part 6, the page: every numeric input has a domain shared with the link parser (state.js);
// inside it results are finite, outside it a visible message names the value and the page stays
// usable. And data without spread (an index whose mu are all equal, of one class only, of one
// garment; a decoder without KL activity; an encoder without test statistics) gives views that
// draw something or say why, never a blank panel or "NaN". The degenerate blobs are written at
// test time from the format specification (tests/js/lwblob.mjs), served in place of the real ones.
// Run: bash scripts/build-web.sh && node --test --test-concurrency=1 tests/browser/domains.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startServer, webRoot } from './server.mjs';
import { launch, openPage, waitForIndex, sliderChangesPreview } from './browser.mjs';
import { readBlob, writeBlob, floats, indexBlob } from '../js/lwblob.mjs';
import { blockPicture, rgbaPng } from '../js/pictures.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// The panels' text (the notes quote the values a link held, NaN included).
const bodyHasNaN = (page) => page.evaluate(() => /NaN|Infinity|undefined/.test(document.querySelector('main').innerText));

// ---------------------------------------------------------------- numeric inputs of the page

test('link values outside their domains are named in a note; the rest applies and the page works', async () => {
  const z = Array.from({ length: 16 }, (_, k) => (k === 3 ? 'NaN' : '0.5')).join(',');
  const bad = [`z=${z}`, 'k=z:1e308,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0;12', 'g=70000', 'n=7', 'st=0', 'r=1e9', 'c=10', 'cm=rainbow', 'm=euclidean'];
  const { page, errors } = await openPage(browser.context, `${server.url}#${bad.join('&')}`);
  const notes = await page.textContent('#notes');
  for (const named of [/z value 4 \(NaN\)/, /keyframe 1 value 1 \(1e308\)/, /result count "7"/, /steps "0"/, /slider range "1e9"/, /class "10"/, /colour map "rainbow"/]) {
    assert.match(notes, named);
  }
  assert.equal(await page.inputValue('#metric'), 'euclidean', 'the valid part of the link applied');
  assert.ok((await page.evaluate(() => Array.from(window.__lw.z))).every((v) => Number.isFinite(v) && Math.abs(v) <= 100));
  await sliderChangesPreview(page);
  assert.equal(await bodyHasNaN(page), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the garment-id box: values outside 0..69999 or not whole numbers are named; a valid one loads', async () => {
  const { page, errors } = await openPage(browser.context, server.url);
  await waitForIndex(page);
  for (const [text, message] of [['', /No garment id was given: ids are whole numbers from 0 to 69999/], ['-1', /There is no garment "-1"/], ['70000', /There is no garment "70000"/],
    ['1.5', /There is no garment "1.5"/], ['1e3', /There is no garment "1e3"/]]) {
    await page.evaluate(() => document.querySelector('#notes').replaceChildren());
    await page.fill('#garment-id', text);
    await page.click('#set-from-garment');
    assert.match(await page.textContent('#notes'), message, `"${text}"`);
  }
  await page.fill('#garment-id', '69999');
  await page.click('#set-from-garment');
  await page.waitForFunction(() => document.querySelector('#source-label').textContent === '#69999');
  assert.deepEqual(errors, []);
  await page.close();
});

test('z pushed past ±100 by the page\'s own controls is held at the edge, with a note; all views stay finite', async () => {
  const { page, errors } = await openPage(browser.context, server.url);
  await waitForIndex(page);
  // Class arithmetic (own panel), applied over and over: z walks far along one mean difference.
  await page.selectOption('#own-from', '8'); // Bag
  await page.selectOption('#own-to', '1'); // Trouser
  await page.evaluate(() => {
    for (let i = 0; i < 400; i++) document.querySelector('#own-arith').requestSubmit();
  });
  const z = await page.evaluate(() => Array.from(window.__lw.z));
  assert.ok(z.some((v) => Math.abs(v) === 100), 'some value reached the edge');
  assert.ok(z.every((v) => Math.abs(v) <= 100));
  assert.match(await page.textContent('#notes'), /z\d+ = -?\d+\.?\d* is outside ±100, the range the decoder and links accept/);
  // Views: the garment, finite scores, the map marker inside the map, a link that parses.
  await page.waitForFunction(() => window.__lw.client.pending.size === 0);
  await page.waitForFunction(() => document.querySelector('#rankings .result:not([hidden]) .sub span:last-child')?.textContent);
  const scores = await page.$$eval('#rankings .result:not([hidden]) .sub span:last-child', (els) => els.map((e) => e.textContent));
  assert.ok(scores.length > 0 && scores.every((s) => Number.isFinite(Number(s))), `scores ${scores.slice(0, 3)}`);
  assert.match(await page.getAttribute('#map-marker', 'style'), /translate\(\d+(\.\d)?px, \d+(\.\d)?px\)/);
  await page.click('#copy-link');
  const { parseHash } = await import('../../web/state.js');
  const parsed = parseHash(new URL(page.url()).hash, { latentSize: 16, itemCount: 70000 });
  assert.deepEqual(parsed.notes, []);
  assert.deepEqual(Array.from(parsed.state.z), z);
  assert.equal(await bodyHasNaN(page), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('picture sizes at the edges: 1 x 1, 2 x 5000 and 3 x 3000 pictures get an input or a message, never a blank one', async () => {
  const { page, errors } = await openPage(browser.context, server.url);
  await waitForIndex(page);
  const run = async (name, w, h, rgba) => {
    await page.evaluate(() => delete document.querySelector('#panel-own').dataset.ownRefused);
    const n = await page.evaluate(() => window.__lwOwn.scores.length);
    await page.setInputFiles('#own-file', { name, mimeType: 'image/png', buffer: rgbaPng(w, h, rgba) });
    await page.waitForFunction((n) => window.__lwOwn.busy === 0 && (window.__lwOwn.scores.length > n || document.querySelector('#panel-own').dataset.ownRefused), n, { timeout: 20000 });
    return page.evaluate(() => ({ refused: !!document.querySelector('#panel-own').dataset.ownRefused, status: document.querySelector('#own-score').textContent, input: Array.from(window.__lwOwn.inputPixels || []) }));
  };
  const dot = await run('dot.png', 1, 1, Uint8ClampedArray.from([255, 255, 255, 255]));
  assert.ok(dot.refused);
  assert.match(dot.status, /dot\.png is 1 x 1 pixels: too small or too thin to find a garment on a background/);
  const thin = await run('thin.png', 2, 100000 / 20, new Uint8ClampedArray(2 * 5000 * 4).fill(255));
  assert.match(thin.status, /thin\.png is 2 x 5000 pixels: too small or too thin/);
  // A tall line: one column of white on black, 3000 rows (scaled to 512 first).
  const line = new Uint8ClampedArray(3 * 3000 * 4);
  for (let y = 0; y < 3000; y++) for (let x = 0; x < 3; x++) line.set(x === 1 ? [255, 255, 255, 255] : [0, 0, 0, 255], 4 * (y * 3 + x));
  const tall = await run('line.png', 3, 3000, line);
  assert.ok(!tall.refused, tall.status);
  assert.equal(tall.input.filter((v) => v > 0).length >= 28, true, 'a vertical line of 28 pixels or more');
  assert.ok(tall.input.every(Number.isFinite));
  assert.equal(await bodyHasNaN(page), false);
  assert.deepEqual(errors, []);
  await page.close();
});

// ---------------------------------------------------------------- degenerate data

const real = (file) => fs.readFileSync(path.join(webRoot, 'data', file));
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/**
 * Opens the page with blobs replaced: {index, decoder, encoder} (Buffers), count (garments).
 * The manifest vouches for them (size and hash), as a build of such a model would.
 */
async function openWith({ index, decoder, encoder, count, trainCount }) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const served = { index, decoder, encoder };
  await page.route('**/data/manifest.json', async (route) => {
    const response = await route.fetch();
    const m = JSON.parse(await response.text());
    for (const [name, bytes] of Object.entries(served)) {
      if (bytes) m.blobs[name] = { file: `test-${name}.lwb`, bytes: bytes.length, sha256: sha256(bytes) };
    }
    if (count) m.garments = { ...m.garments, count, train_count: trainCount };
    await route.fulfill({ response, body: JSON.stringify(m) });
  });
  for (const [name, bytes] of Object.entries(served)) {
    if (bytes) await page.route(`**/data/test-${name}.lwb`, (route) => route.fulfill({ status: 200, body: bytes, contentType: 'application/octet-stream' }));
  }
  await page.goto(server.url);
  await page.waitForSelector('body[data-decoder="ready"]', { timeout: 30000 });
  return { page, errors };
}

const realIndex = readBlob(real('index.lwb'));
const N = 640; // ten garment pages of the real dataset: their pictures exist
function realItems(n) {
  const t = Object.fromEntries(realIndex.tensors.map((x) => [x.name, x]));
  const muSoa = floats(t.mu_soa), inv = floats(t.inv2var_soa), d = 16;
  const at = (i, k) => (Math.floor(i / 16) * d + k) * 16 + (i % 16);
  const mu = [], sigma = [];
  for (let i = 0; i < n; i++) {
    mu.push(Array.from({ length: d }, (_, k) => muSoa[at(i, k)]));
    sigma.push(Array.from({ length: d }, (_, k) => Math.sqrt(0.5 / inv[at(i, k)])));
  }
  return { mu, sigma, labels: Array.from(t.label.data.subarray(0, n)), splits: Array.from({ length: n }, (_, i) => (i < 600 ? 0 : 1)) };
}

/** Waits until some pixel of the map differs from its background (11, 13, 19): points are drawn. */
async function mapHasPoints(page) {
  await page.waitForFunction(() => {
    const c = document.querySelector('#map');
    if (!c.width || !c.height) return false;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 11) + Math.abs(px[i + 1] - 13) + Math.abs(px[i + 2] - 19) > 30) return true;
    return false;
  }, null, { timeout: 10000 });
  return true;
}

test('an index whose mu are all equal: one point on the map, ties listed by id, directions explained', async () => {
  const items = realItems(N);
  items.mu = items.mu.map(() => new Array(16).fill(0.25));
  items.sigma = items.sigma.map(() => new Array(16).fill(1));
  const { page, errors } = await openWith({ index: indexBlob(realIndex.header, items), count: N, trainCount: 600 });
  await waitForIndex(page);
  await page.waitForFunction(() => document.querySelector('#map-note')?.textContent);
  assert.match(await page.textContent('#map-note'), /All 640 garments have the same μ on the two principal axes, so they are drawn as one point/);
  assert.ok(await mapHasPoints(page), 'the point is drawn');
  assert.match(await page.getAttribute('#map-marker', 'style'), /translate\(\d+(\.\d)?px, \d+(\.\d)?px\)/);
  await page.waitForFunction(() => /score the same/.test(document.querySelector('#search-status').textContent));
  assert.match(await page.textContent('#search-status'), /All 12 shown garments score the same \(-?\d+\.\d\d\): .* listed by id/);
  const ids = await page.$$eval('#rankings .ranking[data-metric="likelihood"] .result:not([hidden])', (els) => els.map((e) => Number(e.dataset.id)));
  assert.deepEqual(ids, Array.from({ length: 12 }, (_, i) => i));
  await page.waitForSelector('#own-dirs input');
  assert.equal(await page.locator('#own-dirs input:enabled').count(), 0);
  assert.match(await page.textContent('#own-dirs'), /its mean μ is the mean of all garments/);
  await sliderChangesPreview(page);
  assert.equal(await bodyHasNaN(page), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an index of one class, with a dimension of zero variance: filters of other classes say so, the page keeps drawing', async () => {
  const items = realItems(N);
  items.labels = items.labels.map(() => 0); // all T-shirts
  for (const m of items.mu) m[5] = 0.5; // dimension 5 has no spread
  const { page, errors } = await openWith({ index: indexBlob(realIndex.header, items), count: N, trainCount: 600 });
  await waitForIndex(page);
  await page.selectOption('#class-filter', '2'); // Pullover: none
  await page.waitForFunction(() => /No Pullover is in the index/.test(document.querySelector('#search-status').textContent));
  assert.equal(await page.locator('#rankings .result:not([hidden])').count(), 0);
  assert.equal(await page.getAttribute('body', 'data-decoder'), 'ready', 'an empty filter is not a decoder failure');
  assert.equal(await page.textContent('#messages'), '');
  await sliderChangesPreview(page);
  await page.selectOption('#split', 'test');
  await page.selectOption('#class-filter', '0');
  await page.waitForFunction(() => document.querySelectorAll('#rankings .ranking[data-metric="likelihood"] .result:not([hidden])').length === 12);
  assert.equal(await page.textContent('#search-status'), '');
  // The map, the class picker, the directions and the arithmetic.
  await page.waitForFunction(() => document.querySelector('#map-note')?.textContent);
  assert.match(await page.textContent('#map-note'), /^The index has no Trouser, Pullover, Dress/, 'spread on the map: no "one point"');
  assert.ok(await mapHasPoints(page));
  await page.selectOption('#add-class', '5');
  assert.match(await page.textContent('#notes'), /The garment index has no Sandal, so none can be added/);
  assert.equal(await page.locator('#own-dirs input:enabled').count(), 0, 'T-shirt\'s mean is the mean of all; the others have none');
  assert.match(await page.textContent('#own-dirs'), /more like Trouser \(no Trouser in the index\)/);
  await page.selectOption('#own-from', '0');
  await page.selectOption('#own-to', '3');
  await page.click('#own-arith button[type="submit"]');
  assert.match(await page.textContent('#notes'), /The garment index has no Dress, so it has no mean μ to move by/);
  assert.equal(await bodyHasNaN(page), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an index of one garment: one result (k is clamped to it), one point', async () => {
  const items = realItems(1);
  const { page, errors } = await openWith({ index: indexBlob(realIndex.header, items), count: 1, trainCount: 1 });
  await waitForIndex(page);
  await page.waitForFunction(() => document.querySelectorAll('#rankings .ranking[data-metric="likelihood"] .result:not([hidden])').length === 1);
  assert.match(await page.textContent('#map-note'), /All 1 garments .* one point/);
  assert.equal(await page.getAttribute('body', 'data-decoder'), 'ready');
  // Nothing to pick at random beyond it; the timeline has no default path and says what to do.
  assert.match(await page.textContent('#timeline-status'), /Add two keyframes/);
  await sliderChangesPreview(page);
  assert.equal(await bodyHasNaN(page), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a decoder without KL activity: all sliders, in dimension order, and the reason', async () => {
  const dec = readBlob(real('decoder.lwb'));
  for (const t of dec.tensors) if (t.name === 'stats.kl_per_dim') t.data.fill(0);
  const { page, errors } = await openWith({ decoder: writeBlob(dec.header, dec.tensors, dec.metadata) });
  const dims = await page.$$eval('#sliders input[data-dim]', (els) => els.map((e) => Number(e.dataset.dim)));
  assert.deepEqual(dims, Array.from({ length: 16 }, (_, k) => k));
  assert.ok(await page.locator('#quiet').isHidden());
  assert.match(await page.textContent('#slider-note'), /reports no KL activity for any of its 16 dimensions/);
  await sliderChangesPreview(page);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an encoder without test statistics: scores without percentiles, and why; no "NaN"', async () => {
  const enc = readBlob(real('encoder.lwb'));
  const bare = writeBlob(enc.header, enc.tensors.filter((t) => !t.name.startsWith('stats.')), enc.metadata);
  const { page, errors } = await openWith({ encoder: bare });
  await waitForIndex(page);
  await page.setInputFiles('#own-file', { name: 'block.png', mimeType: 'image/png', buffer: rgbaPng(40, 40, blockPicture([255, 255, 255, 255], [0, 0, 0, 0])) });
  await page.waitForFunction(() => window.__lwOwn.lastScore && window.__lwOwn.busy === 0, null, { timeout: 20000 });
  const status = await page.textContent('#own-score');
  assert.match(status, /IWAE −log p\(x\) ≈ \d+\.\d nats/);
  assert.match(status, /percentile unknown \(the encoder ships no test-garment statistics for it\)/);
  assert.match(status, /no verdict/);
  await page.click('#own-show-anomalies');
  await page.waitForFunction(() => /ships no list/.test(document.querySelector('#own-anom-info').textContent));
  assert.equal(await bodyHasNaN(page), false);
  assert.deepEqual(errors, []);
  await page.close();
});
