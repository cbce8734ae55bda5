// Shared fixtures of the JS tests and the benchmark: paths of the built wasm
// module and native helpers, and the web blobs of the model under test,
// generated once into build/test-blobs/ by the native `wardrobe` tool.
//
// Model: $LW_MODEL, else model/default/vae.lwb (the committed default model),
// else /tmp/snap.lwb (a training snapshot, until the default model exists).
// Blobs are regenerated when the model or the wardrobe binary is newer than
// them. Test files run in parallel processes, so generation takes a lock
// directory and writes into a temporary folder that is renamed into place.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WASM_DIST = process.env.LW_WASM_DIST ? path.resolve(process.env.LW_WASM_DIST)
  : path.join(ROOT, 'build/wasm-dist');
export const NATIVE_DIR = process.env.LW_NATIVE_BUILD ? path.resolve(process.env.LW_NATIVE_BUILD)
  : path.join(ROOT, 'build/native');
export const WARDROBE = process.env.LW_WARDROBE ?? path.join(NATIVE_DIR, 'tools/wardrobe');
export const LW_GOLDEN = path.join(NATIVE_DIR, 'tests/bench/lw_golden');
export const LW_RUNTIME_BENCH = path.join(NATIVE_DIR, 'tests/bench/lw_runtime_bench');
const BLOB_DIR = process.env.LW_TEST_BLOBS ? path.resolve(process.env.LW_TEST_BLOBS)
  : path.join(ROOT, 'build/test-blobs');
const BLOB_NAMES = ['decoder.lwb', 'encoder.lwb', 'index.lwb', 'i8/decoder.lwb'];

/** Loads build/wasm-dist/wardrobe.js (run scripts/build-wasm.sh first) with the given options. */
export async function loadWardrobe(options = {}) {
  const entry = path.join(WASM_DIST, 'wardrobe.js');
  if (!fs.existsSync(entry)) {
    throw new Error(`${entry} not found: run bash scripts/build-wasm.sh first`);
  }
  const mod = await import(pathToFileURL(entry).href);
  return mod.loadWardrobe(options);
}

/** The model blob the tests use (see the header comment). */
export function modelPath() {
  const candidates = process.env.LW_MODEL ? [path.resolve(process.env.LW_MODEL)]
    : [path.join(ROOT, 'model/default/vae.lwb'), '/tmp/snap.lwb'];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`no model found (tried ${candidates.join(', ')}); set LW_MODEL to a model .lwb`);
}

function requireFile(file, hint) {
  if (!fs.existsSync(file)) throw new Error(`${file} not found: ${hint}`);
}

const NATIVE_HINT = 'build the native tools first: cmake --preset native && cmake --build --preset native -j2';

/** The Fashion-MNIST directory: FASHION_MNIST_DIR, data/, or downloaded (scripts/fetch-data.sh). */
export function fashionMnistDir() {
  return execFileSync('bash', [path.join(ROOT, 'scripts/fetch-data.sh')], { encoding: 'utf8', cwd: ROOT }).trim();
}

/** The 10,000 test images as grey values in [0, 1]: Float32Array(10000 * 784), image-major. */
export function testImages() {
  const dir = fashionMnistDir();
  // gzip'd or plain, as the native loader accepts (decided by the gzip magic, not the name).
  const file = ['t10k-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz', 't10k-images.idx3-ubyte',
    't10k-images.idx3-ubyte.gz'].map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${dir} has no t10k-images-idx3-ubyte[.gz]`);
  const bytes = fs.readFileSync(file);
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes;
  const out = new Float32Array(raw.length - 16);
  for (let i = 0; i < out.length; i++) out[i] = raw[16 + i] / 255;
  return out;
}

function upToDate(dir, model) {
  const stampFile = path.join(dir, 'stamp.json');
  if (!fs.existsSync(stampFile)) return false;
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    return false;
  }
  if (stamp.model !== model) return false;
  const newest = Math.max(fs.statSync(model).mtimeMs, fs.statSync(WARDROBE).mtimeMs);
  return BLOB_NAMES.every((n) => {
    const f = path.join(dir, n);
    return fs.existsSync(f) && fs.statSync(f).mtimeMs >= newest;
  });
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function generate(model) {
  const tmp = `${BLOB_DIR}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  // export reads the dataset too (statistics), so both get FASHION_MNIST_DIR.
  const env = { ...process.env, FASHION_MNIST_DIR: fashionMnistDir() };
  const run = (args) => execFileSync(WARDROBE, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT, env });
  run(['export', '--model', model, '--out-dir', tmp]);
  run(['index', '--model', model, '--out-dir', tmp, '--data', env.FASHION_MNIST_DIR]);
  // The decoder with i8 weight matrices (export --dtype i8); its anomaly statistics are not used, so k = 1.
  run(['export', '--model', model, '--out-dir', path.join(tmp, 'i8'), '--dtype', 'i8', '--anomaly-k', '1']);
  fs.writeFileSync(path.join(tmp, 'stamp.json'), JSON.stringify({ model }));
  fs.rmSync(BLOB_DIR, { recursive: true, force: true });
  fs.renameSync(tmp, BLOB_DIR);
}

let cached = null;

/**
 * Paths of the web blobs of the model under test:
 * { model, dir, decoder, decoderI8, encoder, index }. Generates them if needed.
 */
export function testBlobs() {
  if (cached) return cached;
  const model = modelPath();
  requireFile(WARDROBE, NATIVE_HINT);
  if (!upToDate(BLOB_DIR, model)) {
    const lock = `${BLOB_DIR}.lock`;
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const deadline = Date.now() + 15 * 60 * 1000;
    for (;;) {
      try {
        fs.mkdirSync(lock);
        break;
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
        // Another process is generating; a lock older than 15 minutes is stale.
        try {
          if (Date.now() - fs.statSync(lock).mtimeMs > 15 * 60 * 1000) fs.rmSync(lock, { recursive: true, force: true });
        } catch { /* vanished meanwhile */ }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
        sleep(200);
      }
    }
    try {
      if (!upToDate(BLOB_DIR, model)) generate(model);
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  cached = {
    model,
    dir: BLOB_DIR,
    decoder: path.join(BLOB_DIR, 'decoder.lwb'),
    decoderI8: path.join(BLOB_DIR, 'i8/decoder.lwb'),
    encoder: path.join(BLOB_DIR, 'encoder.lwb'),
    index: path.join(BLOB_DIR, 'index.lwb'),
  };
  return cached;
}

/** Bytes of a file as a Uint8Array. */
export function readBytes(file) {
  const b = fs.readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Runs a native helper and returns its stdout. */
export function runNative(binary, args) {
  requireFile(binary, NATIVE_HINT);
  return execFileSync(binary, args, { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
}

/** Deterministic normal(0, 1) floats (xorshift32 + Box-Muller), for test inputs. */
export function normals(count, seed = 1) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < count) out[i + 1] = r * Math.sin(t);
  }
  return out;
}
