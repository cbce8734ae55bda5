// Scalar reference of one dense layer, y = act(W x + b), on the training
// code's layout. Kept as the correctness oracle for the SIMD kernels and as
// the measurable baseline. Each output is summed in input order starting
// from the bias, the same order the SIMD kernels use.
#pragma once
#include "model/runtime/kernels/activation.h"

namespace lw {
namespace kernels {

// w: [out x in] column-major, W(o, i) = w[o + i * out]; b: [out].
// x: [n x in] row-major (sample j at x + j * in); y: [n x out] row-major.
void dense_ref(const float* w, const float* b, int in, int out, const float* x, int n,
               float* y, Activation act);

// Scalar sigmoid in float: 1 / (1 + exp(-v)).
float sigmoid_ref(float v);

}  // namespace kernels
}  // namespace lw
