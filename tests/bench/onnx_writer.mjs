// Writes the decoder as an ONNX model (opset 13) for ONNX Runtime Web:
// z [N x d] -> MatMul -> Add -> Relu -> ... -> MatMul -> Add -> Sigmoid -> [N x 784].
// A tiny protobuf encoder: only the fields this graph needs (field numbers
// from onnx.proto). Weights become initializers W^T [in x out] so that
// MatMul(z, W^T) = z W^T.

const varint = (n) => {
  const out = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
};
const enc = new TextEncoder();
const field = (num, wire, payload) => [...varint((num << 3) | wire), ...payload];
const int = (num, v) => field(num, 0, varint(v));
const bytesField = (num, b) => field(num, 2, [...varint(b.length), ...b]);
const str = (num, s) => bytesField(num, enc.encode(s));
const msg = (num, parts) => bytesField(num, parts.flat());

function tensor(name, dims, data) {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // dims (1), data_type (2) = FLOAT 1, name (8), raw_data (9)
  return [...dims.map((d) => int(1, d)).flat(), ...int(2, 1), ...str(8, name), ...bytesField(9, Array.from(raw))];
}

// ValueInfoProto: name (1), type (2) { tensor_type (1) { elem_type (1), shape (2) { dim (1) {value 1 | param 2} } } }
function valueInfo(num, name, dims) {
  const dim = (d) => msg(1, [typeof d === 'string' ? str(2, d) : int(1, d)]);
  return msg(num, [str(1, name), msg(2, [msg(1, [int(1, 1), msg(2, dims.map(dim))])])]);
}

// NodeProto: input (1), output (2), name (3), op_type (4)
const node = (op, inputs, output) =>
  msg(1, [...inputs.map((i) => str(1, i)), str(2, output), str(3, `${op}_${output}`), str(4, op)]);

/** ONNX model bytes for the decoder layers of blob_reader.decoderLayers. */
export function decoderOnnx(layers) {
  const graph = [];
  let x = 'z';
  layers.forEach((l, j) => {
    const wt = new Float32Array(l.in * l.out);  // transpose [out x in] -> [in x out]
    for (let o = 0; o < l.out; o++) for (let i = 0; i < l.in; i++) wt[i * l.out + o] = l.W[o * l.in + i];
    graph.push(msg(5, [tensor(`W${j}`, [l.in, l.out], wt)]), msg(5, [tensor(`b${j}`, [l.out], l.b)]));
    graph.push(node('MatMul', [x, `W${j}`], `m${j}`), node('Add', [`m${j}`, `b${j}`], `a${j}`));
    const last = j === layers.length - 1;
    x = last ? 'pixels' : `h${j}`;
    graph.push(node(last ? 'Sigmoid' : 'Relu', [`a${j}`], x));
  });
  graph.push(str(2, 'decoder'));
  graph.push(valueInfo(11, 'z', ['N', layers[0].in]), valueInfo(12, 'pixels', ['N', layers[layers.length - 1].out]));
  // ModelProto: ir_version (1) = 7, producer_name (2), graph (7), opset_import (8) { domain (1), version (2) }
  return new Uint8Array([...int(1, 7), ...str(2, 'latent-wardrobe bench'), ...msg(7, graph),
    ...msg(8, [str(1, ''), int(2, 13)])]);
}
