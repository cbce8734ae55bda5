#include "model/train/vae.h"

#include <algorithm>
#include <cmath>


namespace lw {

namespace {

// In-place ReLU on a matrix's storage.
template <typename M>
void relu_inplace(M& m) {
  m = m.cwiseMax(typename M::Scalar(0));
}

// Y = W * X + b (bias added per column).
template <typename T>
void dense_forward(const DenseT<T>& d, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                   typename DenseT<T>::Matrix* y) {
  y->noalias() = d.W * x;
  y->colwise() += d.b;
}

// Gradients of a dense layer given dY; writes dW, db and (if dx) dX.
template <typename T>
void dense_backward(const DenseT<T>& d, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                    const typename DenseT<T>::Matrix& dy, DenseT<T>* grad, typename DenseT<T>::Matrix* dx) {
  grad->W.noalias() = dy * x.transpose();
  grad->b.noalias() = dy.rowwise().sum();
  if (dx) dx->noalias() = d.W.transpose() * dy;
}

// The encoder's convolutions as dense layers over patches (kernels/im2col.h):
// per sample, gather the patches; then one GEMM for the whole batch, whose
// [out_ch x positions * batch] result is, in memory, the HWC activations
// [out_size x batch].
template <typename T>
void conv_forward(const std::vector<ConvGeometry>& geo, const VaeParamsT<T>& p,
                  const Eigen::Ref<const typename DenseT<T>::Matrix>& x, VaeScratchT<T>* s) {
  using Matrix = typename DenseT<T>::Matrix;
  for (size_t l = 0; l < geo.size(); ++l) {
    const ConvGeometry& g = geo[l];
    Matrix& patches = s->conv_patches[l];
    for (int b = 0; b < s->batch; ++b) {
      const T* in = l == 0 ? x.col(b).data() : s->conv_act[l - 1].col(b).data();
      kernels::im2col(g, in, patches.data() + static_cast<long>(b) * g.positions() * g.patch());
    }
    Eigen::Map<Matrix> out(s->conv_act[l].data(), g.out_ch, static_cast<long>(g.positions()) * s->batch);
    out.noalias() = p.enc_conv[l].W * patches;
    out.colwise() += p.enc_conv[l].b;
    out = out.cwiseMax(T(0));
  }
}

// From s->d_conv.back() (the gradient at the last convolution's output) to the
// convolutions' weights; the image's own gradient is not needed.
template <typename T>
void conv_backward(const std::vector<ConvGeometry>& geo, const VaeParamsT<T>& p, VaeScratchT<T>* s,
                   VaeParamsT<T>* g) {
  using Matrix = typename DenseT<T>::Matrix;
  for (size_t l = geo.size(); l-- > 0;) {
    const ConvGeometry& geom = geo[l];
    s->d_conv[l] = (s->conv_act[l].array() > T(0)).select(s->d_conv[l], T(0));
    Eigen::Map<const Matrix> dy(s->d_conv[l].data(), geom.out_ch, static_cast<long>(geom.positions()) * s->batch);
    g->enc_conv[l].W.noalias() = dy * s->conv_patches[l].transpose();
    g->enc_conv[l].b.noalias() = dy.rowwise().sum();
    if (l == 0) break;
    s->d_patches[l].noalias() = p.enc_conv[l].W.transpose() * dy;
    s->d_conv[l - 1].setZero();
    for (int b = 0; b < s->batch; ++b) {
      kernels::col2im_add(geom, s->d_patches[l].data() + static_cast<long>(b) * geom.positions() * geom.patch(),
                          s->d_conv[l - 1].col(b).data());
    }
  }
}

}  // namespace

template <typename T>
void VaeScratchT<T>::resize(const VaeConfig& c, int b) {
  batch = b;
  geometry = c.conv_geometry();
  const size_t nconv = geometry.size();
  conv_patches.resize(nconv);
  conv_act.resize(nconv);
  d_conv.resize(nconv);
  d_patches.resize(nconv);
  for (size_t l = 0; l < nconv; ++l) {
    const ConvGeometry& g = geometry[l];
    conv_patches[l].resize(g.patch(), static_cast<long>(g.positions()) * b);
    conv_act[l].resize(g.out_size(), b);
    d_conv[l].resize(g.out_size(), b);
    if (l > 0) d_patches[l].resize(g.patch(), static_cast<long>(g.positions()) * b);
  }
  enc_act.resize(c.hidden.size());
  d_enc.resize(c.hidden.size());
  for (size_t i = 0; i < c.hidden.size(); ++i) {
    enc_act[i].resize(c.hidden[i], b);
    d_enc[i].resize(c.hidden[i], b);
  }
  for (Matrix* m : {&mu, &logvar, &sigma, &eps, &z, &d_z, &d_mu, &d_logvar}) m->resize(c.latent, b);
  const std::vector<int> dh = c.decoder_hidden();
  dec_act.resize(dh.size());
  d_dec.resize(dh.size());
  for (size_t i = 0; i < dh.size(); ++i) {
    dec_act[i].resize(dh[i], b);
    d_dec[i].resize(dh[i], b);
  }
  logits.resize(c.input_dim, b);
  d_logits.resize(c.input_dim, b);
  rec.resize(b);
  kl.resize(b);
}

template <typename T>
void encode(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x, VaeScratchT<T>* s) {
  conv_forward(s->geometry, p, x, s);
  for (size_t i = 0; i < p.enc.size(); ++i) {
    if (i == 0 && !s->conv_act.empty()) {
      dense_forward(p.enc[i], s->conv_act.back(), &s->enc_act[i]);
    } else if (i == 0) {
      dense_forward(p.enc[i], x, &s->enc_act[i]);
    } else {
      dense_forward(p.enc[i], s->enc_act[i - 1], &s->enc_act[i]);
    }
    relu_inplace(s->enc_act[i]);
  }
  dense_forward(p.enc_mu, s->enc_act.back(), &s->mu);
  dense_forward(p.enc_logvar, s->enc_act.back(), &s->logvar);
  s->sigma = (s->logvar.array() * T(0.5)).exp().matrix();
}

template <typename T>
void decode(const VaeParamsT<T>& p, VaeScratchT<T>* s) {
  const size_t hidden_layers = p.dec.size() - 1;
  for (size_t i = 0; i < hidden_layers; ++i) {
    if (i == 0) {
      dense_forward(p.dec[i], s->z, &s->dec_act[i]);
    } else {
      dense_forward(p.dec[i], s->dec_act[i - 1], &s->dec_act[i]);
    }
    relu_inplace(s->dec_act[i]);
  }
  dense_forward(p.dec.back(), s->dec_act.back(), &s->logits);
}

template <typename T>
LossSums forward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                 const Eigen::Ref<const typename DenseT<T>::Matrix>& eps, VaeScratchT<T>* s) {
  encode(p, x, s);
  s->eps = eps;
  s->z = s->mu + s->sigma.cwiseProduct(s->eps);
  decode(p, s);
  const int b = s->batch;
  const int n = static_cast<int>(x.rows());
  for (int i = 0; i < b; ++i) {
    s->rec(i) = bernoulli_nll(s->logits.col(i).data(), x.col(i).data(), n);
    // KL(N(mu, sigma^2) || N(0, 1)) = -1/2 sum(1 + logvar - mu^2 - sigma^2).
    s->kl(i) = T(-0.5) * (T(1) + s->logvar.col(i).array() - s->mu.col(i).array().square() -
                          s->sigma.col(i).array().square())
                             .sum();
  }
  LossSums sums;
  sums.rec = static_cast<double>(s->rec.sum());
  sums.kl = static_cast<double>(s->kl.sum());
  return sums;
}

template <typename T>
void backward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x, T beta,
              VaeScratchT<T>* s, VaeParamsT<T>* g, int mean_over, EncoderGradients encoder_gradients) {
  const T inv_b = T(1) / static_cast<T>(mean_over > 0 ? mean_over : s->batch);
  // d(mean rec)/d logits = (sigmoid(l) - x) / B.
  const int b = s->batch;
  for (int i = 0; i < b; ++i) {
    s->d_logits.col(i).array() =
        (T(1) / (T(1) + (-s->logits.col(i).array()).exp()) - x.col(i).array()) * inv_b;
  }
  decoder_backward(p, s, g);
  // Reparameterisation: z = mu + exp(logvar/2) * eps; KL terms in closed form:
  // dKL/dmu = mu, dKL/dlogvar = (exp(logvar) - 1) / 2.
  s->d_mu = s->d_z + (beta * inv_b) * s->mu;
  s->d_logvar = (s->d_z.array() * s->eps.array() * s->sigma.array() * T(0.5) +
                 (beta * inv_b * T(0.5)) * (s->sigma.array().square() - T(1)))
                    .matrix();
  encoder_backward(p, x, s, g, encoder_gradients);
}

template <typename T>
void decoder_backward(const VaeParamsT<T>& p, VaeScratchT<T>* s, VaeParamsT<T>* g) {
  // Decoder, from the output layer back to z.
  const size_t last = p.dec.size() - 1;
  dense_backward(p.dec[last], s->dec_act[last - 1], s->d_logits, &g->dec[last], &s->d_dec[last - 1]);
  for (size_t i = last - 1;; --i) {
    // ReLU gate: the activation is zero exactly where the gradient is blocked.
    s->d_dec[i] = (s->dec_act[i].array() > T(0)).select(s->d_dec[i], T(0));
    if (i == 0) {
      dense_backward(p.dec[0], s->z, s->d_dec[0], &g->dec[0], &s->d_z);
      break;
    }
    dense_backward(p.dec[i], s->dec_act[i - 1], s->d_dec[i], &g->dec[i], &s->d_dec[i - 1]);
  }
}

template <typename T>
void encoder_backward(const VaeParamsT<T>& p, const Eigen::Ref<const typename DenseT<T>::Matrix>& x,
                      VaeScratchT<T>* s, VaeParamsT<T>* g, EncoderGradients which) {
  // Encoder heads, then the hidden layers.
  const size_t top = p.enc.size() - 1;
  if (which == EncoderGradients::kLogvarHeadOnly) {
    dense_backward(p.enc_logvar, s->enc_act[top], s->d_logvar, &g->enc_logvar,
                   static_cast<typename DenseT<T>::Matrix*>(nullptr));
    const auto set_zero = [](DenseT<T>* layer) {
      layer->W.setZero();
      layer->b.setZero();
    };
    set_zero(&g->enc_mu);
    for (DenseT<T>& layer : g->enc) set_zero(&layer);
    for (DenseT<T>& layer : g->enc_conv) set_zero(&layer);
    return;
  }
  dense_backward(p.enc_mu, s->enc_act[top], s->d_mu, &g->enc_mu, &s->d_enc[top]);
  dense_backward(p.enc_logvar, s->enc_act[top], s->d_logvar, &g->enc_logvar,
                 static_cast<typename DenseT<T>::Matrix*>(nullptr));
  s->d_enc[top].noalias() += p.enc_logvar.W.transpose() * s->d_logvar;
  for (size_t i = top;; --i) {
    s->d_enc[i] = (s->enc_act[i].array() > T(0)).select(s->d_enc[i], T(0));
    if (i == 0 && !s->conv_act.empty()) {
      dense_backward(p.enc[0], s->conv_act.back(), s->d_enc[0], &g->enc[0], &s->d_conv.back());
      conv_backward(s->geometry, p, s, g);
      break;
    }
    if (i == 0) {
      dense_backward(p.enc[0], x, s->d_enc[0], &g->enc[0], static_cast<typename DenseT<T>::Matrix*>(nullptr));
      break;
    }
    dense_backward(p.enc[i], s->enc_act[i - 1], s->d_enc[i], &g->enc[i], &s->d_enc[i - 1]);
  }
}

#define LW_INSTANTIATE(T)                                                                                   \
  template struct VaeScratchT<T>;                                                                           \
  template void encode<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&, VaeScratchT<T>*); \
  template void decode<T>(const VaeParamsT<T>&, VaeScratchT<T>*);                                           \
  template LossSums forward<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&,            \
                               const Eigen::Ref<const DenseT<T>::Matrix>&, VaeScratchT<T>*);                \
  template void backward<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&, T,            \
                            VaeScratchT<T>*, VaeParamsT<T>*, int, EncoderGradients);                          \
  template void decoder_backward<T>(const VaeParamsT<T>&, VaeScratchT<T>*, VaeParamsT<T>*);                   \
  template void encoder_backward<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&,          \
                                    VaeScratchT<T>*, VaeParamsT<T>*, EncoderGradients);

LW_INSTANTIATE(float)
LW_INSTANTIATE(double)

}  // namespace lw
