// Per-image encoding and anomaly scores on the fast inference MLPs: what the
// browser needs for "your own garment" (one image at a time, no Eigen
// training scratch). The figures match the training code's batch versions:
// score(x, k, seed) reproduces neg_elbo_per_image(x, seed) and column 0 of
// iwae_nll(x, k, seed) for a single image (same noise streams).
#pragma once
#include <cstdint>
#include <vector>

#include "model/mlp_infer.h"
#include "model/status.h"
#include "model/vae.h"

namespace lw {

struct ImageScore {
  double neg_elbo = 0;  // -ELBO with one eps sample, nats
  double iwae_nll = 0;  // importance-weighted estimate of -log p(x) with k samples, nats
  double complexity = 0;  // input_complexity(x): code length under a generic image model, nats
  // iwae_nll - complexity: the complexity-corrected out-of-distribution score
  // (model/complexity.h); high means "not like the garments".
  double ood = 0;
};

class AnomalyScorer {
 public:
  // Builds the encoder (needs params.enc*) and, if present, the decoder with
  // logit outputs (params.dec); score() needs both. On error stays empty.
  Status init(const VaeParams& params);

  int latent() const { return latent_; }
  int pixels() const { return pixels_; }
  bool has_decoder() const { return !decoder_.empty(); }

  // x: [pixels] in [0, 1] (finite). mu, sigma: [latent] each. Errors when
  // the posterior falls outside the latent domain (model/search.h: |mu| <=
  // 1e4, sigma in [1e-9, 1e9]), naming the dimension and the value.
  Status encode(const float* x, float* mu, float* sigma);

  // Negative ELBO (eps from Rng(seed)) and the IWAE NLL with k samples (eps
  // from Rng(seed ^ 0x9e3779b97f4a7c15), as iwae_nll's image 0), x used as
  // Bernoulli targets. k in 1..kMaxSamples. Also fills complexity and ood
  // (the image is taken as square when pixels is a square number, else one row).
  // The posterior must lie in the latent domain (as encode()); every score
  // returned is finite.
  Status score(const float* x, int k, uint64_t seed, ImageScore* out);

  static constexpr int kMaxSamples = 5000;

 private:
  Status check_input(const float* x) const;
  Status check_posterior_domain() const;  // of heads_ after an encoder pass

  Mlp encoder_;                 // x -> [mu | logvar]
  Mlp decoder_;                 // z -> logits
  int latent_ = 0;              // d
  int pixels_ = 0;              // input pixels (784)
  std::vector<float> heads_;    // [2 d] encoder output
  std::vector<float> z_;        // [chunk x d] samples, sample-major
  std::vector<float> eps_;      // [chunk x d] their noise
  std::vector<float> logits_;   // [chunk x pixels]
  std::vector<double> log_w_;   // [k] log importance weights
};

// Percentile (0..100) of value among `sorted` (ascending): the share of
// values <= value. 0 for an empty list; NaN maps to 100 (worse than any).
double percentile_of(const std::vector<float>& sorted, double value);

}  // namespace lw
