// Minimal reader of the LWARDROB blob (docs/FORMAT.md) for the benchmark: it
// gives the reference engines (TF.js, ONNX Runtime, plain JS) the same
// decoder weights the wasm module loads. Trusts its input (bench only: the
// real, validating parser is model/blob.cpp); checks just the magic and bounds.

function f16ToF32(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const DTYPE_NAMES = { 1: 'f32', 2: 'f16', 3: 'u8', 4: 'i32', 5: 'u32', 6: 'u64' };
const DTYPE_SIZES = { 1: 4, 2: 2, 3: 1, 4: 4, 5: 4, 6: 8 };

function readElement(dv, dtype, at) {
  switch (dtype) {
    case 1: return dv.getFloat32(at, true);
    case 2: return f16ToF32(dv.getUint16(at, true));
    case 3: return dv.getUint8(at);
    case 4: return dv.getInt32(at, true);
    case 5: return dv.getUint32(at, true);
    default: return Number(dv.getBigUint64(at, true));
  }
}

/**
 * Map of tensor name -> { shape: number[], dtype: 'f32' | ..., data } for the
 * float tensors (data: Float32Array), or with { allDtypes: true } for every
 * tensor (data: Float64Array, integers as numbers; the golden comparison).
 */
export function readBlobTensors(bytes, { allDtypes = false } = {}) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== 'LWARDROB') throw new Error(`not a LWARDROB blob (magic ${JSON.stringify(magic)})`);
  const count = dv.getUint32(76, true);
  const tableOffset = Number(dv.getBigUint64(80, true));
  const payloadOffset = Number(dv.getBigUint64(112, true));
  const tensors = new Map();
  for (let t = 0; t < count; t++) {
    const e = tableOffset + 128 * t;
    let name = '';
    for (let i = 0; i < 64 && bytes[e + i]; i++) name += String.fromCharCode(bytes[e + i]);
    const dtype = dv.getUint32(e + 64, true);
    const rank = dv.getUint32(e + 68, true);
    const shape = [];
    for (let i = 0; i < rank; i++) shape.push(dv.getUint32(e + 72 + 4 * i, true));
    const start = payloadOffset + Number(dv.getBigUint64(e + 88, true));
    const n = shape.reduce((a, b) => a * b, 1);
    if (!DTYPE_SIZES[dtype]) throw new Error(`tensor ${name} has an unknown dtype ${dtype}`);
    if (!allDtypes && dtype !== 1 && dtype !== 2) continue;  // only float tensors
    const size = DTYPE_SIZES[dtype];
    if (start + n * size > bytes.byteLength) throw new Error(`tensor ${name} runs past the end of the blob`);
    const data = allDtypes ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = readElement(dv, dtype, start + size * i);
    tensors.set(name, { shape, dtype: DTYPE_NAMES[dtype], data });
  }
  return tensors;
}

/** The decoder's layers in order: [{ W: Float32Array [out x in] row-major, b, in, out }]. */
export function decoderLayers(bytes) {
  const tensors = readBlobTensors(bytes);
  const layers = [];
  for (let j = 0; tensors.has(`dec.${j}.weight`); j++) {
    const w = tensors.get(`dec.${j}.weight`);
    const b = tensors.get(`dec.${j}.bias`);
    layers.push({ W: w.data, b: b.data, out: w.shape[0], in: w.shape[1] });
  }
  if (!layers.length) throw new Error('blob has no decoder layers (dec.0.weight missing)');
  return layers;
}
