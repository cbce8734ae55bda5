// Drawing garments: 28 x 28 greyscale pixels through a 256-entry colour map onto canvases that CSS
// scales up with crisp pixels (image-rendering: pixelated). Also the class palette, and the
// options of a select built from a shared domain (state.js).

import { COLORMAPS } from './state.js';
import { SIDE, PIXELS, hexRgb } from './util.js';

/** One colour per Fashion-MNIST class, tuned to read on the dark theme and to stay apart. */
export const CLASS_COLORS = [
  '#5b9cf5', // T-shirt/top
  '#f0a03c', // Trouser
  '#e5625c', // Pullover
  '#4cc0b0', // Dress
  '#6cbf5a', // Coat
  '#f2d34f', // Sandal
  '#b784d8', // Shirt
  '#ff8fb1', // Sneaker
  '#b08a6c', // Bag
  '#a7b0c2', // Ankle boot
];

// Colour maps as stops (position 0..1, hex); pixel 0 is the background.
const STOPS = {
  ember: [[0, '#0d0d14'], [0.22, '#33155c'], [0.45, '#84287f'], [0.65, '#d2476a'], [0.82, '#fb9466'], [1, '#fcf3c4']],
  grey: [[0, '#0d0f13'], [1, '#f3f4f6']],
  paper: [[0, '#f4efe4'], [1, '#17181c']],
  tide: [[0, '#0a0d17'], [0.3, '#1f3b6b'], [0.6, '#2f8f9d'], [0.85, '#8ad8b8'], [1, '#f0fbe8']],
};
export const COLORMAP_NAMES = COLORMAPS; // state.js's list: what a link may name (each has STOPS)

const lutCache = new Map();

/** The colour map as RGBA rows: Uint8Array(256 * 4). */
export function colormapRGBA(name) {
  if (lutCache.has(name)) return lutCache.get(name);
  const stops = STOPS[name] || STOPS.ember;
  const out = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let s = 0;
    while (s < stops.length - 2 && t > stops[s + 1][0]) s++;
    const [t0, c0] = stops[s], [t1, c1] = stops[s + 1];
    const f = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
    const a = hexRgb(c0), b = hexRgb(c1);
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(a[c] + (b[c] - a[c]) * f);
    out[i * 4 + 3] = 255;
  }
  lutCache.set(name, out);
  return out;
}

/** The colour map packed for a Uint32Array view of ImageData (little-endian RGBA). */
export function colormapPacked(name) {
  const key = `${name}:packed`;
  if (lutCache.has(key)) return lutCache.get(key);
  const rgba = colormapRGBA(name);
  const packed = new Uint32Array(rgba.buffer.slice(0));
  lutCache.set(key, packed);
  return packed;
}

/** CSS colour of the background of a colour map (pixel value 0). */
export function colormapBackground(name) {
  const c = colormapRGBA(name);
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/**
 * Draws 784 greyscale pixels (gray[offset .. offset + 783]) into a canvas at 28 x 28.
 * The canvas keeps its ImageData between calls, so redrawing allocates nothing.
 */
export function drawGarment(canvas, gray, lut, offset = 0) {
  if (canvas.width !== SIDE) canvas.width = SIDE;
  if (canvas.height !== SIDE) canvas.height = SIDE;
  let img = canvas._lwImage;
  if (!img) {
    canvas._lwCtx = canvas.getContext('2d', { alpha: false });
    img = canvas._lwImage = canvas._lwCtx.createImageData(SIDE, SIDE);
    canvas._lwWords = new Uint32Array(img.data.buffer);
  }
  const words = canvas._lwWords;
  for (let i = 0; i < PIXELS; i++) words[i] = lut[gray[offset + i]];
  canvas._lwCtx.putImageData(img, 0, 0);
}

/** Fills a garment canvas with the colour map's background (nothing to show yet). */
export function clearGarment(canvas, lut) {
  const zero = new Uint8Array(PIXELS);
  drawGarment(canvas, zero, lut);
}

/** CSS colour of class label (grey for a label without one). */
export function classColor(label) {
  return CLASS_COLORS[label] ?? '#888';
}

/** Creates a garment canvas with an accessible label. */
export function garmentCanvas(className, label) {
  const c = document.createElement('canvas');
  c.width = SIDE;
  c.height = SIDE;
  c.className = className;
  c.setAttribute('role', 'img');
  if (label) c.setAttribute('aria-label', label);
  return c;
}

/** Replaces a select's options with values (a list from state.js), shown as text(value). */
export function fillSelect(select, values, text = String) {
  select.replaceChildren(...values.map((v) => new Option(text(v), String(v))));
}
