// The runtime's inference (AnomalyScorer and the batch functions over it, on
// the fast MLPs) against the training code, which runs the same model on
// Eigen: an independent implementation with the same noise streams. The IWAE
// reference is written here from the training decoder.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "model/native/batch_infer.h"
#include "model/native/file_io.h"
#include "model/runtime/anomaly.h"
#include "model/runtime/complexity.h"
#include "model/runtime/rng.h"
#include "model/runtime/vae_io.h"
#include "model/train/train.h"
#include "tests/test_data.h"

namespace lw {
namespace {

VaeConfig small_config() {
  VaeConfig c;
  c.input_dim = 30;
  c.hidden = {24, 12};
  c.latent = 3;
  return c;
}

// A convolutional encoder on 8 x 8 images (stride 1 and stride 2, zero
// padding at the borders) with a decoder of its own.
VaeConfig small_conv_config() {
  VaeConfig c;
  c.input_dim = 64;
  c.conv = {{4, 3, 1, 1}, {6, 4, 2, 1}};  // 8x8x1 -> 8x8x4 -> 4x4x6
  c.hidden = {12};
  c.dec_hidden = {10, 14};
  c.latent = 3;
  return c;
}

Eigen::MatrixXf random_images(int pixels, int n, uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXf x(pixels, n);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform_f();
  return x;
}

// The training code's encoder on each column of x.
void reference_encode(const VaeParams& params, const VaeConfig& config, const Eigen::MatrixXf& x,
                      Eigen::MatrixXf* mu, Eigen::MatrixXf* sigma) {
  VaeScratch s;
  s.resize(config, static_cast<int>(x.cols()));
  encode(params, x, &s);
  *mu = s.mu;
  *sigma = s.sigma;
}

// -ELBO of image x (one column) by the training forward pass with eps from Rng(seed).
double reference_neg_elbo(const VaeParams& params, const VaeConfig& config, const Eigen::MatrixXf& x,
                          uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXf eps(config.latent, 1);
  for (Eigen::Index j = 0; j < eps.size(); ++j) eps(j) = static_cast<float>(rng.normal());
  VaeScratch s;
  s.resize(config, 1);
  return forward(params, x, eps, &s).neg_elbo();
}

// IWAE with k samples of image x through the training decoder, noise from
// Rng(iwae_stream_seed(seed, 0)), log-mean-exp in double.
double reference_iwae(const VaeParams& params, const VaeConfig& config, const Eigen::MatrixXf& x, int k,
                      uint64_t seed) {
  const int d = config.latent;
  VaeScratch one, many;
  one.resize(config, 1);
  many.resize(config, k);
  encode(params, x, &one);
  Rng rng(iwae_stream_seed(seed, 0));
  for (int c = 0; c < k; ++c) {
    for (int j = 0; j < d; ++j) {
      many.eps(j, c) = static_cast<float>(rng.normal());
      many.z(j, c) = one.mu(j, 0) + one.sigma(j, 0) * many.eps(j, c);
    }
  }
  decode(params, &many);
  std::vector<double> log_w(static_cast<size_t>(k));
  const double log2pi = std::log(2.0 * M_PI);
  for (int c = 0; c < k; ++c) {
    double lw = -static_cast<double>(bernoulli_nll(many.logits.col(c).data(), x.data(), config.input_dim));
    for (int j = 0; j < d; ++j) {
      const double z = many.z(j, c), e = many.eps(j, c);
      lw += -0.5 * (log2pi + z * z) + 0.5 * (log2pi + e * e) + 0.5 * static_cast<double>(one.logvar(j, 0));
    }
    log_w[static_cast<size_t>(c)] = lw;
  }
  const double top = *std::max_element(log_w.begin(), log_w.end());
  double sum = 0;
  for (double w : log_w) sum += std::exp(w - top);
  return -(top + std::log(sum / k));
}

// neg_elbo_images (the runtime, per image, one noise stream in image order as
// the training evaluation draws it) against the training forward pass on x.
void check_neg_elbo_images(const VaeParams& params, const VaeConfig& config, const Eigen::MatrixXf& x) {
  const int n = static_cast<int>(x.cols());
  std::vector<ElboTerms> terms;
  REQUIRE(neg_elbo_images(params, x.data(), n, 9, &terms).ok());
  Rng rng(9);
  Eigen::MatrixXf eps(config.latent, n);
  for (Eigen::Index j = 0; j < eps.size(); ++j) eps.data()[j] = static_cast<float>(rng.normal());
  VaeScratch s;
  s.resize(config, n);
  forward(params, x, eps, &s);
  for (int i = 0; i < n; ++i) {
    CHECK(terms[static_cast<size_t>(i)].rec == Approx(s.rec(i)).epsilon(1e-4));
    CHECK(terms[static_cast<size_t>(i)].kl == Approx(s.kl(i)).epsilon(1e-4).margin(1e-4));
  }
}

}  // namespace

TEST_CASE("AnomalyScorer::encode matches the training encoder", "[anomaly]") {
  const VaeConfig config = GENERATE(small_config(), small_conv_config());
  INFO(config.describe());
  VaeParams params;
  init_params(config, 11, &params);
  AnomalyScorer scorer;
  REQUIRE(scorer.init(params).ok());
  REQUIRE(scorer.latent() == 3);
  REQUIRE(scorer.pixels() == config.input_dim);
  const Eigen::MatrixXf x = random_images(config.input_dim, 5, 3);
  Eigen::MatrixXf mu, sigma;
  reference_encode(params, config, x, &mu, &sigma);
  for (int i = 0; i < 5; ++i) {
    std::vector<float> m(3), s(3);
    REQUIRE(scorer.encode(x.col(i).data(), m.data(), s.data()).ok());
    for (int j = 0; j < 3; ++j) {
      CHECK(m[j] == Approx(mu(j, i)).margin(1e-5));
      CHECK(s[j] == Approx(sigma(j, i)).epsilon(1e-5));
    }
  }
}

TEST_CASE("AnomalyScorer::score matches the training forward pass and an IWAE on its decoder", "[anomaly]") {
  const VaeConfig config = GENERATE(small_config(), small_conv_config());
  INFO(config.describe());
  VaeParams params;
  init_params(config, 5, &params);
  AnomalyScorer scorer;
  REQUIRE(scorer.init(params).ok());
  REQUIRE(scorer.has_decoder());
  // k spans several decode chunks (64) and a partial one.
  for (int k : {1, 7, 150}) {
    for (int i = 0; i < 3; ++i) {
      const Eigen::MatrixXf x = random_images(config.input_dim, 1, 100 + i);
      const uint64_t seed = 42 + static_cast<uint64_t>(i);
      ImageScore s;
      REQUIRE(scorer.score(x.data(), k, seed, &s).ok());
      const double elbo = reference_neg_elbo(params, config, x, seed);
      const double iwae = reference_iwae(params, config, x, k, seed);
      CHECK(s.neg_elbo == Approx(elbo).epsilon(1e-4));
      CHECK(s.iwae_nll == Approx(iwae).epsilon(1e-4));
      if (k == 1) CHECK(s.iwae_nll == Approx(s.neg_elbo).epsilon(0.5));
      // 30 pixels is not a square: the complexity is that of one row; 64 are 8 x 8.
      const int side = config.input_dim == 64 ? 8 : 1;
      CHECK(s.complexity == Approx(input_complexity(x.data(), config.input_dim / side, side)));
      CHECK(s.ood == Approx(s.iwae_nll - s.complexity));
    }
  }
}

TEST_CASE("batch encoding of a convolutional encoder matches the training encoder across chunks", "[anomaly]") {
  // 70 samples: two full chunks of the Encoder (32) and a partial one, spread over the threads.
  const VaeConfig config = small_conv_config();
  VaeParams params;
  init_params(config, 23, &params);
  const int n = 70;
  const Eigen::MatrixXf x = random_images(config.input_dim, n, 8);
  std::vector<float> mu, sigma;
  REQUIRE(encode_images(params, x.data(), n, &mu, &sigma).ok());
  Eigen::MatrixXf ref_mu, ref_sigma;
  reference_encode(params, config, x, &ref_mu, &ref_sigma);
  const Eigen::Map<const Eigen::MatrixXf> got_mu(mu.data(), config.latent, n), got_sigma(sigma.data(), config.latent, n);
  CHECK((got_mu - ref_mu).cwiseAbs().maxCoeff() < 1e-5f);
  CHECK(((got_sigma - ref_sigma).array() / ref_sigma.array()).abs().maxCoeff() < 1e-5f);

  // Per-image likelihood terms: each image read at its own offset (input_dim
  // floats apart, not the dense layers' input size).
  check_neg_elbo_images(params, config, (x.array() > 0.5f).cast<float>().matrix());
}

// The committed model on real garments: the CLI's batch inference (one
// scorer per thread) against the training code's Eigen forward pass.
TEST_CASE("runtime inference matches the training forward pass on the committed model", "[anomaly][data]") {
  std::vector<uint8_t> bytes;
  REQUIRE(read_file(std::string(LW_SOURCE_DIR) + "/model/default/vae.lwb", &bytes).ok());
  VaeConfig config;
  VaeParams params;
  REQUIRE(read_model_blob(bytes.data(), bytes.size(), &config, &params, nullptr).ok());
  const int n = 300;
  std::vector<int> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  const Eigen::MatrixXf x = images_to_matrix(test::dataset().test_images, ids);

  std::vector<float> mu, sigma;
  REQUIRE(encode_images(params, x.data(), n, &mu, &sigma).ok());
  Eigen::MatrixXf ref_mu, ref_sigma;
  reference_encode(params, config, x, &ref_mu, &ref_sigma);
  const Eigen::Map<const Eigen::MatrixXf> got_mu(mu.data(), config.latent, n), got_sigma(sigma.data(), config.latent, n);
  CHECK((got_mu - ref_mu).cwiseAbs().maxCoeff() < 1e-4f);
  CHECK(((got_sigma - ref_sigma).array() / ref_sigma.array()).abs().maxCoeff() < 1e-4f);

  check_neg_elbo_images(params, config, x);
  VaeScratch s;
  s.resize(config, n);

  // Decoded pixels: the page's bytes against rounding the training logits' sigmoid.
  std::vector<uint8_t> pixels;
  REQUIRE(decode_images(params, mu.data(), n, &pixels).ok());
  s.z = ref_mu;
  decode(params, &s);
  int worst = 0;
  for (Eigen::Index i = 0; i < s.logits.size(); ++i) {
    const double p = 1.0 / (1.0 + std::exp(-static_cast<double>(s.logits.data()[i])));
    worst = std::max(worst, std::abs(static_cast<int>(pixels[static_cast<size_t>(i)]) - static_cast<int>(std::lround(p * 255))));
  }
  CHECK(worst <= 1);
}

}  // namespace lw
