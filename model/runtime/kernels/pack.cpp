#include "model/runtime/kernels/pack.h"

#include "model/runtime/out_of_line.h"

namespace lw {
namespace kernels {

// Out of line: its one caller (Mlp::init) is otherwise where V8 optimises this loop (out_of_line.h).
LW_OUT_OF_LINE("lw_pack_dense")
void pack_dense(const float* w, const float* b, int in, int out, PackedDense* packed) {
  packed->in = in;
  packed->out = out;
  packed->panels = (out + kPanel - 1) / kPanel;
  packed->groups = (packed->panels + kGroup - 1) / kGroup;
  packed->data.assign(static_cast<size_t>(packed->panels) * kPanel * (static_cast<size_t>(in) + 1),
                      0.0f);
  for (int g = 0; g < packed->groups; ++g) {
    float* dst = packed->data.data() + packed->group_offset(g);
    const int o0 = g * kGroup * kPanel;
    const int width = packed->group_panels(g) * kPanel;  // floats per input index
    const int rows = std::min(width, out - o0);          // real outputs in the group
    for (int r = 0; r < rows; ++r) dst[r] = b[o0 + r];
    for (int i = 0; i < in; ++i) {
      float* row = dst + static_cast<size_t>(1 + i) * width;
      const float* src = w + static_cast<size_t>(i) * out + o0;
      for (int r = 0; r < rows; ++r) row[r] = src[r];
    }
  }
}

}  // namespace kernels
}  // namespace lw
