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

/** Map of tensor name -> { shape: number[], data: Float32Array } for float tensors. */
export function readBlobTensors(bytes) {
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
    if (dtype !== 1 && dtype !== 2) continue;  // only float tensors
    const size = dtype === 1 ? 4 : 2;
    if (start + n * size > bytes.byteLength) throw new Error(`tensor ${name} runs past the end of the blob`);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = dtype === 1 ? dv.getFloat32(start + 4 * i, true) : f16ToF32(dv.getUint16(start + 2 * i, true));
    }
    tensors.set(name, { shape, data });
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
