// npm run bench: the WebAssembly runtime against the reference engines, in
// Node (same V8 as Chromium), one thread each, same decoder weights everywhere.
//
// decode, batch 1/8/64/256 latent vectors per call, input upload and output
//   readback included: this project's wasm (SIMD and scalar builds; grey
//   bytes out; wasm-simd-i8 / wasm-scal-i8: the page's i8 decoder blob on the
//   integer kernel), TensorFlow.js with its wasm backend (XNNPACK, SIMD), ONNX
//   Runtime Web (wasm, 1 thread; the .onnx is generated here from the blob),
//   plain JavaScript, and native (lw_runtime_bench, the same lw::Mlp code).
// search, 70,000 x 16 top-10 likelihood: wasm vs a plain JS loop (with
//   precomputed 1/(2 sigma^2) and log-normalisers) vs native.
//
// Each figure is the median of >= 200 timed calls after a warm-up (plain JS
// at batch >= 64 and in search uses fewer calls, see "calls" in the JSON; it
// is ~100x slower). The machine is shared, so the run is split into 10
// segments, each running native and then every engine's block of consecutive
// calls: every engine sees the same mix of load, which keeps ratios meaningful.
// Prints a table of medians and ratios; writes the figures as JSON to
// bench-results/bench-<timestamp>.json and prints that path last.
//
// Options: --iters N (default 200), --quick (50 calls, for smoke runs),
// --only wasm,tfjs,ort,js,native (engines to run).
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { LW_RUNTIME_BENCH, ROOT, loadWardrobe, readBytes, runNative, testBlobs } from '../js/fixtures.mjs';
import { decoderLayers } from './blob_reader.mjs';
import { decoderOnnx } from './onnx_writer.mjs';
import { median } from './stats.mjs';

const args = process.argv.slice(2);
const argValue = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const QUICK = args.includes('--quick');
const ITERS = Number(argValue('--iters', QUICK ? 50 : 200));
const ONLY = new Set(argValue('--only', 'wasm,tfjs,ort,js,native').split(','));
const BATCHES = [1, 8, 64, 256];
const K = 10;
const SEARCH_CALLS = Math.max(ITERS, QUICK ? 200 : 1000);
const SEGMENTS = QUICK ? 4 : 10;  // rounds of every engine (native included), see below

// Same generator as lw_runtime_bench: a 32-bit LCG mapped to [-2, 2).
function latentValues(count) {
  const v = new Float32Array(count);
  let x = 12345;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    v[i] = (x / 4294967296) * 4 - 2;
  }
  return v;
}

// ---- engines -----------------------------------------------------------------

async function wasmEngine(simd, decoderBytes) {
  const wr = await loadWardrobe({ simd });
  const model = wr.Model.fromBytes(decoderBytes);
  return { name: simd ? 'wasm-simd' : 'wasm-scalar', wr, model, run: (Z, n) => model.decodeBatch(Z, n) };
}

// The page's decoder: the same model exported with i8 weight matrices, which the
// runtime keeps as bytes and runs on the integer kernel (model/runtime/kernels/
// dense_q8.h). Its weights differ from the f16 blob's by the i8 rounding, so its
// pixels may differ by more than a grey level (tolerance below).
async function wasmI8Engine(simd, decoderI8Bytes) {
  const e = await wasmEngine(simd, decoderI8Bytes);
  return { ...e, name: simd ? 'wasm-simd-i8' : 'wasm-scal-i8', tolerance: 0.1 * 255 };
}

async function tfjsEngine(layers) {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  // Weights as [in x out] so the layer is fused.matMul(x, W^T) + b, with its activation.
  const params = layers.map((l) => {
    const wt = new Float32Array(l.in * l.out);
    for (let o = 0; o < l.out; o++) for (let i = 0; i < l.in; i++) wt[i * l.out + o] = l.W[o * l.in + i];
    return { w: tf.tensor2d(wt, [l.in, l.out]), b: tf.tensor1d(l.b) };
  });
  const d = layers[0].in;
  const run = (Z, n) => {
    const x = tf.tensor2d(Z, [n, d]);
    const y = tf.tidy(() => {
      let h = x;
      params.forEach((p, j) => {
        const last = j === params.length - 1;
        h = tf.fused.matMul({ a: h, b: p.w, bias: p.b, activation: last ? 'sigmoid' : 'relu' });
      });
      return h;
    });
    const out = y.dataSync();
    x.dispose();
    y.dispose();
    return out;
  };
  return { name: 'tfjs-wasm', run, info: `${tf.version_core} backend ${tf.getBackend()}` };
}

async function ortEngine(layers) {
  const ort = await import(pathToFileURL(path.join(ROOT, 'node_modules/onnxruntime-web/dist/ort.wasm.min.mjs')).href);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.wasmPaths = `${pathToFileURL(path.join(ROOT, 'node_modules/onnxruntime-web/dist')).href}/`;
  const session = await ort.InferenceSession.create(decoderOnnx(layers), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const d = layers[0].in;
  const run = async (Z, n) => {
    const feeds = { z: new ort.Tensor('float32', Z, [n, d]) };
    const result = await session.run(feeds);
    const out = result.pixels.data;
    result.pixels.dispose?.();
    return out;
  };
  return { name: 'ort-web', run, info: ort.env.versions?.web ?? '' };
}

// Plain JavaScript decoder: one sample at a time, weights [out x in] row-major,
// grey bytes out (like the wasm decodeBatch).
function jsEngine(layers) {
  const widest = Math.max(...layers.map((l) => l.out));
  const bufs = [new Float32Array(widest), new Float32Array(widest)];
  const run = (Z, n) => {
    const d = layers[0].in;
    const pixels = layers[layers.length - 1].out;
    const out = new Uint8ClampedArray(n * pixels);
    for (let s = 0; s < n; s++) {
      let x = Z.subarray(s * d, (s + 1) * d);
      layers.forEach((l, j) => {
        const last = j === layers.length - 1;
        const y = bufs[j % 2];
        const { W, b } = l;
        for (let o = 0; o < l.out; o++) {
          let acc = b[o];
          const row = o * l.in;
          for (let i = 0; i < l.in; i++) acc += W[row + i] * x[i];
          if (last) out[s * pixels + o] = Math.round(255 / (1 + Math.exp(-acc)));
          else y[o] = acc > 0 ? acc : 0;
        }
        x = y;
      });
    }
    return out;
  };
  return { name: 'plain-js', run };
}

// Plain JS search: row-major mu and 1/(2 sigma^2), per-item log-normaliser,
// score = lognorm - sum_k (z_k - mu_k)^2 inv2var_k, bounded top-k insertion.
function jsSearch(index) {
  const n = index.size;
  const d = index.latentSize;
  const mu = new Float32Array(n * d);
  const inv2var = new Float32Array(n * d);
  const lognorm = new Float32Array(n);
  const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) {
    const m = index.mu(i);
    const s = index.sigma(i);
    let ln = 0;
    for (let k = 0; k < d; k++) {
      mu[i * d + k] = m[k];
      inv2var[i * d + k] = 1 / (2 * s[k] * s[k]);
      ln -= Math.log(s[k]) + halfLog2Pi;
    }
    lognorm[i] = ln;
  }
  const ids = new Int32Array(K);
  const scores = new Float64Array(K);
  return (z) => {
    let count = 0;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const o = i * d;
      for (let k = 0; k < d; k++) {
        const t = z[k] - mu[o + k];
        acc += t * t * inv2var[o + k];
      }
      const s = lognorm[i] - acc;
      if (count === K && s <= scores[K - 1]) continue;
      let j = count < K ? count++ : K - 1;
      while (j > 0 && scores[j - 1] < s) {
        scores[j] = scores[j - 1];
        ids[j] = ids[j - 1];
        j--;
      }
      scores[j] = s;
      ids[j] = i;
    }
    return { ids: ids.slice(0, count), scores: Float32Array.from(scores.subarray(0, count)) };
  };
}

// ---- main --------------------------------------------------------------------

const fmt = (v) => (v === undefined ? '-' : v < 0.1 ? v.toFixed(4) : v < 10 ? v.toFixed(3) : v.toFixed(1));

// Loading a decoder as the page's worker does when the model arrives:
// Model.fromBytes (parse, check, pack the weights) and the first decode.
// Blobs alternate within each round; the first rounds warm up and are dropped.
function measureLoad(wr, blobsByName, rounds = QUICK ? 12 : 40) {
  const names = Object.keys(blobsByName);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const z = new Float32Array(16);
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const t0 = performance.now();
      const m = wr.Model.fromBytes(blobsByName[name]);
      m.decode(z.subarray(0, m.latentSize));
      const dt = performance.now() - t0;
      m.delete();
      if (r >= 4) times[name].push(dt);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { median_ms: median(times[n]), rounds: times[n].length }]));
}

async function main() {
  const blobs = testBlobs();
  const decoderBytes = readBytes(blobs.decoder);
  const indexBytes = readBytes(blobs.index);
  const layers = decoderLayers(decoderBytes);
  const d = layers[0].in;
  console.log(`bench: model ${path.relative(ROOT, blobs.model) || blobs.model}, decoder ` +
    `${[layers[0].in, ...layers.map((l) => l.out)].join('-')}, ${ITERS} calls per figure, Node ${process.version}`);

  const engines = [];
  if (ONLY.has('wasm')) {
    const i8Bytes = readBytes(blobs.decoderI8);
    engines.push(await wasmEngine(true, decoderBytes), await wasmEngine(false, decoderBytes),
      await wasmI8Engine(true, i8Bytes), await wasmI8Engine(false, i8Bytes));
  }
  if (ONLY.has('tfjs')) engines.push(await tfjsEngine(layers));
  if (ONLY.has('ort')) engines.push(await ortEngine(layers));
  if (ONLY.has('js')) engines.push(jsEngine(layers));

  // Sanity: every engine decodes the same image (probabilities vs bytes within 1 grey level;
  // the i8 engines within their tolerance).
  const z0 = latentValues(d);
  const ref = await engines[0]?.run(z0, 1);
  for (const e of engines.slice(1)) {
    const out = await e.run(z0, 1);
    let worst = 0;
    for (let i = 0; i < out.length; i++) {
      const v = out instanceof Float32Array ? out[i] * 255 : out[i];
      const r = ref instanceof Float32Array ? ref[i] * 255 : ref[i];
      worst = Math.max(worst, Math.abs(v - r));
    }
    if (!(worst <= (e.tolerance ?? 1.01))) {
      throw new Error(`${e.name} disagrees with ${engines[0].name}: max grey difference ${worst}`);
    }
  }

  const results = { date: new Date().toISOString(), node: process.version, iters: ITERS, segments: SEGMENTS,
    decode: {}, search: {} };

  // Search engines: the same queries everywhere (item (q * 7919 + 13) % n's mu).
  const simdEngine = engines.find((e) => e.name === 'wasm-simd');
  const wr = simdEngine?.wr ?? (await loadWardrobe());
  const index = wr.Index.fromBytes(indexBytes);
  const queries = [];
  for (let q = 0; q < SEARCH_CALLS; q++) queries.push(index.mu((q * 7919 + 13) % index.size));
  const searchers = [];
  if (ONLY.has('wasm')) {
    searchers.push({ name: 'wasm-simd', run: (z) => index.search(z, K), stride: 1 });
    const scalar = engines.find((e) => e.name === 'wasm-scalar');
    if (scalar) {
      const sIndex = scalar.wr.Index.fromBytes(indexBytes);
      searchers.push({ name: 'wasm-scalar', run: (z) => sIndex.search(z, K), stride: 1, cleanup: () => sIndex.delete() });
    }
  }
  if (ONLY.has('js')) {
    const search = jsSearch(index);
    // Check the JS loop against the wasm search before timing it.
    const a = search(queries[0]);
    const b = index.search(queries[0], K);
    if (a.ids.join() !== b.ids.join()) throw new Error(`plain JS search disagrees: ${a.ids} vs ${b.ids}`);
    searchers.push({ name: 'plain-js', run: search, stride: Math.max(1, Math.round(SEARCH_CALLS / ITERS)) });
  }

  // Plain JS is ~100x slower: it runs only every stride-th round at the big batches.
  const decodeStride = (e, n) => (e.name === 'plain-js' && n >= 64 ? Math.max(1, Math.round(n / 8)) : 1);
  const Zs = Object.fromEntries(BATCHES.map((n) => [n, latentValues(n * d)]));
  const samples = { decode: {}, search: {} };
  for (const e of engines) samples.decode[e.name] = Object.fromEntries(BATCHES.map((n) => [n, []]));
  for (const s of searchers) samples.search[s.name] = [];

  // Warm-up (JIT tiers, buffer growth).
  for (const e of engines) {
    for (const n of BATCHES) {
      for (let i = 0; i < (decodeStride(e, n) > 1 ? 2 : 20); i++) await e.run(Zs[n], n);
    }
  }
  for (const s of searchers) for (let i = 0; i < (s.stride > 1 ? 3 : 50); i++) s.run(queries[i]);

  // SEGMENTS rounds of: native (a separate process), then each in-process
  // engine's block of consecutive calls (re-warmed by a few untimed calls, so
  // caches hold its own weights as in steady use); samples are pooled per
  // engine. Spreading every engine over the whole run evens out the load of
  // this shared machine between them.
  const time = async (fn) => {
    const t0 = performance.now();
    const r = fn();
    if (r && typeof r.then === 'function') await r;
    return performance.now() - t0;
  };
  const nativeSamples = { decode: Object.fromEntries(BATCHES.map((n) => [n, []])), search: [] };
  const perSegment = Math.ceil(ITERS / SEGMENTS);
  const searchPerSegment = Math.ceil(SEARCH_CALLS / SEGMENTS);
  for (let seg = 0; seg < SEGMENTS; seg++) {
    if (ONLY.has('native')) {
      const native = JSON.parse(runNative(LW_RUNTIME_BENCH, [blobs.decoder, blobs.index, String(perSegment),
        BATCHES.join(','), String(searchPerSegment), String(seg * searchPerSegment)]));
      for (const r of native.decode) nativeSamples.decode[r.batch].push(...r.samples_ms);
      nativeSamples.search.push(...native.search.samples_ms);
    }
    for (const n of BATCHES) {
      for (const e of engines) {
        const stride = decodeStride(e, n);
        const calls = stride > 1 ? Math.max(5, Math.ceil(perSegment / stride)) : perSegment;
        for (let i = 0; i < (stride > 1 ? 1 : 5); i++) await e.run(Zs[n], n);
        for (let i = 0; i < calls; i++) samples.decode[e.name][n].push(await time(() => e.run(Zs[n], n)));
      }
    }
    for (const s of searchers) {
      for (let i = 0; i < (s.stride > 1 ? 1 : 10); i++) s.run(queries[i]);
      for (let r = 0; r < searchPerSegment; r += s.stride) {
        const q = seg * searchPerSegment + r;
        samples.search[s.name].push(await time(() => s.run(queries[q % queries.length])));
      }
    }
    process.stderr.write(`bench: segment ${seg + 1}/${SEGMENTS} done\n`);
  }
  for (const s of searchers) s.cleanup?.();
  index.delete();

  const summary = (ms) => ({ median_ms: median(ms), min_ms: Math.min(...ms), calls: ms.length });
  for (const e of engines) {
    results.decode[e.name] = Object.fromEntries(BATCHES.map((n) => [n, summary(samples.decode[e.name][n])]));
  }
  if (ONLY.has('native')) {
    results.decode.native = Object.fromEntries(BATCHES.map((n) => [n, summary(nativeSamples.decode[n])]));
  }
  results.search = { n: index.size, d: index.latentSize, k: K };
  for (const s of searchers) results.search[s.name] = summary(samples.search[s.name]);
  if (ONLY.has('native')) results.search.native = summary(nativeSamples.search);

  // ---- table and ratios ----
  const names = Object.keys(results.decode);
  const col = (s, w = 12) => String(s).padStart(w);
  console.log('\ndecode: median ms per call (batch = latent vectors per call, pixels read back)');
  console.log(`${'engine'.padEnd(13)}${BATCHES.map((n) => col(`batch ${n}`)).join('')}`);
  for (const name of names) {
    console.log(`${name.padEnd(13)}${BATCHES.map((n) => col(fmt(results.decode[name][n]?.median_ms))).join('')}`);
  }
  const ratios = {};
  const med = (name, n) => results.decode[name]?.[n]?.median_ms;
  if (med('wasm-simd', 1) !== undefined) {
    const best1 = Math.min(med('tfjs-wasm', 1) ?? Infinity, med('ort-web', 1) ?? Infinity);
    // No peer engine in this run (--only): no ratio, rather than Infinity "met".
    ratios.decode1_vs_best_reference = Number.isFinite(best1) ? best1 / med('wasm-simd', 1) : undefined;
    ratios.decode64_vs_tfjs = med('tfjs-wasm', 64) / med('wasm-simd', 64);
    for (const n of BATCHES) {
      ratios[`decode${n}_vs_tfjs`] = med('tfjs-wasm', n) / med('wasm-simd', n);
      ratios[`decode${n}_vs_ort`] = med('ort-web', n) / med('wasm-simd', n);
      ratios[`decode${n}_vs_plain_js`] = med('plain-js', n) / med('wasm-simd', n);
      ratios[`decode${n}_simd_vs_scalar`] = med('wasm-scalar', n) / med('wasm-simd', n);
      ratios[`decode${n}_native_vs_wasm`] = med('wasm-simd', n) / med('native', n);
      ratios[`decode${n}_i8_vs_f32_kernel`] = med('wasm-simd', n) / med('wasm-simd-i8', n);
    }
    ratios.decode1_i8_vs_best_reference = Number.isFinite(best1) ? best1 / med('wasm-simd-i8', 1) : undefined;
  }
  if (simdEngine) {
    results.load = measureLoad(simdEngine.wr, { 'f16 blob': decoderBytes, 'i8 blob (the page)': readBytes(blobs.decoderI8) });
    console.log('\nModel.fromBytes + first decode, wasm SIMD: median ms (rounds alternate the blobs)');
    for (const [name, r] of Object.entries(results.load)) console.log(`${name.padEnd(20)}${col(fmt(r.median_ms))}`);
    ratios.load_i8_vs_f16 = results.load['i8 blob (the page)'].median_ms / results.load['f16 blob'].median_ms;
  }
  const s = results.search;
  console.log(`\nsearch ${s.n} x ${s.d}, top-${K} likelihood: median ms per query`);
  for (const name of ['wasm-simd', 'wasm-scalar', 'plain-js', 'native']) {
    if (s[name]) console.log(`${name.padEnd(13)}${col(fmt(s[name].median_ms))}`);
  }
  if (s['wasm-simd']) {
    ratios.search_vs_plain_js = s['plain-js']?.median_ms / s['wasm-simd'].median_ms;
    ratios.search_wasm_over_native = s['wasm-simd'].median_ms / s.native?.median_ms;
  }
  results.ratios = ratios;
  const targets = [
    ['decode batch 1: wasm-simd vs faster of TF.js/ORT (x faster, target >= 1.3)', ratios.decode1_vs_best_reference, (v) => v >= 1.3],
    ['decode batch 64: wasm-simd vs TF.js (x faster, target >= 1.0)', ratios.decode64_vs_tfjs, (v) => v >= 1.0],
    ['decode batch 1, the page\'s i8 decoder: wasm-simd-i8 vs faster of TF.js/ORT (x faster)',
      ratios.decode1_i8_vs_best_reference, (v) => v >= 1.3],
    ['search: wasm-simd vs plain JS (x faster, target >= 10)', ratios.search_vs_plain_js, (v) => v >= 10],
    ['search: wasm-simd time / native time (target <= 1.4)', ratios.search_wasm_over_native, (v) => v <= 1.4],
  ];
  console.log('\nratios (one run)');
  if (Number.isFinite(ratios.load_i8_vs_f16)) {
    console.log(`  load: the page's i8 decoder takes ${ratios.load_i8_vs_f16.toFixed(2)}x the f16 blob's time`);
  }
  results.targets = {};
  for (const [label, v, ok] of targets) {
    if (v === undefined || Number.isNaN(v)) continue;
    results.targets[label] = { value: v, met: ok(v) };
    console.log(`  ${label}: ${v.toFixed(2)} ${ok(v) ? 'met' : 'NOT met'}`);
  }
  for (const n of BATCHES) {
    const parts = [['TF.js', `decode${n}_vs_tfjs`], ['ORT', `decode${n}_vs_ort`], ['plain JS', `decode${n}_vs_plain_js`],
      ['scalar', `decode${n}_simd_vs_scalar`]]
      .filter(([, key]) => Number.isFinite(ratios[key]))
      .map(([label, key]) => `${label} ${ratios[key].toFixed(2)}x`);
    if (parts.length) console.log(`  batch ${n}: wasm-simd is faster than ${parts.join(', ')}`);
    const i8 = ratios[`decode${n}_i8_vs_f32_kernel`];
    if (Number.isFinite(i8)) console.log(`  batch ${n}: wasm-simd-i8 (integer kernel) is ${i8.toFixed(2)}x faster than wasm-simd (float)`);
  }
  for (const f of ['wardrobe_simd.wasm', 'wardrobe_scalar.wasm']) {
    const file = path.join(ROOT, 'build/wasm-dist', f);
    if (fs.existsSync(file)) {
      const { gzipSync } = await import('node:zlib');
      const raw = fs.readFileSync(file);
      results[`size_${f}`] = { bytes: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
      console.log(`  ${f}: ${raw.length} bytes, ${results[`size_${f}`].gzip} gzip (target <= ${300 * 1024})`);
    }
  }

  const outDir = path.join(ROOT, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `bench-${results.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${path.relative(process.cwd(), file)}`);
}

await main();
