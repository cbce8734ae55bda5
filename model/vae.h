// The VAE: MLP encoder x -> (mu, log-variance), MLP decoder z -> logits of a
// Bernoulli image. Config, weights, gradients and scratch buffers are separate
// structs (llama2.c style) so that the training step allocates nothing.
//
// Layout convention: a mini-batch is a matrix with one column per sample
// ([features x batch], column-major), so each layer is one GEMM
// H = W * X + b with W stored [out x in].
//
// The structs are templates on the scalar type so the gradient tests can run
// the exact same code in double precision; the trainer uses float.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "model/status.h"

namespace lw {

constexpr int kImageSide = 28;
constexpr int kImagePixels = kImageSide * kImageSide;  // 784

// One dense layer: W [out x in], b [out].
struct LayerShape {
  int out;
  int in;
};

// Architecture. The decoder mirrors the encoder: hidden sizes reversed.
struct VaeConfig {
  int input_dim = kImagePixels;   // pixels per image
  std::vector<int> hidden = {512, 256};  // encoder hidden sizes, input side first
  int latent = 16;                // latent dimensions (one slider each)

  std::vector<int> decoder_hidden() const { return {hidden.rbegin(), hidden.rend()}; }
  // The dense layers in params() order. Encoder: the hidden layers, then the
  // mu head and the log-variance head. Decoder: decoder_hidden(), then the
  // output layer (logits).
  std::vector<LayerShape> encoder_layers() const;
  std::vector<LayerShape> decoder_layers() const;
  Status validate() const;
  std::string describe() const;   // "784-512-256-16"
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
  std::vector<DenseT<T>> enc;  // enc[i]: [hidden[i] x (i ? hidden[i-1] : input_dim)], ReLU
  DenseT<T> enc_mu;            // [latent x hidden.back()], linear
  DenseT<T> enc_logvar;        // [latent x hidden.back()], linear
  std::vector<DenseT<T>> dec;  // dec[i]: hidden reversed then input_dim; ReLU except the
                               // last, which outputs logits [input_dim x hidden[0]]

  // All parameters in a fixed order: enc.*, enc.mu, enc.logvar, dec.*.
  std::vector<ParamRef<T>> params();
  std::vector<ParamRef<const T>> params() const;
  // The decoder's parameters only (what the browser needs to generate).
  std::vector<ParamRef<const T>> decoder_params() const;
  size_t num_params() const;
};

// Activations of one mini-batch, preallocated for a fixed batch size.
template <typename T>
struct VaeScratchT {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  int batch = 0;
  std::vector<Matrix> enc_act;  // enc_act[i]: [hidden[i] x batch], post-ReLU
  Matrix mu;                    // [latent x batch]
  Matrix logvar;                // [latent x batch]
  Matrix sigma;                 // [latent x batch], exp(logvar / 2)
  Matrix eps;                   // [latent x batch], the reparameterisation noise
  Matrix z;                     // [latent x batch], mu + sigma * eps
  std::vector<Matrix> dec_act;  // dec_act[i]: [dec hidden[i] x batch], post-ReLU
  Matrix logits;                // [input_dim x batch]
  Vector rec;                   // [batch] reconstruction term -log p(x|z) per sample
  Vector kl;                    // [batch] KL(q(z|x) || N(0,I)) per sample
  // Backward buffers.
  Matrix d_logits;              // [input_dim x batch]
  std::vector<Matrix> d_dec;    // same shapes as dec_act
  Matrix d_z, d_mu, d_logvar;   // [latent x batch]
  std::vector<Matrix> d_enc;    // same shapes as enc_act

  void resize(const VaeConfig& config, int batch_size);
};

using Dense = DenseT<float>;
using VaeParams = VaeParamsT<float>;
using VaeScratch = VaeScratchT<float>;

// Allocates zeroed parameters with the config's shapes.
template <typename T>
void allocate_params(const VaeConfig& config, VaeParamsT<T>* params);

// He-uniform weights, zero biases; deterministic for a seed. The log-variance
// head starts small so early training is stable.
template <typename T>
void init_params(const VaeConfig& config, uint64_t seed, VaeParamsT<T>* params);

// Per-batch sums of the loss terms (divide by the batch size for means).
struct LossSums {
  double rec = 0;  // sum over samples of -log p(x|z), nats
  double kl = 0;   // sum over samples of KL(q(z|x) || p(z)), nats
  double neg_elbo() const { return rec + kl; }
};

// Encoder only: fills s->enc_act, s->mu, s->logvar, s->sigma.
// x: [input_dim x s->batch] in [0, 1].
template <typename T>
void encode(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
            VaeScratchT<T>* s);

// Decoder only: from s->z to s->dec_act and s->logits.
template <typename T>
void decode(const VaeParamsT<T>& p, VaeScratchT<T>* s);

// Full forward pass with the given noise (eps: [latent x batch]):
// encode, z = mu + sigma * eps, decode, and the per-sample loss terms in
// s->rec and s->kl. Returns their sums.
template <typename T>
LossSums forward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                 const Eigen::Ref<const typename DenseT<T>::Matrix>& eps, VaeScratchT<T>* s);

// Exact gradients of the mean over the batch of (rec + beta * kl), using the
// activations left in s by forward(). Overwrites *grads. When the batch is
// one shard of a larger one (data-parallel training), mean_over is the full
// batch size, so the shards' gradients add up to the full batch's.
template <typename T>
void backward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
              T beta, VaeScratchT<T>* s, VaeParamsT<T>* grads, int mean_over = 0);

// Numerically stable Bernoulli negative log-likelihood with logits:
// sum_j softplus(l_j) - x_j * l_j.
template <typename T>
T bernoulli_nll(const T* logits, const T* x, int n);

}  // namespace lw
