// latent-wardrobe WebAssembly runtime: the public JS API (see wardrobe.d.ts).
//
// Loads the Emscripten module (wardrobe_simd.{js,wasm}, or wardrobe_scalar
// when the engine lacks wasm SIMD) from next to this file and wraps its thin
// Embind classes (wasm/bindings.cpp) into Model and Index objects whose
// methods take/return plain typed arrays and throw Error(message) on bad input.
//
// Boundary rules (why the code below looks the way it does):
//  - Inputs are copied once into a buffer owned by the C++ object; outputs are
//    copied once out of one. The heap views (M.HEAPU8 etc.) are re-read after
//    every call that may grow memory, never cached across one.
//  - C++ reports errors as a status code plus M.lastError(); the module stays
//    usable after an error.

// A minimal module using one SIMD instruction: (func (result v128) i32.const 0 i32x4.splat).
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,        // type section: () -> v128
  0x03, 0x02, 0x01, 0x00,                          // function section: 1 function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b,  // code: i32.const 0; i32x4.splat; end
]);

/** True if this engine validates a module using WebAssembly SIMD (v128). */
export function simdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const isNode = typeof process === 'object' && process !== null && typeof process.versions === 'object' &&
  typeof process.versions.node === 'string' && typeof window === 'undefined';

/**
 * Loads the wasm module and returns { simd, Model, Index, heapBytes() }.
 * options.simd forces a build; options.wasmBinary gives the .wasm bytes;
 * options.locateFile maps 'wardrobe_simd.js' / '.wasm' file names to URLs.
 * options.factory is the Emscripten module factory (the default export of wardrobe_simd.js or
 * wardrobe_scalar.js) when the caller imported it itself (a bundle); options.moduleArgs are extra
 * Emscripten Module settings (e.g. instantiateWasm, to instantiate a module compiled elsewhere).
 */
export async function loadWardrobe(options = {}) {
  const simd = options.simd === undefined ? simdSupported() : Boolean(options.simd);
  const base = simd ? 'wardrobe_simd' : 'wardrobe_scalar';
  const locate = typeof options.locateFile === 'function'
    ? options.locateFile
    : (name) => new URL(name, import.meta.url).href;
  let wasmBinary = options.wasmBinary;
  if (wasmBinary === undefined && isNode) {
    // Emscripten 3.1.6 would fetch() a file path in Node 18+, which fails.
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const url = locate(`${base}.wasm`);
    wasmBinary = await readFile(url.startsWith('file:') ? fileURLToPath(url) : url);
  }
  const factory = options.factory || (await import(locate(`${base}.js`))).default;
  const moduleArgs = { locateFile: (name) => locate(name), ...options.moduleArgs };
  if (wasmBinary !== undefined) {
    moduleArgs.wasmBinary = wasmBinary instanceof Uint8Array ? wasmBinary : new Uint8Array(wasmBinary);
  }
  let M;
  try {
    M = await factory(moduleArgs);
  } catch (e) {
    throw new Error(`latent-wardrobe: could not instantiate ${base}.wasm: ${e && e.message ? e.message : e}`);
  }
  return makeApi(M, simd);
}

const METRICS = { likelihood: 0, euclidean: 1 };
// The key under which Model, Index and Encoder reach their Embind object (not part of the API).
const HANDLE = Symbol('handle');
const SPLITS = { all: -1, train: 0, test: 1 };
const SPLIT_NAMES = ['train', 'test'];
const KIND_GREY = 0;
const KIND_RGBA = 1;
const KIND_PROB = 2;

function makeApi(M, simd) {
  const lastError = () => new Error(M.lastError());

  function toBytes(bytes, who) {
    if (bytes instanceof Uint8Array) return bytes;
    if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
    if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    throw new Error(`${who}: expected a Uint8Array of blob bytes, got ${describe(bytes)}`);
  }

  // Copies the blobs, back to back, into the module's staging buffer, then
  // lets `handle` parse them: handle.load(length of each blob). The staging
  // buffer is freed either way, and the handle too if loading failed.
  function loadInto(handle, who, ...blobs) {
    try {
      const bytes = blobs.map((b) => toBytes(b, who));
      let at = M.stage(bytes.reduce((sum, b) => sum + b.length, 0));
      for (const b of bytes) {
        M.HEAPU8.set(b, at);
        at += b.length;
      }
      if (handle.load(...bytes.map((b) => b.length)) !== 0) throw lastError();
    } catch (e) {
      handle.delete();
      throw e instanceof Error ? e : new Error(String(e));
    } finally {
      M.unstage();
    }
  }

  // Owns one Embind object: the C++ memory is freed by delete(), after which
  // every method throws. Subclasses reach the object through this[HANDLE]().
  class Owned {
    #h;
    #name;
    constructor(handle, name) {
      this.#h = handle;
      this.#name = name;
    }

    [HANDLE]() {
      if (this.#h === null) throw new Error(`${this.#name}: used after delete()`);
      return this.#h;
    }

    delete() {
      if (this.#h !== null) {
        this.#h.delete();
        this.#h = null;
      }
    }
  }

  function checkArray(z, what) {
    if (z === null || typeof z !== 'object' || typeof z.length !== 'number') {
      throw new Error(`${what} must be a Float32Array or an array of numbers, got ${describe(z)}`);
    }
  }

  function checkInt(v, what) {
    if (!Number.isInteger(v)) throw new Error(`${what} must be an integer, got ${describe(v)}`);
    // Embind takes 32-bit ints; larger values are out of range anyway.
    return Math.max(-0x80000000, Math.min(v, 0x7fffffff));
  }

  function copyF32(ptr, count) {
    const start = ptr >>> 2;
    return new Float32Array(M.HEAPF32.subarray(start, start + count));
  }

  class Model extends Owned {
    #d;
    #pixels;
    constructor(handle) {
      super(handle, 'Model');
      this.#d = handle.latentSize();
      this.#pixels = handle.imageSize();
    }

    static fromBytes(bytes) {
      const h = new M.WasmModel();
      loadInto(h, 'Model.fromBytes', bytes);
      return new Model(h);
    }

    get latentSize() { return this.#d; }
    get imageSize() { return this.#pixels; }

    klActivity() {
      return copyF32(this[HANDLE]().klPtr(), this.#d);
    }

    // Copies z in, decodes n samples into the C++ output buffer, returns its address.
    #run(z, n, kind, what) {
      const h = this[HANDLE]();
      checkArray(z, what);
      const ptr = h.inputPtr(z.length);
      if (ptr === 0) throw lastError();
      M.HEAPF32.set(z, ptr >>> 2);
      if (h.decode(z.length, n, kind) !== 0) throw lastError();
      return h.outputPtr();
    }

    #batch(Z, n, kind, what) {
      n = checkInt(n, 'n');
      const out = this.#run(Z, n, kind, what);
      const bytes = n * this.#pixels * (kind === KIND_RGBA ? 4 : 1);
      const r = new Uint8ClampedArray(bytes);
      r.set(M.HEAPU8.subarray(out, out + bytes));
      return r;
    }

    decode(z) { return this.#batch(z, 1, KIND_GREY, 'z'); }
    decodeRGBA(z) { return this.#batch(z, 1, KIND_RGBA, 'z'); }
    decodeBatch(Z, n) { return this.#batch(Z, n, KIND_GREY, 'Z'); }
    decodeBatchRGBA(Z, n) { return this.#batch(Z, n, KIND_RGBA, 'Z'); }
    decodeProbabilities(z) {
      return copyF32(this.#run(z, 1, KIND_PROB, 'z'), this.#pixels);
    }
  }

  class Index extends Owned {
    #n;
    #d;
    constructor(handle) {
      super(handle, 'Index');
      this.#n = handle.size();
      this.#d = handle.latentSize();
    }

    static fromBytes(bytes) {
      const h = new M.WasmIndex();
      loadInto(h, 'Index.fromBytes', bytes);
      return new Index(h);
    }

    get size() { return this.#n; }
    get latentSize() { return this.#d; }

    search(z, k, metric = 'likelihood', filter = {}) {
      const h = this[HANDLE]();
      checkArray(z, 'query');
      k = checkInt(k, 'k');
      if (!Object.prototype.hasOwnProperty.call(METRICS, metric)) {
        throw new Error(`metric must be 'likelihood' or 'euclidean', got ${describe(metric)}`);
      }
      if (filter === null || typeof filter !== 'object') {
        throw new Error(`filter must be an object like {split: 'all', label: -1}, got ${describe(filter)}`);
      }
      const splitName = filter.split === undefined ? 'all' : filter.split;
      if (!Object.prototype.hasOwnProperty.call(SPLITS, splitName)) {
        throw new Error(`filter.split must be 'all', 'train' or 'test', got ${describe(splitName)}`);
      }
      const label = filter.label === undefined || filter.label === null ? -1 : filter.label;
      if (!Number.isInteger(label) || label < -1 || label > 9) {
        throw new Error(`filter.label must be -1 (all) or a class 0..9, got ${describe(label)}`);
      }
      const ptr = h.queryPtr(z.length);
      if (ptr === 0) throw lastError();
      M.HEAPF32.set(z, ptr >>> 2);
      if (h.search(z.length, k, METRICS[metric], SPLITS[splitName], label) !== 0) throw lastError();
      const hits = h.hitCount();
      const ids = h.idsPtr() >>> 2;
      const scores = h.scoresPtr() >>> 2;
      return {
        ids: new Int32Array(M.HEAP32.subarray(ids, ids + hits)),
        scores: new Float32Array(M.HEAPF32.subarray(scores, scores + hits)),
      };
    }

    #item(id, what) {
      const h = this[HANDLE]();
      if (h.item(checkInt(id, 'id'), what) !== 0) throw lastError();
      return copyF32(h.itemPtr(), this.#d);
    }
    mu(id) { return this.#item(id, 0); }
    sigma(id) { return this.#item(id, 1); }

    label(id) {
      const v = this[HANDLE]().label(checkInt(id, 'id'));
      if (v < 0) throw lastError();
      return v;
    }
    split(id) {
      const v = this[HANDLE]().split(checkInt(id, 'id'));
      if (v < 0) throw lastError();
      return SPLIT_NAMES[v];
    }

    pca() {
      const h = this[HANDLE]();
      return {
        mean: copyF32(h.pcaMeanPtr(), this.#d),
        components: copyF32(h.pcaComponentsPtr(), 2 * this.#d),
        variance: copyF32(h.pcaVariancePtr(), 2),
        note: h.pcaNote(),
      };
    }
    classCounts() {
      const h = this[HANDLE]();
      return Int32Array.from({ length: 10 }, (_, c) => h.classCount(c));
    }
    classMeans() {
      return copyF32(this[HANDLE]().classMeansPtr(), 10 * this.#d);
    }
    project() {
      const h = this[HANDLE]();
      if (h.project() !== 0) throw lastError();
      return copyF32(h.projectionPtr(), 2 * this.#n);
    }
    projectPoints(Z) {
      const h = this[HANDLE]();
      checkArray(Z, 'Z');
      const ptr = h.pointsPtr(Z.length);
      if (ptr === 0) throw lastError();
      M.HEAPF32.set(Z, ptr >>> 2);
      if (h.projectPoints(Z.length) !== 0) throw lastError();
      return copyF32(h.pointsXyPtr(), 2 * Math.floor(Z.length / this.#d));
    }
  }

  // The encoder (encoder_bindings.cpp): image -> (mu, sigma), anomaly scores
  // (with the decoder's weights, given as a second blob) and the test set's
  // score distribution shipped in encoder.lwb.

  class Encoder extends Owned {
    #d;
    #pixels;
    constructor(handle) {
      super(handle, 'Encoder');
      this.#d = handle.latentSize();
      this.#pixels = handle.imageSize();
    }

    static fromBytes(encoderBytes, decoderBytes = null) {
      const enc = toBytes(encoderBytes, 'Encoder.fromBytes');
      const dec = decoderBytes === null || decoderBytes === undefined ? new Uint8Array(0)
        : toBytes(decoderBytes, 'Encoder.fromBytes (decoder)');
      const h = new M.WasmEncoder();
      loadInto(h, 'Encoder.fromBytes', enc, dec);
      return new Encoder(h);
    }

    get latentSize() { return this.#d; }
    get imageSize() { return this.#pixels; }
    get hasDecoder() { return this[HANDLE]().hasDecoder(); }

    #input(pixels) {
      const h = this[HANDLE]();
      checkArray(pixels, 'pixels');
      if (pixels.length !== this.#pixels) {
        throw new Error(`pixels has ${pixels.length} values, the encoder takes ${this.#pixels}`);
      }
      M.HEAPF32.set(pixels, h.inputPtr() >>> 2);
      return h;
    }

    encode(pixels) {
      const h = this.#input(pixels);
      if (h.encode() !== 0) throw lastError();
      const out = h.outputPtr();
      return { mu: copyF32(out, this.#d), sigma: copyF32(out + 4 * this.#d, this.#d) };
    }

    score(pixels, k = 100, seed = 1) {
      k = checkInt(k, 'k');
      if (!Number.isSafeInteger(seed) || seed < 0) {
        throw new Error(`seed must be an integer 0..${Number.MAX_SAFE_INTEGER}, got ${describe(seed)}`);
      }
      const h = this.#input(pixels);
      if (h.score(k, seed) !== 0) throw lastError();
      return { negElbo: h.negElbo(), iwaeNll: h.iwaeNll(), complexity: h.complexity(), ood: h.ood() };
    }

    percentile(value, of = 'iwae') {
      const which = { iwae: 0, elbo: 1, ood: 2 }[of];
      if (which === undefined || typeof of !== 'string') {
        throw new Error(`percentile: of must be 'iwae', 'elbo' or 'ood', got ${describe(of)}`);
      }
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw new Error(`percentile: value must be a number (±Infinity allowed), got ${describe(value)}`);
      }
      const p = this[HANDLE]().percentile(value, which);
      return p < 0 ? NaN : p;
    }

    anomalies() {
      const h = this[HANDLE]();
      const n = h.anomalyCount();
      const ids = h.anomalyIdsPtr() >>> 2;
      return {
        ids: new Int32Array(M.HEAP32.subarray(ids, ids + n)),
        nll: copyF32(h.anomalyNllPtr(), n),
      };
    }
  }

  return Object.freeze({
    simd,
    Model: Object.freeze({ fromBytes: (bytes) => Model.fromBytes(bytes) }),
    Index: Object.freeze({ fromBytes: (bytes) => Index.fromBytes(bytes) }),
    Encoder: Object.freeze({ fromBytes: (enc, dec) => Encoder.fromBytes(enc, dec) }),
    limits: Object.freeze({
      latentAbs: M.latentAbsMax(),
      sigmaMin: M.sigmaMin(),
      sigmaMax: M.sigmaMax(),
      batch: M.maxBatch(),
      scoreSamples: M.maxScoreSamples(),
      seed: Number.MAX_SAFE_INTEGER,
    }),
    heapBytes: () => M.HEAPU8.buffer.byteLength,
    heapUsed: () => M.heapUsed(),
  });
}

function describe(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.length ?? v.byteLength})`;
  if (Array.isArray(v)) return `Array(${v.length})`;
  return typeof v;
}
