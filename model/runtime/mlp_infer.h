// Fast inference of the VAE's MLPs (decoder in the browser, encoder for
// search), on the SIMD kernels in model/runtime/kernels/.
//
// Built once from the training code's layers (W [out x in] column-major, b
// [out]), which are repacked into the kernels' panel layout; the caller's
// arrays are not referenced afterwards. forward() allocates only when a batch
// larger than any before arrives (or after reserve()), so steady-state calls
// allocate nothing. Not thread-safe: one Mlp per thread.
#pragma once
#include <cstdint>
#include <vector>

#include "model/runtime/kernels/activation.h"
#include "model/runtime/kernels/dense_q8.h"
#include "model/runtime/kernels/pack.h"
#include "model/runtime/blob.h"
#include "model/runtime/status.h"
#include "model/runtime/vae_params.h"

namespace lw {

using kernels::Activation;

// One dense layer y = act(W x + b) in the training code's layout, or with
// i8 weights (a blob's quantised matrix): then the layer runs the integer
// kernel (kernels/dense_q8.h) and w is not read. The pointers are only read
// during Mlp::init.
struct MlpLayer {
  const float* w = nullptr;  // [out x in] column-major: W(o, i) = w[o + i * out]
  const float* b = nullptr;  // [out]
  const int8_t* wq = nullptr;      // if set: [out x in] row-major i8, W(o, i) = wq[o * in + i] * wscale[o]
  const float* wscale = nullptr;   // [out] row scales (finite, >= 0), with wq
  int in = 0;                // input features, >= 1
  int out = 0;               // output features, >= 1
  Activation act = Activation::kIdentity;

  // The float layer over a training-code Dense (W [out x in], b [out]); points
  // into d, which must outlive Mlp::init.
  static MlpLayer of(const Dense& d, Activation act);
};

class Mlp {
 public:
  // Validates the chain (sizes >= 1, layer i's out == layer i+1's in, non-null
  // arrays) and packs the weights. On error the Mlp is left empty.
  Status init(const std::vector<MlpLayer>& layers);

  // y = network(x) for n samples. x: [n x in_dim()] row-major (each sample
  // contiguous), y: [n x out_dim()]. x and y must not overlap.
  Status forward(const float* x, int n, float* y);

  // forward(), then each output clamped to [0, 1] and scaled to 0..255 with
  // rounding (NaN -> 0): pixels [n x out_dim()] bytes. Meant for a network
  // whose last activation is kSigmoid (see make_decoder_mlp).
  Status forward_u8(const float* x, int n, uint8_t* pixels);
  // Same as forward_u8 but grey RGBA (g, g, g, 255): rgba [n x out_dim() x 4] bytes.
  Status forward_rgba(const float* x, int n, uint8_t* rgba);

  // Grows the scratch buffers for batches up to n now, so later forward calls
  // with n or fewer samples never allocate.
  Status reserve(int n);

  bool empty() const { return layers_.empty(); }
  int num_layers() const { return static_cast<int>(layers_.size()); }
  int in_dim() const { return empty() ? 0 : layers_.front().in(); }
  int out_dim() const { return empty() ? 0 : layers_.back().out(); }
  // Whether layer i runs the integer kernel (i8 weights).
  bool quantized(int i) const { return i >= 0 && i < num_layers() && layers_[i].quantized; }
  // Activation of layer i (kIdentity for an index out of range).
  Activation activation(int i) const {
    return i >= 0 && i < num_layers() ? acts_[i] : Activation::kIdentity;
  }

 private:
  Status check_batch(const void* x, int n, const void* y) const;
  void run(const float* x, int n, float* y);

  struct Packed {
    bool quantized = false;         // which of the two below holds the layer
    kernels::PackedDense f32;       // float weights, kernels/dense.h
    kernels::PackedDenseQ8 q8;      // i8 weights, kernels/dense_q8.h
    int in() const { return quantized ? q8.in : f32.in; }
    int out() const { return quantized ? q8.out : f32.out; }
  };
  std::vector<Packed> layers_;                // layers_[i]: packed W, b of layer i
  std::vector<Activation> acts_;              // acts_[i]: activation of layer i
  int max_hidden_ = 0;                        // widest hidden (non-final) layer output
  int capacity_ = 0;                          // batch size the buffers below hold
  std::vector<float> hidden_[2];              // ping-pong [capacity_ x max_hidden_]
  std::vector<float> final_;                  // [capacity_ x out_dim()] for forward_u8/rgba
  std::vector<float> workspace_;              // kernels' packed inputs, see dense_workspace_floats
  std::vector<int16_t> qworkspace_;           // quantised inputs of i8 layers, see dense_q8_workspace
};

// Decoder z [latent] -> pixels [input_dim]: ReLU hidden layers, then logits
// (sigmoid_output = false) or probabilities (true, fused sigmoid).
Status make_decoder_mlp(const VaeParams& params, bool sigmoid_output, Mlp* mlp);

// The same decoder built from a model blob as stored: a weight matrix stored
// as i8 (docs/FORMAT.md "Quantised matrices") keeps its bytes and runs the
// integer kernel; f32 and f16 matrices run the float kernel on params (read
// from the same blob by read_model_blob). Errors: a decoder tensor missing or
// of the wrong shape, a bad scale tensor.
Status make_decoder_mlp_from_blob(const BlobReader& blob, const VaeParams& params, bool sigmoid_output,
                                  Mlp* mlp);

// The encoder's dense layers -> [mu | logvar], 2 * latent outputs per sample:
// the two linear heads are stacked into one layer (mu first). For an MLP
// encoder that is the whole encoder (x [input_dim] in); a convolutional one
// runs it after its convolutions (Encoder, encoder_infer.h).
Status make_encoder_mlp(const VaeParams& params, Mlp* mlp);

}  // namespace lw
