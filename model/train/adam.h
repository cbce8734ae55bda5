// Adam (Kingma & Ba 2015) with bias correction, applied tensor by tensor.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/train/vae.h"

namespace lw {

struct AdamConfig {
  float beta1 = 0.9f;    // first-moment decay
  float beta2 = 0.999f;  // second-moment decay
  float eps = 1e-8f;     // added to sqrt(v_hat)
};

// Optimizer state: moments with the parameters' shapes, and the step count.
struct AdamState {
  VaeParams m;       // first moments, same shapes as the weights
  VaeParams v;       // second moments, same shapes as the weights
  int64_t step = 0;  // number of updates applied
};

// One update of n parameters; `step` is the 1-based index of this update.
// The arrays must not overlap. Elements are independent, so a tensor updated
// in slices (Adam::update_slice) gets the same bits as in one call.
void adam_update(const AdamConfig& config, float lr, int64_t step, const float* grad, float* param,
                 float* m, float* v, size_t n);

// Binds weights, gradients and state once (the tensor lists are built here,
// not in the training step, which must not allocate).
class Adam {
 public:
  // frozen: names of tensors (VaeParams::params()) the updates leave as they are.
  Adam(const AdamConfig& config, VaeParams* weights, const VaeParams* grads, AdamState* state,
       const std::vector<std::string>& frozen = {});
  // One update of every tensor not frozen, learning rate lr (increments state->step).
  void step(float lr);
  // The same update in slices, for several threads: begin_step() once, then
  // update_slice(lr, s, slices) for every s in [0, slices), concurrently if
  // wanted (the slices are disjoint: slice_range). Same bits as step(lr).
  void begin_step();
  void update_slice(float lr, int slice, int slices) const;
  // Whether tensor t (the order of VaeParams::params()) is frozen.
  bool frozen(size_t t) const { return frozen_[t]; }

 private:
  AdamConfig config_;
  AdamState* state_;
  std::vector<ParamRef<float>> weights_, m_, v_;  // one entry per tensor, same order
  std::vector<ParamRef<const float>> grads_;      // same order as weights_
  std::vector<bool> frozen_;                       // same order as weights_
};

// Elements [first, second) of slice `slice` of `slices` of an n-element tensor:
// contiguous, disjoint, covering [0, n), with inner boundaries on multiples of 16.
std::pair<size_t, size_t> slice_range(size_t n, int slice, int slices);

// Zeroed state (moments shaped like the config's weights, step 0).
void init_adam_state(const VaeConfig& config, AdamState* state);

}  // namespace lw
