#include "model/vae.h"

#include <algorithm>
#include <cmath>

#include "model/rng.h"

namespace lw {

Status VaeConfig::validate() const {
  if (input_dim < 1 || input_dim > 1 << 20) return Status::Error("input size must be in [1, 1048576]");
  if (latent < 1 || latent > 1024) return Status::Error("latent size must be in [1, 1024], got " + std::to_string(latent));
  if (hidden.empty() || hidden.size() > 8) return Status::Error("need 1 to 8 hidden layers");
  for (int h : hidden) {
    if (h < 1 || h > 16384) return Status::Error("hidden layer size must be in [1, 16384], got " + std::to_string(h));
  }
  return Status::Ok();
}

std::vector<LayerShape> VaeConfig::encoder_layers() const {
  std::vector<LayerShape> layers;
  int in = input_dim;
  for (int h : hidden) {
    layers.push_back({h, in});
    in = h;
  }
  layers.push_back({latent, in});  // mu
  layers.push_back({latent, in});  // log-variance
  return layers;
}

std::vector<LayerShape> VaeConfig::decoder_layers() const {
  std::vector<LayerShape> layers;
  int in = latent;
  for (int h : decoder_hidden()) {
    layers.push_back({h, in});
    in = h;
  }
  layers.push_back({input_dim, in});  // logits
  return layers;
}

std::string VaeConfig::describe() const {
  // std::to_string, not a stringstream: iostreams would add ~100 KB to the wasm module.
  std::string out = std::to_string(input_dim);
  for (int h : hidden) out += "-" + std::to_string(h);
  return out + "-" + std::to_string(latent);
}

namespace {

template <typename T, typename Dense>
void add_dense(const std::string& prefix, Dense& d, std::vector<ParamRef<T>>* out) {
  out->push_back({prefix + ".weight", d.W.data(), static_cast<int>(d.W.rows()), static_cast<int>(d.W.cols())});
  out->push_back({prefix + ".bias", d.b.data(), static_cast<int>(d.b.rows()), 1});
}

template <typename T>
void allocate_dense(int out, int in, DenseT<T>* d) {
  d->W.setZero(out, in);
  d->b.setZero(out);
}

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

}  // namespace

template <typename T>
std::vector<ParamRef<T>> VaeParamsT<T>::params() {
  std::vector<ParamRef<T>> out;
  for (size_t i = 0; i < enc.size(); ++i) add_dense<T>("enc." + std::to_string(i), enc[i], &out);
  add_dense<T>("enc.mu", enc_mu, &out);
  add_dense<T>("enc.logvar", enc_logvar, &out);
  for (size_t i = 0; i < dec.size(); ++i) add_dense<T>("dec." + std::to_string(i), dec[i], &out);
  return out;
}

template <typename T>
std::vector<ParamRef<const T>> VaeParamsT<T>::params() const {
  std::vector<ParamRef<const T>> out;
  for (ParamRef<T>& p : const_cast<VaeParamsT<T>*>(this)->params()) out.push_back({p.name, p.data, p.rows, p.cols});
  return out;
}

template <typename T>
std::vector<ParamRef<const T>> VaeParamsT<T>::decoder_params() const {
  std::vector<ParamRef<const T>> out;
  for (const ParamRef<const T>& p : params()) {
    if (p.name.rfind("dec.", 0) == 0) out.push_back(p);
  }
  return out;
}

template <typename T>
size_t VaeParamsT<T>::num_params() const {
  size_t n = 0;
  for (const ParamRef<const T>& p : params()) n += p.size();
  return n;
}

template <typename T>
void allocate_params(const VaeConfig& c, VaeParamsT<T>* p) {
  const std::vector<LayerShape> enc = c.encoder_layers();  // hidden layers, mu, log-variance
  p->enc.resize(enc.size() - 2);
  for (size_t i = 0; i < p->enc.size(); ++i) allocate_dense(enc[i].out, enc[i].in, &p->enc[i]);
  allocate_dense(enc[enc.size() - 2].out, enc[enc.size() - 2].in, &p->enc_mu);
  allocate_dense(enc.back().out, enc.back().in, &p->enc_logvar);
  const std::vector<LayerShape> dec = c.decoder_layers();
  p->dec.resize(dec.size());
  for (size_t i = 0; i < dec.size(); ++i) allocate_dense(dec[i].out, dec[i].in, &p->dec[i]);
}

template <typename T>
void init_params(const VaeConfig& c, uint64_t seed, VaeParamsT<T>* p) {
  allocate_params(c, p);
  Rng rng(seed);
  for (ParamRef<T>& ref : p->params()) {
    if (ref.cols == 1) continue;  // biases start at zero
    // He-uniform for ReLU layers; the heads and output layer get the same
    // fan-in scaling, and the log-variance head starts 10x smaller so sigma
    // starts near 1 for every input.
    double limit = std::sqrt(6.0 / ref.cols);
    if (ref.name == "enc.logvar.weight") limit *= 0.1;
    for (size_t i = 0; i < ref.size(); ++i) ref.data[i] = static_cast<T>((2.0 * rng.uniform() - 1.0) * limit);
  }
}

template <typename T>
void VaeScratchT<T>::resize(const VaeConfig& c, int b) {
  batch = b;
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
  for (size_t i = 0; i < p.enc.size(); ++i) {
    if (i == 0) {
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
T bernoulli_nll(const T* logits, const T* x, int n) {
  T sum = 0;
  for (int j = 0; j < n; ++j) {
    const T l = logits[j];
    // softplus(l) - x*l, written to avoid overflow for large |l|.
    sum += std::max(l, T(0)) - x[j] * l + std::log1p(std::exp(-std::abs(l)));
  }
  return sum;
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
              VaeScratchT<T>* s, VaeParamsT<T>* g, int mean_over) {
  const T inv_b = T(1) / static_cast<T>(mean_over > 0 ? mean_over : s->batch);
  // d(mean rec)/d logits = (sigmoid(l) - x) / B.
  const int b = s->batch;
  for (int i = 0; i < b; ++i) {
    s->d_logits.col(i).array() =
        (T(1) / (T(1) + (-s->logits.col(i).array()).exp()) - x.col(i).array()) * inv_b;
  }
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
  // Reparameterisation: z = mu + exp(logvar/2) * eps; KL terms in closed form:
  // dKL/dmu = mu, dKL/dlogvar = (exp(logvar) - 1) / 2.
  s->d_mu = s->d_z + (beta * inv_b) * s->mu;
  s->d_logvar = (s->d_z.array() * s->eps.array() * s->sigma.array() * T(0.5) +
                 (beta * inv_b * T(0.5)) * (s->sigma.array().square() - T(1)))
                    .matrix();
  // Encoder heads, then the hidden layers.
  const size_t top = p.enc.size() - 1;
  dense_backward(p.enc_mu, s->enc_act[top], s->d_mu, &g->enc_mu, &s->d_enc[top]);
  dense_backward(p.enc_logvar, s->enc_act[top], s->d_logvar, &g->enc_logvar,
                 static_cast<typename DenseT<T>::Matrix*>(nullptr));
  s->d_enc[top].noalias() += p.enc_logvar.W.transpose() * s->d_logvar;
  for (size_t i = top;; --i) {
    s->d_enc[i] = (s->enc_act[i].array() > T(0)).select(s->d_enc[i], T(0));
    if (i == 0) {
      dense_backward(p.enc[0], x, s->d_enc[0], &g->enc[0], static_cast<typename DenseT<T>::Matrix*>(nullptr));
      break;
    }
    dense_backward(p.enc[i], s->enc_act[i - 1], s->d_enc[i], &g->enc[i], &s->d_enc[i - 1]);
  }
}

#define LW_INSTANTIATE(T)                                                                                   \
  template struct VaeParamsT<T>;                                                                            \
  template struct VaeScratchT<T>;                                                                           \
  template void allocate_params<T>(const VaeConfig&, VaeParamsT<T>*);                                       \
  template void init_params<T>(const VaeConfig&, uint64_t, VaeParamsT<T>*);                                 \
  template void encode<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&, VaeScratchT<T>*); \
  template void decode<T>(const VaeParamsT<T>&, VaeScratchT<T>*);                                           \
  template LossSums forward<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&,            \
                               const Eigen::Ref<const DenseT<T>::Matrix>&, VaeScratchT<T>*);                \
  template void backward<T>(const VaeParamsT<T>&, const Eigen::Ref<const DenseT<T>::Matrix>&, T,            \
                            VaeScratchT<T>*, VaeParamsT<T>*, int);                                            \
  template T bernoulli_nll<T>(const T*, const T*, int);

LW_INSTANTIATE(float)
LW_INSTANTIATE(double)

}  // namespace lw
