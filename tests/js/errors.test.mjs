// Bad input through the JS API: every case throws an Error with a message
// saying what is wrong (never an abort), and afterwards the module still
// works: the same decode and search give the same results as before.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { loadWardrobe, normals, readBytes, testBlobs } from './fixtures.mjs';

for (const simd of [true, false]) {
  describe(`bad input (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let wr, model, index, d, decoderBytes, indexBytes, z, refPixels, refSearch;

    before(async () => {
      const blobs = testBlobs();
      decoderBytes = readBytes(blobs.decoder);
      indexBytes = readBytes(blobs.index);
      wr = await loadWardrobe({ simd });
      model = wr.Model.fromBytes(decoderBytes);
      index = wr.Index.fromBytes(indexBytes);
      d = model.latentSize;
      z = normals(d, 3);
      refPixels = model.decode(z);
      refSearch = index.search(z, 10);
    });
    after(() => {
      model?.delete();
      index?.delete();
    });

    // Runs fn, expects an Error whose message matches re, then checks that the
    // module still gives the reference results.
    function expectError(fn, re) {
      let caught = null;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof Error, `expected an Error, got ${caught}`);
      assert.match(caught.message, re);
      assert.deepEqual(model.decode(z), refPixels);
      assert.deepEqual(index.search(z, 10), refSearch);
    }

    test('decode: wrong lengths', () => {
      expectError(() => model.decode(new Float32Array(d - 1)), /z has 15 values, the latent size is 16/);
      expectError(() => model.decode(new Float32Array(d + 1)), /z has 17 values/);
      expectError(() => model.decode([]), /z has 0 values/);
      expectError(() => model.decodeBatch(new Float32Array(3 * d), 4), /Z has 48 values, expected 4 x 16 = 64/);
      expectError(() => model.decodeBatch(new Float32Array(0), 0), /batch size must be 1\.\./);
      expectError(() => model.decodeBatch(new Float32Array(d), -1), /batch size must be/);
      expectError(() => model.decodeBatch(new Float32Array(d), 1.5), /n must be an integer/);
      expectError(() => model.decodeBatch(new Float32Array(d), 1e6), /batch size must be 1\.\./);
    });

    test('decode: non-finite values and non-arrays', () => {
      const bad = new Float32Array(d);
      bad[3] = NaN;
      expectError(() => model.decode(bad), /z value 3 is NaN/);
      bad[3] = Infinity;
      expectError(() => model.decodeRGBA(bad), /z value 3 is infinite/);
      expectError(() => model.decodeProbabilities(['a', ...new Array(d - 1).fill(0)]), /z value 0 is NaN/);
      const batch = new Float32Array(2 * d);
      batch[d + 1] = -Infinity;
      expectError(() => model.decodeBatch(batch, 2), /Z value 17 is infinite/);
      expectError(() => model.decode(null), /z must be a Float32Array/);
      expectError(() => model.decode(42), /z must be a Float32Array/);
      expectError(() => model.decode('0000000000000000'), /z must be a Float32Array/);
    });

    test('Model.fromBytes: corrupt, truncated and wrong blobs', () => {
      const flipped = decoderBytes.slice();
      flipped[flipped.length - 100] ^= 0x40;
      expectError(() => wr.Model.fromBytes(flipped), /checksum|crc/i);
      expectError(() => wr.Model.fromBytes(decoderBytes.slice(0, 1000)), /truncated/);
      expectError(() => wr.Model.fromBytes(new Uint8Array(0)), /\S/);
      expectError(() => wr.Model.fromBytes(new Uint8Array(4096)), /magic/);
      expectError(() => wr.Model.fromBytes(indexBytes), /expected model weights, found a latent index/);
      expectError(() => wr.Model.fromBytes('decoder.lwb'), /expected a Uint8Array/);
      expectError(() => wr.Model.fromBytes(undefined), /expected a Uint8Array/);
      // Every corrupt header byte is caught (bounded sample: every 7th byte of the header).
      for (let i = 0; i < 256; i += 7) {
        const b = decoderBytes.slice();
        b[i] ^= 0xff;
        expectError(() => wr.Model.fromBytes(b), /\S/);
      }
      // An ArrayBuffer is accepted as well as a Uint8Array.
      const m = wr.Model.fromBytes(decoderBytes.slice().buffer);
      assert.deepEqual(m.decode(z), refPixels);
      m.delete();
    });

    test('Index.fromBytes: corrupt and wrong blobs', () => {
      const flipped = indexBytes.slice();
      flipped[Math.floor(flipped.length / 2)] ^= 0x01;
      expectError(() => wr.Index.fromBytes(flipped), /checksum|crc/i);
      expectError(() => wr.Index.fromBytes(indexBytes.slice(0, indexBytes.length - 64)), /truncated|size/);
      expectError(() => wr.Index.fromBytes(decoderBytes), /expected a latent index, found a model weights/);
      expectError(() => wr.Index.fromBytes([1, 2, 3]), /expected a Uint8Array/);
    });

    test('search: k out of range, bad metric, filter and query', () => {
      expectError(() => index.search(z, 0), /k = 0 must be at least 1/);
      expectError(() => index.search(z, -5), /k = -5/);
      expectError(() => index.search(z, index.size + 1), /k = \d+/);
      expectError(() => index.search(z, 1e12), /k = \d+/);
      expectError(() => index.search(z, 2.5), /k must be an integer/);
      expectError(() => index.search(z, 10, 'cosine'), /metric must be 'likelihood' or 'euclidean', got 'cosine'/);
      expectError(() => index.search(z, 10, 'likelihood', { split: 'val' }), /filter.split must be/);
      expectError(() => index.search(z, 10, 'likelihood', { label: 10 }), /filter.label must be -1/);
      expectError(() => index.search(z, 10, 'likelihood', { label: 2.5 }), /filter.label must be -1/);
      expectError(() => index.search(z, 10, 'likelihood', 'test'), /filter must be an object/);
      expectError(() => index.search(new Float32Array(d - 1), 10), /query has 15 values, the index has 16/);
      expectError(() => index.search(new Float32Array(1 << 20), 10), /query has 1048576 values/);
      const bad = z.slice();
      bad[0] = NaN;
      expectError(() => index.search(bad, 10), /query value 0 is NaN/);
      // k larger than the items passing the filter (test split holds fewer than all).
      if (index.size === 70000) {
        expectError(() => index.search(z, 10001, 'likelihood', { split: 'test' }), /k = 10001/);
      }
    });

    test('items: ids out of range', () => {
      for (const id of [-1, index.size, 2 ** 31, 1.5, NaN, '3']) {
        expectError(() => index.mu(id), /id|range/);
        expectError(() => index.sigma(id), /id|range/);
        expectError(() => index.label(id), /id|range/);
        expectError(() => index.split(id), /id|range/);
      }
      expectError(() => index.mu(index.size), new RegExp(`item id ${index.size} is out of range 0\\.\\.${index.size - 1}`));
    });

    test('use after delete throws, other objects unaffected', () => {
      const m = wr.Model.fromBytes(decoderBytes);
      const ix = wr.Index.fromBytes(indexBytes);
      m.delete();
      ix.delete();
      expectError(() => m.decode(z), /Model: used after delete/);
      expectError(() => m.klActivity(), /Model: used after delete/);
      expectError(() => ix.search(z, 1), /Index: used after delete/);
      expectError(() => ix.project(), /Index: used after delete/);
    });
  });
}
