// Issue 11, part 3: every picture a person may drop. Pictures are made at test time (canvas
// encoders in Chromium for PNG, JPEG and WebP; small encoders in tests/js/pictures.mjs for grey +
// alpha and palette PNGs, BMP and GIF; SVG text), never from dataset images. Each goes through the
// page's own decoding and preparation (own.js, picture-file.js) and must give the expected 28 x 28 input: the
// independent block rule (blockInput) and the same content on an opaque background. Files that are
// not pictures get a message naming them; the panel keeps working.
// Run: bash scripts/build-web.sh && node --test --test-concurrency=1 tests/browser/pictures.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';
import { launch, openPage, waitForIndex, canvasPixels } from './browser.mjs';
import { BLOCK, blockPicture, blockInput, rgbaPng, png, bmp, gif, rgbaPicture } from '../js/pictures.mjs';

let server, browser, page, errors;
before(async () => {
  server = await startServer();
  browser = await launch();
  ({ page, errors } = await openPage(browser.context, server.url));
  await waitForIndex(page);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const EXPECTED = blockInput(BLOCK.x1 - BLOCK.x0, BLOCK.y1 - BLOCK.y0); // the 20 x 30 block: 19 x 28, centred

/** Decodes and prepares a file (bytes made in Node) the way the panel does; -> {pixels, ...} or {error}. */
function prepare(bytes, name, type) {
  return page.evaluate(async ([b64, name, type]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return window.__lwOwn.prepare(new File([bytes], name, { type }));
  }, [Buffer.from(bytes).toString('base64'), name, type]);
}

/** Draws on a 40 x 40 canvas in the page, encodes it with Chromium's encoder, prepares the file. */
function prepareCanvas(type, quality, draw) {
  return page.evaluate(async ([type, quality, draw]) => {
    const c = new OffscreenCanvas(40, 40);
    const ctx = c.getContext('2d');
    new Function('ctx', draw)(ctx);
    const blob = await c.convertToBlob({ type, quality });
    const r = await window.__lwOwn.prepare(new File([blob], `canvas.${type.split('/')[1]}`, { type }));
    return { ...r, type: blob.type };
  }, [type, quality, draw]);
}

const WHITE_BLOCK = `ctx.fillStyle = '#fff'; ctx.fillRect(${BLOCK.x0}, ${BLOCK.y0}, ${BLOCK.x1 - BLOCK.x0}, ${BLOCK.y1 - BLOCK.y0});`;
const ON_BLACK = `ctx.fillStyle = '#000'; ctx.fillRect(0, 0, 40, 40); ${WHITE_BLOCK}`;

function near(got, want, { max, mean }, what) {
  assert.equal(got.length, want.length);
  let worst = 0, sum = 0;
  got.forEach((v, i) => {
    const d = Math.abs(v - want[i]);
    worst = Math.max(worst, d);
    sum += d;
  });
  assert.ok(worst <= max && sum / got.length <= mean, `${what}: largest difference ${worst.toFixed(3)}, mean ${(sum / got.length).toFixed(4)}`);
}

// ---------------------------------------------------------------- the instance, through the file picker

async function chooseThroughPicker(file) {
  const n = await page.evaluate(() => window.__lwOwn.scores.length);
  await page.setInputFiles('#own-file', file);
  await page.waitForFunction((n) => window.__lwOwn.scores.length > n && window.__lwOwn.busy === 0, n, { timeout: 20000 });
  return page.evaluate(() => ({ input: Array.from(window.__lwOwn.inputPixels), status: document.querySelector('#own-score').textContent }));
}

test('the instance: a white 20 x 30 block on transparency gives the input of the block on opaque black', async () => {
  const cut = await chooseThroughPicker({ name: 'white-on-transparent.png', mimeType: 'image/png', buffer: rgbaPng(40, 40, blockPicture([255, 255, 255, 255], [0, 0, 0, 0])) });
  assert.doesNotMatch(cut.status, /Nothing stands out/);
  assert.deepEqual(cut.input, EXPECTED);
  const black = await chooseThroughPicker({ name: 'white-on-black.png', mimeType: 'image/png', buffer: rgbaPng(40, 40, blockPicture([255, 255, 255, 255], [0, 0, 0, 255])) });
  assert.deepEqual(black.input, cut.input);
});

// ---------------------------------------------------------------- pictures with alpha

/** A shirt-like garment with stripes, luma around `level`, on `background`. */
function garment(level, background) {
  return rgbaPicture(60, 50, (x, y) => {
    const body = x >= 18 && x < 42 && y >= 6 && y < 46;
    const sleeves = x >= 8 && x < 52 && y >= 6 && y < 18;
    if (!(body || sleeves)) return background;
    const v = Math.round(Math.max(0, Math.min(255, level + 25 * Math.sin(x / 2) + 10 * Math.cos(y / 3))));
    return [v, v, v, 255];
  });
}

for (const [what, level, opaque] of [['white', 255, [0, 0, 0, 255]], ['light', 200, [0, 0, 0, 255]], ['dark', 45, [255, 255, 255, 255]]]) {
  test(`a ${what} garment with alpha gives the input of the same garment on opaque ${opaque[0] ? 'white' : 'black'}`, async () => {
    const cut = await prepare(rgbaPng(60, 50, garment(level, [0, 0, 0, 0])), `${what}.png`, 'image/png');
    const laid = await prepare(rgbaPng(60, 50, garment(level, opaque)), `${what}-opaque.png`, 'image/png');
    assert.equal(cut.empty, false);
    assert.deepEqual(cut.pixels, laid.pixels);
    // The garment fills the input: its 44 x 40 box becomes 28 x 25, centred.
    const rows = new Set(), cols = new Set();
    cut.pixels.forEach((v, i) => v > 0 && (rows.add(Math.floor(i / 28)), cols.add(i % 28)));
    assert.deepEqual([cols.size, rows.size], [28, 25]);
  });
}

test('a grey + alpha PNG (colour type 4): white and dark blocks on transparency', async () => {
  for (const [grey, name] of [[255, 'white'], [30, 'dark']]) {
    const file = png(40, 40, 4, (x, y) => (x >= BLOCK.x0 && x < BLOCK.x1 && y >= BLOCK.y0 && y < BLOCK.y1 ? [grey, 255] : [0, 0]));
    const r = await prepare(file, `grey-alpha-${name}.png`, 'image/png');
    assert.deepEqual(r.pixels, EXPECTED, name);
    assert.equal(r.inverted, name === 'dark');
  }
});

test('a palette PNG with a transparent entry (tRNS)', async () => {
  const file = png(40, 40, 3, (x, y) => [x >= BLOCK.x0 && x < BLOCK.x1 && y >= BLOCK.y0 && y < BLOCK.y1 ? 1 : 0],
    { palette: [[255, 255, 255], [250, 250, 250]], trns: [0] }); // entry 0: transparent white
  const r = await prepare(file, 'palette.png', 'image/png');
  assert.deepEqual(r.pixels, EXPECTED);
});

// ---------------------------------------------------------------- each format Chromium decodes

test('PNG from Chromium\'s encoder, with alpha and opaque', async () => {
  const cut = await prepareCanvas('image/png', undefined, WHITE_BLOCK);
  assert.equal(cut.type, 'image/png');
  assert.deepEqual(cut.pixels, EXPECTED);
  assert.deepEqual((await prepareCanvas('image/png', undefined, ON_BLACK)).pixels, EXPECTED);
});

test('JPEG (no alpha): the block on black, within JPEG\'s error', async () => {
  const r = await prepareCanvas('image/jpeg', 0.95, ON_BLACK);
  assert.equal(r.type, 'image/jpeg');
  near(r.pixels, EXPECTED, { max: 0.2, mean: 0.01 }, 'JPEG');
});

test('WebP, with alpha and opaque, within lossy WebP\'s error', async () => {
  for (const draw of [WHITE_BLOCK, ON_BLACK]) {
    const r = await prepareCanvas('image/webp', 0.95, draw);
    assert.equal(r.type, 'image/webp');
    near(r.pixels, EXPECTED, { max: 0.2, mean: 0.01 }, `WebP ${draw === WHITE_BLOCK ? 'with alpha' : 'opaque'}`);
  }
});

test('GIF: the first frame, opaque and with a transparent palette entry', async () => {
  const inside = (i) => {
    const x = i % 40, y = Math.floor(i / 40);
    return x >= BLOCK.x0 && x < BLOCK.x1 && y >= BLOCK.y0 && y < BLOCK.y1;
  };
  const first = Array.from({ length: 1600 }, (_, i) => (inside(i) ? 1 : 0));
  const second = Array.from({ length: 1600 }, (_, i) => (i % 40 < 20 ? 1 : 0)); // a different picture
  const palette = [[0, 0, 0], [255, 255, 255]];
  const opaque = await prepare(gif(40, 40, [first, second], palette), 'opaque.gif', 'image/gif');
  assert.deepEqual(opaque.pixels, EXPECTED);
  const cut = await prepare(gif(40, 40, [first, second], [[255, 255, 255], [255, 255, 255]], { transparentIndex: 0 }), 'transparent.gif', 'image/gif');
  assert.deepEqual(cut.pixels, EXPECTED);
});

test('BMP (24-bit)', async () => {
  const file = bmp(40, 40, (x, y) => (x >= BLOCK.x0 && x < BLOCK.x1 && y >= BLOCK.y0 && y < BLOCK.y1 ? [255, 255, 255] : [0, 0, 0]));
  const r = await prepare(file, 'block.bmp', 'image/bmp');
  assert.deepEqual(r.pixels, EXPECTED);
});

test('SVG: a white rectangle on a transparent background; a dark one on white', async () => {
  const rect = (fill) => `<rect x="${BLOCK.x0}" y="${BLOCK.y0}" width="${BLOCK.x1 - BLOCK.x0}" height="${BLOCK.y1 - BLOCK.y0}" fill="${fill}"/>`;
  const svg = (body, size = 'width="40" height="40"') => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" ${size} viewBox="0 0 40 40">${body}</svg>`);
  assert.deepEqual((await prepare(svg(rect('#fff')), 'white.svg', 'image/svg+xml')).pixels, EXPECTED);
  const dark = await prepare(svg(`<rect width="40" height="40" fill="#fff"/>${rect('#222')}`), 'dark.svg', 'image/svg+xml');
  assert.equal(dark.inverted, true);
  assert.deepEqual(dark.pixels, EXPECTED);
  // Without a size, Chromium sizes it from its viewBox (150 x 150 here, 3.75 x): the same block,
  // with the edges that fall mid-pixel anti-aliased.
  near((await prepare(svg(rect('#fff'), ''), 'unsized.svg', 'image/svg+xml')).pixels, EXPECTED, { max: 0.3, mean: 0.02 }, 'unsized SVG');
  // A size of 0 x 0 has no pixels to draw: a message, not an empty input.
  const zero = await prepare(svg(rect('#fff'), 'width="0" height="0"'), 'zero.svg', 'image/svg+xml');
  assert.equal(zero.error, 'zero.svg has no size (0 x 0 pixels); give the SVG a width and height.');
});

// ---------------------------------------------------------------- files that are not pictures

test('a text file, a truncated PNG and an empty file get a message naming them; the panel stays usable', async () => {
  const good = { name: 'good.png', mimeType: 'image/png', buffer: rgbaPng(40, 40, blockPicture([255, 255, 255, 255], [0, 0, 0, 0])) };
  await chooseThroughPicker(good);
  const before = await canvasPixels(page, '#own-input');
  const full = rgbaPng(40, 40, blockPicture([255, 255, 255, 255], [0, 0, 0, 255]));
  const bad = [
    [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('a shopping list, not a picture\n') }, /notes\.txt is not a picture this browser can read \(its type is text\/plain/],
    [{ name: 'cut.png', mimeType: 'image/png', buffer: full.subarray(0, 60) }, /cut\.png is cut short \(a PNG ends with an IEND chunk/],
    [{ name: 'cut.gif', mimeType: 'image/gif', buffer: gif(40, 40, [new Array(1600).fill(1)], [[0, 0, 0], [255, 255, 255]]).subarray(0, 40) }, /cut\.gif is cut short/],
    [{ name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) }, /empty\.png is empty \(0 bytes\)/],
    [{ name: 'noise.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 73) & 255)) }, /noise\.jpg is not a picture/],
  ];
  for (const [file, message] of bad) {
    await page.evaluate(() => delete document.querySelector('#panel-own').dataset.ownRefused);
    await page.setInputFiles('#own-file', file);
    await page.waitForSelector('#panel-own[data-own-refused]', { timeout: 10000 });
    const status = await page.textContent('#own-score');
    assert.match(status, message);
    assert.match(status, /The panel still shows good\.png/);
    assert.deepEqual(await canvasPixels(page, '#own-input'), before, `${file.name}: the model input was not blanked`);
  }
  const after = await chooseThroughPicker({ ...good, name: 'good-again.png' });
  assert.deepEqual(after.input, EXPECTED);
  assert.match(after.status, /good-again\.png/);
  assert.deepEqual(errors, []);
});
