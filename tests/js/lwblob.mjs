// A small reader and writer of the LWARDROB blob format (docs/FORMAT.md), written from the
// specification, for tests that need blobs the exporter would not make: an index whose codes have
// no spread or only one class, a decoder without KL activity, an encoder without statistics.
import { crc32 } from './pictures.mjs';

const HEADER = 256, ENTRY = 128;
export const DTYPE = { f32: 1, f16: 2, u8: 3, i32: 4, u32: 5, u64: 6, i8: 7 };
const DTYPE_SIZE = { 1: 4, 2: 2, 3: 1, 4: 4, 5: 4, 6: 8, 7: 1 };
const align64 = (n) => Math.ceil(n / 64) * 64;

/** Parses a blob: {header (Buffer, 256 bytes), metadata (string), tensors: [{name, dtype, shape, data}]}. */
export function readBlob(bytes) {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.toString('latin1', 0, 8) !== 'LWARDROB') throw new Error('not a LWARDROB blob');
  const count = b.readUInt32LE(76);
  const metaOffset = Number(b.readBigUInt64LE(96)), metaSize = Number(b.readBigUInt64LE(104));
  const payload = Number(b.readBigUInt64LE(112));
  const tensors = [];
  for (let i = 0; i < count; i++) {
    const e = HEADER + i * ENTRY;
    const name = b.toString('latin1', e, e + 64).replace(/\0.*$/s, '');
    const dtype = b.readUInt32LE(e + 64), rank = b.readUInt32LE(e + 68);
    const shape = [0, 1, 2, 3].slice(0, rank).map((k) => b.readUInt32LE(e + 72 + 4 * k));
    const offset = Number(b.readBigUInt64LE(e + 88)), size = Number(b.readBigUInt64LE(e + 96));
    tensors.push({ name, dtype, shape, data: Buffer.from(b.subarray(payload + offset, payload + offset + size)) });
  }
  return { header: Buffer.from(b.subarray(0, HEADER)), metadata: b.toString('utf8', metaOffset, metaOffset + metaSize), tensors };
}

/**
 * Writes a blob. template: a header (Buffer) whose version, kind, parts and architecture (bytes
 * 16..75, and in version 2 the convolutions and decoder sizes at 140..243) are kept; tensors: [{name, dtype, shape, data (Buffer or typed array)}], in payload order.
 */
export function writeBlob(template, tensors, metadata = '{}') {
  const meta = Buffer.from(metadata, 'utf8');
  const tableSize = tensors.length * ENTRY;
  const metaOffset = HEADER + tableSize;
  const payloadOffset = align64(metaOffset + meta.length);
  const table = Buffer.alloc(tableSize);
  let size = 0;
  const placed = tensors.map((t, i) => {
    const data = Buffer.from(t.data.buffer ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : t.data);
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (data.length !== count * DTYPE_SIZE[t.dtype]) throw new Error(`${t.name}: ${data.length} bytes for shape ${t.shape}`);
    const e = i * ENTRY;
    table.write(t.name, e, 'latin1');
    table.writeUInt32LE(t.dtype, e + 64);
    table.writeUInt32LE(t.shape.length, e + 68);
    t.shape.forEach((d, k) => table.writeUInt32LE(d, e + 72 + 4 * k));
    const offset = align64(size);
    table.writeBigUInt64LE(BigInt(offset), e + 88);
    table.writeBigUInt64LE(BigInt(data.length), e + 96);
    size = offset + data.length;
    return { offset, data };
  });
  const payload = Buffer.alloc(align64(size));
  for (const p of placed) p.data.copy(payload, p.offset);
  const header = Buffer.alloc(HEADER);
  header.write('LWARDROB', 0, 'latin1');
  header.writeUInt32LE(template.readUInt32LE(8), 8);
  header.writeUInt32LE(HEADER, 12);
  template.copy(header, 16, 16, 76); // kind, parts, architecture
  template.copy(header, 140, 140, 252); // version 2: convolutions, decoder hidden sizes (zero in version 1)
  header.writeUInt32LE(tensors.length, 76);
  header.writeBigUInt64LE(BigInt(HEADER), 80);
  header.writeBigUInt64LE(BigInt(tableSize), 88);
  header.writeBigUInt64LE(BigInt(metaOffset), 96);
  header.writeBigUInt64LE(BigInt(meta.length), 104);
  header.writeBigUInt64LE(BigInt(payloadOffset), 112);
  header.writeBigUInt64LE(BigInt(payload.length), 120);
  header.writeUInt32LE(crc32(table), 128);
  header.writeUInt32LE(meta.length ? crc32(meta) : 0, 132);
  header.writeUInt32LE(crc32(payload), 136);
  header.writeUInt32LE(crc32(header.subarray(0, 252)), 252);
  return Buffer.concat([header, table, meta, Buffer.alloc(payloadOffset - metaOffset - meta.length), payload]);
}

/** A tensor's values as floats (f32 or f16 storage). */
export function floats(t) {
  if (t.dtype === DTYPE.f32) return new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.length));
  if (t.dtype !== DTYPE.f16) throw new Error(`${t.name} is not a float tensor`);
  const out = new Float32Array(t.data.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = half(t.data.readUInt16LE(2 * i));
  return out;
}

function half(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const B = 16; // items per search block (FORMAT.md, latent index)

/**
 * A latent-index blob (kind 2) for n items: mu and sigma as [n][d] arrays of numbers, labels and
 * splits per item; the map's PCA and the class means are computed here the way the indexer does
 * (mean, two leading eigenvectors of the covariance by power iteration, largest entry positive).
 */
export function indexBlob(template, { mu, sigma, labels, splits }) {
  const n = mu.length, d = mu[0].length, blocks = Math.ceil(n / B);
  const muSoa = new Float32Array(blocks * d * B), inv = new Float32Array(blocks * d * B).fill(1);
  const lognorm = new Float32Array(blocks * B);
  for (let i = 0; i < n; i++) {
    let ln = 0;
    for (let k = 0; k < d; k++) {
      const at = (Math.floor(i / B) * d + k) * B + (i % B);
      muSoa[at] = mu[i][k];
      inv[at] = 1 / (2 * sigma[i][k] * sigma[i][k]);
      ln -= Math.log(Math.sqrt(2 * Math.PI) * sigma[i][k]);
    }
    lognorm[i] = ln;
  }
  const { mean, components, variance } = pca(mu);
  const classMeans = new Float32Array(10 * d), counts = new Array(10).fill(0);
  mu.forEach((m, i) => {
    counts[labels[i]]++;
    m.forEach((v, k) => (classMeans[labels[i] * d + k] += v));
  });
  for (let c = 0; c < 10; c++) for (let k = 0; k < d && counts[c]; k++) classMeans[c * d + k] /= counts[c];
  return writeBlob(template, [
    { name: 'mu_soa', dtype: DTYPE.f32, shape: [blocks, d, B], data: muSoa },
    { name: 'inv2var_soa', dtype: DTYPE.f32, shape: [blocks, d, B], data: inv },
    { name: 'lognorm', dtype: DTYPE.f32, shape: [blocks * B], data: lognorm },
    { name: 'label', dtype: DTYPE.u8, shape: [n], data: Uint8Array.from(labels) },
    { name: 'split', dtype: DTYPE.u8, shape: [n], data: Uint8Array.from(splits) },
    { name: 'pca.mean', dtype: DTYPE.f32, shape: [d], data: mean },
    { name: 'pca.components', dtype: DTYPE.f32, shape: [2, d], data: components },
    { name: 'pca.variance', dtype: DTYPE.f32, shape: [2], data: variance },
    { name: 'class_means', dtype: DTYPE.f32, shape: [10, d], data: classMeans },
  ]);
}

function pca(mu) {
  const n = mu.length, d = mu[0].length;
  const mean = new Float64Array(d);
  for (const m of mu) m.forEach((v, k) => (mean[k] += v / n));
  const cov = Array.from({ length: d }, () => new Float64Array(d));
  for (const m of mu) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a][b] += ((m[a] - mean[a]) * (m[b] - mean[b])) / Math.max(1, n - 1);
  const components = new Float32Array(2 * d), variance = new Float32Array(2);
  for (let axis = 0; axis < 2; axis++) {
    let v = Float64Array.from({ length: d }, (_, k) => (k === axis ? 1 : 0.1));
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const w = cov.map((row) => row.reduce((s, x, k) => s + x * v[k], 0));
      lambda = Math.hypot(...w);
      if (lambda === 0) break; // no spread: keep the unit axis
      v = w.map((x) => x / lambda);
    }
    if (lambda === 0) v = Float64Array.from({ length: d }, (_, k) => (k === axis ? 1 : 0));
    const big = v.reduce((bi, x, k) => (Math.abs(x) > Math.abs(v[bi]) ? k : bi), 0);
    if (v[big] < 0) v = v.map((x) => -x);
    components.set(v, axis * d);
    variance[axis] = lambda;
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a][b] -= lambda * v[a] * v[b]; // deflate
  }
  return { mean: Float32Array.from(mean), components, variance };
}
