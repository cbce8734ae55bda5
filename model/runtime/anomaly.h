// Per-image inference on the fast MLPs (model/runtime/mlp_infer.h): encoding
// to q(z|x), the negative ELBO, the IWAE estimate of -log p(x) and the
// complexity-corrected anomaly score. The one implementation of these
// figures: the browser scores "your own garment" with it, and the CLI's eval,
// export, index and anomalies run it over the dataset (one scorer per thread,
// model/native/batch_infer.h). Training keeps its own Eigen forward/backward
// for the loss (model/train/vae.h); a native test compares the two.
#pragma once
#include <cstdint>
#include <vector>

#include "model/runtime/encoder_infer.h"
#include "model/runtime/mlp_infer.h"
#include "model/runtime/rng.h"
#include "model/runtime/status.h"
#include "model/runtime/vae_params.h"

namespace lw {

// The two terms of the negative ELBO of one image, nats.
struct ElboTerms {
  double rec = 0;  // -log p(x|z) at one z ~ q(z|x)
  double kl = 0;   // KL(q(z|x) || N(0, I)), closed form
  double neg_elbo() const { return rec + kl; }
};

struct ImageScore {
  double neg_elbo = 0;  // -ELBO with one eps sample, nats
  double iwae_nll = 0;  // importance-weighted estimate of -log p(x) with k samples, nats
  double complexity = 0;  // input_complexity(x): code length under a generic image model, nats
  // iwae_nll - complexity: the complexity-corrected out-of-distribution score
  // (model/runtime/complexity.h); high means "not like the garments".
  double ood = 0;
};

// The noise stream of image `image` (0-based) of a scored set: the IWAE draws
// image i's k samples from Rng(iwae_stream_seed(seed, i)), so a figure does not
// depend on how the images are split over threads.
inline uint64_t iwae_stream_seed(uint64_t seed, int64_t image) {
  return seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(image + 1));
}

class AnomalyScorer {
 public:
  // Builds the encoder (needs params.enc*) and, if present, the decoder with
  // logit outputs (params.dec); the likelihoods need both. On error stays empty.
  Status init(const VaeParams& params);

  int latent() const { return latent_; }
  int pixels() const { return pixels_; }
  bool has_decoder() const { return !decoder_.empty(); }

  // x: [pixels] in [0, 1] (finite). mu, sigma: [latent] each. Errors when
  // the posterior falls outside the latent domain (model/runtime/search.h:
  // |mu| <= 1e4, sigma in [1e-9, 1e9]), naming the dimension and the value;
  // so does score(). The batch paths below (encode_batch, neg_elbo,
  // iwae_nll, used by the CLI over the dataset) do not check: their callers
  // check the posteriors (LatentIndex::build, `wardrobe export`) or the
  // figures (`wardrobe eval`) and name the garment.
  Status encode(const float* x, float* mu, float* sigma);
  // n images at once: x [n x pixels] row-major, mu and sigma [n x latent].
  // Bit-identical to n calls of encode (the kernels' results do not depend on
  // the batch size).
  Status encode_batch(const float* x, int n, float* mu, float* sigma);

  // Negative ELBO of x (Bernoulli targets) with the given noise eps [latent]:
  // z = mu + sigma * eps, one decode, analytic KL.
  Status neg_elbo(const float* x, const float* eps, ElboTerms* out);
  // IWAE estimate of -log p(x) (Burda et al. 2016) with k samples whose noise
  // is drawn from *rng (k * latent normals, sample-major). k in
  // 1..kMaxIwaeSamples (`wardrobe eval --iwae` goes that far; the samples are
  // decoded a chunk at a time, so memory grows only by k doubles).
  Status iwae_nll(const float* x, int k, Rng* rng, double* out);

  // Everything the page shows for one image: the negative ELBO (eps from
  // Rng(seed)), the IWAE NLL with k samples (from Rng(iwae_stream_seed(seed,
  // 0))), the input complexity (the image taken as square when pixels is a
  // square number, else one row) and the ood score. Every score returned is
  // finite (an error names a decoder whose logits overflow).
  Status score(const float* x, int k, uint64_t seed, ImageScore* out);

  // k of score() (the page's API); k of iwae_nll().
  static constexpr int kMaxSamples = 5000;
  static constexpr int kMaxIwaeSamples = 100000;

 private:
  Status check_input(const float* x) const;
  Status check_likelihood(const float* x) const;
  // Checks one encoder output row [mu | logvar] against the latent domain.
  Status check_posterior_domain(const float* heads) const;
  // Encodes one checked image into heads_ ([mu | logvar]) and sigma_.
  Status encode_heads(const float* x);
  double log_weight(const float* logits, const float* x, const float* z, const float* eps) const;

  Encoder encoder_;             // x -> [mu | logvar]
  Mlp decoder_;                 // z -> logits
  int latent_ = 0;              // d
  int pixels_ = 0;              // input pixels (784)
  std::vector<float> heads_;    // [chunk x 2 d] encoder output
  std::vector<float> sigma_;    // [d] exp(logvar / 2) of the last encoded image
  std::vector<float> z_;        // [chunk x d] samples, sample-major
  std::vector<float> eps_;      // [chunk x d] their noise
  std::vector<float> logits_;   // [chunk x pixels]
  std::vector<double> log_w_;   // [k] log importance weights
};

// Percentile (0..100) of value among `sorted` (ascending): the share of
// values <= value. 0 for an empty list; NaN maps to 100 (worse than any).
double percentile_of(const std::vector<float>& sorted, double value);

}  // namespace lw
