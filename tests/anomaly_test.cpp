// AnomalyScorer (per-image encode and scores on the inference MLPs): input
// checks and percentiles. Its figures against the training code's Eigen
// implementation: tests/inference_parity_native_test.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "model/runtime/anomaly.h"
#include "model/runtime/complexity.h"
#include "model/runtime/rng.h"
#include "model/runtime/vae_params.h"

namespace lw {
namespace {

VaeConfig small_config() {
  VaeConfig c;
  c.input_dim = 30;
  c.hidden = {24, 12};
  c.latent = 3;
  return c;
}

}  // namespace

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

// Issue 11, part 6: posteriors outside the latent domain (model/search.h)
// are refused with the dimension and value named; inside it, even at its
// edges, every score is finite. Before, a log-variance of 100 gave sigma^2 =
// inf in float, a negative ELBO of inf and an IWAE NLL of NaN (inf - inf in
// the Bernoulli term), which percentile_of then placed at the 100th percentile.
TEST_CASE("AnomalyScorer: posteriors at and beyond the latent domain", "[anomaly][extremes]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 5, &params);
  const std::vector<float> x = [] {
    std::vector<float> v(30);
    for (int j = 0; j < 30; ++j) v[static_cast<size_t>(j)] = static_cast<float>(j % 7) / 6.0f;
    return v;
  }();
  std::vector<float> m(3), s(3);
  ImageScore out;
  auto with_logvar = [&](float logvar_bias) {
    VaeParams p = params;
    p.enc_logvar.W.setZero();
    p.enc_logvar.b.setConstant(logvar_bias);
    AnomalyScorer scorer;
    REQUIRE(scorer.init(p).ok());
    return scorer;
  };
  AnomalyScorer huge = with_logvar(100.0f);  // sigma = e^50 = 5.2e21
  CHECK(huge.encode(x.data(), m.data(), s.data()).message() ==
        "encoder: posterior dim 0: sigma 5.18471e+21 is outside [1e-09, 1e+09]");
  CHECK_THAT(huge.score(x.data(), 10, 1, &out).message(), Catch::Contains("sigma 5.18471e+21 is outside"));
  AnomalyScorer vanishing = with_logvar(-250.0f);  // sigma = e^-125, 0 in float
  CHECK_THAT(vanishing.encode(x.data(), m.data(), s.data()).message(), Catch::Contains("is outside [1e-09, 1e+09]"));
  // The edges: sigma = 1.1e-9 and 0.9e9 score finitely.
  for (float logvar : {2.0f * std::log(1.1e-9f), 2.0f * std::log(0.9e9f)}) {
    AnomalyScorer edge = with_logvar(logvar);
    INFO("log-variance " << logvar);
    REQUIRE(edge.encode(x.data(), m.data(), s.data()).ok());
    const Status st = edge.score(x.data(), 20, 3, &out);
    INFO(st.message());
    REQUIRE(st.ok());
    CHECK(std::isfinite(out.neg_elbo));
    CHECK(std::isfinite(out.iwae_nll));
    CHECK(std::isfinite(out.ood));
  }
  VaeParams far = params;
  far.enc_mu.W.setZero();
  far.enc_mu.b << 0.0f, 2e4f, 0.0f;
  AnomalyScorer far_scorer;
  REQUIRE(far_scorer.init(far).ok());
  CHECK(far_scorer.encode(x.data(), m.data(), s.data()).message() ==
        "encoder: posterior dim 1: mu 20000 is outside the latent domain +-10000");
}

TEST_CASE("an encoder that ignores its input gives one posterior and finite scores", "[anomaly][degenerate]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 6, &params);
  params.enc[0].W.setZero();  // the first layer sees nothing of the image
  AnomalyScorer scorer;
  REQUIRE(scorer.init(params).ok());
  std::vector<float> a(30, 0.0f), b(30, 1.0f), ma(3), sa(3), mb(3), sb(3);
  REQUIRE(scorer.encode(a.data(), ma.data(), sa.data()).ok());
  REQUIRE(scorer.encode(b.data(), mb.data(), sb.data()).ok());
  CHECK(ma == mb);
  CHECK(sa == sb);
  ImageScore sa_score, sb_score;
  REQUIRE(scorer.score(a.data(), 50, 1, &sa_score).ok());
  REQUIRE(scorer.score(b.data(), 50, 1, &sb_score).ok());
  CHECK(std::isfinite(sa_score.iwae_nll));
  CHECK(std::isfinite(sb_score.iwae_nll));
}

TEST_CASE("percentile_of a distribution without spread", "[anomaly][degenerate]") {
  // Every test garment scoring the same: the share <= value is 0 below it
  // and 100 at or above it; the infinities go to the ends.
  const std::vector<float> same(500, 212.5f);
  CHECK(percentile_of(same, 212.4) == 0.0);
  CHECK(percentile_of(same, 212.5) == 100.0);
  CHECK(percentile_of(same, 1e9) == 100.0);
  CHECK(percentile_of(same, -std::numeric_limits<double>::infinity()) == 0.0);
  CHECK(percentile_of(same, std::numeric_limits<double>::infinity()) == 100.0);
}

}  // namespace lw
