// A small animated-GIF (GIF89a) encoder: one global 256-colour palette, LZW-compressed frames,
// looping forever. Pure (no DOM), so it is testable in Node and in the page.

/**
 * frames: array of Uint8Array(width * height) palette indices; palette: Uint8Array(256 * 3) RGB;
 * delayCs: frame delay in hundredths of a second. Returns the file as a Uint8Array.
 */
export function encodeGif({ width, height, frames, palette, delayCs = 8 }) {
  if (!(width > 0 && width < 65536 && height > 0 && height < 65536)) throw new Error('GIF size out of range');
  if (palette.length !== 768) throw new Error('GIF palette must hold 256 RGB colours');
  const out = new ByteWriter();
  out.ascii('GIF89a');
  // Logical screen: global colour table present, 8 bits of colour resolution, 256 entries.
  out.u16(width);
  out.u16(height);
  out.bytes([0xf7, 0, 0]);
  out.bytes(palette);
  // NETSCAPE2.0 application extension: loop count 0 = forever.
  out.bytes([0x21, 0xff, 0x0b]);
  out.ascii('NETSCAPE2.0');
  out.bytes([0x03, 0x01, 0x00, 0x00, 0x00]);
  const delay = Math.max(2, Math.min(65535, Math.round(delayCs)));
  for (const indices of frames) {
    if (indices.length !== width * height) throw new Error('GIF frame has the wrong number of pixels');
    // Graphic control extension: disposal 1 (leave in place), no transparency.
    out.bytes([0x21, 0xf9, 0x04, 0x04]);
    out.u16(delay);
    out.bytes([0x00, 0x00]);
    // Image descriptor: full frame, no local colour table, not interlaced.
    out.bytes([0x2c]);
    out.u16(0);
    out.u16(0);
    out.u16(width);
    out.u16(height);
    out.bytes([0x00]);
    out.bytes([8]); // LZW minimum code size
    const data = lzwEncode(indices, 8);
    for (let i = 0; i < data.length; i += 255) {
      const n = Math.min(255, data.length - i);
      out.bytes([n]);
      out.bytes(data.subarray(i, i + n));
    }
    out.bytes([0x00]);
  }
  out.bytes([0x3b]);
  return out.result();
}

/**
 * GIF-flavoured LZW (variable code width up to 12 bits, LSB-first bit packing, clear code when the
 * table is full). The code width for each emitted code is the smallest that holds the next free
 * table slot, which is how GIF decoders track it.
 */
export function lzwEncode(indices, minCodeSize) {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  const bits = new BitWriter();
  // dict[prefix * 256 + symbol] = code + 1 (0 = absent), zeroed on every clear.
  if (!sharedDict) sharedDict = new Int32Array(4096 * 256);
  const dict = sharedDict;
  dict.fill(0);
  let codeSize = minCodeSize + 1;
  let next = eoi + 1;
  bits.write(clear, codeSize);
  if (indices.length === 0) {
    bits.write(eoi, codeSize);
    return bits.result();
  }
  let prefix = indices[0];
  for (let i = 1; i < indices.length; i++) {
    const k = indices[i];
    const key = prefix * 256 + k;
    const code = dict[key];
    if (code !== 0) {
      prefix = code - 1;
      continue;
    }
    bits.write(prefix, codeSize);
    if (next < 4096) {
      dict[key] = next + 1;
      next++;
      if (next > 1 << codeSize && codeSize < 12) codeSize++;
    } else {
      bits.write(clear, codeSize);
      dict.fill(0);
      codeSize = minCodeSize + 1;
      next = eoi + 1;
    }
    prefix = k;
  }
  bits.write(prefix, codeSize);
  // The decoder adds one more entry when reading that last code, possibly widening codes.
  if (next < 4096 && next + 1 > 1 << codeSize && codeSize < 12) codeSize++;
  bits.write(eoi, codeSize);
  return bits.result();
}

let sharedDict = null; // 4 MB, allocated once and reused by every frame

class BitWriter {
  constructor() {
    this.buf = new Uint8Array(4096);
    this.len = 0;
    this.acc = 0;
    this.nacc = 0;
  }
  write(code, size) {
    this.acc |= code << this.nacc;
    this.nacc += size;
    while (this.nacc >= 8) {
      this.push(this.acc & 0xff);
      this.acc >>>= 8;
      this.nacc -= 8;
    }
  }
  push(b) {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = b;
  }
  result() {
    if (this.nacc > 0) this.push(this.acc & 0xff);
    this.acc = 0;
    this.nacc = 0;
    return this.buf.subarray(0, this.len);
  }
}

class ByteWriter {
  constructor() {
    this.parts = [];
    this.length = 0;
  }
  bytes(arr) {
    const u = arr instanceof Uint8Array ? arr.slice() : Uint8Array.from(arr);
    this.parts.push(u);
    this.length += u.length;
  }
  ascii(s) {
    this.bytes(Array.from(s, (c) => c.charCodeAt(0)));
  }
  u16(v) {
    this.bytes([v & 0xff, (v >> 8) & 0xff]);
  }
  result() {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
