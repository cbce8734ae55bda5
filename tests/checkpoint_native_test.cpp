// Training checkpoints (model/train/checkpoint.h): round trip, and the
// allocation bound found by fuzzing (see tests/fuzz_regression_test.cpp).
#include <catch2/catch.hpp>

#include "model/runtime/vae_io.h"
#include "model/train/checkpoint.h"
#include "tests/fuzz/fuzz_util.h"

namespace lw {
namespace {

using fuzz::tiny_config;

constexpr size_t kInputDimField = 24;  // docs/FORMAT.md, header
constexpr size_t kHiddenField = 36;    // hidden[0]

VaeConfig small_config() {
  VaeConfig c;
  c.hidden = {24, 12};
  c.latent = 5;
  return c;
}

}  // namespace

TEST_CASE("checkpoint round trip restores weights, Adam state, RNG and counters", "[vae_io]") {
  TrainConfig train;
  train.epochs = 7;
  train.batch = 32;
  train.schedule = LrSchedule::kCosine;
  train.kl_warmup_epochs = 2;
  train.seed = 99;
  train.iwae_samples = 8;
  train.iwae_gradient = IwaeGradient::kDoublyReparameterized;
  train.freeze_posterior_mean = true;
  TrainState state;
  REQUIRE(init_train_state(small_config(), train, &state).ok());
  state.adam.step = 1234;
  state.adam.m.dec[0].W.setConstant(0.25f);
  state.epochs_done = 3;
  state.best_epoch = 2;
  state.best_val = 250.5;
  state.rng.next_u64();
  std::vector<uint8_t> bytes;
  REQUIRE(write_checkpoint(state, "{\"epoch\":3}", &bytes).ok());
  TrainState loaded;
  REQUIRE(read_checkpoint(bytes.data(), bytes.size(), &loaded).ok());
  CHECK(loaded.weights.enc[0].W == state.weights.enc[0].W);
  CHECK(loaded.adam.m.dec[0].W == state.adam.m.dec[0].W);
  CHECK(loaded.adam.step == 1234);
  CHECK(loaded.rng.state() == state.rng.state());
  CHECK(loaded.epochs_done == 3);
  CHECK(loaded.best_epoch == 2);
  CHECK(loaded.best_val == Approx(250.5));
  CHECK(loaded.train.schedule == LrSchedule::kCosine);
  CHECK(loaded.train.kl_warmup_epochs == 2);
  CHECK(loaded.train.seed == 99);
  CHECK(loaded.train.iwae_samples == 8);
  CHECK(loaded.train.iwae_gradient == IwaeGradient::kDoublyReparameterized);
  CHECK(loaded.train.freeze_posterior_mean);
  // A model blob is not a checkpoint.
  std::vector<uint8_t> model;
  REQUIRE(write_model_blob(state.config, state.weights, kPartDecoder | kPartEncoder, DType::kF32, "", &model).ok());
  CHECK(read_checkpoint(model.data(), model.size(), &loaded).message().find("checkpoint") != std::string::npos);
}

TEST_CASE("a checkpoint header promising a huge model is rejected before allocating it", "[vae_io][fuzz_regression]") {
  TrainConfig train;
  train.epochs = 2;
  TrainState state;
  REQUIRE(init_train_state(tiny_config(), train, &state).ok());
  std::vector<uint8_t> ckpt;
  REQUIRE(write_checkpoint(state, "", &ckpt).ok());
  const std::vector<uint8_t> huge =
      fuzz::with_fields(ckpt, {{kInputDimField, 1u << 20}, {kHiddenField, 16384}});
  TrainState loaded;
  const Status s = read_checkpoint(huge.data(), huge.size(), &loaded);
  INFO(s.message());
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("1048576-16384-2") != std::string::npos);
}

}  // namespace lw
