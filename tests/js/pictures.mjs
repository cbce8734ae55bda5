// Test pictures made at test time (never from dataset images): RGBA arrays, the expected 28 x 28
// model input of a solid block computed independently of web/preprocess.js, and small encoders
// for the formats a person may drop: PNG of every colour type (grey, RGB, palette with tRNS,
// grey + alpha, RGBA), 24-bit BMP, and GIF (gifenc, the encoder the page ships).
import zlib from 'node:zlib';
import gifenc from 'gifenc'; // CommonJS: no named exports in Node

const { GIFEncoder } = gifenc;

export const SIDE = 28;

/** RGBA bytes of a width x height picture; at(x, y) -> [r, g, b, a]. */
export function rgbaPicture(width, height, at) {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.set(at(x, y), 4 * (y * width + x));
  return out;
}

/** The instance: 40 x 40, a 20 x 30 block at x 10..30, y 5..35 of `inside`, `outside` elsewhere. */
export const BLOCK = { width: 40, height: 40, x0: 10, x1: 30, y0: 5, y1: 35 };
export function blockPicture(inside, outside, b = BLOCK) {
  return rgbaPicture(b.width, b.height, (x, y) => (x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1 ? inside : outside));
}

/**
 * The model input of a solid block of bw x bh pixels standing out from a plain background, by the
 * rule the page documents (not by its code): the longer side fills 28 pixels, the other keeps the
 * aspect ratio (rounded), centred (left/top margin rounded down); 1 inside, 0 outside.
 */
export function blockInput(bw, bh) {
  const tw = bw >= bh ? SIDE : Math.max(1, Math.round((SIDE * bw) / bh));
  const th = bh >= bw ? SIDE : Math.max(1, Math.round((SIDE * bh) / bw));
  const ox = Math.floor((SIDE - tw) / 2), oy = Math.floor((SIDE - th) / 2);
  const out = new Array(SIDE * SIDE).fill(0);
  for (let y = oy; y < oy + th; y++) for (let x = ox; x < ox + tw; x++) out[y * SIDE + x] = 1;
  return out;
}

// ---------------------------------------------------------------- PNG

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const PNG_CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }; // colour type -> samples per pixel

/**
 * An 8-bit PNG. colorType 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA; pixel(x, y) returns
 * that many samples (a palette index for type 3). palette: [[r, g, b], ...]; trns: alpha per
 * palette entry (type 3).
 */
export function png(width, height, colorType, pixel, options = {}) {
  const channels = PNG_CHANNELS[colorType];
  const row = Buffer.alloc(channels * width);
  return pngRows(width, height, colorType, (y) => {
    for (let x = 0; x < width; x++) row.set(pixel(x, y), channels * x);
    return row;
  }, options);
}

/** A PNG from whole rows: rowAt(y) -> the row's samples (channels * width bytes). */
export function pngRows(width, height, colorType, rowAt, { palette = null, trns = null } = {}) {
  const stride = PNG_CHANNELS[colorType] * width + 1;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) raw.set(rowAt(y), y * stride + 1); // filter byte 0: none
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const parts = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr)];
  if (palette) parts.push(chunk('PLTE', Buffer.from(palette.flat())));
  if (trns) parts.push(chunk('tRNS', Buffer.from(trns)));
  parts.push(chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** An RGBA picture (rgbaPicture's bytes) as a PNG of colour type 6. */
export function rgbaPng(width, height, rgba) {
  return png(width, height, 6, (x, y) => rgba.subarray(4 * (y * width + x), 4 * (y * width + x) + 4));
}

// ---------------------------------------------------------------- BMP

/** A 24-bit bottom-up BMP (BITMAPINFOHEADER); rgb(x, y) -> [r, g, b]. */
export function bmp(width, height, rgb) {
  const stride = (3 * width + 3) & ~3;
  const size = 54 + stride * height;
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10); // pixel data offset
  b.writeUInt32LE(40, 14); // header size
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22); // positive: bottom-up
  b.writeUInt16LE(1, 26); // planes
  b.writeUInt16LE(24, 28); // bits per pixel
  b.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const [r, g, bl] = rgb(x, y);
      b.set([bl, g, r], row + 3 * x);
    }
  }
  return b;
}

// ---------------------------------------------------------------- GIF

/**
 * An animated GIF through gifenc: frames are arrays of palette indices (width * height each);
 * transparentIndex (optional) marks a palette entry as transparent.
 */
export function gif(width, height, frames, palette, { transparentIndex = null } = {}) {
  const enc = GIFEncoder();
  for (const f of frames) {
    enc.writeFrame(Uint8Array.from(f), width, height, {
      palette,
      delay: 100,
      ...(transparentIndex === null ? {} : { transparent: true, transparentIndex }),
    });
  }
  enc.finish();
  return Buffer.from(enc.bytes());
}
