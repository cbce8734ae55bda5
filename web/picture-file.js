// A picture file as RGBA pixels: any format the browser reads (PNG, JPEG, WebP, GIF's first frame,
// BMP, SVG), checked for emptiness and truncation first, scaled down to a size the preprocessing
// needs (the result is 28 x 28 anyway). Used by the own-garment panel.

import { truncation } from './preprocess.js';

// Pictures are scaled down to at most MAX_PIXELS, and to MAX_SIDE on the longer side (a canvas
// limit); the shorter side must keep MIN_SIDE pixels, so a background ring is left around a garment.
const MAX_PIXELS = 512 * 512;
const MAX_SIDE = 8192;
const MIN_SIDE = 3;

/** A file that is not a picture this browser can draw; the message names the file. */
export class PictureError extends Error {}

/**
 * Decodes a picture file into RGBA ImageData, scaled down to MAX_PIXELS and MAX_SIDE. Throws
 * PictureError naming the file when it is empty, cut short, too small or not a picture.
 */
export async function decodePicture(file) {
  const name = file.name || 'The file';
  if (file.size === 0) throw new PictureError(`${name} is empty (0 bytes), not a picture.`);
  const ends = await Promise.all([file.slice(0, 16), file.slice(-64)].map(async (b) => new Uint8Array(await b.arrayBuffer())));
  const cut = truncation(ends[0], ends[1], file.size);
  if (cut) throw new PictureError(`${name} is cut short (${cut}): it may be damaged or not fully downloaded.`);
  let source;
  try {
    source = await createImageBitmap(file);
  } catch {
    source = await loadImageElement(file); // SVG: createImageBitmap does not take vector images
  }
  const width = source.naturalWidth || source.width, height = source.naturalHeight || source.height;
  if (!(width >= 1 && height >= 1)) throw new PictureError(`${name} has no size (${width} x ${height} pixels); give the SVG a width and height.`);
  const scale = Math.min(1, Math.sqrt(MAX_PIXELS / (width * height)), MAX_SIDE / Math.max(width, height));
  const w = Math.round(width * scale), h = Math.round(height * scale);
  if (Math.min(w, h) < MIN_SIDE) {
    const scaled = scale < 1 ? ` (${w} x ${h} once fitted into ${MAX_SIDE} pixels)` : '';
    throw new PictureError(`${name} is ${width} x ${height} pixels${scaled}: too small or too thin to find a garment on a background; a picture needs at least ${MIN_SIDE} pixels each way.`);
  }
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  source.close?.();
  return ctx.getImageData(0, 0, w, h);
}

function loadImageElement(file) {
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.src = url;
  return img.decode().then(
    () => img,
    () => {
      const what = file.type ? `its type is ${file.type}` : 'its type is unknown';
      throw new PictureError(`${file.name || 'The file'} is not a picture this browser can read (${what}, ${file.size} bytes): it may be damaged, cut short, or another kind of file.`);
    },
  ).finally(() => URL.revokeObjectURL(url));
}
