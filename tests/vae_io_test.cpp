// Model weight blobs: round trips, f16 tolerance, and that a loaded decoder
// reproduces the original's output. Checkpoints: checkpoint_native_test.cpp.
#include <catch2/catch.hpp>
#include <cmath>

#include "model/runtime/mlp_infer.h"
#include "model/runtime/rng.h"
#include "model/runtime/vae_io.h"

namespace lw {
namespace {

VaeConfig small_config() {
  VaeConfig c;
  c.hidden = {24, 12};
  c.latent = 5;
  return c;
}

// The decoder's pixel probabilities for each column of z ([latent x n]), by
// the runtime's MLP (same layout: column-major [latent x n] is row-major
// [n x latent]).
Eigen::MatrixXf decode_probabilities(const VaeParams& p, const VaeConfig& c, const Eigen::MatrixXf& z) {
  Mlp mlp;
  REQUIRE(make_decoder_mlp(p, /*sigmoid_output=*/true, &mlp).ok());
  Eigen::MatrixXf probs(c.input_dim, z.cols());
  REQUIRE(mlp.forward(z.data(), static_cast<int>(z.cols()), probs.data()).ok());
  return probs;
}

}  // namespace

TEST_CASE("model blob round trip: f32 exact, f16 within half precision", "[vae_io]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 3, &params);
  Rng rng(4);
  Eigen::MatrixXf z(config.latent, 50);
  for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = static_cast<float>(rng.normal());
  const Eigen::MatrixXf expected = decode_probabilities(params, config, z);

  std::vector<uint8_t> f32, f16;
  const std::vector<float> kl = {0.1f, 2.0f, 0.0f, 3.5f, 1.0f};
  ModelStats stats;
  stats.kl_per_dim = kl;
  REQUIRE(write_model_blob(config, params, kPartDecoder, DType::kF32, "{}", &f32, &stats).ok());
  REQUIRE(write_model_blob(config, params, kPartDecoder, DType::kF16, "{}", &f16).ok());
  CHECK(f16.size() < f32.size() * 0.6);

  VaeConfig c32, c16;
  VaeParams p32, p16;
  uint32_t parts = 0;
  REQUIRE(read_model_blob(f32.data(), f32.size(), &c32, &p32, &parts).ok());
  CHECK(parts == kPartDecoder);
  CHECK(p32.enc.empty());
  CHECK(c32.describe() == config.describe());
  CHECK(decode_probabilities(p32, c32, z) == expected);  // bit-exact
  REQUIRE(read_model_blob(f16.data(), f16.size(), &c16, &p16, nullptr).ok());
  const float max_diff = (decode_probabilities(p16, c16, z) - expected).cwiseAbs().maxCoeff();
  INFO("max abs pixel difference f16 vs f32: " << max_diff);
  CHECK(max_diff < 2e-3f);

  BlobReader reader;
  REQUIRE(BlobReader::parse(f32.data(), f32.size(), &reader).ok());
  std::vector<float> kl_read;
  ModelStats read_stats;
  REQUIRE(read_model_stats(reader, &read_stats).ok());
  kl_read = read_stats.kl_per_dim;
  CHECK(kl_read == kl);
}

TEST_CASE("model blob errors name the problem", "[vae_io]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 3, &params);
  std::vector<uint8_t> bytes;
  REQUIRE(write_model_blob(config, params, kPartDecoder | kPartEncoder, DType::kF32, "", &bytes).ok());
  VaeConfig c;
  VaeParams p;
  for (size_t cut : {size_t(0), size_t(10), bytes.size() / 2, bytes.size() - 1}) {
    CHECK_FALSE(read_model_blob(bytes.data(), cut, &c, &p, nullptr).ok());
  }
  // A NaN weight is rejected with the tensor's name.
  params.dec[1].W(2, 3) = NAN;
  REQUIRE(write_model_blob(config, params, kPartDecoder, DType::kF32, "", &bytes).ok());
  const Status s = read_model_blob(bytes.data(), bytes.size(), &c, &p, nullptr);
  INFO(s.message());
  CHECK(s.message().find("dec.1.weight") != std::string::npos);
}

}  // namespace lw
