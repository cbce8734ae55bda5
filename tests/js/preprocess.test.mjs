// web/preprocess.js: pictures of any size -> the 28 x 28 Fashion-MNIST-style input. Checked on
// generated pictures whose garment position and shape are known.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SIDE, boundingBox, preprocess, resampleArea, transparentMatte, truncation } from '../../web/preprocess.js';
import { blockPicture, blockInput, rgbaPicture, rgbaPng, gif, bmp } from './pictures.mjs';

/**
 * A photo-like RGBA picture: a light, slightly noisy gradient background and a dark T-shirt
 * shaped garment (sleeves + body) of the given box, with some texture.
 */
function photo(width, height, g) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  let s = 99;
  const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return (s >>> 16) / 65536; };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      let v = 225 + 20 * (x / width) + 6 * (rnd() - 0.5); // background 225..245
      const inBody = x >= g.x0 + g.sleeve && x < g.x1 - g.sleeve && y >= g.y0 && y < g.y1;
      const inSleeves = x >= g.x0 && x < g.x1 && y >= g.y0 && y < g.y0 + (g.y1 - g.y0) * 0.3;
      if (inBody || inSleeves) v = 60 + 30 * Math.sin(x / 7) + 10 * rnd();
      rgba[i] = v * 0.9; rgba[i + 1] = v; rgba[i + 2] = v * 1.05; rgba[i + 3] = 255;
    }
  }
  return rgba;
}

function litBox(pixels) {
  return boundingBox(pixels, SIDE, SIDE, 0.05);
}

test('a large light-background photo becomes a centred 28 x 28 garment', () => {
  const W = 1200, H = 900;
  const g = { x0: 700, x1: 1100, y0: 150, y1: 750, sleeve: 90 }; // off-centre, taller than wide
  const r = preprocess(photo(W, H, g), W, H);
  assert.equal(r.inverted, true, 'light background is inverted');
  assert.equal(r.empty, false);
  assert.equal(r.pixels.length, SIDE * SIDE);
  assert.equal(r.grey.length, SIDE * SIDE);
  // The garment's box in the picture was found.
  assert.ok(Math.abs(r.box.x0 - g.x0) <= 2 && Math.abs(r.box.x1 - g.x1) <= 2, JSON.stringify(r.box));
  assert.ok(Math.abs(r.box.y0 - g.y0) <= 2 && Math.abs(r.box.y1 - g.y1) <= 2, JSON.stringify(r.box));
  // Longest side (height) fills 28 rows; the width keeps the aspect ratio, centred.
  const b = litBox(r.pixels);
  assert.equal(b.y0, 0);
  assert.equal(b.y1, SIDE);
  const expectedW = Math.round((SIDE * 400) / 600); // 19
  assert.ok(Math.abs(b.x1 - b.x0 - expectedW) <= 1, `width ${b.x1 - b.x0}`);
  assert.ok(Math.abs(b.x0 - (SIDE - b.x1)) <= 1, `left margin ${b.x0}, right ${SIDE - b.x1}`);
  // Bright garment on black, contrast stretched.
  assert.equal(Math.max(...r.pixels), 1);
  assert.equal(r.pixels[0], 0);
  assert.equal(r.pixels[SIDE * SIDE - 1], 0);
  for (let i = 0; i < r.pixels.length; i++) assert.equal(r.grey[i], Math.round(255 * r.pixels[i]));
  // Centre of mass near the middle.
  let m = 0, cx = 0, cy = 0;
  r.pixels.forEach((v, i) => { m += v; cx += v * (i % SIDE); cy += v * Math.floor(i / SIDE); });
  assert.ok(Math.abs(cx / m - 13.5) < 2 && Math.abs(cy / m - 13.5) < 3, `centre ${cx / m}, ${cy / m}`);
});

test('a wide garment on black is not inverted and fills 28 columns', () => {
  const W = 300, H = 100;
  const rgba = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = x >= 20 && x < 260 && y >= 30 && y < 90 ? 200 : 0;
      rgba.set([v, v, v, 255], 4 * (y * W + x));
    }
  }
  const r = preprocess(rgba, W, H);
  assert.equal(r.inverted, false);
  const b = litBox(r.pixels);
  assert.deepEqual([b.x0, b.x1], [0, SIDE]);
  assert.equal(b.y1 - b.y0, 7); // 28 * 60 / 240
  assert.ok(Math.abs(b.y0 - (SIDE - b.y1)) <= 1);
  // A solid rectangle resamples to a solid rectangle of 1s.
  for (let y = b.y0; y < b.y1; y++) for (let x = b.x0; x < b.x1; x++) assert.equal(r.pixels[y * SIDE + x], 1);
});

test('a dark garment on a transparent background is laid on white (and inverted)', () => {
  const W = 50, H = 50;
  const rgba = new Uint8ClampedArray(W * H * 4); // all transparent black
  for (let y = 10; y < 40; y++) for (let x = 10; x < 40; x++) rgba.set([30, 30, 30, 255], 4 * (y * W + x));
  const r = preprocess(rgba, W, H);
  assert.equal(r.inverted, true);
  assert.deepEqual(litBox(r.pixels), { x0: 0, y0: 0, x1: SIDE, y1: SIDE });
});

// Issue 11, part 3: alpha is the mask. The 40 x 40 instance, a white 20 x 30 block at x 10..30,
// y 5..35, gives the input of the same block on opaque black: the independent block rule.
test('a white garment on transparency gives the input of the same garment on black', () => {
  const onTransparent = preprocess(blockPicture([255, 255, 255, 255], [0, 0, 0, 0]), 40, 40);
  const onBlack = preprocess(blockPicture([255, 255, 255, 255], [0, 0, 0, 255]), 40, 40);
  assert.equal(onTransparent.empty, false);
  assert.deepEqual(Array.from(onTransparent.pixels), Array.from(onBlack.pixels));
  assert.deepEqual(Array.from(onTransparent.pixels), blockInput(20, 30));
  // Transparent white, transparent anything: only alpha counts outside the garment.
  const whiteMatte = preprocess(blockPicture([255, 255, 255, 255], [255, 255, 255, 0]), 40, 40);
  assert.deepEqual(Array.from(whiteMatte.pixels), blockInput(20, 30));
});

/** A textured garment: a shirt-like shape with stripes, luma around `level`. */
function texturedGarment(level, background) {
  return rgbaPicture(60, 50, (x, y) => {
    const body = x >= 18 && x < 42 && y >= 6 && y < 46;
    const sleeves = x >= 8 && x < 52 && y >= 6 && y < 18;
    if (!(body || sleeves)) return background;
    const v = Math.max(0, Math.min(255, level + 25 * Math.sin(x / 2) + 10 * Math.cos(y / 3)));
    return [v, v * 0.95, v * 0.9, 255];
  });
}

test('light and dark textured garments with alpha equal them on black and on white', () => {
  for (const [level, matte] of [[210, [0, 0, 0, 255]], [235, [0, 0, 0, 255]], [40, [255, 255, 255, 255]], [90, [255, 255, 255, 255]]]) {
    const cut = preprocess(texturedGarment(level, [0, 0, 0, 0]), 60, 50);
    const laid = preprocess(texturedGarment(level, matte), 60, 50);
    assert.equal(cut.empty, false, `level ${level}`);
    assert.equal(cut.inverted, matte[0] === 255, `level ${level}`);
    assert.deepEqual(Array.from(cut.pixels), Array.from(laid.pixels), `level ${level}`);
    assert.ok(Math.max(...cut.pixels) === 1 && cut.pixels[0] === 0);
  }
});

test('soft (semi-transparent) edges blend with the matte', () => {
  // A white disc whose edge fades out in alpha, and the same disc pre-blended on black.
  const at = (blend) => (x, y) => {
    const r = Math.hypot(x - 20, y - 20);
    const a = Math.round(255 * Math.max(0, Math.min(1, 12 - r)));
    return blend ? [a, a, a, 255] : [255, 255, 255, a];
  };
  const cut = preprocess(rgbaPicture(40, 40, at(false)), 40, 40);
  const laid = preprocess(rgbaPicture(40, 40, at(true)), 40, 40);
  cut.pixels.forEach((v, i) => assert.ok(Math.abs(v - laid.pixels[i]) < 1e-6, `pixel ${i}: ${v} vs ${laid.pixels[i]}`));
});

test('an opaque picture with a few transparent pixels inside keeps the border rule', () => {
  // Light background, dark garment, a transparent hole in the garment: the background decides.
  const rgba = blockPicture([20, 20, 20, 255], [240, 240, 240, 255]);
  rgba.set([0, 0, 0, 0], 4 * (20 * 40 + 20));
  const r = preprocess(rgba, 40, 40);
  assert.equal(r.inverted, true);
  assert.equal(transparentMatte(rgba, 40, 40), null);
});

test('a fully transparent picture is empty', () => {
  const r = preprocess(new Uint8ClampedArray(30 * 30 * 4), 30, 30);
  assert.equal(r.empty, true);
});

test('a blank picture gives an empty result, bad sizes throw', () => {
  const r = preprocess(new Uint8ClampedArray(40 * 30 * 4).fill(255), 40, 30);
  assert.equal(r.empty, true);
  assert.ok(r.pixels.every((v) => v === 0));
  assert.throws(() => preprocess(new Uint8ClampedArray(10), 5, 5), /RGBA bytes/);
  assert.throws(() => preprocess(new Uint8ClampedArray(0), 0, 5), /positive integers/);
});

test('area resampling keeps the mean and matches a brute-force average', () => {
  const w = 17, h = 9;
  const v = new Float32Array(w * h).map((_, i) => (i * 37) % 11);
  const out = resampleArea(v, w, 0, 0, w, h, 5, 3);
  const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  assert.ok(Math.abs(mean(out) - mean(v)) < 1e-4);
  // Brute force: supersample each target cell on a fine grid.
  const N = 340;
  for (let ty = 0; ty < 3; ty++) {
    for (let tx = 0; tx < 5; tx++) {
      let s = 0, c = 0;
      for (let j = 0; j < N; j++) {
        for (let i = 0; i < N; i++) {
          const sx = Math.floor(((tx + (i + 0.5) / N) * w) / 5), sy = Math.floor(((ty + (j + 0.5) / N) * h) / 3);
          s += v[sy * w + sx]; c++;
        }
      }
      assert.ok(Math.abs(out[ty * 5 + tx] - s / c) < 0.02, `cell ${tx},${ty}: ${out[ty * 5 + tx]} vs ${s / c}`);
    }
  }
});

test('truncation: whole PNG, GIF, BMP, JPEG and WebP files pass; cut ones are named', () => {
  const ends = (bytes) => [Uint8Array.from(bytes.subarray(0, 16)), Uint8Array.from(bytes.subarray(-64)), bytes.length];
  const pngFile = rgbaPng(40, 40, blockPicture([255, 255, 255, 255], [0, 0, 0, 0]));
  const gifFile = gif(8, 8, [new Array(64).fill(1)], [[0, 0, 0], [255, 255, 255]]);
  const bmpFile = bmp(9, 7, () => [1, 2, 3]);
  const jpegFile = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...new Array(100).fill(7), 0xff, 0xd9, 0, 0]); // padding after EOI
  const webpFile = Buffer.concat([Buffer.from('RIFF'), Buffer.from([92, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(88)]);
  for (const whole of [pngFile, gifFile, bmpFile, jpegFile, webpFile, Buffer.from('plain text is not judged here')]) {
    assert.equal(truncation(...ends(whole)), '');
  }
  assert.match(truncation(...ends(pngFile.subarray(0, pngFile.length - 5))), /IEND/);
  assert.match(truncation(...ends(gifFile.subarray(0, gifFile.length - 1))), /trailer/);
  assert.match(truncation(...ends(bmpFile.subarray(0, 100))), /header says 250 bytes, the file has 100/);
  assert.match(truncation(...ends(jpegFile.subarray(0, 60))), /end-of-image/);
  assert.match(truncation(...ends(webpFile.subarray(0, 50))), /header says 100 bytes, the file has 50/);
});
