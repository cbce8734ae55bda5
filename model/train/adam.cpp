#include "model/train/adam.h"

#include <algorithm>
#include <cmath>

namespace lw {

void adam_update(const AdamConfig& c, float lr, int64_t step, const float* __restrict grad, float* __restrict param,
                 float* __restrict m, float* __restrict v, size_t n) {
  const double correction1 = 1.0 - std::pow(static_cast<double>(c.beta1), static_cast<double>(step));
  const double correction2 = 1.0 - std::pow(static_cast<double>(c.beta2), static_cast<double>(step));
  // Folding the bias corrections into the step size and epsilon keeps the
  // inner loop to one sqrt and one divide (same result as the paper's form).
  const float step_size = static_cast<float>(lr / correction1);
  const float inv_sqrt_c2 = static_cast<float>(1.0 / std::sqrt(correction2));
  // Locals, so the loop does not reload them (the arrays could alias c), and
  // a SIMD loop: each element's arithmetic is the scalar loop's, lane by lane
  // (sqrt and divide are correctly rounded in both; this file is built with
  // -fno-math-errno so that sqrt needs no errno branch, model/CMakeLists.txt).
  const float beta1 = c.beta1, beta2 = c.beta2, eps = c.eps;
  const float one_minus_beta1 = 1.0f - beta1, one_minus_beta2 = 1.0f - beta2;
#pragma omp simd
  for (size_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + one_minus_beta1 * grad[i];
    v[i] = beta2 * v[i] + one_minus_beta2 * grad[i] * grad[i];
    param[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + eps);
  }
}

Adam::Adam(const AdamConfig& config, VaeParams* weights, const VaeParams* grads, AdamState* state,
           const std::vector<std::string>& frozen)
    : config_(config),
      state_(state),
      weights_(weights->params()),
      m_(state->m.params()),
      v_(state->v.params()),
      grads_(grads->params()) {
  for (const ParamRef<float>& w : weights_) {
    frozen_.push_back(std::find(frozen.begin(), frozen.end(), w.name) != frozen.end());
  }
}

void Adam::step(float lr) {
  begin_step();
  update_slice(lr, 0, 1);
}

void Adam::begin_step() { state_->step += 1; }

std::pair<size_t, size_t> slice_range(size_t n, int slice, int slices) {
  // Boundaries on multiples of 16 floats (64 bytes), so two threads never
  // write the same cache line and each slice's SIMD loop starts aligned.
  const auto boundary = [&](int s) {
    if (s >= slices) return n;
    return std::min(n, (n * static_cast<size_t>(s) / static_cast<size_t>(slices)) & ~static_cast<size_t>(15));
  };
  return {boundary(slice), boundary(slice + 1)};
}

void Adam::update_slice(float lr, int slice, int slices) const {
  for (size_t t = 0; t < weights_.size(); ++t) {
    if (frozen_[t]) continue;
    const std::pair<size_t, size_t> range = slice_range(weights_[t].size(), slice, slices);
    const size_t lo = range.first;
    adam_update(config_, lr, state_->step, grads_[t].data + lo, weights_[t].data + lo, m_[t].data + lo,
                v_[t].data + lo, range.second - lo);
  }
}

void init_adam_state(const VaeConfig& config, AdamState* state) {
  allocate_params(config, &state->m);
  allocate_params(config, &state->v);
  state->step = 0;
}

}  // namespace lw
