// Soak: 100,000 decode + search calls (mixed with batches, RGBA, items and
// errors) leave the wasm heap unchanged: neither the linear memory size nor
// the bytes allocated by malloc grow after the first round of calls.
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
      try {
        model.decode(new Float32Array(d - 1));
      } catch { /* expected */ }
      try {
        index.search(z, 0);
      } catch { /* expected */ }
    }
  };
  for (let i = 0; i < 300; i++) round(i);
  const bytes = wr.heapBytes();
  const used = wr.heapUsed();
  for (let i = 0; i < CALLS; i++) round(i);
  assert.equal(wr.heapBytes(), bytes, 'linear memory grew');
  assert.equal(wr.heapUsed(), used, 'malloc\'d bytes changed');
  model.delete();
  index.delete();
});
