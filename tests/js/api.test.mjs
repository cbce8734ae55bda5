// The JS API of the wasm module (wardrobe.d.ts), in both builds (SIMD and
// scalar): shapes and types, consistency between the decode variants, search
// results against a brute-force JS scan of the index's own mu/sigma, and the
// PCA projection / class means against JS recomputations from mu(id).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { loadWardrobe, normals, readBytes, testBlobs } from './fixtures.mjs';

const CLASSES = 10;

for (const simd of [true, false]) {
  describe(`wasm API (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let wr, model, index, d, n;

    before(async () => {
      const blobs = testBlobs();
      wr = await loadWardrobe({ simd });
      model = wr.Model.fromBytes(readBytes(blobs.decoder));
      index = wr.Index.fromBytes(readBytes(blobs.index));
      d = model.latentSize;
      n = index.size;
    });
    after(() => {
      model?.delete();
      index?.delete();
    });

    test('loads the requested build', () => {
      assert.equal(wr.simd, simd);
      assert.ok(wr.heapBytes() > 0);
    });

    test('model shapes and KL activity', () => {
      assert.equal(d, 16);
      assert.equal(model.imageSize, 784);
      const kl = model.klActivity();
      assert.ok(kl instanceof Float32Array);
      assert.equal(kl.length, d);
      for (const v of kl) assert.ok(Number.isFinite(v) && v >= 0, `KL ${v}`);
      assert.ok(kl.some((v) => v > 0.1), 'some dimension is active');
    });

    test('decode variants agree with the probabilities', () => {
      const z = normals(d, 7);
      const p = model.decodeProbabilities(z);
      const g = model.decode(z);
      const rgba = model.decodeRGBA(z);
      assert.ok(p instanceof Float32Array && p.length === 784);
      assert.ok(g instanceof Uint8ClampedArray && g.length === 784);
      assert.ok(rgba instanceof Uint8ClampedArray && rgba.length === 4 * 784);
      for (let i = 0; i < 784; i++) {
        assert.ok(p[i] >= 0 && p[i] <= 1);
        // Grey byte = round(255 p): allow the rounding boundary either way.
        assert.ok(Math.abs(g[i] - 255 * p[i]) <= 0.5 + 1e-3, `pixel ${i}: ${g[i]} vs ${255 * p[i]}`);
        assert.deepEqual([rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]], [g[i], g[i], g[i], 255]);
      }
      // A plain array works like a Float32Array.
      assert.deepEqual(model.decode(Array.from(z)), g);
    });

    test('decodeBatch equals one decode per sample', () => {
      for (const count of [1, 3, 8, 37]) {
        const Z = normals(count * d, 100 + count);
        const batch = model.decodeBatch(Z, count);
        const rgba = model.decodeBatchRGBA(Z, count);
        assert.equal(batch.length, count * 784);
        assert.equal(rgba.length, count * 4 * 784);
        for (let j = 0; j < count; j++) {
          const one = model.decode(Z.subarray(j * d, (j + 1) * d));
          assert.deepEqual(batch.subarray(j * 784, (j + 1) * 784), one, `sample ${j} of ${count}`);
          for (let i = 0; i < 784; i += 97) assert.equal(rgba[4 * (j * 784 + i)], one[i]);
        }
      }
    });

    test('returned arrays are copies, not heap views', () => {
      const a = model.decode(normals(d, 1));
      const keep = a.slice();
      model.decodeBatch(normals(64 * d, 2), 64);  // may grow and overwrite the heap buffers
      assert.deepEqual(a, keep);
      assert.equal(a.buffer.byteLength, 784);
    });

    test('index shapes, items, labels and splits', () => {
      assert.equal(index.latentSize, d);
      assert.ok(n >= 1000);
      const mu = index.mu(0);
      const sigma = index.sigma(0);
      assert.ok(mu instanceof Float32Array && mu.length === d);
      assert.ok(sigma instanceof Float32Array && sigma.length === d);
      for (const s of sigma) assert.ok(s > 0);
      let train = 0;
      for (let id = 0; id < n; id += 101) {
        const l = index.label(id);
        assert.ok(Number.isInteger(l) && l >= 0 && l < CLASSES);
        const s = index.split(id);
        assert.ok(s === 'train' || s === 'test');
        train += s === 'train';
      }
      assert.ok(train > 0);
      if (n === 70000) {
        assert.equal(index.split(59999), 'train');
        assert.equal(index.split(60000), 'test');
      }
    });

    // log q(z|x) of item id, from its mu/sigma (double precision).
    function logq(z, id) {
      const mu = index.mu(id);
      const sigma = index.sigma(id);
      let s = 0;
      for (let k = 0; k < d; k++) {
        const t = (z[k] - mu[k]) / sigma[k];
        s += -0.5 * t * t - Math.log(Math.sqrt(2 * Math.PI) * sigma[k]);
      }
      return s;
    }

    test('search agrees with a brute-force scan', () => {
      // Brute force over a subset of items through a filter: label 3, test split.
      const z = normals(d, 11);
      const candidates = [];
      for (let id = 0; id < n; id++) {
        if (index.label(id) === 3 && index.split(id) === 'test') candidates.push(id);
      }
      const ranked = candidates.map((id) => ({ id, s: logq(z, id) }))
        .sort((a, b) => b.s - a.s || a.id - b.id);
      const k = 10;
      const r = index.search(z, k, 'likelihood', { split: 'test', label: 3 });
      assert.ok(r.ids instanceof Int32Array && r.scores instanceof Float32Array);
      assert.equal(r.ids.length, k);
      for (let i = 0; i < k; i++) {
        assert.equal(r.ids[i], ranked[i].id, `rank ${i}`);
        assert.ok(Math.abs(r.scores[i] - ranked[i].s) <= 1e-4 * (1 + Math.abs(ranked[i].s)));
      }
      // Euclidean, no filter: ascending distances to mu.
      const e = index.search(z, 5, 'euclidean');
      for (let i = 0; i < 5; i++) {
        const mu = index.mu(e.ids[i]);
        const dist = Math.hypot(...Array.from(mu, (m, k) => z[k] - m));
        assert.ok(Math.abs(e.scores[i] - dist) <= 1e-4 * (1 + dist));
        if (i) assert.ok(e.scores[i] >= e.scores[i - 1]);
      }
    });

    test('search filters are respected', () => {
      const z = index.mu(5);
      for (const split of ['all', 'train', 'test']) {
        for (const label of [-1, 0, 9]) {
          const r = index.search(z, 20, 'likelihood', { split, label });
          assert.equal(r.ids.length, 20);
          for (const id of r.ids) {
            if (split !== 'all') assert.equal(index.split(id), split);
            if (label >= 0) assert.equal(index.label(id), label);
          }
          for (let i = 1; i < 20; i++) assert.ok(r.scores[i] <= r.scores[i - 1]);
        }
      }
      // Defaults: likelihood, all items; an item's own mu finds it first.
      assert.equal(index.search(index.mu(1234), 1).ids[0], 1234);
    });

    test('projectPoints: any latent vectors on the items\' PCA axes, the same numbers as project()', () => {
      const xy = index.project();
      const ids = [0, 1, 97, 1234, n - 1];
      const Z = new Float32Array(ids.length * d);
      ids.forEach((id, i) => Z.set(index.mu(id), i * d));
      const p = index.projectPoints(Z);
      assert.ok(p instanceof Float32Array && p.length === 2 * ids.length);
      // One formula (project_points) for both: bit-identical, not just close.
      ids.forEach((id, i) => assert.deepEqual([p[2 * i], p[2 * i + 1]], [xy[2 * id], xy[2 * id + 1]], `item ${id}`));
      // A point moved by t along the first axis moves by t in x only (the axes are orthonormal).
      const { components } = index.pca();
      const z = index.mu(97);
      const moved = z.map((v, k) => v + 0.5 * components[k]);
      const [x0, y0] = index.projectPoints(z), [x1, y1] = index.projectPoints(moved);
      assert.ok(Math.abs(x1 - x0 - 0.5) < 1e-4 && Math.abs(y1 - y0) < 1e-4, `moved by (${x1 - x0}, ${y1 - y0})`);
      // Plain arrays work; wrong sizes and values outside the latent domain are named.
      assert.deepEqual(Array.from(index.projectPoints(Array.from(z))), [x0, y0]);
      assert.throws(() => index.projectPoints(new Float32Array(d + 1)), /17 values/);
      assert.throws(() => index.projectPoints(new Float32Array(0)), /0 values/);
      assert.throws(() => index.projectPoints(new Float32Array(d).fill(NaN)), /NaN|finite/);
      assert.throws(() => index.projectPoints(new Float32Array(d).fill(1e6)), /10000|1e\+?4|domain|outside/);
    });

    test('PCA, projection and class means', () => {
      const { mean, components, variance } = index.pca();
      assert.equal(mean.length, d);
      assert.equal(components.length, 2 * d);
      assert.equal(variance.length, 2);
      assert.ok(variance[0] >= variance[1] && variance[1] > 0);
      for (let c = 0; c < 2; c++) {
        let norm = 0;
        for (let k = 0; k < d; k++) norm += components[c * d + k] ** 2;
        assert.ok(Math.abs(norm - 1) < 1e-4, `axis ${c} norm ${norm}`);
      }
      const xy = index.project();
      assert.ok(xy instanceof Float32Array && xy.length === 2 * n);
      const sums = new Float64Array(CLASSES * d);
      const counts = new Float64Array(CLASSES);
      const meanXY = [0, 0];
      for (let id = 0; id < n; id++) {
        const mu = index.mu(id);
        const l = index.label(id);
        counts[l]++;
        for (let k = 0; k < d; k++) sums[l * d + k] += mu[k];
        for (let c = 0; c < 2; c++) {
          let p = 0;
          for (let k = 0; k < d; k++) p += (mu[k] - mean[k]) * components[c * d + k];
          if (id % 97 === 0) assert.ok(Math.abs(xy[2 * id + c] - p) < 1e-4, `item ${id} axis ${c}`);
          meanXY[c] += xy[2 * id + c] / n;
        }
      }
      // The projection is centred (mean is the mean of mu).
      assert.ok(Math.abs(meanXY[0]) < 1e-3 && Math.abs(meanXY[1]) < 1e-3, `centre ${meanXY}`);
      const cm = index.classMeans();
      assert.equal(cm.length, CLASSES * d);
      for (let c = 0; c < CLASSES; c++) {
        for (let k = 0; k < d; k++) {
          const expect = counts[c] ? sums[c * d + k] / counts[c] : 0;
          assert.ok(Math.abs(cm[c * d + k] - expect) < 1e-4, `class ${c} dim ${k}: ${cm[c * d + k]} vs ${expect}`);
        }
      }
    });

    test('delete frees the memory and disables the object', () => {
      const bytes = readBytes(testBlobs().decoder);
      const m = wr.Model.fromBytes(bytes);
      m.decode(new Float32Array(d));
      const used = wr.heapUsed();
      for (let i = 0; i < 20; i++) wr.Model.fromBytes(bytes).delete();
      assert.equal(wr.heapUsed(), used);
      m.delete();
      assert.ok(wr.heapUsed() < used);
      assert.throws(() => m.decode(new Float32Array(d)), { message: /after delete/ });
      m.delete();  // a second delete is harmless
    });
  });
}
