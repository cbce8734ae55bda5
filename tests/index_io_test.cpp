// Index blob round trip (f32 and f16), PCA sanity and corruption handling.
#include <catch2/catch.hpp>
#include <cmath>

#include "model/runtime/f16.h"
#include "model/runtime/index_io.h"
#include "model/runtime/rng.h"

namespace lw {
namespace {

struct RandomIndexData {
  int n, d;
  std::vector<float> mu, sigma;        // [n x d] row-major
  std::vector<uint8_t> labels, splits;  // [n]
};

RandomIndexData make_data(int n, int d, uint64_t seed) {
  RandomIndexData r{n, d, {}, {}, {}, {}};
  Rng rng(seed);
  for (int i = 0; i < n * d; ++i) {
    r.mu.push_back(static_cast<float>(rng.normal()));
    r.sigma.push_back(static_cast<float>(0.05 + rng.uniform()));
  }
  for (int i = 0; i < n; ++i) {
    r.labels.push_back(static_cast<uint8_t>(rng.below(10)));
    r.splits.push_back(i < n * 6 / 7 ? 0 : 1);
  }
  return r;
}

Architecture test_arch(int d) {
  Architecture a;
  a.input_dim = 784;
  a.latent = static_cast<uint32_t>(d);
  a.hidden = {32};
  a.hidden_activation = kActReLU;
  a.output_activation = kActBernoulliLogits;
  return a;
}

}  // namespace

TEST_CASE("index blob round trip keeps search results", "[index_io]") {
  const int n = GENERATE(1, 17, 300);
  const int d = GENERATE(1, 5, 16);
  const RandomIndexData data = make_data(n, d, static_cast<uint64_t>(n * 100 + d));
  LatentIndex index;
  REQUIRE(index.build(data.mu.data(), data.sigma.data(), n, d, data.labels.data(), data.splits.data()).ok());
  IndexExtras extras;
  compute_index_extras(data.mu.data(), data.labels.data(), n, d, &extras);
  std::vector<uint8_t> bytes;
  REQUIRE(write_index_blob(index, test_arch(d), extras, DType::kF32, "{}", &bytes).ok());
  LatentIndex loaded;
  IndexExtras loaded_extras;
  const Status s = read_index_blob(bytes.data(), bytes.size(), &loaded, &loaded_extras);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(loaded.n == n);
  CHECK(loaded.d == d);
  CHECK(loaded.label == index.label);
  CHECK(loaded.split == index.split);
  for (size_t i = 0; i < index.mu_soa.size(); ++i) REQUIRE(loaded.mu_soa[i] == index.mu_soa[i]);
  for (size_t i = 0; i < index.inv2var_soa.size(); ++i) {
    REQUIRE(loaded.inv2var_soa[i] == Approx(index.inv2var_soa[i]).epsilon(1e-6));
  }
  CHECK(loaded_extras.class_means == extras.class_means);
  CHECK(loaded_extras.pca_components == extras.pca_components);
  // Searching the loaded index gives the same ranking.
  std::vector<SearchHit> a, b;
  const int k = std::min(n, 5);
  REQUIRE(search(index, data.mu.data(), d, k, Metric::kLikelihood, SearchFilter{}, &a).ok());
  REQUIRE(search(loaded, data.mu.data(), d, k, Metric::kLikelihood, SearchFilter{}, &b).ok());
  for (int i = 0; i < k; ++i) {
    CHECK(a[static_cast<size_t>(i)].id == b[static_cast<size_t>(i)].id);
    CHECK(a[static_cast<size_t>(i)].score == Approx(b[static_cast<size_t>(i)].score).epsilon(1e-5));
  }
}

TEST_CASE("f16 index blob is within half precision", "[index_io]") {
  const RandomIndexData data = make_data(100, 16, 3);
  LatentIndex index;
  REQUIRE(index.build(data.mu.data(), data.sigma.data(), 100, 16, data.labels.data(), data.splits.data()).ok());
  IndexExtras extras;
  compute_index_extras(data.mu.data(), data.labels.data(), 100, 16, &extras);
  std::vector<uint8_t> f16_bytes, f32_bytes;
  REQUIRE(write_index_blob(index, test_arch(16), extras, DType::kF32, "", &f32_bytes).ok());
  // The tool rounds mu and 1/(2 sigma^2) through f16 before building, so
  // the stored log-normalisers agree; do the same here.
  std::vector<float> mu = data.mu, sigma = data.sigma;
  for (size_t i = 0; i < mu.size(); ++i) {
    mu[i] = f16_to_f32(f32_to_f16(mu[i]));
    sigma[i] = std::sqrt(0.5f / f16_to_f32(f32_to_f16(0.5f / (sigma[i] * sigma[i]))));
  }
  LatentIndex rounded;
  REQUIRE(rounded.build(mu.data(), sigma.data(), 100, 16, data.labels.data(), data.splits.data()).ok());
  REQUIRE(write_index_blob(rounded, test_arch(16), extras, DType::kF16, "", &f16_bytes).ok());
  CHECK(f16_bytes.size() < f32_bytes.size() * 0.7);
  LatentIndex loaded;
  IndexExtras loaded_extras;
  REQUIRE(read_index_blob(f16_bytes.data(), f16_bytes.size(), &loaded, &loaded_extras).ok());
  float out[16];
  loaded.mu_of(42, out);
  for (int k = 0; k < 16; ++k) CHECK(out[k] == Approx(data.mu[42 * 16 + k]).margin(2e-3));
}

TEST_CASE("PCA axes are orthonormal and ordered by variance", "[index_io]") {
  const RandomIndexData data = make_data(500, 6, 11);
  std::vector<float> mu = data.mu;
  for (int i = 0; i < 500; ++i) mu[static_cast<size_t>(i * 6 + 2)] *= 5.0f;  // dominant axis: dim 2
  IndexExtras extras;
  compute_index_extras(mu.data(), data.labels.data(), 500, 6, &extras);
  double dot = 0, n0 = 0, n1 = 0;
  for (int k = 0; k < 6; ++k) {
    dot += extras.pca_components[static_cast<size_t>(k)] * extras.pca_components[static_cast<size_t>(6 + k)];
    n0 += std::pow(extras.pca_components[static_cast<size_t>(k)], 2);
    n1 += std::pow(extras.pca_components[static_cast<size_t>(6 + k)], 2);
  }
  CHECK(std::abs(dot) < 1e-5);
  CHECK(n0 == Approx(1.0).epsilon(1e-5));
  CHECK(n1 == Approx(1.0).epsilon(1e-5));
  CHECK(std::abs(extras.pca_components[2]) > 0.99);
  CHECK(extras.pca_variance[0] > extras.pca_variance[1]);
}

TEST_CASE("corrupt index blobs give errors", "[index_io]") {
  const RandomIndexData data = make_data(40, 4, 5);
  LatentIndex index;
  REQUIRE(index.build(data.mu.data(), data.sigma.data(), 40, 4, data.labels.data(), data.splits.data()).ok());
  IndexExtras extras;
  compute_index_extras(data.mu.data(), data.labels.data(), 40, 4, &extras);
  std::vector<uint8_t> bytes;
  REQUIRE(write_index_blob(index, test_arch(4), extras, DType::kF32, "", &bytes).ok());
  LatentIndex loaded;
  IndexExtras loaded_extras;
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    CHECK_FALSE(read_index_blob(bytes.data(), cut, &loaded, &loaded_extras).ok());
  }
  // A model blob is not an index.
  std::vector<uint8_t> other;
  BlobWriter writer(BlobKind::kModelWeights, test_arch(4), kPartDecoder);
  REQUIRE(writer.finish(&other).ok());
  CHECK(read_index_blob(other.data(), other.size(), &loaded, &loaded_extras).message().find("expected a latent index") !=
        std::string::npos);
}

}  // namespace lw

namespace lw {

// Issue 11, part 6. Before: `wardrobe index` (f16 by default) of a model with
// sigma 2e-9 rounded 1/(2 sigma^2) = 1.25e17 to f16 infinity and failed with
// "sigma 0.000000 is not positive"; sigma above ~90 would round it to zero.
TEST_CASE("an f16 index keeps extreme but valid sigma exact by storing it as f32", "[index_io][extremes]") {
  RandomIndexData data = make_data(40, 4, 8);
  data.sigma[0] = 2e-9f;     // 1/(2 sigma^2) = 1.25e17 > 65504
  data.sigma[5] = 300.0f;    // 1/(2 sigma^2) = 5.6e-6 < 2^-14
  data.mu[9] = -10000.0f;    // the edge of the latent domain, fits f16
  LatentIndex index;
  REQUIRE(index.build(data.mu.data(), data.sigma.data(), 40, 4, data.labels.data(), data.splits.data()).ok());
  const IndexStorage stored = index_storage(index, DType::kF16);
  CHECK(stored.mu == DType::kF32);  // f16 would move item 0's mu by ~1e5 of its sigmas
  CHECK(stored.inv2var == DType::kF32);
  IndexExtras extras;
  compute_index_extras(data.mu.data(), data.labels.data(), 40, 4, &extras);
  std::vector<uint8_t> bytes;
  REQUIRE(write_index_blob(index, test_arch(4), extras, DType::kF16, "{}", &bytes).ok());
  LatentIndex loaded;
  IndexExtras loaded_extras;
  const Status s = read_index_blob(bytes.data(), bytes.size(), &loaded, &loaded_extras);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(loaded.inv2var_soa == index.inv2var_soa);  // exact: stored as f32
  CHECK(loaded.mu_soa == index.mu_soa);
  float sigma[4];
  loaded.sigma_of(0, sigma);
  CHECK(sigma[0] == Approx(2e-9f).epsilon(1e-6));
  // Searching right at the tiny-sigma item: finite scores, that item first.
  std::vector<SearchHit> hits;
  REQUIRE(search(loaded, data.mu.data(), 4, 3, Metric::kLikelihood, {}, &hits).ok());
  CHECK(hits[0].id == 0);
  for (const SearchHit& h : hits) CHECK(std::isfinite(h.score));
  // A usual index stays f16 throughout.
  const RandomIndexData usual = make_data(40, 4, 9);
  LatentIndex plain;
  REQUIRE(plain.build(usual.mu.data(), usual.sigma.data(), 40, 4, usual.labels.data(), usual.splits.data()).ok());
  CHECK(index_storage(plain, DType::kF16).mu == DType::kF16);
  CHECK(index_storage(plain, DType::kF16).inv2var == DType::kF16);
  CHECK(index_storage(plain, DType::kF32).inv2var == DType::kF32);
}

TEST_CASE("the PCA of data without spread is finite and says why", "[index_io][degenerate]") {
  const int n = 50, d = 4;
  std::vector<uint8_t> labels(n, 3);  // one class only
  IndexExtras extras;
  SECTION("every item the same mu (an encoder that ignores its input)") {
    std::vector<float> mu;
    for (int i = 0; i < n; ++i) mu.insert(mu.end(), {0.5f, -2.0f, 0.0f, 7.0f});
    compute_index_extras(mu.data(), labels.data(), n, d, &extras);
    CHECK(extras.pca_variance[0] == Approx(0.0).margin(1e-12));
    CHECK(extras.pca_variance[1] == Approx(0.0).margin(1e-12));
    for (float c : extras.pca_components) CHECK(std::isfinite(c));
    CHECK(pca_note(extras, n) ==
          "all 50 items have the same posterior mean: there is no spread to map (does the encoder ignore its input?)");
  }
  SECTION("float noise around one mu counts as no spread") {
    std::vector<float> mu;
    for (int i = 0; i < n; ++i) mu.insert(mu.end(), {1000.0f, 1000.0f + (i % 2) * 6.1e-5f, 0.0f, 0.0f});
    compute_index_extras(mu.data(), labels.data(), n, d, &extras);
    CHECK_THAT(pca_note(extras, n), Catch::Contains("the same posterior mean"));
  }
  SECTION("means on one line") {
    std::vector<float> mu;
    for (int i = 0; i < n; ++i) mu.insert(mu.end(), {static_cast<float>(i), 2.0f * i, 0.0f, 1.0f});
    compute_index_extras(mu.data(), labels.data(), n, d, &extras);
    CHECK(extras.pca_variance[1] == Approx(0.0).margin(1e-9));
    CHECK(extras.pca_components[0] == Approx(1.0 / std::sqrt(5.0)).epsilon(1e-5));
    CHECK(extras.pca_components[1] == Approx(2.0 / std::sqrt(5.0)).epsilon(1e-5));
    CHECK(pca_note(extras, n) == "the 50 items' posterior means lie on one line: the map's second axis shows no spread");
  }
  SECTION("one dimension without variance among spread ones: a normal map") {
    const RandomIndexData data = make_data(n, d, 4);
    std::vector<float> mu = data.mu;
    for (int i = 0; i < n; ++i) mu[static_cast<size_t>(i) * d + 2] = 0.75f;
    compute_index_extras(mu.data(), labels.data(), n, d, &extras);
    CHECK(pca_note(extras, n).empty());
    CHECK(extras.pca_variance[1] > 0.1f);
    CHECK(extras.pca_components[2] == Approx(0.0).margin(1e-6));      // the flat dimension
    CHECK(extras.pca_components[d + 2] == Approx(0.0).margin(1e-6));
    // One class only: its mean is the mean; the other classes' rows stay zero.
    for (int k = 0; k < d; ++k) CHECK(extras.class_means[3 * d + k] == Approx(extras.pca_mean[k]).margin(1e-6));
    for (int c = 0; c < 10; ++c) {
      for (int k = 0; k < d && c != 3; ++k) CHECK(extras.class_means[c * d + k] == 0.0f);
    }
  }
  SECTION("a single item") {
    const std::vector<float> mu = {1.0f, 2.0f, 3.0f, 4.0f};
    compute_index_extras(mu.data(), labels.data(), 1, d, &extras);
    CHECK(pca_note(extras, 1) == "the index has one item: there is no spread to map");
  }
}

}  // namespace lw
