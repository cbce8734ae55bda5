// The Web Worker that owns the WebAssembly module: it downloads and checks the blobs, decodes
// latent vectors and searches the index, so the main thread only draws.
//
// Protocol: the page posts {id, op, args}; the worker answers {id, ok: true, result} or
// {id, ok: false, error, kind}, one answer per request. It also posts events
// {event: 'progress' | 'note', ...} while loading.

import { fetchVerified, compileVerified, pruneCache, BlobError } from './blobs.js';
import { parseHash } from './state.js';
import { samplePrior } from './util.js';
// Listed here as well as in blobs.js so the module loader fetches it in parallel, not after blobs.js.
import './sha256.js';
import { encoderOps } from './own-worker.js';
import { BUILD } from './build-info.js';
// The module's JS is part of this worker's module graph (one bundle in the production build), so
// nothing is imported between the first message and the first garment; the scalar build's loader
// is imported only where there is no SIMD.
import * as wardrobeApi from './wasm/wardrobe.js';
import simdFactory from './wasm/wardrobe_simd.js';

// The folder holding index.html: this worker's own in the development tree, its parent in the
// production build (which keeps the worker under assets/).
const root = new URL(BUILD ? BUILD.siteRoot : './', self.location.href);
const evaluatedAt = performance.now(); // this module's code runs (for the benchmark's breakdown)

let wardrobe = null; // the loaded wasm API (wasm/wardrobe.d.ts)
let manifest = null; // data/manifest.json
let files = null; // this build's file locations: buildInfo()
let controlled = false; // a service worker controls the page (and caches the files)
let model = null; // Model (decoder)
let index = null; // Index, once loadIndex succeeded
let labels = null; // Uint8Array(size): class of each item, for class filters and the class picker
let candidates = null; // candidates(filter): how many items pass a search filter

const post = (message, transfer = []) => self.postMessage(message, transfer);

/**
 * A blob the manifest lists ({file, bytes, sha256}), verified and cached (blobs.js). options.priority
 * is the fetch priority hint: the decoder is 'high', the index 'low'.
 */
function fetchBlob(entry, onProgress, { priority = 'auto' } = {}) {
  const url = new URL(files.dataDir + entry.file, root).href;
  return fetchVerified(url, entry.file, entry, onProgress, { priority, hashedUrl: files.hashedUrls, controlled: () => controlled });
}

// A first visit opens on a garment sampled from the prior, N(0, t^2 I): a recognisable garment,
// where z = 0 decodes to the blurry average of all of them.
const START_TEMPERATURE = 0.8;
const progress = (name, p) => post({ event: 'progress', name, ...p });

/**
 * Starts the first garment's two downloads at high priority: the .wasm, compiled as it streams,
 * and the decoder. Returns {simd, wasmName, compiledP, decoderP}; mark(name) records phase times.
 */
function startDownloads(simd, mark) {
  const wasmEntry = files.wasm[simd ? 'simd' : 'scalar'];
  const wasmName = wasmEntry ? wasmEntry.file.split('/').pop() : `wardrobe_${simd ? 'simd' : 'scalar'}.wasm`;
  const compiledP = wasmEntry
    ? compileVerified(new URL(wasmEntry.file, root).href, wasmName, wasmEntry, { priority: 'high', hashedUrl: files.hashedUrls, controlled })
    : Promise.reject(new BlobError('missing', `This build has no ${simd ? 'SIMD' : 'scalar'} WebAssembly module (wasm/files.json).`));
  const decoderP = fetchBlob(files.manifest.blobs.decoder, (p) => progress('decoder', p), { priority: 'high' });
  // Errors are reported by init, which awaits both; these only keep the times.
  compiledP.then(() => mark('wasmCompiled'), () => {});
  decoderP.then(() => mark('decoderBytes'), () => {});
  return { simd, wasmName, compiledP, decoderP };
}

// index.html starts this worker with its init request in the worker's name ('lw-init:' + JSON
// args), answered as request 0 once this module has run. A request posted by the page would reach
// this thread only once the page's main thread forwarded it, after its own startup work (in a
// Chromium trace of a cold load, 100 ms after this worker was ready); the name is here at once.
// Read first: whether a service worker controls the page decides where the downloads look first.
const NAMED_INIT = 'lw-init:';
function readNamedInit() {
  if (typeof self.name !== 'string' || !self.name.startsWith(NAMED_INIT)) return null;
  try {
    const args = JSON.parse(self.name.slice(NAMED_INIT.length));
    return args && typeof args === 'object' ? args : null;
  } catch {
    return null; // not ours after all: wait for the page's request
  }
}
const namedInit = readNamedInit();
if (namedInit) controlled = Boolean(namedInit.controlled);

// The production build knows its files, so the downloads start as soon as this module runs: the
// page's init message reaches the worker through the page's main thread, which is busy starting the
// page meanwhile. (index.html adds ?scalar=1 to this worker's URL when the page's URL has it.)
const earlyTimes = {};
let prefetched = null;
if (BUILD) {
  files = BUILD;
  const forceScalar = new URL(self.location.href).searchParams.get('scalar') === '1';
  prefetched = startDownloads(!forceScalar && wardrobeApi.simdSupported(), (name) => (earlyTimes[name] = performance.now()));
}

async function fetchJson(url, what) {
  let r;
  try {
    r = await fetch(url, { cache: 'no-cache', priority: 'high' });
  } catch (e) {
    throw new BlobError('network', `Could not download ${what}: ${e.message || 'network error'}.`);
  }
  if (!r.ok) throw new BlobError(r.status === 404 ? 'missing' : 'network', `Could not download ${what}: HTTP ${r.status}.`);
  try {
    return await r.json();
  } catch {
    throw new BlobError('corrupt', `${what} is not valid JSON.`);
  }
}

function checkManifest(m) {
  const ok = m && m.blobs && m.blobs.decoder && typeof m.blobs.decoder.file === 'string' &&
    Number.isInteger(m.blobs.decoder.bytes) && /^[0-9a-f]{64}$/.test(m.blobs.decoder.sha256) &&
    m.garments && Number.isInteger(m.garments.count) && Number.isInteger(m.garments.page_size) &&
    Array.isArray(m.classes);
  if (!ok) throw new BlobError('corrupt', 'manifest.json is missing required fields (blobs.decoder, garments, classes).');
  return m;
}

/**
 * This build's files: {manifest, dataDir, wasm: {simd, scalar: {file, bytes, sha256}}, hashedUrls}.
 * The production build bakes it in (build-info.js, written by scripts/build-web.mjs: no request
 * before the downloads start); the unbundled development tree reads data/manifest.json and
 * wasm/files.json (sizes and hashes of the .wasm files, written by build-web.sh).
 */
async function buildInfo() {
  if (BUILD) return BUILD;
  const [m, wasmFiles] = await Promise.all([
    fetchJson(new URL('data/manifest.json', root), 'manifest.json').then(checkManifest),
    fetchJson(new URL('wasm/files.json', root), 'wasm/files.json'),
  ]);
  const wasm = {};
  for (const flavour of ['simd', 'scalar']) {
    const entry = wasmFiles[`wardrobe_${flavour}.wasm`];
    if (entry) wasm[flavour] = { file: `wasm/wardrobe_${flavour}.wasm`, bytes: entry.bytes, sha256: entry.sha256 };
  }
  return { manifest: m, dataDir: 'data/', wasm, hashedUrls: false };
}

/**
 * Loads the wasm module from a WebAssembly.Module that compiles while it downloads (started before
 * the Emscripten loader runs, in parallel with the decoder's download).
 */
async function loadModule(simd, compiledP) {
  const factory = simd ? simdFactory : (await import('./wasm/wardrobe_scalar.js')).default;
  let failed;
  const compileFailed = new Promise((_, reject) => (failed = reject));
  const moduleArgs = {
    // Emscripten's hook: instantiate from our compiled module instead of fetching the .wasm again.
    instantiateWasm(imports, receive) {
      compiledP.then((module) => WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module))).catch(failed);
      return {};
    },
  };
  return Promise.race([wardrobeApi.loadWardrobe({ simd, factory, moduleArgs }), compileFailed]);
}

const ops = {
  // Loads the module and the decoder, and decodes the first garment (the z in the page's URL, or a
  // sample from the prior), so the page can show it before building the rest of its UI. The .wasm
  // and the decoder download in parallel at high priority; the .wasm compiles as it streams.
  async init({ forceScalar = false, hash = '', controlled: underServiceWorker = false } = {}) {
    if (typeof WebAssembly !== 'object') throw new BlobError('nowasm', 'This browser has no WebAssembly, which the decoder needs.');
    const simd = !forceScalar && wardrobeApi.simdSupported();
    // The downloads this module started, used once (a retry after a failure starts new ones).
    const early = prefetched && prefetched.simd === simd ? prefetched : null;
    prefetched = null;
    // Phase times (ms since the worker started), for the benchmark's breakdown.
    const times = Object.assign(early ? earlyTimes : {}, { origin: performance.timeOrigin, evaluated: evaluatedAt, start: performance.now() });
    const mark = (name) => (times[name] = performance.now());
    controlled = underServiceWorker;
    files = await buildInfo();
    manifest = files.manifest;
    mark('manifest');
    const { wasmName, compiledP, decoderP } = early || startDownloads(simd, mark);
    try {
      wardrobe = await loadModule(simd, compiledP);
    } catch (e) {
      if (e instanceof BlobError) throw e;
      throw new BlobError('missing', `Could not load the WebAssembly module (${wasmName}): ${e.message}`);
    }
    mark('wasmReady');
    const bytes = await decoderP;
    try {
      model = wardrobe.Model.fromBytes(bytes);
    } catch (e) {
      throw new BlobError('corrupt', `${manifest.blobs.decoder.file} could not be read: ${e.message}`);
    }
    mark('modelReady');
    const { state } = parseHash(hash, { latentSize: model.latentSize, itemCount: manifest.garments.count });
    const z = state.z || samplePrior(model.latentSize, START_TEMPERATURE);
    const first = { z, pixels: model.decode(z) };
    mark('decoded');
    return {
      first,
      simd: wardrobe.simd,
      simdSupported: wardrobeApi.simdSupported(),
      latentSize: model.latentSize,
      kl: model.klActivity(),
      manifest,
      dataDir: files.dataDir,
      times,
    };
  },

  async loadIndex() {
    const info = manifest.blobs.index;
    if (!info) throw new BlobError('missing', 'The manifest lists no index blob; search is unavailable.');
    const bytes = await fetchBlob(info, (p) => progress('index', p), { priority: 'low' });
    try {
      index = wardrobe.Index.fromBytes(bytes);
    } catch (e) {
      throw new BlobError('corrupt', `${info.file} could not be read: ${e.message}`);
    }
    if (index.latentSize !== model.latentSize) {
      const msg = `${info.file} has ${index.latentSize} latent dimensions, the decoder ${model.latentSize}.`;
      index.delete();
      index = null;
      throw new BlobError('corrupt', msg);
    }
    labels = new Uint8Array(index.size);
    for (let i = 0; i < index.size; i++) labels[i] = index.label(i);
    candidates = filterCounts(index, labels);
    const xy = index.project();
    const pca = index.pca();
    // Everything this build uses is cached now: drop what older builds left behind.
    const keep = Object.values(manifest.blobs).map((e) => e && e.sha256).filter(Boolean);
    pruneCache(keep);
    const result = { size: index.size, xy, labels: labels.slice(), pca, classMeans: index.classMeans() };
    return transferable(result, [xy.buffer, result.labels.buffer]);
  },

  // One interactive frame: decode z and (if asked and the index is loaded) rank the dataset:
  // results = {[metric]: {ids, scores}, candidates}: at most k hits, fewer when fewer garments
  // pass the filter (none: empty lists). A search that fails sets results.error; the garment is
  // still drawn.
  frame({ z, search }) {
    const t0 = performance.now();
    const pixels = model.decode(z);
    const results = {};
    if (search && index) {
      results.candidates = candidates(search.filter);
      const k = Math.min(search.k, results.candidates);
      try {
        for (const metric of search.metrics) results[metric] = k > 0 ? index.search(z, k, metric, search.filter) : { ids: new Int32Array(0), scores: new Float32Array(0) };
      } catch (e) {
        results.error = e.message;
      }
    }
    const t1 = performance.now();
    // Absolute times (ms since the epoch) so the page can split a frame into transit and work.
    const at = [performance.timeOrigin + t0, performance.timeOrigin + t1];
    return transferable({ pixels, results, ms: t1 - t0, at }, [pixels.buffer]);
  },

  // n latent vectors (n * d floats) -> n images; optionally each one's most likely dataset garment.
  batch({ Z, n, nearest, filter }) {
    const pixels = model.decodeBatch(Z, n);
    let ids = null;
    if (nearest && index) {
      const d = model.latentSize;
      ids = new Int32Array(n);
      for (let i = 0; i < n; i++) ids[i] = index.search(Z.subarray(i * d, (i + 1) * d), 1, 'likelihood', filter).ids[0];
    }
    return transferable({ pixels, ids }, ids ? [pixels.buffer, ids.buffer] : [pixels.buffer]);
  },

  garment({ id }) {
    requireIndex();
    return { id, mu: index.mu(id), sigma: index.sigma(id), label: index.label(id), split: index.split(id) };
  },

  // Latent vectors (n * d floats) on the index's two PCA axes: {xy: [2n]} (the map's z and path).
  project({ Z }) {
    requireIndex();
    const xy = index.projectPoints(Z);
    return transferable({ xy }, [xy.buffer]);
  },

  mus({ ids }) {
    requireIndex();
    const d = index.latentSize;
    const out = new Float32Array(ids.length * d);
    ids.forEach((id, i) => out.set(index.mu(id), i * d));
    return transferable({ mus: out }, [out.buffer]);
  },
};
// Your own garment: the encoder, loaded on first use (own-worker.js).
Object.assign(ops, encoderOps(() => ({ wardrobe, manifest, model, index, post, fetchBlob })));

// Items per (split, class) filter, so a search never asks for more hits than there are garments
// (an index of one class, or a small one, has filters that match few or none).
function filterCounts(ix, itemLabels) {
  const counts = [0, 1, 2].map(() => new Array(11).fill(0)); // [all, train, test][class 0..9, all]
  for (let i = 0; i < ix.size; i++) {
    const s = ix.split(i) === 'train' ? 1 : 2;
    for (const row of [0, s]) {
      counts[row][itemLabels[i]]++;
      counts[row][10]++;
    }
  }
  return ({ split = 'all', label = -1 } = {}) => {
    const row = split === 'train' ? 1 : split === 'test' ? 2 : 0;
    return counts[row][label >= 0 && label < 10 ? label : 10];
  };
}

function requireIndex() {
  if (!index) throw new BlobError('noindex', 'The garment index is not loaded, so dataset garments are unavailable.');
}

// Marks a result whose listed buffers move to the page instead of being copied.
function transferable(result, buffers) {
  return { __transfer: buffers, result };
}

// Requests run as they arrive: the compute operations are synchronous, so they never interleave;
// only downloads wait, and a frame never queues behind the index download. The page coalesces
// interactive frames itself (at most one in flight).
self.onmessage = (e) => handle(e.data);

async function handle({ id, op, args }) {
  try {
    if (!ops[op]) throw new Error(`unknown operation ${op}`);
    if (op !== 'init' && !model) throw new BlobError('nomodel', 'The decoder is not loaded.');
    let out = await ops[op](args);
    let buffers = [];
    if (out && out.__transfer) {
      buffers = out.__transfer;
      out = out.result;
    }
    post({ id, ok: true, result: out }, buffers);
  } catch (err) {
    post({ id, ok: false, error: err && err.message ? err.message : String(err), kind: (err && err.kind) || 'error' });
  }
}

// Init from the name: index.html starts this worker with its init request in the worker's name
// ('lw-init:' + JSON args), answered as request 0 (see namedInit above).
if (namedInit) handle({ id: 0, op: 'init', args: namedInit });
