// The worker's side of "your own garment" (added to worker.js's operations): the encoder, loaded
// on first use, encodes an image, scores it, and lists the dataset's most anomalous garments.
//
// Two requests per image, so the page never waits for the slow part: `ownEncode` (encode, decode
// the reconstruction, search, and a one-sample score: a few ms) answers first; `ownScore` (IWAE with
// k samples, a few ms for k = 100) follows as its own message. Requests run one at a time in the
// worker, so a slider frame waits at most one IWAE computation.

import { BlobError } from './blobs.js';

/** ctx() -> {wardrobe, manifest, model, index, post, fetchBlob}: the worker's current state. */
export function encoderOps(ctx) {
  let encoder = null; // Encoder (wasm/wardrobe.d.ts), once loaded
  let loading = null; // the promise of the first load

  async function load() {
    const { wardrobe, manifest, post, fetchBlob } = ctx();
    const enc = manifest.blobs.encoder;
    if (!enc) throw new BlobError('missing', 'The manifest lists no encoder blob; your own garments cannot be encoded.');
    const progress = (p) => post({ event: 'progress', name: 'encoder', ...p });
    // The decoder's bytes come from the cache (downloaded at start): the likelihood needs its logits.
    const [encBytes, decBytes] = await Promise.all([
      fetchBlob(enc, progress),
      fetchBlob(manifest.blobs.decoder),
    ]);
    try {
      encoder = wardrobe.Encoder.fromBytes(encBytes, decBytes);
    } catch (e) {
      throw new BlobError('corrupt', `${enc.file} could not be read: ${e.message}`);
    }
  }

  function ready() {
    if (!encoder) throw new BlobError('noencoder', 'The encoder is not loaded yet.');
    return encoder;
  }

  function scoreOf(pixels, k, seed) {
    const s = ready().score(pixels, k, seed);
    return {
      k,
      negElbo: s.negElbo,
      iwaeNll: s.iwaeNll,
      percentile: encoder.percentile(s.iwaeNll, 'iwae'),
      elboPercentile: encoder.percentile(s.negElbo, 'elbo'),
      complexity: s.complexity,
      ood: s.ood,
      oodPercentile: encoder.percentile(s.ood, 'ood'),
    };
  }

  return {
    async loadEncoder() {
      if (!loading) loading = load().catch((e) => { loading = null; throw e; });
      await loading;
      const { ids, nll } = encoder.anomalies();
      return { latentSize: encoder.latentSize, anomalies: { ids, nll } };
    },

    // pixels: Float32Array(784) in [0, 1]. Returns mu, sigma, the reconstruction (decoded mu),
    // the top-k search for mu, a quick one-sample score, and the time taken in the worker.
    ownEncode({ pixels, k = 12, filter = {} }) {
      const t0 = performance.now();
      const { mu, sigma } = ready().encode(pixels);
      const { model, index } = ctx();
      const recon = model.decode(mu);
      const hits = index ? index.search(mu, Math.min(k, index.size), 'likelihood', filter) : null; // a small index has fewer
      const quick = scoreOf(pixels, 1, 1);
      const ms = performance.now() - t0;
      return { mu, sigma, recon, hits, quick, ms };
    },

    // The importance-weighted score with k samples (default 100), fixed seed: equal images, equal scores.
    ownScore({ pixels, k = 100, seed = 1 }) {
      const t0 = performance.now();
      const score = scoreOf(pixels, k, seed);
      return { ...score, ms: performance.now() - t0 };
    },
  };
}
