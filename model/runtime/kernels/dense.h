// SIMD dense layer on packed weights: y = act(W x + b) for a batch.
//
// x: [n x in] row-major (each sample contiguous); y: [n x out] row-major.
// The kernel sums each output in input order starting from the bias, the
// same order as dense_ref, and a sample's result does not depend on n or on
// its position in the batch (the batch-1 and batch-n paths run the same
// per-output operations). ReLU maps NaN to 0; sigmoid as in sigmoid_simd.h.
#pragma once
#include <cstddef>

#include "model/runtime/kernels/activation.h"
#include "model/runtime/kernels/pack.h"

namespace lw {
namespace kernels {

// Floats of workspace dense_forward needs for n samples of `in` inputs
// (0 for n == 1; at most kChunkRows * in).
size_t dense_workspace_floats(int in, int n);

// Requires n >= 1, x holding n * in floats, y holding n * out floats,
// workspace holding dense_workspace_floats(in, n) floats (may be null when
// that is 0), and none of them overlapping (checked by the caller, see
// mlp_infer.h).
void dense_forward(const PackedDense& layer, const float* x, int n, float* y, Activation act,
                   float* workspace);

}  // namespace kernels
}  // namespace lw
