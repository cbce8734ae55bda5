#include "model/anomaly.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "model/complexity.h"
#include "model/rng.h"
#include "model/search.h"

namespace lw {

namespace {
constexpr double kLog2Pi = 1.8378770664093453;
// Samples decoded per batch: bounds memory (64 x 784 floats) while keeping the GEMMs wide.
constexpr int kChunk = 64;

// softplus(l) - x l, the same stable form as bernoulli_nll.
double bernoulli_nll_d(const float* logits, const float* x, int n) {
  float sum = 0;
  for (int j = 0; j < n; ++j) {
    const float l = logits[j];
    sum += std::max(l, 0.0f) - x[j] * l + std::log1p(std::exp(-std::abs(l)));
  }
  return static_cast<double>(sum);
}
}  // namespace

Status AnomalyScorer::init(const VaeParams& params) {
  *this = AnomalyScorer();
  Mlp enc, dec;
  LW_RETURN_IF_ERROR(make_encoder_mlp(params, &enc));
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

Status AnomalyScorer::check_posterior_domain() const {
  for (int j = 0; j < latent_; ++j) {
    const double sigma = std::exp(0.5 * static_cast<double>(heads_[static_cast<size_t>(latent_ + j)]));
    LW_RETURN_IF_ERROR(check_posterior(heads_[static_cast<size_t>(j)], sigma, "encoder: posterior dim " + std::to_string(j)));
  }
  return Status::Ok();
}

Status AnomalyScorer::encode(const float* x, float* mu, float* sigma) {
  LW_RETURN_IF_ERROR(check_input(x));
  LW_RETURN_IF_ERROR(encoder_.forward(x, 1, heads_.data()));
  LW_RETURN_IF_ERROR(check_posterior_domain());
  for (int j = 0; j < latent_; ++j) {
    mu[j] = heads_[static_cast<size_t>(j)];
    sigma[j] = std::exp(0.5f * heads_[static_cast<size_t>(latent_ + j)]);
  }
  return Status::Ok();
}

Status AnomalyScorer::score(const float* x, int k, uint64_t seed, ImageScore* out) {
  LW_RETURN_IF_ERROR(check_input(x));
  if (decoder_.empty()) return Status::Error("score: no decoder loaded (needed for the likelihood)");
  if (k < 1 || k > kMaxSamples) {
    return Status::Error("score: k must be 1.." + std::to_string(kMaxSamples) + ", got " + std::to_string(k));
  }
  const int d = latent_;
  LW_RETURN_IF_ERROR(encoder_.forward(x, 1, heads_.data()));
  LW_RETURN_IF_ERROR(check_posterior_domain());
  const float* mu = heads_.data();
  const float* logvar = heads_.data() + d;
  std::vector<float> sigma(static_cast<size_t>(d));
  for (int j = 0; j < d; ++j) sigma[static_cast<size_t>(j)] = std::exp(0.5f * logvar[j]);
  z_.resize(static_cast<size_t>(kChunk) * d);
  eps_.resize(static_cast<size_t>(kChunk) * d);
  logits_.resize(static_cast<size_t>(kChunk) * pixels_);

  // Negative ELBO: one sample, analytic KL (as forward()).
  {
    Rng rng(seed);
    float kl = 0;
    for (int j = 0; j < d; ++j) {
      const float e = static_cast<float>(rng.normal());
      z_[static_cast<size_t>(j)] = mu[j] + sigma[static_cast<size_t>(j)] * e;
      kl += -0.5f * (1.0f + logvar[j] - mu[j] * mu[j] - sigma[static_cast<size_t>(j)] * sigma[static_cast<size_t>(j)]);
    }
    LW_RETURN_IF_ERROR(decoder_.forward(z_.data(), 1, logits_.data()));
    out->neg_elbo = bernoulli_nll_d(logits_.data(), x, pixels_) + static_cast<double>(kl);
  }

  // IWAE: log w = log p(x|z) + log p(z) - log q(z|x), then -log mean exp.
  Rng rng(seed ^ 0x9e3779b97f4a7c15ULL);
  log_w_.resize(static_cast<size_t>(k));
  for (int start = 0; start < k; start += kChunk) {
    const int b = std::min(kChunk, k - start);
    for (int c = 0; c < b; ++c) {
      for (int j = 0; j < d; ++j) {
        const float e = static_cast<float>(rng.normal());
        const size_t at = static_cast<size_t>(c) * d + j;
        eps_[at] = e;
        z_[at] = mu[j] + sigma[static_cast<size_t>(j)] * e;
      }
    }
    LW_RETURN_IF_ERROR(decoder_.forward(z_.data(), b, logits_.data()));
    for (int c = 0; c < b; ++c) {
      const double log_px_z = -bernoulli_nll_d(logits_.data() + static_cast<size_t>(c) * pixels_, x, pixels_);
      double log_pz = 0, log_qz = 0;
      for (int j = 0; j < d; ++j) {
        const double z = z_[static_cast<size_t>(c) * d + j], e = eps_[static_cast<size_t>(c) * d + j];
        log_pz += -0.5 * (kLog2Pi + z * z);
        log_qz += -0.5 * (kLog2Pi + e * e) - 0.5 * static_cast<double>(logvar[j]);
      }
      log_w_[static_cast<size_t>(start + c)] = log_px_z + log_pz - log_qz;
    }
  }
  const double max_w = *std::max_element(log_w_.begin(), log_w_.end());
  double sum = 0;
  for (double w : log_w_) sum += std::exp(w - max_w);
  out->iwae_nll = -(max_w + std::log(sum / k));
  int side = static_cast<int>(std::lround(std::sqrt(static_cast<double>(pixels_))));
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
