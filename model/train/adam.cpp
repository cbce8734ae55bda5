#include "model/train/adam.h"

#include <algorithm>
#include <cmath>

namespace lw {

void adam_update(const AdamConfig& c, float lr, int64_t step, const float* grad, float* param, float* m,
                 float* v, size_t n) {
  const double correction1 = 1.0 - std::pow(static_cast<double>(c.beta1), static_cast<double>(step));
  const double correction2 = 1.0 - std::pow(static_cast<double>(c.beta2), static_cast<double>(step));
  // Folding the bias corrections into the step size and epsilon keeps the
  // inner loop to one sqrt and one divide (same result as the paper's form).
  const float step_size = static_cast<float>(lr / correction1);
  const float inv_sqrt_c2 = static_cast<float>(1.0 / std::sqrt(correction2));
  for (size_t i = 0; i < n; ++i) {
    m[i] = c.beta1 * m[i] + (1.0f - c.beta1) * grad[i];
    v[i] = c.beta2 * v[i] + (1.0f - c.beta2) * grad[i] * grad[i];
    param[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + c.eps);
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
  state_->step += 1;
  for (size_t t = 0; t < weights_.size(); ++t) {
    if (frozen_[t]) continue;
    adam_update(config_, lr, state_->step, grads_[t].data, weights_[t].data, m_[t].data, v_[t].data,
                weights_[t].size());
  }
}

void init_adam_state(const VaeConfig& config, AdamState* state) {
  allocate_params(config, &state->m);
  allocate_params(config, &state->v);
  state->step = 0;
}

}  // namespace lw
