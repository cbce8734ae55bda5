// AnomalyScorer (per-image encode and scores on the inference MLPs): input
// checks and percentiles. Its figures against the training code's Eigen
// implementation: tests/inference_parity_native_test.cpp.
#include <catch2/catch.hpp>

#include <cmath>
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

}  // namespace lw
