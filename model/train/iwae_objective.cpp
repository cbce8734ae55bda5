#include "model/train/iwae_objective.h"

#include <cmath>

namespace lw {

template <typename T>
void IwaeScratchT<T>::resize(const VaeConfig& config, int images, int samples_per_image) {
  batch = images;
  samples = samples_per_image;
  enc.resize(config, images);
  dec.resize(config, images * samples_per_image);
  log_w.resize(samples_per_image, images);
  weight.resize(samples_per_image, images);
}

template <typename T>
LossSums iwae_forward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                      const Eigen::Ref<const typename DenseT<T>::Matrix>& eps, IwaeScratchT<T>* s) {
  const int b = s->batch, k = s->samples;
  const int n = static_cast<int>(x.rows());
  encode(p, x, &s->enc);
  s->dec.eps = eps;
  for (int i = 0; i < b; ++i) {
    for (int j = 0; j < k; ++j) {
      const int c = i * k + j;
      s->dec.z.col(c) = s->enc.mu.col(i) + s->enc.sigma.col(i).cwiseProduct(eps.col(c));
    }
  }
  decode(p, &s->dec);
  LossSums sums;
  for (int i = 0; i < b; ++i) {
    const T half_sum_logvar = T(0.5) * s->enc.logvar.col(i).sum();
    T rec_mean = 0;
    for (int j = 0; j < k; ++j) {
      const int c = i * k + j;
      const T rec = bernoulli_nll(s->dec.logits.col(c).data(), x.col(i).data(), n);
      rec_mean += rec / static_cast<T>(k);
      // log p(z) - log q(z|x): the 2*pi constants cancel.
      s->log_w(j, i) = -rec - T(0.5) * s->dec.z.col(c).squaredNorm() + T(0.5) * eps.col(c).squaredNorm() +
                       half_sum_logvar;
    }
    const T max_log_w = s->log_w.col(i).maxCoeff();
    s->weight.col(i) = (s->log_w.col(i).array() - max_log_w).exp().matrix();
    const T total = s->weight.col(i).sum();
    s->weight.col(i) /= total;
    const T loss = -(max_log_w + std::log(total) - std::log(static_cast<T>(k)));
    sums.rec += static_cast<double>(rec_mean);
    sums.kl += static_cast<double>(loss - rec_mean);
  }
  return sums;
}

template <typename T>
void iwae_backward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                   IwaeScratchT<T>* s, VaeParamsT<T>* g, int mean_over, IwaeGradient estimator,
                   EncoderGradients encoder_gradients) {
  const int b = s->batch, k = s->samples;
  const T inv_b = T(1) / static_cast<T>(mean_over > 0 ? mean_over : b);
  const bool dreg = estimator == IwaeGradient::kDoublyReparameterized;
  VaeScratchT<T>& d = s->dec;
  // d loss / d log w_k = -w~_k; -log w_k = rec_k + |z_k|^2/2 - |eps_k|^2/2 - sum logvar/2.
  for (int i = 0; i < b; ++i) {
    for (int j = 0; j < k; ++j) {
      const int c = i * k + j;
      const T w = s->weight(j, i) * inv_b;
      d.d_logits.col(c).array() = (T(1) / (T(1) + (-d.logits.col(c).array()).exp()) - x.col(i).array()) * w;
    }
  }
  decoder_backward(p, &d, g);
  // The prior term's gradient in z, then the reparameterisation z = mu + exp(logvar/2) * eps.
  VaeScratchT<T>& e = s->enc;
  for (int i = 0; i < b; ++i) {
    e.d_mu.col(i).setZero();
    e.d_logvar.col(i).setZero();
    for (int j = 0; j < k; ++j) {
      const int c = i * k + j;
      const T w = s->weight(j, i) * inv_b;
      d.d_z.col(c) += w * d.z.col(c);  // now -w~_k * d log p(x, z_k) / d z_k (over B)
      if (dreg) {
        // -w~_k^2 * d log w_k / d z_k, where -log q(z|x) adds (z - mu) / sigma^2 = eps / sigma.
        d.d_z.col(c) = s->weight(j, i) * d.d_z.col(c) -
                       (s->weight(j, i) * w) * d.eps.col(c).cwiseQuotient(e.sigma.col(i));
      }
      e.d_mu.col(i) += d.d_z.col(c);
      e.d_logvar.col(i).array() += d.d_z.col(c).array() * d.eps.col(c).array() * e.sigma.col(i).array() * T(0.5);
    }
    // Standard: the direct term -sum logvar / 2 weighted by w~ (which sums to 1 over k).
    // DReG drops it with the rest of the score-function term.
    if (!dreg) e.d_logvar.col(i).array() -= T(0.5) * inv_b;
  }
  encoder_backward(p, x, &e, g, encoder_gradients);
}

#define LW_INSTANTIATE_IWAE(T)                                                                          \
  template struct IwaeScratchT<T>;                                                                      \
  template LossSums iwae_forward<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&,   \
                                    const Eigen::Ref<const DenseT<T>::Matrix>&, IwaeScratchT<T>*);      \
  template void iwae_backward<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&,      \
                                 IwaeScratchT<T>*, VaeParamsT<T>*, int, IwaeGradient, EncoderGradients);

LW_INSTANTIATE_IWAE(float)
LW_INSTANTIATE_IWAE(double)

}  // namespace lw
