// Fast inference of the VAE's encoder: x -> [mu | logvar], for the search
// index (native) and "your own garment" (wasm). An MLP encoder is one Mlp
// (mlp_infer.h). A convolutional encoder runs each convolution as a dense
// layer over the sample's patches (kernels/im2col.h) on the same dense SIMD
// kernels, then its dense layers and heads as one Mlp.
//
// Built once from the weights (copied and packed; params is not referenced
// afterwards). Not thread-safe: one Encoder per thread. forward() allocates
// only when a batch larger than any before arrives.
#pragma once
#include <vector>

#include "model/runtime/mlp_infer.h"
#include "model/runtime/status.h"
#include "model/runtime/vae_params.h"

namespace lw {

class Encoder {
 public:
  // Errors: no encoder layers, a tensor whose shape does not follow the
  // chain (conv[i]'s patch size, the first dense layer's input, the heads).
  // On error the Encoder is left empty.
  Status init(const VaeParams& params);

  // y = [mu | logvar] for n samples. x: [n x in_dim()] row-major pixels in
  // [0, 1] (HWC, one channel: row-major 28 x 28); y: [n x out_dim()], each
  // sample's mu [latent] then log-variance [latent]. x and y must not overlap.
  Status forward(const float* x, int n, float* y);
  // Grows the buffers for batches up to n now (forward then never allocates).
  Status reserve(int n);

  bool empty() const { return dense_.empty(); }
  int in_dim() const { return geo_.empty() ? dense_.in_dim() : geo_.front().in_size(); }
  int out_dim() const { return dense_.out_dim(); }  // 2 * latent
  int num_conv() const { return static_cast<int>(geo_.size()); }

 private:
  std::vector<ConvGeometry> geo_;  // the convolutions' sizes, input side first (none: an MLP encoder)
  std::vector<Mlp> conv_;          // conv_[l]: one layer patch() -> out_ch, ReLU, run over positions() patches
  Mlp dense_;                      // dense hidden layers, then the stacked heads (make_encoder_mlp)
  std::vector<float> patches_;     // one sample's patches of one layer: [positions x patch], the largest layer's
  std::vector<float> act_;         // one sample's inner convolution outputs: 2 x the largest out_size, ping-pong
  std::vector<float> flat_;        // [kChunk x last out_size]: the chunk's input to dense_
};

}  // namespace lw
