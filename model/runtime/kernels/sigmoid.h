// Array sigmoid and conversions of pixel probabilities to 8-bit images.
// Accuracy and edge cases of the sigmoid: see sigmoid_simd.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lw {
namespace kernels {

// y[i] = sigmoid(x[i]) for i < n. In place (y == x) is allowed.
void sigmoid(const float* x, size_t n, float* y);

// out[i] = round(clamp(p[i], 0, 1) * 255), halves rounded up; NaN -> 0.
void probs_to_u8(const float* p, size_t n, uint8_t* out);

// Grey RGBA for canvas ImageData: rgba[4i..4i+3] = (g, g, g, 255) with g as in
// probs_to_u8. rgba holds 4 * n bytes.
void probs_to_rgba(const float* p, size_t n, uint8_t* rgba);

// Scalar version of probs_to_u8 for one value (reference for tests).
uint8_t prob_to_u8_ref(float p);

}  // namespace kernels
}  // namespace lw
