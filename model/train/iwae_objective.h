// The importance-weighted bound as a training objective (IWAE; Burda, Grosse and
// Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016, eq. 8 and 14).
//
// For an image x and K samples z_k = mu(x) + sigma(x) * eps_k, eps_k ~ N(0, I):
//   log w_k  = log p(x|z_k) + log N(z_k; 0, I) - log N(z_k; mu, sigma^2)
//            = -rec_k - |z_k|^2 / 2 + |eps_k|^2 / 2 + sum_i logvar_i / 2
//   loss(x)  = -(logsumexp_k log w_k - log K)       (>= -log p(x); K = 1 is the ELBO
//                                                     with a sampled KL term)
// Gradient (eq. 14): the per-sample ELBO gradients weighted by the normalised
// importance weights w~_k = softmax_k(log w_k), through the reparameterisation.
// The encoder's share of it has a signal-to-noise ratio that falls as K grows
// (Rainforth et al., "Tighter variational bounds are not necessarily better",
// ICML 2018); the doubly
// reparameterised estimator (DReG; Tucker, Lawson, Gu and Maddison, "Doubly
// reparameterized gradient estimators for Monte Carlo objectives", ICLR 2019,
// eq. 7) is unbiased for the same gradient with less variance:
//   encoder: sum_k w~_k^2 * (d log w_k / d z_k) * (d z_k / d phi), where
//            d log w_k / d z_k = d log p(x|z_k)/dz - z_k + eps_k / sigma holds the
//            parameters of q fixed (the score-function term, zero in expectation,
//            is dropped)
//   decoder: unchanged (eq. 14).
//
// Same layout as the rest of the model: images are columns; sample k of image i
// is column i * K + k of the [latent x B*K] and [input_dim x B*K] matrices.
// The structs are templates on the scalar type so the gradient test runs the
// same code in double precision.
#pragma once
#include <Eigen/Core>

#include "model/train/vae.h"

namespace lw {

// How iwae_backward estimates the encoder's gradient (the decoder's is the same).
enum class IwaeGradient {
  kStandard,              // Burda et al., eq. 14: the exact gradient of the sampled bound
  kDoublyReparameterized  // DReG (Tucker et al. 2019, eq. 7): same expectation, less variance
};

template <typename T>
struct IwaeScratchT {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  int batch = 0;        // images B
  int samples = 0;      // K
  VaeScratchT<T> enc;   // encoder activations, mu, logvar, sigma: B columns
  VaeScratchT<T> dec;   // z, eps, decoder activations, logits: B*K columns
  Matrix log_w;         // [K x B] log importance weights
  Matrix weight;        // [K x B] normalised importance weights w~ (columns sum to 1)

  void resize(const VaeConfig& config, int images, int samples_per_image);
};

using IwaeScratch = IwaeScratchT<float>;

// Forward pass with the given noise. x: [input_dim x B] binary (or grey) targets;
// eps: [latent x B*K] standard normal. Returns per-batch sums over images:
// rec = the mean over k of -log p(x|z_k), kl = loss - rec, so neg_elbo() is the
// summed IWAE loss in nats. Fills s->log_w and s->weight for iwae_backward.
template <typename T>
LossSums iwae_forward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                      const Eigen::Ref<const typename DenseT<T>::Matrix>& eps, IwaeScratchT<T>* s);

// Gradients of the mean over images of the IWAE loss, using what iwae_forward
// left in s. kStandard: the exact gradient of the sampled loss. kDoublyReparameterized:
// the decoder's exact gradient and the encoder's DReG estimate, which is the exact
// gradient of the surrogate -sum_k w~_k^2 log w_k(z_k) with w~ and the parameters of
// q inside log w_k held fixed (tests/iwae_objective_native_test.cpp checks both).
// mean_over: the full batch size when x is one shard of it (0 = s->batch), so the
// shards' gradients add up to the full batch's. encoder_gradients: see
// encoder_backward (model/train/vae.h). Overwrites *g.
template <typename T>
void iwae_backward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                   IwaeScratchT<T>* s, VaeParamsT<T>* g, int mean_over = 0,
                   IwaeGradient estimator = IwaeGradient::kStandard,
                   EncoderGradients encoder_gradients = EncoderGradients::kAll);

}  // namespace lw
