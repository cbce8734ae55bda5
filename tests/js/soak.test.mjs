// Soak: 100,000 decode + search calls (mixed with batches, RGBA, items and,
// every 10th call, an invalid call: wrong lengths, NaN, k out of range, bad
// ids, use after delete()) leave the wasm heap unchanged: neither the linear
// memory size nor the bytes allocated by malloc grow after the first round of
// calls. Every invalid call throws an Error with a message, and the module
// keeps answering.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadWardrobe, normals, readBytes, testBlobs } from './fixtures.mjs';

const CALLS = Number(process.env.LW_SOAK_CALLS ?? 100000);

test(`soak: ${CALLS} decode + search calls keep the heap size constant`, async () => {
  const blobs = testBlobs();
  const wr = await loadWardrobe();
  const model = wr.Model.fromBytes(readBytes(blobs.decoder));
  const index = wr.Index.fromBytes(readBytes(blobs.index));
  const d = model.latentSize;
  const zs = normals(256 * d, 99);
  const batch = normals(16 * d, 98);

  // One round of everything grows the buffers to their steady-state size.
  const round = (i) => {
    const z = zs.subarray((i % 256) * d, (i % 256 + 1) * d);
    model.decode(z);
    const r = index.search(z, 10, i % 2 ? 'euclidean' : 'likelihood', { split: i % 3 ? 'all' : 'test', label: (i % 11) - 1 });
    if (i % 100 === 0) {
      model.decodeBatch(batch, 16);
      model.decodeRGBA(z);
      model.decodeProbabilities(z);
      index.mu(r.ids[0]);
      index.sigma(r.ids[0]);
    }
    if (i % 10 === 5) invalid(Math.floor(i / 10), z);
  };
  const nan = new Float32Array(d).fill(0.5);
  nan[d >> 1] = NaN;
  const decoderBytes = readBytes(blobs.decoder);
  let rejected = 0;
  const expectThrow = (fn, pattern) => {
    assert.throws(fn, (e) => e instanceof Error && pattern.test(e.message), `expected an Error matching ${pattern}`);
    rejected++;
  };
  // One invalid call of each kind in turn.
  const invalid = (j, z) => {
    switch (j % 8) {
      case 0: expectThrow(() => model.decode(new Float32Array(d - 1)), /\d+/); break;
      case 1: expectThrow(() => model.decode(nan), /finite|NaN/i); break;
      case 2: expectThrow(() => index.search(z, 0), /k/); break;
      case 3: expectThrow(() => index.search(z, index.size + 1), /k/); break;
      case 4: expectThrow(() => index.search(nan, 10), /finite|NaN/i); break;
      case 5: expectThrow(() => index.mu(-1), /id|range/i); break;
      case 6: expectThrow(() => model.decodeBatch(batch, 17), /\d+/); break;
      case 7: {
        // A model made, deleted and then used: the call throws, the others are unaffected.
        if (j % 800 === 7) {
          const m = wr.Model.fromBytes(decoderBytes);
          m.delete();
          expectThrow(() => m.decode(z), /delete/i);
        } else {
          expectThrow(() => index.search(z, 10, 'cosine'), /metric/);
        }
        break;
      }
    }
  };
  const reference = model.decode(zs.subarray(0, d));
  for (let i = 0; i < 300; i++) round(i);
  const bytes = wr.heapBytes();
  const used = wr.heapUsed();
  for (let i = 0; i < CALLS; i++) round(i);
  assert.equal(wr.heapBytes(), bytes, 'linear memory grew');
  assert.equal(wr.heapUsed(), used, 'malloc\'d bytes changed');
  assert.ok(rejected >= CALLS / 10, `${rejected} invalid calls rejected`);
  // Still usable: the same z decodes to the same pixels as before the soak.
  assert.deepEqual(model.decode(zs.subarray(0, d)), reference);
  model.delete();
  index.delete();
});
