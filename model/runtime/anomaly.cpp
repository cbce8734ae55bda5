#include "model/runtime/anomaly.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "model/runtime/bernoulli.h"
#include "model/runtime/complexity.h"
#include "model/runtime/search.h"

namespace lw {

namespace {
constexpr double kLog2Pi = 1.8378770664093453;
// Samples decoded per batch: bounds memory (64 x 784 floats) while keeping the GEMMs wide.
constexpr int kChunk = 64;
}  // namespace

Status AnomalyScorer::init(const VaeParams& params) {
  *this = AnomalyScorer();
  Encoder enc;
  Mlp dec;
  LW_RETURN_IF_ERROR(enc.init(params));
  if (!params.dec.empty()) {
    LW_RETURN_IF_ERROR(make_decoder_mlp(params, /*sigmoid_output=*/false, &dec));
    if (dec.in_dim() * 2 != enc.out_dim() || dec.out_dim() != enc.in_dim()) {
      return Status::Error("anomaly scorer: decoder " + std::to_string(dec.in_dim()) + " -> " +
                           std::to_string(dec.out_dim()) + " does not match encoder " + std::to_string(enc.in_dim()) +
                           " -> " + std::to_string(enc.out_dim() / 2));
    }
    LW_RETURN_IF_ERROR(dec.reserve(kChunk));
  }
  LW_RETURN_IF_ERROR(enc.reserve(1));
  latent_ = enc.out_dim() / 2;
  pixels_ = enc.in_dim();
  encoder_ = std::move(enc);
  decoder_ = std::move(dec);
  heads_.assign(static_cast<size_t>(2 * latent_), 0.0f);
  sigma_.assign(static_cast<size_t>(latent_), 0.0f);
  return Status::Ok();
}

Status AnomalyScorer::check_input(const float* x) const {
  if (encoder_.empty()) return Status::Error("encoder: not loaded");
  if (x == nullptr) return Status::Error("encoder: no pixels");
  for (int j = 0; j < pixels_; ++j) {
    if (!std::isfinite(x[j])) return Status::Error("pixel " + std::to_string(j) + " is not finite");
    // Grey values are Bernoulli targets (and coded by input_complexity): outside [0, 1] the
    // likelihood means nothing.
    if (x[j] < 0.0f || x[j] > 1.0f) {
      return Status::Error("pixel " + std::to_string(j) + " is " + std::to_string(x[j]) + ", outside [0, 1]");
    }
  }
  return Status::Ok();
}

Status AnomalyScorer::check_likelihood(const float* x) const {
  LW_RETURN_IF_ERROR(check_input(x));
  if (decoder_.empty()) return Status::Error("score: no decoder loaded (needed for the likelihood)");
  return Status::Ok();
}

Status AnomalyScorer::check_posterior_domain(const float* heads) const {
  for (int j = 0; j < latent_; ++j) {
    const double sigma = std::exp(0.5 * static_cast<double>(heads[latent_ + j]));
    LW_RETURN_IF_ERROR(check_posterior(heads[j], sigma, "encoder: posterior dim " + std::to_string(j)));
  }
  return Status::Ok();
}

Status AnomalyScorer::encode_heads(const float* x) {
  LW_RETURN_IF_ERROR(encoder_.forward(x, 1, heads_.data()));
  for (int j = 0; j < latent_; ++j) sigma_[static_cast<size_t>(j)] = std::exp(0.5f * heads_[static_cast<size_t>(latent_ + j)]);
  return Status::Ok();
}

Status AnomalyScorer::encode(const float* x, float* mu, float* sigma) {
  LW_RETURN_IF_ERROR(check_input(x));
  LW_RETURN_IF_ERROR(encode_heads(x));
  LW_RETURN_IF_ERROR(check_posterior_domain(heads_.data()));
  for (int j = 0; j < latent_; ++j) {
    mu[j] = heads_[static_cast<size_t>(j)];
    sigma[j] = sigma_[static_cast<size_t>(j)];
  }
  return Status::Ok();
}

Status AnomalyScorer::encode_batch(const float* x, int n, float* mu, float* sigma) {
  if (n < 0) return Status::Error("encode: image count must be >= 0, got " + std::to_string(n));
  const size_t d = static_cast<size_t>(latent_);
  for (int start = 0; start < n; start += kChunk) {
    const int b = std::min(kChunk, n - start);
    const float* xs = x + static_cast<size_t>(start) * pixels_;
    for (int i = 0; i < b; ++i) LW_RETURN_IF_ERROR(check_input(xs + static_cast<size_t>(i) * pixels_));
    heads_.resize(static_cast<size_t>(b) * 2 * d);
    LW_RETURN_IF_ERROR(encoder_.forward(xs, b, heads_.data()));
    for (size_t i = 0; i < static_cast<size_t>(b); ++i) {
      const size_t row = static_cast<size_t>(start) + i;
      for (size_t j = 0; j < d; ++j) {
        mu[row * d + j] = heads_[i * 2 * d + j];
        sigma[row * d + j] = std::exp(0.5f * heads_[i * 2 * d + d + j]);
      }
    }
  }
  return Status::Ok();
}

Status AnomalyScorer::neg_elbo(const float* x, const float* eps, ElboTerms* out) {
  LW_RETURN_IF_ERROR(check_likelihood(x));
  LW_RETURN_IF_ERROR(encode_heads(x));
  const float* mu = heads_.data();
  const float* logvar = heads_.data() + latent_;
  z_.resize(static_cast<size_t>(kChunk) * latent_);
  logits_.resize(static_cast<size_t>(kChunk) * pixels_);
  float kl = 0;
  for (int j = 0; j < latent_; ++j) {
    const float s = sigma_[static_cast<size_t>(j)];
    z_[static_cast<size_t>(j)] = mu[j] + s * eps[j];
    kl += -0.5f * (1.0f + logvar[j] - mu[j] * mu[j] - s * s);
  }
  LW_RETURN_IF_ERROR(decoder_.forward(z_.data(), 1, logits_.data()));
  out->rec = static_cast<double>(bernoulli_nll(logits_.data(), x, pixels_));
  out->kl = static_cast<double>(kl);
  return Status::Ok();
}

// log w = log p(x|z) + log p(z) - log q(z|x) of one sample, with
// log q(z|x) = sum_j log N(eps_j; 0, 1) - log sigma_j.
double AnomalyScorer::log_weight(const float* logits, const float* x, const float* z, const float* eps) const {
  const float* logvar = heads_.data() + latent_;
  const double log_px_z = -static_cast<double>(bernoulli_nll(logits, x, pixels_));
  double log_pz = 0, log_qz = 0;
  for (int j = 0; j < latent_; ++j) {
    const double zj = z[j], ej = eps[j];
    log_pz += -0.5 * (kLog2Pi + zj * zj);
    log_qz += -0.5 * (kLog2Pi + ej * ej) - 0.5 * static_cast<double>(logvar[j]);
  }
  return log_px_z + log_pz - log_qz;
}

Status AnomalyScorer::iwae_nll(const float* x, int k, Rng* rng, double* out) {
  LW_RETURN_IF_ERROR(check_likelihood(x));
  if (k < 1 || k > kMaxIwaeSamples) {
    return Status::Error("IWAE: k must be 1.." + std::to_string(kMaxIwaeSamples) + ", got " + std::to_string(k));
  }
  LW_RETURN_IF_ERROR(encode_heads(x));
  const size_t d = static_cast<size_t>(latent_);
  z_.resize(static_cast<size_t>(kChunk) * d);
  eps_.resize(static_cast<size_t>(kChunk) * d);
  logits_.resize(static_cast<size_t>(kChunk) * pixels_);
  log_w_.resize(static_cast<size_t>(k));
  for (int start = 0; start < k; start += kChunk) {
    const int b = std::min(kChunk, k - start);
    for (size_t at = 0; at < static_cast<size_t>(b) * d; ++at) {
      const float e = static_cast<float>(rng->normal());
      eps_[at] = e;
      z_[at] = heads_[at % d] + sigma_[at % d] * e;
    }
    LW_RETURN_IF_ERROR(decoder_.forward(z_.data(), b, logits_.data()));
    for (size_t c = 0; c < static_cast<size_t>(b); ++c) {
      log_w_[static_cast<size_t>(start) + c] =
          log_weight(logits_.data() + c * pixels_, x, z_.data() + c * d, eps_.data() + c * d);
    }
  }
  // -log mean exp(log w), shifted by the largest weight.
  const double max_w = *std::max_element(log_w_.begin(), log_w_.end());
  double sum = 0;
  for (double w : log_w_) sum += std::exp(w - max_w);
  *out = -(max_w + std::log(sum / k));
  return Status::Ok();
}

Status AnomalyScorer::score(const float* x, int k, uint64_t seed, ImageScore* out) {
  LW_RETURN_IF_ERROR(check_likelihood(x));
  if (k < 1 || k > kMaxSamples) {
    return Status::Error("score: k must be 1.." + std::to_string(kMaxSamples) + ", got " + std::to_string(k));
  }
  // The posterior first: outside the latent domain the scores overflow.
  LW_RETURN_IF_ERROR(encode_heads(x));
  LW_RETURN_IF_ERROR(check_posterior_domain(heads_.data()));
  Rng elbo_rng(seed);
  std::vector<float> eps(static_cast<size_t>(latent_));
  for (float& e : eps) e = static_cast<float>(elbo_rng.normal());
  ElboTerms elbo;
  LW_RETURN_IF_ERROR(neg_elbo(x, eps.data(), &elbo));
  out->neg_elbo = elbo.neg_elbo();
  Rng iwae_rng(iwae_stream_seed(seed, 0));
  LW_RETURN_IF_ERROR(iwae_nll(x, k, &iwae_rng, &out->iwae_nll));
  const int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(pixels_))));
  const bool square = side * side == pixels_;
  out->complexity = input_complexity(x, square ? side : pixels_, square ? side : 1);
  out->ood = out->iwae_nll - out->complexity;
  // Inside the latent domain the scores are finite; a decoder whose logits
  // overflow would still give inf - inf: report it instead of a NaN.
  if (!std::isfinite(out->neg_elbo) || !std::isfinite(out->iwae_nll)) {
    return Status::Error("score: the model gives a non-finite score (negative ELBO " + std::to_string(out->neg_elbo) +
                         ", IWAE NLL " + std::to_string(out->iwae_nll) + ")");
  }
  return Status::Ok();
}

double percentile_of(const std::vector<float>& sorted, double value) {
  if (sorted.empty()) return 0.0;
  if (std::isnan(value)) return 100.0;
  const auto it = std::upper_bound(sorted.begin(), sorted.end(), value,
                                   [](double v, float s) { return v < static_cast<double>(s); });
  return 100.0 * static_cast<double>(it - sorted.begin()) / static_cast<double>(sorted.size());
}

}  // namespace lw
