// Downloads a file whose size and SHA-256 are known in advance (from the manifest), reporting
// progress, checking the hash, and keeping a copy in the Cache API keyed by that hash, so a second
// visit (or a new build with unchanged blobs) starts without the network. Runs in the worker.

import { sha256Hex } from './sha256.js';

const CACHE_NAME = 'latent-wardrobe-blobs-v1';

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

/**
 * Returns the file's bytes (Uint8Array), verified against expected = {bytes, sha256}.
 * onProgress({loaded, total, cached}) is called as bytes arrive.
 */
export async function fetchVerified(url, name, expected, onProgress = () => {}) {
  const total = expected.bytes;
  const cache = await openCache();
  if (cache) {
    try {
      const hit = await cache.match(cacheKey(expected.sha256));
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        // Re-check: the cache is only trusted as far as the hash says.
        if (bytes.length === total && (await sha256Hex(bytes)) === expected.sha256) {
          onProgress({ loaded: total, total, cached: true });
          return bytes;
        }
        await cache.delete(cacheKey(expected.sha256));
      }
    } catch {
      // A broken cache entry falls through to the network.
    }
  }

  let response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch (e) {
    throw new BlobError('network', `Could not download ${name}: ${e.message || 'network error'}.`);
  }
  if (!response.ok) {
    const kind = response.status === 404 ? 'missing' : 'network';
    throw new BlobError(kind, `Could not download ${name}: HTTP ${response.status}${response.status === 404 ? ' (file not found)' : ''}.`);
  }
  const bytes = await readWithProgress(response, name, total, onProgress);
  if (bytes.length !== total) {
    throw new BlobError('corrupt', `${name} is corrupt: ${bytes.length} bytes, the manifest says ${total}.`);
  }
  const digest = await sha256Hex(bytes);
  if (digest !== expected.sha256) {
    throw new BlobError('corrupt', `${name} is corrupt: its SHA-256 is ${digest.slice(0, 12)}…, the manifest says ${expected.sha256.slice(0, 12)}….`);
  }
  if (cache) {
    cache.put(cacheKey(expected.sha256), new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => {});
  }
  return bytes;
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
