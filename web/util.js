// Helpers every part of the page shares, written once. Pure (no DOM at module level), so the
// worker and Node tests can import them too.

/** Garments are SIDE x SIDE greyscale pictures (Fashion-MNIST's 28 x 28). */
export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

/** Text for innerHTML: &, <, >, " and ' as character references. */
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A <button type="button"> with text, an optional class and a click handler. */
export function button(text, className, onclick) {
  const b = document.createElement('button');
  b.type = 'button';
  if (className) b.className = className;
  b.textContent = text;
  if (onclick) b.onclick = onclick;
  return b;
}

/** One draw from N(0, 1) (Box-Muller; 1 - random() avoids log(0)). */
export function gaussian() {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

/** Float32Array(d) drawn from N(0, t^2 I): a sample of the prior at temperature t. */
export function samplePrior(d, t = 1) {
  const z = new Float32Array(d);
  for (let k = 0; k < d; k++) z[k] = t * gaussian();
  return z;
}

/** '#rrggbb' -> [r, g, b] (0..255 each). */
export function hexRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** The split of dataset garment id: ids below the manifest's train_count are the training file's. */
export function splitOf(id, trainCount) {
  return id < trainCount ? 'train' : 'test';
}

/** Index of the class called name in the manifest's class list, or fallback when it has none. */
export function classIndex(classes, name, fallback = -1) {
  const c = classes.indexOf(name);
  return c >= 0 ? c : fallback;
}

/** Bytes as "1.2 MB" or "340 kB". */
export function mb(bytes) {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`;
}
