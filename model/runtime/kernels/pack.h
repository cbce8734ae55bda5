// Packed weight layout for the dense SIMD kernels (XNNPACK-style).
//
// Outputs are split into panels of kPanel consecutive rows of W, and panels
// into groups of up to kGroup panels (the last group may hold fewer). Group g
// (panels [g*kGroup, g*kGroup + gp), gp = group_panels(g)) is stored
// contiguously as
//   bias of its gp*kPanel outputs                      gp*kPanel floats
//   for i = 0 .. in-1: W(o, i) for its outputs o        gp*kPanel floats each
// so for each input index the weights of a group's outputs sit side by side.
// The batch kernel walks one panel (kPanel columns, stride gp*kPanel per
// input) and reuses each weight vector for several samples; the batch-1
// kernel walks a whole group as a single stream. Rows past `out` in the last
// panel are zero. The layout depends only on kPanel and kGroup (compile-time
// constants), so it is deterministic for a given build.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "model/runtime/kernels/simd.h"

#ifndef LW_PANEL_GROUP
#define LW_PANEL_GROUP 3
#endif

namespace lw {
namespace kernels {

constexpr int kPanel = 2 * kVecFloats;  // outputs per panel: 8 (SSE/wasm) or 16 (AVX)
constexpr int kGroup = LW_PANEL_GROUP;  // panels per group

struct PackedDense {
  int in = 0;                // input features
  int out = 0;               // output features
  int panels = 0;            // ceil(out / kPanel)
  int groups = 0;            // ceil(panels / kGroup)
  std::vector<float> data;   // groups in order, layout above; panels * kPanel * (in + 1) floats

  int group_panels(int g) const { return std::min(kGroup, panels - g * kGroup); }
  // Offset of group g in data (every group before it is full).
  size_t group_offset(int g) const {
    return static_cast<size_t>(g) * kGroup * kPanel * (static_cast<size_t>(in) + 1);
  }
  const float* group(int g) const { return data.data() + group_offset(g); }
};

// Packs w ([out x in] column-major, W(o, i) = w[o + i * out]) and b ([out]).
// Sizes must be >= 1 (checked by the caller, see mlp_infer.h).
void pack_dense(const float* w, const float* b, int in, int out, PackedDense* packed);

}  // namespace kernels
}  // namespace lw
