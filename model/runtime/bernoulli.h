// The Bernoulli negative log-likelihood of a binary or grey image given the
// decoder's logits: the reconstruction term of the training loss
// (model/train/vae.cpp) and of every score the runtime computes
// (model/runtime/anomaly.cpp). A template so the gradient tests can run the
// training code in double precision.
#pragma once
#include <algorithm>
#include <cmath>

namespace lw {

// sum_j softplus(l_j) - x_j * l_j, written to avoid overflow for large |l|:
// softplus(l) = max(l, 0) + log1p(exp(-|l|)). logits, x: [n]; nats.
template <typename T>
T bernoulli_nll(const T* logits, const T* x, int n) {
  T sum = 0;
  for (int j = 0; j < n; ++j) {
    const T l = logits[j];
    sum += std::max(l, T(0)) - x[j] * l + std::log1p(std::exp(-std::abs(l)));
  }
  return sum;
}

}  // namespace lw
