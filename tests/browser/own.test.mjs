// "Your own garment" in real Chromium: a large generated PNG uploaded through the file picker is
// turned into a centred 28 x 28 input, encoded (mu loaded into the sliders), searched and scored;
// a dataset garment encodes to its index mu; a drawn cross scores above the 99th percentile; the
// most anomalous garments view; the attribute-direction sliders and class arithmetic.
// Run: bash scripts/build-web.sh && node --test --test-concurrency=1 tests/browser/own.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer } from './server.mjs';
import { launch, openPage, waitForIndex, screenshot } from './browser.mjs';

let server, browser, page, errors;
before(async () => {
  server = await startServer();
  browser = await launch();
  ({ page, errors } = await openPage(browser.context, server.url));
  await waitForIndex(page);
  await page.waitForSelector('#own-dirs input[type="range"]', { timeout: 15000 });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// ---------------------------------------------------------------- a PNG writer (RGB, no filter)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(width, height, rgbAt) {
  const raw = Buffer.alloc((3 * width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (3 * width + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgbAt(x, y);
      raw.set([r, g, b], y * (3 * width + 1) + 1 + 3 * x);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A photo-like picture: light noisy background, a dark textured T-shirt off-centre. */
function shirtPhoto(file) {
  const W = 1200, H = 900;
  const g = { x0: 650, x1: 1090, y0: 120, y1: 760, sleeve: 100 };
  let s = 7;
  const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return (s >>> 16) / 65536; };
  fs.writeFileSync(file, png(W, H, (x, y) => {
    const body = x >= g.x0 + g.sleeve && x < g.x1 - g.sleeve && y >= g.y0 && y < g.y1;
    const sleeves = x >= g.x0 && x < g.x1 && y >= g.y0 && y < g.y0 + 220;
    const v = body || sleeves ? 50 + 25 * Math.sin(x / 9) + 10 * rnd() : 228 + 18 * (x / W) + 6 * (rnd() - 0.5);
    return [v * 0.95, v, v * 1.04];
  }));
}

async function waitForScore(page, previousCount) {
  await page.waitForFunction((n) => window.__lwOwn.scores.length > n, previousCount, { timeout: 20000 });
  return page.evaluate(() => window.__lwOwn.lastScore);
}

const scoreCount = () => page.evaluate(() => window.__lwOwn.scores.length);

// ---------------------------------------------------------------- tests

test('an uploaded large PNG becomes a centred 28 x 28 garment, encoded, searched and scored', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lw-own-')), 'shirt.png');
  shirtPhoto(file);
  const n = await scoreCount();
  await page.setInputFiles('#own-file', file);
  const score = await waitForScore(page, n);
  const r = await page.evaluate(() => {
    const o = window.__lwOwn;
    return { input: Array.from(o.inputPixels), mu: Array.from(o.last.mu), z: Array.from(window.__lw.z), hits: document.querySelectorAll('#own-hits li').length };
  });
  // Centred, longest side (height) 28, width by aspect ratio 440/640 * 28 = 19.
  let x0 = 28, x1 = -1, y0 = 28, y1 = -1;
  r.input.forEach((v, i) => {
    if (v > 0.05) {
      const x = i % 28, y = Math.floor(i / 28);
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  });
  assert.deepEqual([y0, y1], [0, 27]);
  assert.ok(Math.abs(x1 - x0 + 1 - 19) <= 1, `width ${x1 - x0 + 1}`);
  assert.ok(Math.abs(x0 - (27 - x1)) <= 1, `margins ${x0}, ${27 - x1}`);
  // mu went into the sliders; the dataset was searched; the score has a percentile.
  r.mu.forEach((v, k) => assert.ok(Math.abs(v - r.z[k]) < 1e-6));
  assert.equal(r.hits, 12);
  assert.equal(score.k, 100);
  assert.ok(Number.isFinite(score.iwaeNll) && score.percentile >= 0 && score.percentile <= 100);
  await screenshot(page.locator('#panel-own'), 'own-upload.png');
});

test('a dataset garment encodes to its index mu and scores at a sensible percentile', async () => {
  const id = 60000 + 17;
  const n = await scoreCount();
  await page.evaluate(async (id) => {
    const { bytesToPixels } = await import('./preprocess.js');
    const px = await window.__lw.store.get(id);
    await window.__lwOwn.run(bytesToPixels(px), { name: `Garment #${id}`, loadSliders: false });
  }, id);
  const score = await waitForScore(page, n);
  const { mu, indexMu } = await page.evaluate(async (id) => ({
    mu: Array.from(window.__lwOwn.last.mu),
    indexMu: Array.from((await window.__lw.client.call('garment', { id })).mu),
  }), id);
  // The page's index stores mu as f16 (and the shipped encoder f16 weights): 1e-4 with f32 on
  // both sides is checked in tests/js/encoder.test.mjs.
  mu.forEach((v, k) => assert.ok(Math.abs(v - indexMu[k]) < 5e-3, `mu[${k}] ${v} vs ${indexMu[k]}`));
  assert.ok(score.percentile > 0.5 && score.percentile < 99.5, `percentile ${score.percentile}`);
});

async function drawAndScore(lines, brush) {
  await page.click('#own-clear');
  await page.fill('#own-brush', String(brush));
  const box = await page.locator('#own-canvas').boundingBox();
  const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
  for (const [ax, ay, bx, by] of lines) {
    await page.mouse.move(...at(ax, ay));
    await page.mouse.down();
    for (let t = 1; t <= 20; t++) await page.mouse.move(...at(ax + ((bx - ax) * t) / 20, ay + ((by - ay) * t) / 20));
    await page.mouse.up();
  }
  const n = await scoreCount();
  await page.click('#own-use-drawing');
  return waitForScore(page, n);
}

test('a drawn cross scores above the 99th percentile', async () => {
  const score = await drawAndScore([[0.2, 0.2, 0.8, 0.8], [0.8, 0.2, 0.2, 0.8]], 28);
  assert.ok(score.percentile > 99, `cross: IWAE ${score.iwaeNll} at percentile ${score.percentile}`);
  assert.ok(score.oodPercentile > 99, `cross: corrected score at percentile ${score.oodPercentile}`);
  assert.match(await page.textContent('#own-score'), /not like the garments/);
});

test('a drawn digit 7 is flagged by the complexity-corrected score', async () => {
  // By likelihood alone a hand-drawn 7 looks like a middling garment; corrected for its
  // complexity it is above the 99th percentile.
  const score = await drawAndScore([[0.25, 0.2, 0.75, 0.2], [0.75, 0.2, 0.4, 0.85]], 20);
  assert.ok(score.oodPercentile > 99, `7: corrected ${score.ood} at percentile ${score.oodPercentile} (NLL percentile ${score.percentile})`);
  assert.match(await page.textContent('#own-score'), /not like the garments/);
  await screenshot(page.locator('#panel-own'), 'own-digit.png');
});

test('the most anomalous garments view lists the shipped ids', async () => {
  await page.click('#own-show-anomalies');
  await page.waitForFunction(() => document.querySelectorAll('#own-anomalies li').length === 24);
  const { first, ids } = await page.evaluate(() => ({
    first: document.querySelector('#own-anomalies .own-thumb').dataset.id,
    ids: Array.from(window.__lwOwn.anomalies.ids),
  }));
  assert.equal(Number(first), ids[0]);
  assert.ok(ids.every((id) => id >= 60000 && id < 70000));
});

test('attribute sliders move z along class-mean directions; class arithmetic adds mean differences', async () => {
  const before = await page.evaluate(() => Array.from(window.__lw.z));
  const { classMeans, mean, classes } = await page.evaluate(() => ({
    classMeans: Array.from(window.__lw.index.classMeans),
    mean: Array.from(window.__lw.index.pca.mean),
    classes: window.__lw.classes,
  }));
  const d = before.length;
  const sneaker = classes.indexOf('Sneaker');
  await page.locator(`#own-dirs input[data-class="${sneaker}"]`).fill('1');
  const moved = await page.evaluate(() => Array.from(window.__lw.z));
  for (let k = 0; k < d; k++) {
    const want = before[k] + classMeans[sneaker * d + k] - mean[k];
    assert.ok(Math.abs(moved[k] - want) < 1e-5, `z[${k}] ${moved[k]} vs ${want}`);
  }
  const shirt = classes.indexOf('Shirt'), dress = classes.indexOf('Dress');
  await page.selectOption('#own-from', String(shirt));
  await page.selectOption('#own-to', String(dress));
  await page.click('#own-arith button[type="submit"]');
  const after = await page.evaluate(() => Array.from(window.__lw.z));
  for (let k = 0; k < d; k++) {
    const want = moved[k] + classMeans[dress * d + k] - classMeans[shirt * d + k];
    assert.ok(Math.abs(after[k] - want) < 1e-5, `z[${k}] ${after[k]} vs ${want}`);
  }
  // The arithmetic moved z from elsewhere: the direction sliders start again from 0.
  assert.equal(await page.locator(`#own-dirs input[data-class="${sneaker}"]`).inputValue(), '0');
});

test('timings (reported, not asserted) and no page errors', async () => {
  const t = await page.evaluate(() => ({ pre: window.__lwOwn.preprocess, encode: window.__lwOwn.encodes, score: window.__lwOwn.scores, roundTrip: window.__lwOwn.roundTrips }));
  const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  console.log(`own garment: preprocess on the page (upload scaled to <= 512 px, drawing 280 px) ${t.pre.map((v) => v.toFixed(1)).join(', ')} ms; worker encode+search+score(k=1) median ${med(t.encode).toFixed(2)} ms, ` +
    `round trip ${med(t.roundTrip).toFixed(2)} ms, IWAE k=100 ${med(t.score).toFixed(2)} ms (n=${t.encode.length})`);
  assert.deepEqual(errors, []);
});
