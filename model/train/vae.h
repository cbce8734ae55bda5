// The VAE's training code: scratch buffers for a mini-batch, the Eigen forward
// pass with the loss terms, and exact gradients (backward). Config and weights
// are separate structs (model/runtime/vae_params.h, llama2.c style) so that
// the training step allocates nothing; the runtime infers with its own fast
// MLPs (model/runtime/mlp_infer.h) from the same weights.
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
#include <vector>

#include "model/runtime/bernoulli.h"
#include "model/runtime/vae_params.h"

namespace lw {

// Activations of one mini-batch, preallocated for a fixed batch size.
template <typename T>
struct VaeScratchT {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  int batch = 0;
  std::vector<ConvGeometry> geometry;  // the config's convolutions (VaeConfig::conv_geometry)
  // Encoder convolutions (VaeConfig::conv_geometry; none for an MLP encoder), layer l with geometry g:
  std::vector<Matrix> conv_patches;  // [g.patch() x g.positions() * batch]: sample b's im2col patches
                                     // in columns b * positions() .. (kernels/im2col.h)
  std::vector<Matrix> conv_act;      // [g.out_size() x batch], post-ReLU, HWC per sample
  std::vector<Matrix> d_conv;        // same shapes as conv_act
  std::vector<Matrix> d_patches;     // same shapes as conv_patches (layers >= 1; layer 0's stays empty)
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

using VaeScratch = VaeScratchT<float>;

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

// Which of the encoder's gradients encoder_backward computes.
enum class EncoderGradients {
  kAll,
  // Only enc.logvar's; every other encoder gradient is set to zero. For
  // TrainConfig::freeze_posterior_mean: the frozen tensors (posterior_mean_tensors
  // in model/train/train.h) include the encoder's hidden layers, so the backward
  // pass need not go below the heads.
  kLogvarHeadOnly,
};

// Exact gradients of the mean over the batch of (rec + beta * kl), using the
// activations left in s by forward(). Overwrites *grads. When the batch is
// one shard of a larger one (data-parallel training), mean_over is the full
// batch size, so the shards' gradients add up to the full batch's.
template <typename T>
void backward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
              T beta, VaeScratchT<T>* s, VaeParamsT<T>* grads, int mean_over = 0,
              EncoderGradients encoder_gradients = EncoderGradients::kAll);

// The two halves of backward(), also used by the IWAE objective (model/train/iwae_objective.h).
// decoder_backward: from s->d_logits ([input_dim x batch], set by the caller) back
// to s->d_z ([latent x batch]); writes the decoder's gradients g->dec.
template <typename T>
void decoder_backward(const VaeParamsT<T>& p, VaeScratchT<T>* s, VaeParamsT<T>* g);
// encoder_backward: from s->d_mu and s->d_logvar ([latent x batch], set by the
// caller) back to the input x; writes g->enc_conv, g->enc, g->enc_mu and
// g->enc_logvar (with kLogvarHeadOnly: g->enc_logvar, and zeros in the others).
template <typename T>
void encoder_backward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                      VaeScratchT<T>* s, VaeParamsT<T>* g,
                      EncoderGradients which = EncoderGradients::kAll);


}  // namespace lw
