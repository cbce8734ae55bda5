// The runtime's per-image inference (AnomalyScorer on the fast MLPs) against
// the training code, which runs on Eigen: an independent implementation of
// the same model with the same noise streams.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "model/runtime/anomaly.h"
#include "model/runtime/complexity.h"
#include "model/runtime/rng.h"
#include "model/train/train.h"

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

}  // namespace lw
