// Compares two runs of tests/golden/make_golden.sh:
//   node tests/golden/compare.mjs EXPECTED_DIR ACTUAL_DIR
// For every file in EXPECTED_DIR/hashes.txt: identical (same SHA-256), or how
// it differs: JSON figure by figure (largest absolute and relative difference
// of numbers; any other value must match exactly), a blob tensor by tensor
// (every tensor, float or integer: elements that differ and the largest
// difference, and a change of dtype; header and metadata: whether the hash
// matches), a PNG pixel by pixel (8-bit grey). Blobs and
// PNGs are compared in detail only when EXPECTED_DIR holds the file (the
// committed expectations keep hashes and JSON only). Exit code 0 when every
// file is identical, 1 otherwise (the report says by how much).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { readBlobTensors } from '../bench/blob_reader.mjs';

const [expectedDir, actualDir] = process.argv.slice(2);
if (!expectedDir || !actualDir) {
  console.error('usage: node tests/golden/compare.mjs EXPECTED_DIR ACTUAL_DIR');
  process.exit(2);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function compareJson(a, b, path, acc) {
  if (typeof a === 'number' && typeof b === 'number') {
    const abs = Math.abs(a - b);
    const rel = abs / Math.max(Math.abs(a), Math.abs(b), 1e-30);
    if (abs > 0) acc.numbers += 1;
    if (abs > acc.maxAbs) [acc.maxAbs, acc.maxAbsAt] = [abs, path];
    if (rel > acc.maxRel) [acc.maxRel, acc.maxRelAt] = [rel, path];
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) acc.other.push(`${path}: length ${a.length} vs ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) compareJson(a[i], b[i], `${path}[${i}]`, acc);
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) compareJson(a[k], b[k], `${path}.${k}`, acc);
  } else if (a !== b) {
    acc.other.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
}

function describeJson(expected, actual) {
  const acc = { numbers: 0, maxAbs: 0, maxRel: 0, maxAbsAt: '', maxRelAt: '', other: [] };
  compareJson(JSON.parse(expected), JSON.parse(actual), '$', acc);
  const parts = [`${acc.numbers} numbers differ, max abs ${acc.maxAbs.toExponential(2)} (${acc.maxAbsAt}),` +
                 ` max rel ${acc.maxRel.toExponential(2)} (${acc.maxRelAt})`];
  if (acc.other.length) parts.push(`${acc.other.length} other values differ: ${acc.other.slice(0, 5).join('; ')}`);
  return parts.join('; ');
}

// 8-bit greyscale, non-interlaced PNG (what stb_image_write writes) to pixels.
function decodeGreyPng(bytes) {
  let pos = 8, width = 0, height = 0;
  const idat = [];
  while (pos < bytes.length) {
    const len = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 0 || data[12] !== 0) throw new Error('not an 8-bit grey PNG');
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const px = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)];
    for (let x = 0; x < width; x++) {
      const v = raw[y * (width + 1) + 1 + x];
      const left = x ? px[y * width + x - 1] : 0, up = y ? px[(y - 1) * width + x] : 0;
      const upLeft = x && y ? px[(y - 1) * width + x - 1] : 0;
      let pred = 0;
      if (filter === 1) pred = left;
      else if (filter === 2) pred = up;
      else if (filter === 3) pred = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft, pa = Math.abs(p - left), pb = Math.abs(p - up), pc = Math.abs(p - upLeft);
        pred = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      px[y * width + x] = (v + pred) & 255;
    }
  }
  return { width, height, px };
}

function describePng(expected, actual) {
  const a = decodeGreyPng(expected), b = decodeGreyPng(actual);
  if (a.width !== b.width || a.height !== b.height) return `size ${a.width}x${a.height} vs ${b.width}x${b.height}`;
  let diff = 0, maxDiff = 0;
  for (let i = 0; i < a.px.length; i++) {
    const d = Math.abs(a.px[i] - b.px[i]);
    if (d) diff += 1;
    maxDiff = Math.max(maxDiff, d);
  }
  return `${diff} of ${a.px.length} pixels differ, by at most ${maxDiff}/255`;
}

function describeBlob(expected, actual) {
  const a = readBlobTensors(expected, { allDtypes: true }), b = readBlobTensors(actual, { allDtypes: true });
  const rows = [];
  for (const [name, ta] of a) {
    const tb = b.get(name);
    if (!tb) { rows.push(`${name} missing`); continue; }
    if (ta.data.length !== tb.data.length) { rows.push(`${name}: ${ta.data.length} vs ${tb.data.length} values`); continue; }
    // A change of storage type (e.g. ids from f32 integers to i32) is reported; the values are still compared.
    const dtype = ta.dtype === tb.dtype ? '' : ` (dtype ${ta.dtype} -> ${tb.dtype})`;
    let diff = 0, maxAbs = 0, maxRel = 0;
    for (let i = 0; i < ta.data.length; i++) {
      const d = Math.abs(ta.data[i] - tb.data[i]);
      if (d) diff += 1;
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / Math.max(Math.abs(ta.data[i]), Math.abs(tb.data[i]), 1e-30));
    }
    if (diff) {
      rows.push(`${name}${dtype}: ${diff}/${ta.data.length} differ, max abs ${maxAbs.toExponential(2)}, ` +
                `max rel ${maxRel.toExponential(2)}`);
    } else if (dtype) {
      rows.push(`${name}${dtype}: values identical`);
    }
  }
  for (const name of b.keys()) if (!a.has(name)) rows.push(`${name} added`);
  return rows.length ? rows.join('; ') : 'tensors identical (header or metadata differ)';
}

let identical = 0, differing = 0;
for (const line of readFileSync(join(expectedDir, 'hashes.txt'), 'utf8').split('\n')) {
  const [hash, file] = line.trim().split(/\s+/);
  if (!file) continue;
  const actualPath = join(actualDir, file), expectedPath = join(expectedDir, file);
  if (!existsSync(actualPath)) { console.log(`MISSING   ${file}`); differing++; continue; }
  const actual = readFileSync(actualPath);
  if (sha256(actual) === hash) { console.log(`identical ${file}`); identical++; continue; }
  differing++;
  let detail = 'differs (no expected copy to compare in detail)';
  if (existsSync(expectedPath)) {
    const expected = readFileSync(expectedPath);
    if (file.endsWith('.json')) detail = describeJson(expected.toString(), actual.toString());
    else if (file.endsWith('.png')) detail = describePng(expected, actual);
    else if (file.endsWith('.lwb')) detail = describeBlob(expected, actual);
  }
  console.log(`DIFFERS   ${file}: ${detail}`);
}
console.log(`${identical} identical, ${differing} differ`);
process.exit(differing ? 1 : 0);
