// latent-wardrobe WebAssembly runtime: the JS API of wasm/wardrobe.js.
//
// Usage (browser page, Web Worker, or Node):
//
//   import { loadWardrobe, simdSupported } from '/wasm/wardrobe.js';
//   const wr = await loadWardrobe();            // picks SIMD or scalar build
//   const model = wr.Model.fromBytes(new Uint8Array(await (await fetch('decoder.lwb')).arrayBuffer()));
//   const pixels = model.decode(z);             // Uint8ClampedArray(784)
//   const index = wr.Index.fromBytes(indexBytes);
//   const { ids, scores } = index.search(z, 10, 'likelihood', { split: 'test', label: -1 });
//   model.delete(); index.delete();             // free the C++ memory
//
// Errors: every method that can fail throws a plain `Error` whose message is
// the C++ parser's / validator's message (e.g. "blob truncated: ...",
// "z has 15 values, the latent size is 16"). Nothing aborts: the
// module stays usable after an error.
//
// Domains: every numeric input has one; inside it every result is finite
// (rankings included), outside it the call throws an Error naming the value.
//   latent values (z, Z, queries)  finite, |z_k| <= 10,000 (limits.latentAbs;
//                                  the prior is N(0, I), so this is far past
//                                  any meaningful z, yet every search score
//                                  stays a finite float: model/runtime/search.h)
//   decode batch n                 1..16,384, and Z.length === n * latentSize
//   search k                       1..(items passing the filter)
//   item ids                       0..size - 1
//   encoder pixels                 imageSize (784) values in [0, 1]
//   score k                        1..5,000; seed: integer 0..2^53 - 1
//   percentile value               any number (±Infinity allowed), not NaN
// Blobs are checked on load: an index whose posteriors leave |mu_k| <= 10,000,
// sigma_k in [1e-9, 1e9] is rejected, and so is an encoder input whose
// posterior does (encode/score throw). Degenerate but valid data gives
// defined results: equal scores rank the lower id first; pca().note says when
// the map has no spread; classCounts() says which classes are absent.
//
// Memory: Model and Index objects hold C++ memory inside the wasm heap that
// the JS garbage collector does NOT free. Call delete() when done (calling
// it again does nothing; any other method called after delete() throws).
// Returned typed arrays are fresh JS copies (never views of the wasm heap),
// so they stay valid forever and may be transferred to another thread.

/** Latent vector(s): a Float32Array (or any array-like of numbers). */
export type LatentInput = Float32Array | ArrayLike<number>;

export type Metric = 'likelihood' | 'euclidean';

export interface SearchFilter {
  /** Which items to consider. Default 'all'. */
  split?: 'all' | 'train' | 'test';
  /** Only items of this class 0..9; -1 (default) for every class. */
  label?: number;
}

export interface SearchResult {
  /** Item ids (index positions; 0..59,999 train, 60,000..69,999 test), best first. */
  ids: Int32Array;
  /** Per hit: log q(z|x) in nats (likelihood, descending) or Euclidean distance (ascending). */
  scores: Float32Array;
}

export interface Pca {
  /** [d] mean of all items' mu. */
  mean: Float32Array;
  /** [2 * d] row-major: the two unit principal axes (component c, dim k at c * d + k). */
  components: Float32Array;
  /** [2] variance of mu along each axis (0 when the items do not spread along it). */
  variance: Float32Array;
  /**
   * '' when the map shows the items' spread; otherwise why it cannot, e.g.
   * "all 70000 items have the same posterior mean: there is no spread to map
   * (does the encoder ignore its input?)" (project() then puts every item at
   * one point) or "... lie on one line: the map's second axis shows no spread".
   */
  note: string;
}

/** A loaded decoder (and optionally encoder) model. */
export interface Model {
  /** Latent dimensions d (16 for the default model). */
  readonly latentSize: number;
  /** Pixels per image (784 = 28 x 28). */
  readonly imageSize: number;
  /**
   * Per latent dimension, the mean KL(q(z_k|x) || N(0,1)) over the data in
   * nats ("stats.kl_per_dim" in the blob): near 0 means an inactive
   * dimension. Float32Array(d); all zeros if the blob does not carry it.
   */
  klActivity(): Float32Array;
  /** One image from z (length d, finite, |z_k| <= 10,000): greyscale pixels 0..255, row-major 28 x 28. */
  decode(z: LatentInput): Uint8ClampedArray;
  /** Same image as RGBA (g, g, g, 255), 4 * 784 bytes, ready for `new ImageData(arr, 28, 28)`. */
  decodeRGBA(z: LatentInput): Uint8ClampedArray;
  /** Pixel probabilities sigmoid(logits) in [0, 1], Float32Array(784). */
  decodeProbabilities(z: LatentInput): Float32Array;
  /** n images (1..16,384) from Z (n * d floats, sample-major, each as z): Uint8ClampedArray(n * 784). */
  decodeBatch(Z: LatentInput, n: number): Uint8ClampedArray;
  /** Same as decodeBatch, RGBA: Uint8ClampedArray(n * 3136). */
  decodeBatchRGBA(Z: LatentInput, n: number): Uint8ClampedArray;
  /** Frees the C++ memory. The object is unusable afterwards. */
  delete(): void;
}

/** A loaded latent index (every garment's posterior), for search and the latent map. */
export interface Index {
  /** Number of items. */
  readonly size: number;
  /** Latent dimensions d. */
  readonly latentSize: number;
  /**
   * Top-k items for z (length d, finite, |z_k| <= 10,000). k must be
   * 1..(number of items passing the filter). metric defaults to 'likelihood';
   * filter to { split: 'all', label: -1 }. Scores are always finite; equal
   * scores rank the lower id first.
   */
  search(z: LatentInput, k: number, metric?: Metric, filter?: SearchFilter): SearchResult;
  /** Posterior mean of item id, Float32Array(d). Throws for an id out of range. */
  mu(id: number): Float32Array;
  /** Posterior standard deviation of item id, Float32Array(d). */
  sigma(id: number): Float32Array;
  /** Class 0..9 of item id. */
  label(id: number): number;
  /** Which split item id is in. */
  split(id: number): 'train' | 'test';
  /** The 2-D PCA of all items' mu stored in the blob. */
  pca(): Pca;
  /**
   * [10 * d] row-major: mean mu of each class c at c * d .. c * d + d - 1.
   * A class the index lacks (classCounts()[c] === 0) has a row of zeros, which
   * is not a mean: check classCounts() before using a row as a direction.
   */
  classMeans(): Float32Array;
  /** Int32Array(10): number of items of each class 0..9 in the index. */
  classCounts(): Int32Array;
  /** Every item's 2-D PCA coordinates: [2 * size], item i at (2i, 2i + 1). */
  project(): Float32Array;
  /**
   * Points on the same two PCA axes: Z holds n latent vectors (n * d values,
   * row-major), the result [2 * n] holds point i at (2i, 2i + 1), computed as
   * (z - pca().mean) . axis, the formula project() applies to every item's mu
   * (model/runtime/index_io.h, project_points). Throws when Z's length is not a
   * positive multiple of d, a value is NaN, infinite or outside
   * +-limits.latentAbs, or n exceeds limits.batch.
   */
  projectPoints(Z: Float32Array | ArrayLike<number>): Float32Array;
  /** Frees the C++ memory. The object is unusable afterwards. */
  delete(): void;
}

export interface ModelStatic {
  /** Parses a model-weights blob (decoder part required). Throws Error with the parser's message. */
  fromBytes(bytes: Uint8Array): Model;
}

export interface IndexStatic {
  /** Parses a latent-index blob. Throws Error with the parser's message. */
  fromBytes(bytes: Uint8Array): Index;
}

/** Negative ELBO and importance-weighted NLL of one image, nats. */
export interface ImageScore {
  /** -ELBO with one posterior sample (reconstruction + KL). */
  negElbo: number;
  /** IWAE estimate of -log p(x) with k samples (lower is more typical). */
  iwaeNll: number;
  /**
   * Input complexity L(x): the image's code length in nats under a generic
   * adaptive context model (no garment knowledge), model/complexity.h.
   */
  complexity: number;
  /**
   * iwaeNll - complexity: the complexity-corrected out-of-distribution score
   * (Serra et al., ICLR 2020). Plain likelihood favours simple images, so a
   * drawn digit can look typical by iwaeNll; by this score it does not.
   */
  ood: number;
}

/**
 * The encoder (encoder.lwb): an image -> its posterior, anomaly scores, and
 * the test set's score distribution the exporter ships with it. Pixels are
 * grey values in [0, 1], row-major 28 x 28, garment bright on black (as
 * Fashion-MNIST), used as Bernoulli targets by score().
 */
export interface Encoder {
  readonly latentSize: number;
  readonly imageSize: number;
  /** Whether a decoder blob was given to fromBytes (score() needs it). */
  readonly hasDecoder: boolean;
  /**
   * Posterior q(z|x) = N(mu, sigma^2): Float32Array(d) each. Throws when the
   * model puts it outside the latent domain (|mu_k| > 10,000 or sigma_k
   * outside [1e-9, 1e9]), naming the dimension and value.
   */
  encode(pixels: Float32Array | ArrayLike<number>): { mu: Float32Array; sigma: Float32Array };
  /**
   * Negative ELBO and IWAE NLL with k samples (1..5000, default 100); seed
   * (integer 0..2^53 - 1, default 1) fixes the noise, so equal inputs give
   * equal scores. Every score returned is finite (else it throws).
   */
  score(pixels: Float32Array | ArrayLike<number>, k?: number, seed?: number): ImageScore;
  /**
   * Percentile 0..100 of a score among the test garments' (share of them
   * scoring <= value): of 'iwae' (default), 'elbo' or 'ood'. NaN if the blob has no such statistics.
   * value: any number; -Infinity gives 0, +Infinity 100; NaN throws. With a
   * distribution of equal scores (no spread) the answer is 0 below it, 100 at or above it.
   */
  percentile(value: number, of?: 'iwae' | 'elbo' | 'ood'): number;
  /** The test garments with the highest IWAE NLL, most anomalous first: index ids and NLL. */
  anomalies(): { ids: Int32Array; nll: Float32Array };
  /** Frees the C++ memory. The object is unusable afterwards. */
  delete(): void;
}

export interface EncoderStatic {
  /**
   * Parses an encoder blob and optionally the matching decoder blob (the
   * likelihood in score() needs the decoder's logits). Throws Error with the parser's message.
   */
  fromBytes(encoderBytes: Uint8Array, decoderBytes?: Uint8Array | null): Encoder;
}

export interface Limits {
  /** Largest |z_k| accepted anywhere (10,000). */
  readonly latentAbs: number;
  /** Posterior sigma range an index or encoder must keep ([1e-9, 1e9]). */
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  /** Largest decode batch n (16,384). */
  readonly batch: number;
  /** Largest score() k (5,000). */
  readonly scoreSamples: number;
  /** Largest score() seed (Number.MAX_SAFE_INTEGER). */
  readonly seed: number;
}

export interface Wardrobe {
  /** Whether the SIMD build was loaded (false: the scalar fallback). */
  readonly simd: boolean;
  readonly Model: ModelStatic;
  readonly Index: IndexStatic;
  readonly Encoder: EncoderStatic;
  /** The domains of the numeric inputs (see the header), from the C++ that checks them. */
  readonly limits: Limits;
  /** Current size of the wasm linear memory in bytes (grows, never shrinks). */
  heapBytes(): number;
  /** Bytes currently allocated inside the wasm heap by malloc (for leak checks). */
  heapUsed(): number;
}

export interface LoadOptions {
  /** Force the SIMD (true) or scalar (false) build; default: simdSupported(). */
  simd?: boolean;
  /** The .wasm bytes, if already loaded (required in Node, where fetch of a file path fails). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /**
   * Maps a file name of the build ('wardrobe_simd.js', 'wardrobe_simd.wasm', or
   * the '_scalar' ones) to the URL to import / fetch it from.
   * Default: next to wardrobe.js (new URL(name, import.meta.url).href).
   */
  locateFile?: (name: string) => string;
  /**
   * The Emscripten module factory (the default export of wardrobe_simd.js or wardrobe_scalar.js),
   * when the caller imported it (e.g. to bundle it); it must match `simd`. Default: imported here.
   */
  factory?: (moduleArgs: object) => Promise<unknown>;
  /**
   * Extra Emscripten Module settings, e.g. `instantiateWasm(imports, receive)` to instantiate a
   * WebAssembly.Module that was compiled while it downloaded (compileStreaming).
   */
  moduleArgs?: Record<string, unknown>;
}

/** True if this engine validates a module using WebAssembly SIMD (v128). */
export function simdSupported(): boolean;

/** Loads the wasm module (SIMD or scalar build) and returns the API. */
export function loadWardrobe(options?: LoadOptions): Promise<Wardrobe>;
