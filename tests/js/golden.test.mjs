// Golden parity between the wasm module and the native build:
//  - decoder: for 1,000 random z, wasm pixel probabilities equal the native
//    lw::Mlp ones (tests/bench/lw_golden) within 1e-5, and the training
//    code's plain Eigen decoder within 1e-4 (an independent implementation,
//    summing in a different order);
//  - search: top-k ids identical and scores within 1e-5 relative to
//    `wardrobe search --json`, for several queries, metrics and filters.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LW_GOLDEN, WARDROBE, loadWardrobe, normals, readBytes, runNative, testBlobs } from './fixtures.mjs';

const SAMPLES = 1000;
const PIXELS = 784;
// Pixel differences (probabilities in [0, 1]) allowed between the i8 and the f16 decoder. Measured on the
// default model: mean 0.0022, 99.9th percentile 0.026, largest 0.066 over 1,000 z ~ N(0, I).
const I8_MAX = 0.1;
const I8_MEAN = 0.005;
// The integer kernel against float arithmetic on the same i8 weights (Eigen, dequantised): the only
// difference is the 15-bit quantisation of each layer's input (kernels/dense_q8.h). Measured on the
// default model: largest 5.4e-4 (0.14 of a grey level) over 1,000 z ~ N(0, I).
const I8_KERNEL_MAX = 2e-3;

// Native probabilities for the rows of Z (written to a temporary file).
function nativeProbabilities(decoder, Z, impl) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-golden-'));
  try {
    const zFile = path.join(dir, 'z.f32');
    const outFile = path.join(dir, 'out.f32');
    fs.writeFileSync(zFile, Buffer.from(Z.buffer, Z.byteOffset, Z.byteLength));
    runNative(LW_GOLDEN, [decoder, zFile, outFile, impl]);
    const b = fs.readFileSync(outFile);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function maxAbsDiff(model, Z, d, expected) {
  let worst = 0;
  let where = -1;
  for (let j = 0; j < SAMPLES; j++) {
    const p = model.decodeProbabilities(Z.subarray(j * d, (j + 1) * d));
    for (let i = 0; i < PIXELS; i++) {
      const e = Math.abs(p[i] - expected[j * PIXELS + i]);
      if (!(e <= worst)) {
        worst = e;
        where = j * PIXELS + i;
      }
    }
  }
  return { worst, where };
}

for (const simd of [true, false]) {
  describe(`golden parity with native (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let wr, model, index, blobs;
    before(async () => {
      blobs = testBlobs();
      wr = await loadWardrobe({ simd });
      model = wr.Model.fromBytes(readBytes(blobs.decoder));
      index = wr.Index.fromBytes(readBytes(blobs.index));
    });
    after(() => {
      model?.delete();
      index?.delete();
    });

    test(`decoder: ${SAMPLES} random z within 1e-5 of native lw::Mlp, 1e-4 of Eigen`, () => {
      const d = model.latentSize;
      // Spread wider than the prior (sd 1.5) to reach saturated pixels too.
      const Z = normals(SAMPLES * d, 2024).map((v) => 1.5 * v);
      const mlp = nativeProbabilities(blobs.decoder, Z, 'mlp');
      assert.equal(mlp.length, SAMPLES * PIXELS);
      const a = maxAbsDiff(model, Z, d, mlp);
      assert.ok(a.worst <= 1e-5, `max |wasm - native mlp| = ${a.worst} at ${a.where}`);
      const eigen = nativeProbabilities(blobs.decoder, Z, 'eigen');
      const b = maxAbsDiff(model, Z, d, eigen);
      assert.ok(b.worst <= 1e-4, `max |wasm - native eigen| = ${b.worst} at ${b.where}`);
    });

    // i8 weight matrices (export --dtype i8): the same parity with native on the same blob, and pixels
    // close to the f16 decoder's (the quantisation moves each weight by at most half a step of its row).
    test(`i8 decoder: ${SAMPLES} random z within 1e-5 of native, ${I8_KERNEL_MAX} of float arithmetic; within ${I8_MAX} (mean ${I8_MEAN}) of the f16 decoder`, () => {
      const quantized = wr.Model.fromBytes(readBytes(blobs.decoderI8));
      try {
        const d = quantized.latentSize;
        const Z = normals(SAMPLES * d, 2025);
        const native = nativeProbabilities(blobs.decoderI8, Z, 'mlp');
        const a = maxAbsDiff(quantized, Z, d, native);
        assert.ok(a.worst <= 1e-5, `max |wasm i8 - native i8| = ${a.worst} at ${a.where}`);
        const float = nativeProbabilities(blobs.decoderI8, Z, 'eigen');
        const k = maxAbsDiff(quantized, Z, d, float);
        assert.ok(k.worst <= I8_KERNEL_MAX, `max |integer kernel - float arithmetic| = ${k.worst} at ${k.where}`);
        assert.ok(k.worst > 0, 'the i8 decoder gives exactly the float pixels: the integer kernel did not run');
        console.log(`# i8 decoder, integer kernel vs float arithmetic on the same weights: max ${k.worst.toExponential(2)}`);
        const f16 = nativeProbabilities(blobs.decoder, Z, 'mlp');
        const b = maxAbsDiff(quantized, Z, d, f16);
        let sum = 0;
        for (let i = 0; i < f16.length; i++) sum += Math.abs(native[i] - f16[i]);
        const mean = sum / f16.length;
        assert.ok(b.worst <= I8_MAX, `max |i8 - f16| = ${b.worst} at ${b.where}`);
        assert.ok(mean <= I8_MEAN, `mean |i8 - f16| = ${mean}`);
        assert.ok(b.worst > 0, 'the i8 decoder gives exactly the f16 pixels: it was not quantised');
        console.log(`# i8 vs f16 decoder over ${SAMPLES} z ~ N(0, I): pixel difference mean ${mean.toFixed(4)}, max ${b.worst.toFixed(4)}`);
      } finally {
        quantized.delete();
      }
    });

    const cases = [
      { item: 60000, k: 5, metric: 'likelihood', split: 'all', label: -1 },
      { item: 123, k: 10, metric: 'likelihood', split: 'test', label: -1 },
      { item: 65432, k: 10, metric: 'euclidean', split: 'all', label: -1 },
      { item: 777, k: 25, metric: 'likelihood', split: 'train', label: 4 },
      { seed: 5, k: 10, metric: 'likelihood', split: 'all', label: -1 },
      { seed: 6, k: 10, metric: 'euclidean', split: 'train', label: 7 },
      { seed: 7, k: 50, metric: 'likelihood', split: 'all', label: -1 },
    ];
    for (const c of cases) {
      const name = `${c.item !== undefined ? `item ${c.item}` : `random z #${c.seed}`}, k=${c.k}, ${c.metric}, ` +
        `split=${c.split}, label=${c.label}`;
      test(`search matches wardrobe search --json: ${name}`, (t) => {
        if (c.item !== undefined && c.item >= index.size) return t.skip('index too small');
        const z = c.item !== undefined ? index.mu(c.item) : normals(index.latentSize, c.seed);
        // 9 significant digits round-trip a float exactly.
        const args = ['search', '--index', blobs.index, '--z', Array.from(z, (v) => v.toPrecision(9)).join(','),
          '--k', String(c.k), '--metric', c.metric, '--split', c.split, '--class', String(c.label), '--json'];
        const native = JSON.parse(runNative(WARDROBE, args));
        const r = index.search(z, c.k, c.metric, { split: c.split, label: c.label });
        assert.deepEqual(Array.from(r.ids), native.results.map((h) => h.id));
        native.results.forEach((h, i) => {
          // The native JSON prints 7 significant digits: compare at that precision too.
          const tol = Math.max(1e-5 * Math.abs(h.score), 1e-6 * (1 + Math.abs(h.score)));
          assert.ok(Math.abs(r.scores[i] - h.score) <= tol, `rank ${i}: wasm ${r.scores[i]} vs native ${h.score}`);
          assert.equal(index.label(r.ids[i]), h.label);
          assert.equal(index.split(r.ids[i]), h.split);
        });
      });
    }
  });
}
