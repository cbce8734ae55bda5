#include "model/runtime/kernels/dense_ref.h"

#include <cmath>
#include <cstddef>

namespace lw {
namespace kernels {

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kIdentity: return "identity";
    case Activation::kRelu: return "relu";
    case Activation::kSigmoid: return "sigmoid";
  }
  return "unknown";
}

float sigmoid_ref(float v) { return 1.0f / (1.0f + std::exp(-v)); }

void dense_ref(const float* w, const float* b, int in, int out, const float* x, int n,
               float* y, Activation act) {
  for (int j = 0; j < n; ++j) {
    const float* xj = x + static_cast<size_t>(j) * in;
    float* yj = y + static_cast<size_t>(j) * out;
    for (int o = 0; o < out; ++o) {
      float acc = b[o];
      for (int i = 0; i < in; ++i) acc += w[o + static_cast<size_t>(i) * out] * xj[i];
      switch (act) {
        case Activation::kIdentity: break;
        case Activation::kRelu: acc = acc > 0.0f ? acc : 0.0f; break;
        case Activation::kSigmoid: acc = sigmoid_ref(acc); break;
      }
      yj[o] = acc;
    }
  }
}

}  // namespace kernels
}  // namespace lw
