// The VAE's architecture and weights as data: what a model blob holds and
// what the inference MLPs (model/runtime/mlp_infer.h) are built from. The
// training code (model/train/vae.h) adds scratch buffers, forward and backward.
//
// Layout convention: W is stored [out x in] column-major (Eigen's default),
// so a layer over a mini-batch [features x batch] is one GEMM H = W * X + b.
// The structs are templates on the scalar type so the gradient tests can run
// the training code in double precision; everything else uses float.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/kernels/im2col.h"
#include "model/runtime/status.h"

namespace lw {

constexpr int kImageSide = 28;
constexpr int kImagePixels = kImageSide * kImageSide;  // 784

// One dense layer: W [out x in], b [out].
struct LayerShape {
  int out;
  int in;
};

// One convolution of the encoder, as configured: `channels` output channels,
// a square `kernel` x `kernel` window moved by `stride`, `padding` zero
// pixels on every side, ReLU.
struct ConvSpec {
  int channels = 0;  // output channels, 1..1024
  int kernel = 0;    // window side, 1..8
  int stride = 1;    // 1..4
  int padding = 0;   // 0..kernel-1
};

// Parses "c32k4s2p1" (channels 32, kernel 4, stride 2, padding 1; the form
// VaeConfig::describe writes) into *spec. Ranges are VaeConfig::validate's.
Status parse_conv_spec(const std::string& text, ConvSpec* spec);
// The same form from a ConvSpec ("c32k4s2p1"), as describe() and the errors name a convolution.
std::string conv_spec_text(const ConvSpec& spec);

using kernels::ConvGeometry;  // a convolution's resolved sizes (kernels/im2col.h)

// Architecture. Encoder: the convolutions (none in an MLP encoder), then the
// dense hidden layers, then the mu and log-variance heads. Decoder: dense
// layers dec_hidden (the encoder's hidden sizes reversed when empty), then the
// logits.
struct VaeConfig {
  int input_dim = kImagePixels;   // pixels per image (a square image when conv is set)
  std::vector<ConvSpec> conv;     // encoder convolutions, input side first; <= 4
  std::vector<int> hidden = {512, 256};  // encoder dense hidden sizes, input side first
  std::vector<int> dec_hidden;    // decoder hidden sizes, z side first; empty: hidden reversed
  int latent = 16;                // latent dimensions (one slider each)

  std::vector<int> decoder_hidden() const {
    return dec_hidden.empty() ? std::vector<int>{hidden.rbegin(), hidden.rend()} : dec_hidden;
  }
  // The convolutions with their sizes (the image is 1 channel, sqrt(input_dim) square).
  std::vector<ConvGeometry> conv_geometry() const;
  // Floats the encoder's dense layers take per sample: input_dim, or the last convolution's output.
  int encoder_dense_input() const;
  // The dense layers in params() order. Encoder: the hidden layers, then the
  // mu head and the log-variance head. Decoder: decoder_hidden(), then the
  // output layer (logits).
  std::vector<LayerShape> encoder_layers() const;
  std::vector<LayerShape> decoder_layers() const;
  Status validate() const;
  Status validate_conv() const;  // the convolutions' part of validate()
  // "784-512-256-16"; with convolutions and a decoder of its own
  // "784-c32k4s2p1-c64k4s2p1-256-16, decoder 16-256-512-768-784".
  std::string describe() const;
};

template <typename T>
struct DenseT {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  Matrix W;  // [out x in]
  Vector b;  // [out]
  int in() const { return static_cast<int>(W.cols()); }
  int out() const { return static_cast<int>(W.rows()); }
};

// A named view of one parameter tensor, used by the optimizer, the blob
// writer/reader and the gradient tests to walk every parameter in one order.
template <typename T>
struct ParamRef {
  std::string name;  // e.g. "enc.0.weight", "dec.2.bias"
  T* data;           // column-major storage
  int rows;          // out features (weights) or length (biases)
  int cols;          // in features (weights) or 1 (biases)
  size_t size() const { return static_cast<size_t>(rows) * static_cast<size_t>(cols); }
};

// Weights (and, with the same shape, gradients and Adam moments).
template <typename T>
struct VaeParamsT {
  std::vector<DenseT<T>> enc_conv;  // enc_conv[i]: [conv[i].channels x patch()] (ConvGeometry), ReLU
  std::vector<ConvGeometry> conv;   // conv[i]: enc_conv[i]'s sizes, stride and padding (set by
                                    // allocate_params from VaeConfig::conv_geometry; the weights
                                    // alone do not say the stride)
  std::vector<DenseT<T>> enc;  // enc[i]: [hidden[i] x (i ? hidden[i-1] : encoder_dense_input())], ReLU  // enc[i]: [hidden[i] x (i ? hidden[i-1] : input_dim)], ReLU
  DenseT<T> enc_mu;            // [latent x hidden.back()], linear
  DenseT<T> enc_logvar;        // [latent x hidden.back()], linear
  std::vector<DenseT<T>> dec;  // dec[i]: hidden reversed then input_dim; ReLU except the
                               // last, which outputs logits [input_dim x hidden[0]]

  // Pixels per image the encoder takes: the first convolution's input, else
  // enc[0]'s; 0 without an encoder.
  int encoder_input() const {
    if (!conv.empty()) return conv.front().in_size();
    return enc.empty() ? 0 : static_cast<int>(enc[0].W.cols());
  }

  // All parameters in a fixed order: enc.conv*, enc.*, enc.mu, enc.logvar, dec.*.
  std::vector<ParamRef<T>> params();
  std::vector<ParamRef<const T>> params() const;
  size_t num_params() const;
};

using Dense = DenseT<float>;
using VaeParams = VaeParamsT<float>;

// Whether a parameter name from params() belongs to the decoder ("dec.*");
// every other tensor is the encoder's ("enc.*").
bool is_decoder_tensor(const std::string& name);

// Whether a parameter name from params() is one of the tensors that compute
// mu(x): every encoder tensor but the log-variance head ("enc.logvar.*"), so
// the convolutions, the hidden layers and "enc.mu.*".
bool is_posterior_mean_tensor(const std::string& name);

// Allocates zeroed parameters with the config's shapes. encoder / decoder
// false: that half stays empty (no layers), as drop_unwanted leaves it; a
// decoder-only blob then never touches the encoder's memory (about half of
// the model, zero-filled for nothing on the page's first-garment path).
template <typename T>
void allocate_params(const VaeConfig& config, VaeParamsT<T>* params, bool encoder = true, bool decoder = true);

// The starting weights of training (and of the tests' small models):
// He-uniform weights, zero biases; deterministic for a seed. The log-variance
// head starts small so early training is stable.
template <typename T>
void init_params(const VaeConfig& config, uint64_t seed, VaeParamsT<T>* params);

}  // namespace lw
