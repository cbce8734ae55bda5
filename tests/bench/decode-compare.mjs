// Decode speed of two decoder blobs through the public wasm API (Model.fromBytes, decode(z), batch 1),
// interleaved in one Node process so both see the same machine load; for before/after figures of a
// model change (issue 14). Not a test: it prints figures and asserts nothing.
//   node tests/bench/decode-compare.mjs A.lwb B.lwb [--rounds 9] [--calls 2000] [--scalar] [--module-b DIR]
// Each round warms up with 200 calls, then times `calls` calls of each model in turn; prints the median
// per-call time of each (ms) and the ratio B / A as one JSON line. `pixels` is the largest and the mean
// |p_A - p_B| of the two decoders' pixel probabilities (decodeProbabilities) on the same 1,000
// z ~ N(0, I) (fixed seed): with one model in two dtypes (f32 and f16, f16 and i8 blobs), the error
// the storage format adds. Build the module first (bash scripts/build-wasm.sh --module-only); export
// blobs with `wardrobe export --dtype f32|f16|i8`.
// --module-b DIR: B runs on another build of the module (DIR holds its wardrobe.js, as
// build/wasm-dist does), for before/after figures of a kernel change; A and B may then be the
// same blob. Copy build/wasm-dist aside before rebuilding to keep the "before" build.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

import { loadWardrobe } from '../js/fixtures.mjs';
import { median } from './stats.mjs';

const USAGE = 'usage: node tests/bench/decode-compare.mjs A.lwb B.lwb [--rounds 9] [--calls 2000] [--scalar] [--module-b DIR]';
function usage(problem) {
  console.error(`${USAGE}\n  ${problem}`);
  process.exit(2);
}
let parsed;
try {
  // strict: an unknown option, or an option without its value, is an error rather than ignored.
  parsed = parseArgs({
    allowPositionals: true,
    options: { rounds: { type: 'string' }, calls: { type: 'string' }, scalar: { type: 'boolean' }, 'module-b': { type: 'string' } },
  });
} catch (e) {
  usage(e.message);
}
const { values: opts, positionals: blobs } = parsed;
const wholeOption = (name, fallback) => {
  if (opts[name] === undefined) return fallback;
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be a whole number >= 1, got '${opts[name]}'`);
  return n;
};
if (blobs.length !== 2) usage(`expected two decoder blobs, got ${blobs.length}`);
const moduleB = opts['module-b'] ?? null;
if (moduleB !== null && (moduleB.startsWith('-') || !fs.existsSync(path.join(moduleB, 'wardrobe.js')))) {
  usage(`--module-b: ${moduleB}/wardrobe.js not found`);
}
const ROUNDS = wholeOption('rounds', 9);
const CALLS = wholeOption('calls', 2000);

const simd = !opts.scalar;
const wrA = await loadWardrobe({ simd });
// The query string makes Node load B's wardrobe.js as a module of its own even when DIR is build/wasm-dist.
const wrB = moduleB ? await (await import(`${pathToFileURL(path.resolve(moduleB, 'wardrobe.js')).href}?b`)).loadWardrobe({ simd }) : wrA;
const models = blobs.map((p, j) => (j === 0 ? wrA : wrB).Model.fromBytes(new Uint8Array(fs.readFileSync(p))));
const z = new Float32Array(16).map((_, i) => Math.sin(i) * 1.5);  // a fixed, in-range latent vector
const times = models.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  models.forEach((model, j) => {
    for (let i = 0; i < 200; i++) model.decode(z);
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) model.decode(z);
    times[j].push((performance.now() - start) / CALLS);
  });
}
// 1,000 z ~ N(0, I) from a fixed LCG and Box-Muller, so every run compares the same vectors.
let seed = 7;
const uniform = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
let worst = 0, total = 0, count = 0;
for (let s = 0; s < 1000; s++) {
  const zs = new Float32Array(16).map(normal);
  const [pa, pb] = models.map((m) => m.decodeProbabilities(zs));  // 784 each, whatever the architecture
  for (let i = 0; i < pa.length; i++) {
    const d = Math.abs(pa[i] - pb[i]);
    worst = Math.max(worst, d);
    total += d;
    count++;
  }
}
models.forEach((m) => m.delete());
const [a, b] = times.map(median);
console.log(JSON.stringify({ a: blobs[0], b: blobs[1], ...(moduleB ? { module_b: moduleB } : {}), a_ms: +a.toFixed(4), b_ms: +b.toFixed(4), ratio: +(b / a).toFixed(3),
  rounds: ROUNDS, calls: CALLS, simd,
  pixels: { max_abs: +worst.toPrecision(3), mean_abs: +(total / count).toPrecision(3) } }));
