// AnomalyScorer (per-image encode and scores on the inference MLPs) against
// the training code's batch functions, which run on Eigen: encode_all,
// neg_elbo_per_image and iwae_nll with the same noise streams.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "model/anomaly.h"
#include "model/complexity.h"
#include "model/rng.h"
#include "model/train.h"
#include "model/vae.h"

namespace lw {
namespace {

VaeConfig small_config() {
  VaeConfig c;
  c.input_dim = 30;
  c.hidden = {24, 12};
  c.latent = 3;
  return c;
}

Eigen::MatrixXf random_images(int pixels, int n, uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXf x(pixels, n);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform_f();
  return x;
}

}  // namespace

TEST_CASE("AnomalyScorer::encode matches encode_all", "[anomaly]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 11, &params);
  AnomalyScorer scorer;
  REQUIRE(scorer.init(params).ok());
  REQUIRE(scorer.latent() == 3);
  REQUIRE(scorer.pixels() == 30);
  const Eigen::MatrixXf x = random_images(30, 5, 3);
  Eigen::MatrixXf mu, sigma;
  encode_all(params, config, x, &mu, &sigma);
  for (int i = 0; i < 5; ++i) {
    std::vector<float> m(3), s(3);
    REQUIRE(scorer.encode(x.col(i).data(), m.data(), s.data()).ok());
    for (int j = 0; j < 3; ++j) {
      CHECK(m[j] == Approx(mu(j, i)).margin(1e-5));
      CHECK(s[j] == Approx(sigma(j, i)).epsilon(1e-5));
    }
  }
}

TEST_CASE("AnomalyScorer::score matches neg_elbo_per_image and iwae_nll", "[anomaly]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 5, &params);
  AnomalyScorer scorer;
  REQUIRE(scorer.init(params).ok());
  REQUIRE(scorer.has_decoder());
  // k spans several decode chunks (64) and a partial one.
  for (int k : {1, 7, 150}) {
    for (int i = 0; i < 3; ++i) {
      const Eigen::MatrixXf x = random_images(30, 1, 100 + i);
      const uint64_t seed = 42 + static_cast<uint64_t>(i);
      ImageScore s;
      REQUIRE(scorer.score(x.data(), k, seed, &s).ok());
      const double elbo = neg_elbo_per_image(params, config, x, seed)[0];
      const double iwae = iwae_nll(params, config, x, k, seed)[0];
      CHECK(s.neg_elbo == Approx(elbo).epsilon(1e-4));
      CHECK(s.iwae_nll == Approx(iwae).epsilon(1e-4));
      if (k == 1) CHECK(s.iwae_nll == Approx(s.neg_elbo).epsilon(0.5));
      // 30 pixels is not a square: the complexity is that of one row.
      CHECK(s.complexity == Approx(input_complexity(x.data(), 30, 1)));
      CHECK(s.ood == Approx(s.iwae_nll - s.complexity));
    }
  }
}

TEST_CASE("AnomalyScorer rejects bad input", "[anomaly]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 5, &params);
  AnomalyScorer empty;
  std::vector<float> x(30, 0.5f), m(3), s(3);
  CHECK_FALSE(empty.encode(x.data(), m.data(), s.data()).ok());
  AnomalyScorer scorer;
  REQUIRE(scorer.init(params).ok());
  ImageScore out;
  CHECK_FALSE(scorer.score(x.data(), 0, 1, &out).ok());
  CHECK_FALSE(scorer.score(x.data(), AnomalyScorer::kMaxSamples + 1, 1, &out).ok());
  x[7] = std::nanf("");
  CHECK_FALSE(scorer.encode(x.data(), m.data(), s.data()).ok());
  CHECK_FALSE(scorer.score(x.data(), 5, 1, &out).ok());
  x[7] = 1.5f;
  const Status range = scorer.score(x.data(), 5, 1, &out);
  CHECK(range.message() == "pixel 7 is 1.500000, outside [0, 1]");
  x[7] = -0.25f;
  CHECK_FALSE(scorer.encode(x.data(), m.data(), s.data()).ok());
  // Encoder only: encode works, score explains what is missing.
  VaeParams enc_only = params;
  enc_only.dec.clear();
  AnomalyScorer e;
  REQUIRE(e.init(enc_only).ok());
  x[7] = 0.5f;
  CHECK(e.encode(x.data(), m.data(), s.data()).ok());
  const Status st = e.score(x.data(), 5, 1, &out);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("decoder") != std::string::npos);
}

TEST_CASE("percentile_of counts values <= the score", "[anomaly]") {
  Rng rng(9);
  std::vector<float> v(1000);
  for (float& f : v) f = static_cast<float>(rng.normal());
  std::sort(v.begin(), v.end());
  for (double q : {-5.0, -0.3, 0.0, 0.7, 9.0, static_cast<double>(v[500])}) {
    int below = 0;
    for (float f : v) below += static_cast<double>(f) <= q;
    CHECK(percentile_of(v, q) == Approx(100.0 * below / 1000.0));
  }
  CHECK(percentile_of({}, 3.0) == 0.0);
  CHECK(percentile_of(v, std::nan("")) == 100.0);
}

}  // namespace lw
