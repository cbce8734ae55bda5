// Issue 11, part 6, the wasm API: every numeric input has a domain (see
// wardrobe.d.ts and wr.limits); inside it every result is finite and correct
// (rankings included), outside it the Error names the value. And blobs made
// from data without spread (an encoder that ignores its input, one class
// only, a dimension with zero variance, posteriors of sigma ~ 5.6e-9) give
// finite, meaningful views or say why.
//
// The degenerate blobs come from the real pipeline: lw_model_variant changes
// the committed default model (tests/cli/model_variant.cpp), `wardrobe export`
// and `wardrobe index` turn it into blobs on a small slice of the real
// dataset (300 training + 200 test garments, written to a temporary folder).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { decoderLayers } from '../bench/blob_reader.mjs';
import {
  NATIVE_DIR, WARDROBE, fashionMnistDir, loadWardrobe, modelPath, normals, readBytes, testBlobs,
} from './fixtures.mjs';

const LW_MODEL_VARIANT = path.join(NATIVE_DIR, 'tests/cli/lw_model_variant');
const N_TRAIN = 300;
const N_TEST = 200;

// The plain IDX bytes of one of the four files (gzip'd or plain on disk).
function idxBytes(dir, stem) {
  const file = [stem, `${stem}.gz`].map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${dir} has no ${stem}[.gz]`);
  const bytes = fs.readFileSync(file);
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes;
}

// A dataset of the first nTrain / nTest garments (IDX counts patched);
// label, if given, replaces every label (a one-class dataset).
function sliceDataset(out, label) {
  const src = fashionMnistDir();
  fs.mkdirSync(out, { recursive: true });
  for (const [split, n] of [['train', N_TRAIN], ['t10k', N_TEST]]) {
    const images = Buffer.from(idxBytes(src, `${split}-images-idx3-ubyte`).subarray(0, 16 + n * 784));
    images.writeUInt32BE(n, 4);
    fs.writeFileSync(path.join(out, `${split}-images-idx3-ubyte`), images);
    const labels = Buffer.from(idxBytes(src, `${split}-labels-idx1-ubyte`).subarray(0, 8 + n));
    labels.writeUInt32BE(n, 4);
    if (label !== undefined) labels.fill(label, 8);
    fs.writeFileSync(path.join(out, `${split}-labels-idx1-ubyte`), labels);
  }
  return out;
}

// decoder.lwb, encoder.lwb and index.lwb of a model variant on a dataset.
function blobsOf(work, name, variant, data) {
  const out = path.join(work, name);
  let model = modelPath();
  if (variant) {
    model = path.join(work, `${name}.lwb`);
    execFileSync(LW_MODEL_VARIANT, [modelPath(), model, variant]);
  }
  const env = { ...process.env, FASHION_MNIST_DIR: data };
  const run = (args) => execFileSync(WARDROBE, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  run(['export', '--model', model, '--out-dir', out, '--anomaly-k', '5']);
  const indexed = run(['index', '--model', model, '--out-dir', out, '--no-pixels']);
  const bytes = (f) => readBytes(path.join(out, f));
  return { decoder: bytes('decoder.lwb'), encoder: bytes('encoder.lwb'), index: bytes('index.lwb'), indexed };
}

// The decoder's logits in double precision (independent of the module:
// weights from the blob, plain loops), each with the standard deviation of
// the error a float32 evaluation makes by rounding alone.
//
// Model of the rounding (Higham & Mary, "A new approach to probabilistic
// rounding error analysis", SIAM J. Sci. Comput. 41(5), 2019): the n + 1
// roundings of a float32 dot product b + w.h are independent, zero-mean and at
// most u = 2^-24 relative to a partial sum, and every partial sum is at most
// |b| + sum |w_i h_i| in magnitude whatever the order of summation (SIMD lanes,
// FMA), so a layer adds rounding noise of variance (n + 1) u^2 (|b| + |w|.|h|)^2
// and passes its input's noise on through w (variance sum w_i^2 v_i); ReLU does
// not increase it. Near the edge of the latent domain the terms are of order
// 1e5 and cancel, so a logit that ends near 0 is known to float32 only to
// within a few units: that pixel's tolerance is wide, and a saturated pixel's
// tolerance is 1e-6.
function referenceLogits(layers, z) {
  const u = 2 ** -24;
  let h = Float64Array.from(z);
  let variance = new Float64Array(z.length);
  layers.forEach((layer, j) => {
    const next = new Float64Array(layer.out);
    const nextVariance = new Float64Array(layer.out);
    for (let o = 0; o < layer.out; o++) {
      let s = layer.b[o];
      let magnitude = Math.abs(layer.b[o]);
      let carried = 0;
      for (let i = 0; i < layer.in; i++) {
        const w = layer.W[o * layer.in + i];
        s += w * h[i];
        magnitude += Math.abs(w * h[i]);
        carried += w * w * variance[i];
      }
      next[o] = j < layers.length - 1 ? Math.max(0, s) : s;
      nextVariance[o] = carried + (layer.in + 1) * (u * magnitude) ** 2;
    }
    h = next;
    variance = nextVariance;
  });
  return { logits: h, sd: variance.map(Math.sqrt) };
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

// Per pixel, how far a float32 decoder's probability may be from the double
// one: the logit's rounding error out to 6 standard deviations (lambda = 6 in
// Higham & Mary's bound lambda sqrt(n) u, which fails with probability at most
// 2n exp(-18), 8e-6 for n = 257), through the sigmoid, plus 1e-6 for the sigmoid kernel itself (< 1e-7 measured,
// sigmoid_simd.h) and the float32 result.
function pixelTolerances({ logits, sd }) {
  return logits.map((s, i) => {
    const p = sigmoid(s);
    return Math.max(sigmoid(s + 6 * sd[i]) - p, p - sigmoid(s - 6 * sd[i])) + 1e-6;
  });
}

// Every item's log q(z|x) (or -distance) in double from index.mu()/sigma():
// the reference ranking, best first, ties by id.
function referenceRanking(index, z, metric) {
  const d = index.latentSize;
  const all = [];
  for (let id = 0; id < index.size; id++) {
    const mu = index.mu(id);
    const sigma = metric === 'likelihood' ? index.sigma(id) : null;
    let s = 0;
    for (let k = 0; k < d; k++) {
      const diff = z[k] - mu[k];
      s += metric === 'likelihood'
        ? -(diff * diff) / (2 * sigma[k] * sigma[k]) - Math.log(Math.sqrt(2 * Math.PI) * sigma[k])
        : diff * diff;
    }
    all.push({ id, key: metric === 'likelihood' ? s : -Math.sqrt(s) });
  }
  all.sort((a, b) => b.key - a.key || a.id - b.id);
  return all;
}

// The hits rank like the double reference: scores within 1e-5 relative, ids
// equal except where a near-tie (within that tolerance) may swap them.
function assertRanksLikeReference(result, ref, metric, what) {
  const k = result.ids.length;
  for (let j = 0; j < k; j++) {
    const score = metric === 'likelihood' ? result.scores[j] : -result.scores[j];
    assert.ok(Number.isFinite(result.scores[j]), `${what}: score ${j} is ${result.scores[j]}`);
    const tol = 1e-5 * Math.abs(ref[j].key) + 1e-6;
    assert.ok(Math.abs(score - ref[j].key) <= tol, `${what}: score ${j} ${score} vs reference ${ref[j].key}`);
    const nearTie = ref.some((o) => o.id !== ref[j].id && Math.abs(o.key - ref[j].key) <= 2 * tol);
    if (!nearTie) assert.equal(result.ids[j], ref[j].id, `${what}: id at position ${j}`);
  }
}

function throwsWith(fn, re) {
  assert.throws(fn, (e) => e instanceof Error && re.test(e.message), `expected an Error matching ${re}`);
}

let work;
let variants;
before(() => {
  testBlobs(); // builds the default blobs (and checks the native tools exist)
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-extremes-'));
  const data = sliceDataset(path.join(work, 'data'));
  variants = {
    blind: blobsOf(work, 'blind', 'ignore-input', data),
    narrow: blobsOf(work, 'narrow', 'logvar=-38', data), // sigma = e^-19 = 5.6e-9
    flat: blobsOf(work, 'flat', 'flat-dim=5', data),
    oneClass: blobsOf(work, 'one-class', null, sliceDataset(path.join(work, 'data3'), 3)),
  };
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

for (const simd of [true, false]) {
  describe(`extremes and degenerate data (${simd ? 'SIMD' : 'scalar'} build)`, () => {
    let wr;
    before(async () => {
      wr = await loadWardrobe({ simd });
    });

    test('limits come from the C++ that checks them', () => {
      assert.deepEqual({ ...wr.limits }, {
        latentAbs: 10000, sigmaMin: 1e-9, sigmaMax: 1e9, batch: 16384, scoreSamples: 5000,
        seed: Number.MAX_SAFE_INTEGER,
      });
      assert.ok(Object.isFrozen(wr.limits));
    });

    test('decode on the way to the edge of the latent domain is finite and correct; beyond it throws', () => {
      const blobs = testBlobs();
      const bytes = readBytes(blobs.decoder);
      const model = wr.Model.fromBytes(bytes);
      const layers = decoderLayers(bytes);
      const d = model.latentSize;
      for (const scale of [100, 1000, 10000]) {
        const zs = [new Float32Array(d).fill(scale), new Float32Array(d).fill(-scale),
          Float32Array.from({ length: d }, (_, k) => (k % 2 ? scale : -scale))];
        for (const z of zs) {
          const p = model.decodeProbabilities(z);
          const ref = referenceLogits(layers, z);
          const tolerance = pixelTolerances(ref);
          for (let i = 0; i < p.length; i++) {
            assert.ok(p[i] >= 0 && p[i] <= 1, `pixel ${i} is ${p[i]}`);
            const expected = sigmoid(ref.logits[i]);
            assert.ok(Math.abs(p[i] - expected) <= tolerance[i],
              `pixel ${i}: ${p[i]} vs double ${expected} (logit ${ref.logits[i]} +- ${ref.sd[i]}) at z[0] = ${z[0]}`);
          }
          // The tolerances still tell garments apart: the decode of z with
          // z[5]'s sign flipped (what a decoder with that bug would show) is
          // outside them in at least 10 pixels.
          const flipped = Float32Array.from(z);
          flipped[5] = -flipped[5];
          const wrong = referenceLogits(layers, flipped).logits.map(sigmoid);
          const caught = wrong.filter((q, i) => Math.abs(p[i] - q) > tolerance[i]).length;
          assert.ok(caught >= 10, `a decode of z with z[5] flipped passes in all but ${caught} pixels at z[0] = ${z[0]}`);
        }
      }
      const beyond = new Float32Array(d);
      beyond[2] = 10001;
      throwsWith(() => model.decode(beyond), /^z value 2 is 10001, outside the latent domain \+-10000$/);
      const batch = new Float32Array(2 * d);
      batch[d + 4] = -1e20;
      throwsWith(() => model.decodeBatch(batch, 2), /^Z value 20 is -1e\+20, outside the latent domain/);
      // The module stays usable.
      assert.equal(model.decode(new Float32Array(d).fill(10000)).length, 784);
      model.delete();
    });

    test('search at the edge ranks all 70,000 garments like double precision; beyond it throws', () => {
      const index = wr.Index.fromBytes(readBytes(testBlobs().index));
      const d = index.latentSize;
      const queries = [new Float32Array(d).fill(10000), new Float32Array(d).fill(-10000),
        Float32Array.from(normals(d, 9), (v) => v * 3000)];
      for (const z of queries) {
        for (const metric of ['likelihood', 'euclidean']) {
          const ref = referenceRanking(index, z, metric);
          assertRanksLikeReference(index.search(z, 10, metric), ref, metric, `${metric} z[0] = ${z[0]}`);
        }
      }
      const beyond = new Float32Array(d);
      beyond[0] = NaN;
      throwsWith(() => index.search(beyond, 5), /^query value 0 is NaN$/);
      beyond[0] = 2e4;
      throwsWith(() => index.search(beyond, 5), /^query value 0 is 20000, outside the latent domain \+-10000$/);
      index.delete();
    });

    test('posteriors of sigma 5.6e-9: finite scores, each garment finds itself', () => {
      const { index: bytes, indexed } = variants.narrow;
      // f16 was asked for (the default); the narrow posteriors kept f32.
      assert.match(indexed, /stored as f32/);
      const index = wr.Index.fromBytes(bytes);
      const d = index.latentSize;
      const expectedSigma = Math.exp(-19);
      for (const id of [0, 123, 299, 300, 499]) {
        const sigma = index.sigma(id);
        for (let k = 0; k < d; k++) assert.ok(Math.abs(sigma[k] / expectedSigma - 1) < 1e-5, `sigma ${sigma[k]}`);
        const { ids, scores } = index.search(index.mu(id), 3);
        assert.equal(ids[0], id);
        // log q(mu|x) = -d log(sqrt(2 pi) sigma): +273.6 nats for d = 16.
        const own = -d * Math.log(Math.sqrt(2 * Math.PI) * expectedSigma);
        assert.ok(Math.abs(scores[0] - own) < 1e-4 * own, `own score ${scores[0]} vs ${own}`);
        assert.ok(scores.every(Number.isFinite));
      }
      const edge = new Float32Array(d).fill(-10000);
      assertRanksLikeReference(index.search(edge, 10), referenceRanking(index, edge, 'likelihood'), 'likelihood',
        'narrow index at -1e4');
      index.delete();
    });

    test('an encoder that ignores its input: ties by id, a map that says why, finite scores', () => {
      const { index: indexBytes, encoder: encBytes, decoder: decBytes } = variants.blind;
      const index = wr.Index.fromBytes(indexBytes);
      const d = index.latentSize;
      const z = normals(d, 4);
      const { ids, scores } = index.search(z, 5);
      assert.deepEqual([...ids], [0, 1, 2, 3, 4]);
      assert.ok(scores.every((s) => s === scores[0] && Number.isFinite(s)));
      const filtered = index.search(z, 2, 'euclidean', { split: 'test' });
      assert.deepEqual([...filtered.ids], [N_TRAIN, N_TRAIN + 1]);
      const pca = index.pca();
      assert.equal(pca.note, `all ${N_TRAIN + N_TEST} items have the same posterior mean: there is no spread to map ` +
        '(does the encoder ignore its input?)');
      assert.ok([...pca.variance].every((v) => Number.isFinite(v) && Math.abs(v) < 1e-9));
      const xy = index.project();
      assert.ok(xy.every(Number.isFinite));
      for (let i = 2; i < xy.length; i++) assert.ok(Math.abs(xy[i] - xy[i % 2]) < 1e-4, `point ${i >> 1} moved`);
      index.delete();

      const encoder = wr.Encoder.fromBytes(encBytes, decBytes);
      const dark = new Float32Array(784);
      const light = new Float32Array(784).fill(0.8);
      const a = encoder.encode(dark);
      const b = encoder.encode(light);
      assert.deepEqual(a.mu, b.mu);
      const s = encoder.score(light, 20);
      assert.ok(Number.isFinite(s.iwaeNll) && Number.isFinite(s.negElbo) && Number.isFinite(s.ood));
      const p = encoder.percentile(s.iwaeNll);
      assert.ok(p >= 0 && p <= 100);
      encoder.delete();
      const model = wr.Model.fromBytes(decBytes);
      assert.ok(model.klActivity().every(Number.isFinite));
      model.delete();
    });

    test('one class only: counts say which classes are absent; filtering to one throws clearly', () => {
      const index = wr.Index.fromBytes(variants.oneClass.index);
      const counts = index.classCounts();
      assert.deepEqual([...counts], [0, 0, 0, N_TRAIN + N_TEST, 0, 0, 0, 0, 0, 0]);
      const d = index.latentSize;
      const means = index.classMeans();
      for (let c = 0; c < 10; c++) {
        const row = means.subarray(c * d, (c + 1) * d);
        if (c === 3) assert.ok(row.some((v) => v !== 0));
        else assert.ok(row.every((v) => v === 0), `class ${c} has a mean without items`);
      }
      // Class 3's mean is the mean of every item's mu (independently: from mu()).
      const mean = new Float64Array(d);
      for (let id = 0; id < index.size; id++) index.mu(id).forEach((v, k) => { mean[k] += v / index.size; });
      for (let k = 0; k < d; k++) assert.ok(Math.abs(means[3 * d + k] - mean[k]) < 1e-3);
      throwsWith(() => index.search(new Float32Array(d), 1, 'likelihood', { label: 5 }),
        /^search: k = 1 exceeds the 0 items matching the filter \(split all, label 5\)$/);
      index.delete();
    });

    test('a dimension with zero variance: a normal map, the flat axis unused, KL finite', () => {
      const index = wr.Index.fromBytes(variants.flat.index);
      const d = index.latentSize;
      for (let id = 0; id < index.size; id += 37) assert.equal(index.mu(id)[5], 0);
      const pca = index.pca();
      assert.equal(pca.note, '');
      assert.ok(Math.abs(pca.components[5]) < 1e-6 && Math.abs(pca.components[d + 5]) < 1e-6);
      assert.ok(pca.variance[1] > 0.01);
      index.delete();
      const model = wr.Model.fromBytes(variants.flat.decoder);
      const kl = model.klActivity();
      assert.ok(kl.every((v) => Number.isFinite(v) && v >= 0));
      // The page orders the sliders by KL: a total order without NaN.
      const order = [...kl.keys()].sort((a, b) => kl[b] - kl[a] || a - b);
      assert.equal(new Set(order).size, d);
      model.delete();
    });

    test('score and percentile inputs: NaN and unsafe seeds throw, infinities go to the ends', () => {
      const blobs = testBlobs();
      const encoder = wr.Encoder.fromBytes(readBytes(blobs.encoder), readBytes(blobs.decoder));
      throwsWith(() => encoder.percentile(NaN), /^percentile: value must be a number \(±Infinity allowed\), got NaN$/);
      throwsWith(() => encoder.percentile('212'), /value must be a number/);
      assert.equal(encoder.percentile(-Infinity), 0);
      assert.equal(encoder.percentile(Infinity), 100);
      const x = new Float32Array(784).fill(0.25);
      throwsWith(() => encoder.score(x, 10, 2 ** 53), /^seed must be an integer 0\.\.9007199254740991, got 9007199254740992$/);
      throwsWith(() => encoder.score(x, 5001), /k must be 1\.\.5000, got 5001/);
      throwsWith(() => encoder.score(x, 0), /k must be 1\.\.5000, got 0/);
      const s = encoder.score(x, 5000, Number.MAX_SAFE_INTEGER);
      assert.ok(Number.isFinite(s.iwaeNll));
      encoder.delete();
    });
  });
}
