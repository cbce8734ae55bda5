// The encoder in wasm (Encoder in wardrobe.d.ts, wasm/encoder_bindings.cpp):
//  - encoding test garments with an f32 encoder blob gives the same mu /
//    sigma as an f32 index built natively (`wardrobe index --dtype f32`),
//    within 1e-4 (the shipped encoder.lwb is f16: within 5e-3);
//  - score() of the exporter's most anomalous test garments lands near the
//    NLL stored for them (different noise, so within a few nats), and at a
//    high percentile; typical test garments spread over the percentiles;
//  - out-of-distribution images: uniform noise and a crossed stroke score
//    above the 99th percentile of the test garments; a thin vertical stroke
//    (a "1") scores BELOW the 1st percentile: the likelihood paradox of deep
//    generative models (simple images are likelier than any garment), which
//    is why the page flags both tails;
//  - bad input throws with a message and leaves the module usable.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { preprocess } from '../../web/preprocess.js';
import { ROOT, WARDROBE, fashionMnistDir, loadWardrobe, readBytes, testBlobs, testImages } from './fixtures.mjs';

const PIXELS = 784;
const TRAIN_COUNT = 60000;

/** Deterministic uniform [0, 1) floats. */
function uniforms(count, seed) {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 4294967296;
  }
  return out;
}

/**
 * White strokes [x0, y0, x1, y1] (fractions of the side) with a round brush of the given radius
 * (pixels) on a black 280 x 280 canvas, like the page's drawing canvas, then the page's
 * preprocessing (trim, fit into 28 x 28, centre).
 */
function strokes(lines, radius) {
  const W = 280;
  const rgba = new Uint8ClampedArray(W * W * 4);
  for (let i = 0; i < W * W; i++) rgba[4 * i + 3] = 255;
  for (const [x0, y0, x1, y1] of lines) {
    for (let t = 0; t <= 1; t += 0.002) {
      const cx = (x0 + (x1 - x0) * t) * W, cy = (y0 + (y1 - y0) * t) * W;
      for (let y = Math.floor(cy - radius); y <= cy + radius; y++) {
        for (let x = Math.floor(cx - radius); x <= cx + radius; x++) {
          if (x >= 0 && y >= 0 && x < W && y < W && Math.hypot(x - cx, y - cy) < radius) {
            rgba.fill(255, 4 * (y * W + x), 4 * (y * W + x) + 3);
          }
        }
      }
    }
  }
  return preprocess(rgba, W, W).pixels;
}

for (const simd of [true, false]) {
  describe(`Encoder (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let wr, encoder, encoder32, index32, images, tmp;

    before(async () => {
      const blobs = testBlobs();
      wr = await loadWardrobe({ simd });
      encoder = wr.Encoder.fromBytes(readBytes(blobs.encoder), readBytes(blobs.decoder));
      images = testImages();
      // An f32 index of the same model: the default index stores mu as f16.
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-enc-'));
      execFileSync(WARDROBE, ['index', '--model', blobs.model, '--out-dir', tmp, '--data', fashionMnistDir(),
        '--dtype', 'f32'], { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT });
      index32 = wr.Index.fromBytes(readBytes(path.join(tmp, 'index.lwb')));
      // And f32 encoder weights (the exported default is f16); no statistics needed (k = 1).
      const f32 = path.join(tmp, 'f32');
      fs.mkdirSync(f32);
      execFileSync(WARDROBE, ['export', '--model', blobs.model, '--out-dir', f32, '--data', fashionMnistDir(),
        '--dtype', 'f32', '--anomaly-k', '1'], { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT });
      encoder32 = wr.Encoder.fromBytes(readBytes(path.join(f32, 'encoder.lwb')));
    });
    after(() => {
      encoder?.delete();
      encoder32?.delete();
      index32?.delete();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const image = (i) => images.subarray(i * PIXELS, (i + 1) * PIXELS);

    test('shapes and statistics', () => {
      assert.equal(encoder.latentSize, 16);
      assert.equal(encoder.imageSize, PIXELS);
      assert.equal(encoder.hasDecoder, true);
      const { ids, nll } = encoder.anomalies();
      assert.ok(ids instanceof Int32Array && nll instanceof Float32Array);
      assert.equal(ids.length, 100);
      assert.equal(nll.length, 100);
      for (let i = 0; i < ids.length; i++) {
        assert.ok(ids[i] >= TRAIN_COUNT && ids[i] < TRAIN_COUNT + 10000, `id ${ids[i]}`);
        if (i > 0) assert.ok(nll[i] <= nll[i - 1], 'most anomalous first');
      }
      assert.equal(encoder.percentile(-1e9), 0);
      assert.equal(encoder.percentile(1e9), 100);
      assert.equal(encoder.percentile(1e9, 'elbo'), 100);
    });

    test('mu and sigma of test garments equal the f32 index (1e-4)', () => {
      let worst = 0, worst16 = 0;
      for (let i = 0; i < 200; i++) {
        const id = TRAIN_COUNT + i * 50;
        const { mu, sigma } = encoder32.encode(image(i * 50));
        const mu16 = encoder.encode(image(i * 50)).mu;
        const mu32 = index32.mu(id);
        const sigma32 = index32.sigma(id);
        for (let k = 0; k < mu.length; k++) {
          worst = Math.max(worst, Math.abs(mu[k] - mu32[k]));
          worst16 = Math.max(worst16, Math.abs(mu16[k] - mu32[k]));
          assert.ok(Math.abs(mu[k] - mu32[k]) <= 1e-4, `item ${id} mu[${k}]: ${mu[k]} vs ${mu32[k]}`);
          assert.ok(Math.abs(sigma[k] - sigma32[k]) <= 1e-4 * Math.max(1, sigma32[k]), `item ${id} sigma[${k}]`);
        }
      }
      assert.ok(worst < 1e-4);
      assert.ok(worst16 < 5e-3, `f16 encoder: worst mu difference ${worst16}`);
    });

    test('the stored most anomalous garments score near their stored NLL', () => {
      const { ids, nll } = encoder.anomalies();
      for (let i = 0; i < 5; i++) {
        const s = encoder.score(image(ids[i] - TRAIN_COUNT), 100, 7 + i);
        assert.ok(Math.abs(s.iwaeNll - nll[i]) < Math.max(5, 0.02 * nll[i]),
          `id ${ids[i]}: ${s.iwaeNll} vs stored ${nll[i]}`);
        assert.ok(s.negElbo >= s.iwaeNll - 20, 'ELBO is a bound, up to one-sample noise');
        assert.ok(encoder.percentile(s.iwaeNll) >= 98, `percentile ${encoder.percentile(s.iwaeNll)}`);
      }
    });

    test('typical test garments spread over the percentiles', () => {
      const ps = [];
      for (let i = 0; i < 100; i++) ps.push(encoder.percentile(encoder.score(image(i * 97), 20, 1).iwaeNll));
      const mean = ps.reduce((a, b) => a + b, 0) / ps.length;
      assert.ok(mean > 30 && mean < 70, `mean percentile ${mean}`);
      assert.ok(ps.filter((p) => p > 99).length <= 5, 'few typical garments look anomalous');
    });

    test('same seed, same score; more samples tighten the bound', () => {
      const x = image(3);
      assert.deepEqual(encoder.score(x, 50, 9), encoder.score(x, 50, 9));
      const k1 = encoder.score(x, 1, 9).iwaeNll;
      const k500 = encoder.score(x, 500, 9).iwaeNll;
      assert.ok(Number.isFinite(k1) && Number.isFinite(k500));
      assert.ok(k500 <= encoder.score(x, 1, 9).negElbo + 5, `k=500 ${k500} vs ELBO`);
    });

    test('out-of-distribution images: noise and a crossed stroke above the 99th percentile', () => {
      const noise = uniforms(PIXELS, 12345);
      const cross = strokes([[0.2, 0.2, 0.8, 0.8], [0.8, 0.2, 0.2, 0.8]], 14);
      for (const [name, x] of [['uniform noise', noise], ['a crossed stroke', cross]]) {
        const s = encoder.score(x, 100, 1);
        const p = encoder.percentile(s.iwaeNll);
        assert.ok(p > 99, `${name}: IWAE NLL ${s.iwaeNll.toFixed(1)} at percentile ${p}`);
      }
    });

    test('a thin "1" stroke is likelier than nearly every garment (below the 1st percentile)', () => {
      const one = strokes([[0.5, 0.15, 0.5, 0.85]], 6);
      const s = encoder.score(one, 100, 1);
      const p = encoder.percentile(s.iwaeNll);
      assert.ok(p < 1, `IWAE NLL ${s.iwaeNll.toFixed(1)} at percentile ${p}`);
    });

    test('complexity-corrected score: hand-drawn digits and noise above the 99th percentile', () => {
      // Strokes like a person draws digits on the page's canvas (fractions of the side).
      const digits = {
        1: [[0.5, 0.15, 0.5, 0.85]],
        2: [[0.3, 0.25, 0.5, 0.15], [0.5, 0.15, 0.7, 0.25], [0.7, 0.25, 0.7, 0.4], [0.7, 0.4, 0.3, 0.85], [0.3, 0.85, 0.75, 0.85]],
        4: [[0.6, 0.15, 0.25, 0.6], [0.25, 0.6, 0.8, 0.6], [0.6, 0.15, 0.6, 0.85]],
        5: [[0.7, 0.15, 0.3, 0.15], [0.3, 0.15, 0.3, 0.45], [0.3, 0.45, 0.65, 0.5], [0.65, 0.5, 0.7, 0.7], [0.7, 0.7, 0.3, 0.85]],
        7: [[0.25, 0.2, 0.75, 0.2], [0.75, 0.2, 0.4, 0.85]],
      };
      const cases = [['uniform noise', uniforms(PIXELS, 12345)]];
      for (const [digit, lines] of Object.entries(digits)) for (const r of [6, 12]) cases.push([`digit ${digit} (brush ${r})`, strokes(lines, r)]);
      for (const [name, x] of cases) {
        const s = encoder.score(x, 100, 1);
        assert.ok(Math.abs(s.ood - (s.iwaeNll - s.complexity)) < 1e-6 * Math.abs(s.iwaeNll));
        const q = encoder.percentile(s.ood, 'ood');
        assert.ok(q > 99, `${name}: NLL ${s.iwaeNll.toFixed(1)} (percentile ${encoder.percentile(s.iwaeNll).toFixed(1)}), ` +
          `complexity ${s.complexity.toFixed(1)}, corrected ${s.ood.toFixed(1)} at percentile ${q}`);
      }
    });

    test('complexity-corrected score: test garments spread over the percentiles', () => {
      // 200 test garments (the exporter's statistics cover all 10,000 with the same k and seed
      // convention): their corrected-score percentiles look uniform, few are flagged.
      const qs = [];
      for (let i = 0; i < 200; i++) qs.push(encoder.percentile(encoder.score(image(i * 50), 100, 1).ood, 'ood'));
      const flagged = qs.filter((q) => q > 99).length;
      const median = [...qs].sort((a, b) => a - b)[100];
      assert.ok(flagged <= 8, `${flagged} of 200 test garments above the 99th percentile`);
      assert.ok(median > 30 && median < 70, `median percentile ${median}`);
    });

    test('bad input throws and the encoder stays usable', () => {
      assert.throws(() => encoder.encode(new Float32Array(783)), /783 values/);
      const nan = new Float32Array(PIXELS);
      nan[5] = NaN;
      assert.throws(() => encoder.encode(nan), /pixel 5 is not finite/);
      assert.throws(() => encoder.score(new Float32Array(PIXELS).fill(2), 10), /pixel 0 is 2\.0+, outside \[0, 1\]/);
      assert.throws(() => encoder.score(image(0), 0), /k must be/);
      assert.throws(() => encoder.score(image(0), 10, -1), /seed/);
      assert.throws(() => encoder.percentile(1, 'x'), /iwae/);
      assert.throws(() => wr.Encoder.fromBytes(new Uint8Array(10)), /encoder/);
      // The decoder blob is not an encoder; the index is not a model.
      assert.throws(() => wr.Encoder.fromBytes(readBytes(testBlobs().decoder)), /no encoder part/);
      assert.throws(() => wr.Encoder.fromBytes(readBytes(testBlobs().encoder), readBytes(testBlobs().index)), /decoder/);
      const encOnly = wr.Encoder.fromBytes(readBytes(testBlobs().encoder));
      assert.equal(encOnly.hasDecoder, false);
      assert.deepEqual(encOnly.encode(image(1)).mu, encoder.encode(image(1)).mu);
      assert.throws(() => encOnly.score(image(1), 10), /decoder/);
      encOnly.delete();
      encOnly.delete();
      assert.throws(() => encOnly.encode(image(1)), /after delete/);
      assert.ok(encoder.encode(image(0)).mu.length === 16);
    });
  });
}
