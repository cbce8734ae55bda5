// Turns any picture into what the model was trained on, the way Fashion-MNIST was made:
// greyscale, garment bright on black (inverted when the background is light), trimmed to the
// garment's bounding box, fitted into 28 x 28 keeping the aspect ratio (longest side 28), centred,
// contrast stretched to 0..1. Pure functions on pixel arrays (no DOM), so Node tests them directly.
//
// Transparency: when the picture's background is transparent (a cut-out garment), alpha is the
// mask. The picture is laid on the plain background the garment stands out from: black under a
// light garment, white under a dark one (then inverted, as a photo on white would be). So a white
// garment on transparency gives the input of the same garment on black, and a dark one that of
// the same garment on white.

import { SIDE } from './util.js';

export { SIDE }; // the image side (util.js), for callers of this module

/**
 * Greyscale 0..255 of RGBA pixels (Rec. 601 luma), laid on a `matte` grey level (0..255) where
 * they are transparent: alpha * luma + (1 - alpha) * matte.
 */
export function toGrey(rgba, width, height, matte = 255) {
  const n = width * height;
  if (!rgba || rgba.length < 4 * n) throw new Error(`expected ${4 * n} RGBA bytes for ${width} x ${height}, got ${rgba ? rgba.length : 0}`);
  const grey = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    const luma = 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2];
    grey[i] = a * luma + (1 - a) * matte;
  }
  return grey;
}

/** Median grey level of the outermost ring of pixels: the background's brightness. */
export function borderLevel(grey, width, height) {
  return ringMedian((i) => grey[i], width, height);
}

// Median of f(pixel index) over the outermost ring of pixels.
function ringMedian(f, width, height) {
  const ring = [];
  for (let x = 0; x < width; x++) ring.push(f(x), f((height - 1) * width + x));
  for (let y = 1; y < height - 1; y++) ring.push(f(y * width), f(y * width + width - 1));
  ring.sort((a, b) => a - b);
  return ring[ring.length >> 1];
}

/**
 * The matte for a picture whose background is transparent (the median alpha of its outermost ring
 * is below half): 0 (black) when its visible pixels are light on average (alpha-weighted luma
 * above 127.5), else 255 (white). null when the background is opaque, or nothing is visible.
 */
export function transparentMatte(rgba, width, height) {
  if (ringMedian((i) => rgba[4 * i + 3], width, height) >= 128) return null;
  let sum = 0, weight = 0;
  for (let i = 0; i < width * height; i++) {
    const a = rgba[4 * i + 3];
    sum += a * (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
    weight += a;
  }
  if (weight === 0) return null;
  return sum / weight > 127.5 ? 0 : 255;
}

/**
 * Bounding box {x0, y0, x1, y1} (exclusive ends) of the pixels above `threshold`, or null if none.
 */
export function boundingBox(v, width, height, threshold) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (v[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

// Weights of an area (box-filter) resampling of `from` source cells onto `to` target cells:
// per target cell, the source cells it overlaps and by how much (weights sum to 1).
function areaWeights(from, to) {
  const scale = from / to;
  const out = [];
  for (let t = 0; t < to; t++) {
    const a = t * scale, b = (t + 1) * scale;
    const taps = [];
    for (let s = Math.floor(a); s < Math.min(from, Math.ceil(b)); s++) {
      const w = Math.min(b, s + 1) - Math.max(a, s);
      if (w > 0) taps.push([s, w / scale]);
    }
    out.push(taps);
  }
  return out;
}

/** Area-resamples the w x h region at (x0, y0) of v (row stride `stride`) to tw x th. */
export function resampleArea(v, stride, x0, y0, w, h, tw, th) {
  const cols = areaWeights(w, tw);
  const rows = areaWeights(h, th);
  const tmp = new Float32Array(tw * h); // horizontal pass
  for (let y = 0; y < h; y++) {
    const row = (y0 + y) * stride + x0;
    for (let t = 0; t < tw; t++) {
      let s = 0;
      for (const [c, wt] of cols[t]) s += v[row + c] * wt;
      tmp[y * tw + t] = s;
    }
  }
  const out = new Float32Array(tw * th);
  for (let t = 0; t < th; t++) {
    for (let x = 0; x < tw; x++) {
      let s = 0;
      for (const [r, wt] of rows[t]) s += tmp[r * tw + x] * wt;
      out[t * tw + x] = s;
    }
  }
  return out;
}

/**
 * The model's input for an RGBA picture of any size.
 * Returns { pixels: Float32Array(784) in [0, 1], grey: Uint8ClampedArray(784), inverted, box, empty }:
 * box is the garment's bounding box in the source picture (null if the picture is blank, in which
 * case pixels are all 0 and empty is true).
 * options.invert: true / false to force, default 'auto' (invert when the background is light: the
 * border's median grey, or the white matte under a dark garment on a transparent background).
 */
export function preprocess(rgba, width, height, options = {}) {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image size must be positive integers, got ${width} x ${height}`);
  }
  if (!rgba || rgba.length < 4 * width * height) throw new Error(`expected ${4 * width * height} RGBA bytes for ${width} x ${height}, got ${rgba ? rgba.length : 0}`);
  const matte = transparentMatte(rgba, width, height);
  const grey = toGrey(rgba, width, height, matte === null ? 255 : matte);
  const level = borderLevel(grey, width, height);
  const auto = options.invert === undefined || options.invert === 'auto';
  // With a transparent background the matte is the background: invert exactly when it is white.
  const invert = auto ? (matte === null ? level > 127 : matte === 255) : Boolean(options.invert);
  // Garment brightness above the background: 0 on the background, up to 255 - background.
  const bg = invert ? 255 - level : level;
  const v = new Float32Array(grey.length);
  let max = 0;
  for (let i = 0; i < grey.length; i++) {
    const g = invert ? 255 - grey[i] : grey[i];
    v[i] = Math.max(0, g - bg);
    if (v[i] > max) max = v[i];
  }
  const blank = { pixels: new Float32Array(SIDE * SIDE), grey: new Uint8ClampedArray(SIDE * SIDE), inverted: invert, box: null, empty: true };
  if (max < 8) return blank; // nothing stands out from the background
  // Faint noise and shadows do not count towards the garment's extent.
  const box = boundingBox(v, width, height, 0.1 * max);
  if (!box) return blank;
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const tw = bw >= bh ? SIDE : Math.max(1, Math.round((SIDE * bw) / bh));
  const th = bh >= bw ? SIDE : Math.max(1, Math.round((SIDE * bh) / bw));
  const small = resampleArea(v, width, box.x0, box.y0, bw, bh, tw, th);
  let smax = 0;
  for (const s of small) if (s > smax) smax = s;
  const pixels = new Float32Array(SIDE * SIDE);
  const ox = (SIDE - tw) >> 1, oy = (SIDE - th) >> 1;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) pixels[(oy + y) * SIDE + ox + x] = smax > 0 ? Math.min(1, small[y * tw + x] / smax) : 0;
  }
  return { pixels, grey: pixelsToBytes(pixels), inverted: invert, box, empty: false };
}

/** Grey values in [0, 1] -> bytes 0..255 (rounded), as drawGarment takes them. */
export function pixelsToBytes(pixels) {
  const out = new Uint8ClampedArray(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = Math.round(255 * pixels[i]);
  return out;
}

/** Grey bytes 0..255 (e.g. a dataset garment) -> Float32Array in [0, 1]. */
export function bytesToPixels(bytes) {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/**
 * Whether a picture file is cut short, from its first 16 and last 64 bytes and its size: PNG ends
 * with an IEND chunk, JPEG with an EOI marker (FF D9; padding may follow), GIF with its trailer
 * (3B); WebP and BMP declare their size in the header. Returns a sentence saying what is missing,
 * or '' when the file looks whole or is of another format (browsers draw a cut-off file as far as
 * it goes, which would pass a partly blank picture to the model).
 */
export function truncation(head, tail, size) {
  const starts = (...sig) => sig.every((b, i) => head[i] === b);
  const text = (bytes, at, n) => String.fromCharCode(...bytes.subarray(at, at + n));
  const has = (...seq) => {
    for (let i = tail.length - seq.length; i >= 0; i--) if (seq.every((b, j) => tail[i + j] === b)) return true;
    return false;
  };
  const le32 = (at) => (head[at] | (head[at + 1] << 8) | (head[at + 2] << 16) | (head[at + 3] << 24)) >>> 0;
  if (starts(0x89, 0x50, 0x4e, 0x47)) return tail.length >= 12 && text(tail, tail.length - 8, 4) === 'IEND' ? '' : 'a PNG ends with an IEND chunk, and this one does not';
  if (starts(0xff, 0xd8, 0xff)) return has(0xff, 0xd9) ? '' : 'a JPEG ends with an end-of-image marker, and this one does not';
  if (starts(0x47, 0x49, 0x46, 0x38)) return tail.subarray(-8).includes(0x3b) ? '' : 'a GIF ends with a trailer byte, and this one does not';
  if (text(head, 0, 4) === 'RIFF' && text(head, 8, 4) === 'WEBP') return size >= le32(4) + 8 ? '' : `its header says ${le32(4) + 8} bytes, the file has ${size}`;
  if (text(head, 0, 2) === 'BM' && head.length >= 6) return le32(2) <= size ? '' : `its header says ${le32(2)} bytes, the file has ${size}`;
  return '';
}
