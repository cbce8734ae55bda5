// Downloads a file whose size and SHA-256 are known in advance (from the manifest), reporting
// progress, checking the hash, and keeping a copy in the Cache API keyed by that hash, so a second
// visit (or a new build with unchanged blobs) starts without the network. Runs in the worker.
//
// With a service worker (the production build, web/service-worker.js) the files are also in its
// caches under their content-hashed URLs. Every cached copy, ours or the service worker's, is
// trusted only as far as its SHA-256 says: a copy that does not match is deleted and the file is
// fetched from the network, never used. Under a service worker this cache is only read (the
// service worker keeps the files), so nothing is stored twice.

import { sha256Hex } from './sha256.js';

const CACHE_NAME = 'latent-wardrobe-blobs-v1';
// SHA-256 of the files this worker has put into the cache: asked for again (the own-garment panel
// reads the decoder a second time), they come from the cache first, without a race whose losing
// download would be aborted.
const storedHere = new Set();

/** A download or integrity failure, naming the file; kind: 'missing' | 'corrupt' | 'network'. */
export class BlobError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

function cacheKey(sha256) {
  // Cache API keys are URLs; this one never goes to the network.
  return new URL(`/__latent-wardrobe-cache/${sha256}`, self.location.href).href;
}

async function openCache() {
  try {
    return self.caches ? await self.caches.open(CACHE_NAME) : null;
  } catch {
    return null; // e.g. storage disabled: work without a cache
  }
}

/** True when bytes are the file expected = {bytes, sha256}. */
async function matches(bytes, expected) {
  return bytes.length === expected.bytes && (await sha256Hex(bytes)) === expected.sha256;
}

/**
 * The copy of url that any cache of this origin holds (the service worker's precache or runtime
 * cache), as a Response, or null. Cache Storage is shared by the page, its workers and the
 * service worker, so the worker can look there itself.
 */
async function cachedCopy(url) {
  try {
    return (self.caches && (await self.caches.match(url, { ignoreVary: true }))) || null;
  } catch {
    return null;
  }
}

/** Deletes url from every cache of this origin (a copy whose bytes are not what its name says). */
export async function evictEverywhere(url) {
  try {
    for (const name of await self.caches.keys()) await (await self.caches.open(name)).delete(url, { ignoreVary: true });
  } catch {
    // Nothing more can be done; the network copy is checked all the same.
  }
}

/**
 * Returns the file's bytes (Uint8Array), verified against expected = {bytes, sha256}.
 * onProgress({loaded, total, cached}) is called as bytes arrive. options:
 *   priority    'high' | 'low' | 'auto': the fetch priority hint (the decoder before the index)
 *   hashedUrl   the URL names the content (production build): the HTTP cache may answer without
 *               asking the server; otherwise every download is revalidated (no-cache)
 *   controlled  a service worker controls the page: it caches the file, so this cache is not written
 *               (a boolean, or a function: asked when the download starts and once the file is in)
 *
 * Where the copy comes from: with a service worker, or with development URLs that the server must
 * revalidate, the caches come first and the network only when they have no good copy. A
 * content-hashed URL on a page that no service worker controls (a first visit, or a browser
 * without service workers) asks the caches and the network at once and takes the first verified
 * copy: opening Cache Storage for the first time took 55 to 135 ms of a cold start in Chromium
 * (measured with marks in this function), waiting that holds nothing on a first visit, while the
 * network (the HTTP cache, which the page's preload has filled) answers sooner. The download that
 * loses is aborted.
 */
export async function fetchVerified(url, name, expected, onProgress = () => {}, options = {}) {
  const { priority = 'auto', hashedUrl = false, controlled = false } = options;
  const isControlled = () => (typeof controlled === 'function' ? controlled() : controlled);
  const fromCache = () => cachedVerified(url, expected, hashedUrl).then((bytes) => {
    if (bytes) onProgress({ loaded: expected.bytes, total: expected.bytes, cached: true });
    return bytes;
  });
  const download = (signal, progress) => downloadVerified(url, name, expected, progress, { priority, hashedUrl, isControlled, signal });
  if (!hashedUrl || isControlled() || storedHere.has(expected.sha256)) return (await fromCache()) || download(undefined, onProgress);

  const abort = new AbortController();
  let chosen = false; // once a copy is chosen, the other one's progress is not shown
  const fromNetwork = download(abort.signal, (p) => chosen || onProgress(p));
  fromNetwork.catch(() => {}); // its failure is reported below, or does not matter
  const fromCaches = cachedVerified(url, expected, hashedUrl).catch(() => null);
  const choose = ({ bytes, cached }) => {
    chosen = true;
    if (cached) {
      abort.abort(); // the download is not needed
      onProgress({ loaded: expected.bytes, total: expected.bytes, cached: true });
    }
    return bytes;
  };
  const first = await Promise.race([
    fromCaches.then((bytes) => bytes && { bytes, cached: true }),
    fromNetwork.then((bytes) => ({ bytes, cached: false }), () => null),
  ]);
  if (first) return choose(first);
  // One of them has no copy: the other one's answer (or the download's error) decides.
  const [cached, downloaded] = await Promise.allSettled([fromCaches, fromNetwork]);
  if (cached.value) return choose({ bytes: cached.value, cached: true });
  if (downloaded.status === 'fulfilled') return choose({ bytes: downloaded.value, cached: false });
  throw downloaded.reason;
}

/**
 * The file's bytes from a cache, verified, or null: this cache (keyed by SHA-256), then for a
 * content-hashed URL any cache of the origin (the service worker's). A copy that does not match is
 * deleted, so nothing retries it.
 */
async function cachedVerified(url, expected, hashedUrl) {
  const cache = await openCache();
  if (cache) {
    try {
      const hit = await cache.match(cacheKey(expected.sha256));
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        if (await matches(bytes, expected)) return bytes;
        await cache.delete(cacheKey(expected.sha256));
      }
    } catch {
      // A broken cache entry falls through to the next copy.
    }
  }
  if (!hashedUrl) return null;
  const hit = await cachedCopy(url);
  if (!hit) return null;
  try {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if (await matches(bytes, expected)) return bytes;
  } catch {
    // Unreadable: same as a mismatch.
  }
  await evictEverywhere(url);
  return null;
}

/**
 * Downloads the file and checks its size and SHA-256 (BlobError 'corrupt' if either differs). Keeps
 * a copy in this cache unless a service worker controls the page; the write is not awaited.
 */
async function downloadVerified(url, name, expected, onProgress, { priority, hashedUrl, isControlled, signal }) {
  const total = expected.bytes;
  const response = await download(url, name, { priority, hashedUrl, signal });
  const bytes = await readWithProgress(response, name, total, onProgress);
  if (bytes.length !== total) {
    throw new BlobError('corrupt', `${name} is corrupt: ${bytes.length} bytes, the manifest says ${total}.`);
  }
  const digest = await sha256Hex(bytes);
  if (digest !== expected.sha256) {
    if (hashedUrl) await evictEverywhere(url); // e.g. a service worker that stored it: Retry must not get it again
    throw new BlobError('corrupt', `${name} is corrupt: its SHA-256 is ${digest.slice(0, 12)}…, the manifest says ${expected.sha256.slice(0, 12)}….`);
  }
  if (!isControlled()) {
    const copy = new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } });
    openCache().then((cache) => cache && cache.put(cacheKey(expected.sha256), copy).then(() => storedHere.add(expected.sha256))).catch(() => {});
  }
  return bytes;
}

/**
 * Fetches and compiles a .wasm file while it streams (WebAssembly.compileStreaming: the server must
 * send application/wasm), checking its size and SHA-256 against expected = {bytes, sha256} on a copy
 * of the same stream. A cached copy that does not match is evicted and fetched again; a download
 * that does not match is an error, like a blob's. Returns the WebAssembly.Module.
 * controlled: as for fetchVerified; without a service worker the network (and the HTTP cache)
 * comes first, and the caches only when it fails.
 */
export async function compileVerified(url, name, expected, { priority = 'auto', hashedUrl = false, controlled = false } = {}) {
  const fromCache = async () => {
    const hit = hashedUrl ? await cachedCopy(url) : null;
    if (!hit) return null;
    try {
      return await compileChecked(hit, name, expected);
    } catch {
      await evictEverywhere(url); // not what its name says: fetch it again
      return null;
    }
  };
  const fromNetwork = async () => compileChecked(await download(url, name, { priority, hashedUrl }), name, expected);
  if (hashedUrl && !controlled) {
    try {
      return await fromNetwork();
    } catch (e) {
      if (!(e instanceof BlobError) || e.kind !== 'network') throw e;
      const module = await fromCache();
      if (!module) throw e;
      return module;
    }
  }
  return (await fromCache()) || fromNetwork();
}

/**
 * fetch(url) for a file named name, as a Response with a 2xx status; otherwise a BlobError:
 * 'network' (no answer, or an HTTP error) or 'missing' (404). A content-hashed URL may come from
 * the HTTP cache without asking the server; any other is revalidated (no-cache).
 */
async function download(url, name, { priority = 'auto', hashedUrl = false, signal } = {}) {
  let response;
  try {
    response = await fetch(url, { cache: hashedUrl ? 'default' : 'no-cache', priority, signal });
  } catch (e) {
    throw new BlobError('network', `Could not download ${name}: ${e.message || 'network error'}.`);
  }
  if (!response.ok) {
    const missing = response.status === 404;
    throw new BlobError(missing ? 'missing' : 'network', `Could not download ${name}: HTTP ${response.status}${missing ? ' (file not found)' : ''}.`);
  }
  return response;
}

async function compileChecked(response, name, expected) {
  const copy = response.clone();
  const checked = copy.arrayBuffer().then(async (buffer) => {
    const bytes = new Uint8Array(buffer);
    if (bytes.length !== expected.bytes) throw new BlobError('corrupt', `${name} is corrupt: ${bytes.length} bytes, expected ${expected.bytes}.`);
    const digest = await sha256Hex(bytes);
    if (digest !== expected.sha256) {
      throw new BlobError('corrupt', `${name} is corrupt: its SHA-256 is ${digest.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}….`);
    }
    return bytes;
  });
  let compiled;
  if (typeof WebAssembly.compileStreaming === 'function') {
    compiled = WebAssembly.compileStreaming(response).catch(async (e) => {
      // A server that does not send application/wasm: compile the (checked) bytes instead.
      if (!(e instanceof TypeError)) throw e;
      return WebAssembly.compile(await checked);
    });
  } else {
    compiled = checked.then((bytes) => WebAssembly.compile(bytes));
  }
  // Both must succeed: a module compiled from unchecked bytes is never returned.
  const [module] = await Promise.all([
    compiled.catch((e) => checked.then(() => { throw new BlobError('corrupt', `${name} could not be compiled: ${e.message}`); })),
    checked,
  ]);
  return module;
}

// Reads the body into one buffer sized from the manifest (grows if the server sends more, so the
// length check above can name the real size), reporting progress per chunk.
async function readWithProgress(response, name, total, onProgress) {
  if (!response.body || !response.body.getReader) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress({ loaded: bytes.length, total, cached: false });
    return bytes;
  }
  const reader = response.body.getReader();
  let buffer = new Uint8Array(total);
  let loaded = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (e) {
      throw new BlobError('network', `Download of ${name} failed after ${loaded} bytes: ${e.message || 'network error'}.`);
    }
    if (chunk.done) break;
    const v = chunk.value;
    if (loaded + v.length > buffer.length) {
      const bigger = new Uint8Array(Math.max(buffer.length * 2, loaded + v.length));
      bigger.set(buffer.subarray(0, loaded));
      buffer = bigger;
    }
    buffer.set(v, loaded);
    loaded += v.length;
    onProgress({ loaded: Math.min(loaded, total), total, cached: false });
  }
  return loaded === buffer.length ? buffer : buffer.slice(0, loaded);
}

/** Removes cached files whose hash is not in keep (blobs of older builds). Best effort. */
export async function pruneCache(keep) {
  const cache = await openCache();
  if (!cache) return;
  try {
    const wanted = new Set([...keep].map(cacheKey));
    for (const request of await cache.keys()) if (!wanted.has(request.url)) await cache.delete(request);
  } catch {
    // Pruning is housekeeping; failing to prune changes nothing the page relies on.
  }
}
