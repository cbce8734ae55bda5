// Integer dense layer for i8 weights: y = act(W x + b) with W stored as i8
// with one scale per output row (docs/FORMAT.md "Quantised matrices", the
// page's decoder blob) and x quantised on the fly to i16.
//
// Why: batch-1 decode of the page's decoder is bound by float multiply-adds
// (wasm SIMD has no FMA) and by streaming 4-byte weights. This kernel keeps
// the blob's 1-byte weights (the 784-768-512-256-16 decoder's 1.1 MB fit in
// L2 where its 4.5 MB of floats do not) and multiplies with
// i32x4.dot_i16x8_s / SSE2 pmaddwd: 8 multiply-adds per instruction, summed
// exactly in i32 (the scheme of integer-arithmetic-only inference, Jacob et
// al., CVPR 2018, with dynamic per-sample activation scales).
//
// Arithmetic, per sample and layer (all paths give the same integers):
//   s_x = max_i |x_i| / qmax   (0 when x is all zeros; non-finite x_i count
//                               as 0, as ReLU maps NaN to 0)
//   q_i = round-half-even(x_i / s_x), in [-qmax, qmax]
//   acc_o = sum_i W8(o, i) * q_i                    exact in int32
//   y_o = act(b_o + float(acc_o) * (scale_o * s_x))
// qmax = min(16383, floor((2^31 - 1) / (128 * padded_in))) so acc_o cannot
// overflow even with -128 weights: 16383 (15-bit activations, a relative step
// of 6e-5 of the sample's largest value) for every layer up to 1,024 inputs.
// (The registers hold acc_o plus an offset, see the packed layout, and may
// wrap modulo 2^32; acc_o itself is recovered exactly.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/runtime/kernels/activation.h"

namespace lw {
namespace kernels {

constexpr int kQ8Panel = 4;  // outputs per panel: one i32x4 accumulator
constexpr int kQ8Step = 4;    // inputs per step: two i16 pairs per dot
#ifndef LW_Q8_GROUP
#define LW_Q8_GROUP 5
#endif
constexpr int kQ8Group = LW_Q8_GROUP;  // panels per group (20 outputs, see dense_q8.cpp)
constexpr int kQ8MaxAct = 16383;

// Packed layout: outputs in panels of kQ8Panel, panels in groups of up to
// kQ8Group; inputs padded with zeros to steps * kQ8Step. Group g is stored
// contiguously, step by step; a step holds, for each of the group's panels,
// 16 bytes, 4 per output row r: [u(r, i), q(r, i+2), u(r, i+1), q(r, i+3)],
// where u = q + 128 in [0, 255] (an unsigned byte). Read as eight i16 lanes,
// lane & 0xFF gives (u(r, i), u(r, i+1)) in lanes 2r, 2r+1, and the
// arithmetic shift lane >> 8 gives (q(r, i+2), q(r, i+3)): the two i16x8
// operands of the pairwise dot products with (x_i, x_i+1) and (x_i+2, x_i+3),
// without sign-extension shuffles. The sums then exceed the exact ones by
// 128 * sum_k (x_4k + x_4k+1), the same for every output: the kernel computes
// it once per sample and subtracts it from each output's sum (modulo 2^32, as
// the accumulators wrap). Padding inputs hold u = 128 but meet x = 0, so they
// add nothing to either sum; padding rows are computed and not stored.
struct PackedDenseQ8 {
  int in = 0;                  // input features
  int out = 0;                 // output features
  int steps = 0;               // ceil(in / kQ8Step)
  int panels = 0;              // ceil(out / kQ8Panel)
  int groups = 0;              // ceil(panels / kQ8Group)
  int qmax = 0;                // activation range, see above
  std::vector<int8_t> w;       // groups in order: panels * kQ8Panel * steps * kQ8Step bytes
  std::vector<float> scale;    // [panels * kQ8Panel] row scales, 0 past `out`
  std::vector<float> bias;     // [panels * kQ8Panel], 0 past `out`

  int group_panels(int g) const { return panels - g * kQ8Group < kQ8Group ? panels - g * kQ8Group : kQ8Group; }
  size_t group_offset(int g) const {
    return static_cast<size_t>(g) * kQ8Group * kQ8Panel * kQ8Step * static_cast<size_t>(steps);
  }
};

// Packs q ([out x in] row-major: W8(o, i) = q[o * in + i], the blob's i8
// layout), scale [out] (finite, >= 0) and b [out]. Sizes >= 1 and in small
// enough that qmax >= 1 (in <= 2^23), checked by the caller.
void pack_dense_q8(const int8_t* q, const float* scale, const float* b, int in, int out,
                   PackedDenseQ8* packed);

// int16 workspace dense_q8_forward needs: steps * kQ8Step.
size_t dense_q8_workspace(const PackedDenseQ8& layer);

// x: [n x in] row-major floats, y: [n x out] row-major; ws as above. x, y
// and ws must not overlap. Each sample is quantised on its own, so its
// result does not depend on n.
void dense_q8_forward(const PackedDenseQ8& layer, const float* x, int n, float* y, Activation act,
                      int16_t* ws);

// Quantises one sample (in floats) into xq (padded_in int16, zeros past in)
// as described above; returns s_x.
float quantize_activations(const float* x, int in, int padded_in, int qmax, int16_t* xq);

// Scalar oracle on the unpacked layout (q [out x in] row-major), same
// arithmetic: for the tests.
void dense_q8_ref(const int8_t* q, const float* scale, const float* b, int in, int out, const float* x,
                  int n, float* y, Activation act);

namespace detail {
// The kernel's portable path (what the scalar wasm build runs) and, when the
// target has one, its SIMD path, exposed so a test can hold them against each
// other in one binary. has_simd_path() is false when dense_q8_forward runs
// the portable path.
void dense_q8_forward_portable(const PackedDenseQ8& layer, const float* x, int n, float* y, Activation act,
                               int16_t* ws);
bool has_simd_path();
}  // namespace detail

}  // namespace kernels
}  // namespace lw
