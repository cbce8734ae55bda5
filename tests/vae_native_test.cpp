// Gradients of every layer and of the whole negative ELBO against central
// finite differences (double precision, fixed eps); one Adam step by hand;
// learning on real garments.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "model/train/adam.h"
#include "model/train/iwae_objective.h"
#include "model/runtime/rng.h"
#include "model/train/train.h"
#include "model/train/vae.h"
#include "tests/test_data.h"

namespace lw {
namespace {

using MatrixXd = Eigen::MatrixXd;

// Mean over the batch of rec + beta * kl for fixed x and eps.
double objective(const VaeParamsT<double>& p, const MatrixXd& x, const MatrixXd& eps, double beta,
                 VaeScratchT<double>* s) {
  const LossSums sums = forward(p, x, eps, s);
  return (sums.rec + beta * sums.kl) / static_cast<double>(x.cols());
}

}  // namespace

TEST_CASE("VAE gradients match central finite differences for every tensor", "[vae][gradient]") {
  VaeConfig config;
  config.input_dim = 12;
  config.hidden = {7, 5};
  config.latent = 3;
  if (GENERATE(false, true)) {
    // A convolutional encoder on a 6 x 6 image: stride 1 then stride 2, both
    // zero-padded (the borders' patches hold padding), and a decoder of its own.
    config.input_dim = 36;
    config.conv = {{3, 3, 1, 1}, {4, 3, 2, 1}};  // 6x6x1 -> 6x6x3 -> 3x3x4
    config.hidden = {5};
    config.dec_hidden = {6, 7};
  }
  REQUIRE(config.validate().ok());
  VaeParamsT<double> p;
  init_params(config, 42, &p);
  // Non-zero biases so their gradients are exercised away from ReLU kinks.
  Rng rng(7);
  for (ParamRef<double>& ref : p.params()) {
    if (ref.cols == 1) {
      for (size_t i = 0; i < ref.size(); ++i) ref.data[i] = 0.1 * rng.normal();
    }
  }
  const int batch = 4;
  MatrixXd x(config.input_dim, batch), eps(config.latent, batch);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform() < 0.5 ? 1.0 : 0.0;
  for (Eigen::Index i = 0; i < eps.size(); ++i) eps.data()[i] = rng.normal();
  const double beta = GENERATE(1.0, 0.3);

  VaeScratchT<double> s;
  s.resize(config, batch);
  VaeParamsT<double> grads;
  allocate_params(config, &grads);
  objective(p, x, eps, beta, &s);
  backward(p, x, beta, &s, &grads);

  std::vector<ParamRef<double>> params = p.params();
  std::vector<ParamRef<double>> analytic = grads.params();
  const double h = 1e-6;
  for (size_t t = 0; t < params.size(); ++t) {
    double max_err = 0;
    for (size_t i = 0; i < params[t].size(); ++i) {
      const double saved = params[t].data[i];
      params[t].data[i] = saved + h;
      const double up = objective(p, x, eps, beta, &s);
      params[t].data[i] = saved - h;
      const double down = objective(p, x, eps, beta, &s);
      params[t].data[i] = saved;
      const double numeric = (up - down) / (2 * h);
      const double err = std::abs(numeric - analytic[t].data[i]) / std::max(1.0, std::abs(numeric));
      max_err = std::max(max_err, err);
    }
    INFO("tensor " << params[t].name << " beta " << beta << " model " << config.describe());
    CHECK(max_err < 1e-6);
  }
}

TEST_CASE("gradient with respect to the input of the decoder output layer is exact", "[vae][gradient]") {
  // The whole negative ELBO is checked above; here the Bernoulli term alone
  // against its closed form d/dl [softplus(l) - x l] = sigmoid(l) - x.
  const double logits[4] = {-40.0, -1.5, 0.0, 35.0};
  const double x[4] = {1, 0, 1, 0};
  for (int j = 0; j < 4; ++j) {
    const double h = 1e-5;
    double lp[1] = {logits[j] + h}, lm[1] = {logits[j] - h};
    const double numeric = (bernoulli_nll(lp, &x[j], 1) - bernoulli_nll(lm, &x[j], 1)) / (2 * h);
    CHECK(numeric == Approx(1.0 / (1.0 + std::exp(-logits[j])) - x[j]).margin(1e-6));
  }
  // Extreme logits stay finite.
  const double big[1] = {1e4}, one[1] = {0};
  CHECK(std::isfinite(bernoulli_nll(big, one, 1)));
}

TEST_CASE("one Adam step equals the hand-computed update", "[adam]") {
  // Step 1 with m = v = 0: m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2,
  // so the update is lr * g / (|g| + eps) = lr * sign(g) (up to eps).
  float param[3] = {1.0f, -2.0f, 0.5f};
  const float grad[3] = {0.5f, -0.25f, 0.0f};
  float m[3] = {0, 0, 0}, v[3] = {0, 0, 0};
  adam_update(AdamConfig{}, 0.01f, 1, grad, param, m, v, 3);
  CHECK(param[0] == Approx(1.0f - 0.01f * 0.5f / (0.5f + 1e-8f)));
  CHECK(param[1] == Approx(-2.0f + 0.01f));
  CHECK(param[2] == 0.5f);
  CHECK(m[0] == Approx(0.05f));
  CHECK(v[0] == Approx(0.001f * 0.25f).epsilon(1e-4));  // 1 - 0.999f is not exactly 0.001
  // Step 2 with g = 0.5 again: m = 0.9*0.05 + 0.05 = 0.095, v = 0.999*0.00025 + 0.00025,
  // m_hat = 0.095 / 0.19 = 0.5, v_hat = v / (1 - 0.999^2) = 0.25.
  adam_update(AdamConfig{}, 0.01f, 2, grad, param, m, v, 3);
  CHECK(m[0] == Approx(0.095f));
  CHECK(param[0] == Approx(1.0f - 2 * 0.01f * 0.5f / 0.5f).epsilon(1e-5));
}

TEST_CASE("slice_range splits a tensor into disjoint, covering slices on 16-float boundaries", "[adam]") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{1000}, size_t{784 * 768}}) {
    for (int slices = 1; slices <= 5; ++slices) {
      size_t next = 0;
      for (int s = 0; s < slices; ++s) {
        const std::pair<size_t, size_t> r = slice_range(n, s, slices);
        INFO("n " << n << " slice " << s << " of " << slices);
        CHECK(r.first == next);
        CHECK(r.second >= r.first);
        if (s + 1 < slices) CHECK(r.second % 16 == 0);
        next = r.second;
      }
      CHECK(next == n);
    }
  }
}

TEST_CASE("Adam's update in slices gives step()'s bits for any slice count", "[adam]") {
  // The trainer runs Adam in one slice per thread (train_epoch); the slice
  // boundaries move elements between the SIMD body and the scalar tail of
  // adam_update's loop, so this also checks the two paths agree bit for bit.
  VaeConfig config;
  config.hidden = {37, 19};  // odd sizes: tails of every length
  config.latent = 5;
  VaeParams grads;
  init_params(config, 11, &grads);
  for (const int slices : {2, 3, 5}) {
    VaeParams whole, sliced;
    init_params(config, 7, &whole);
    init_params(config, 7, &sliced);
    AdamState whole_state, sliced_state;
    init_adam_state(config, &whole_state);
    init_adam_state(config, &sliced_state);
    Adam one(AdamConfig{}, &whole, &grads, &whole_state);
    Adam many(AdamConfig{}, &sliced, &grads, &sliced_state);
    for (int step = 0; step < 3; ++step) {
      one.step(1e-3f);
      many.begin_step();
      for (int s = slices - 1; s >= 0; --s) many.update_slice(1e-3f, s, slices);
    }
    const std::vector<ParamRef<const float>> a = static_cast<const VaeParams&>(whole).params();
    const std::vector<ParamRef<const float>> b = static_cast<const VaeParams&>(sliced).params();
    REQUIRE(a.size() == b.size());
    for (size_t t = 0; t < a.size(); ++t) {
      INFO(a[t].name << ", " << slices << " slices");
      CHECK(std::memcmp(a[t].data, b[t].data, a[t].size() * sizeof(float)) == 0);
    }
    CHECK(sliced_state.step == 3);
  }
}

TEST_CASE("overfitting one batch of 64 real garments drives the loss far down", "[vae][train][data]") {
  const Dataset& data = test::dataset();
  std::vector<int> ids(64);
  std::iota(ids.begin(), ids.end(), 0);
  const Eigen::MatrixXf x = binarize_fixed(images_to_matrix(data.train_images, ids), 5);
  VaeConfig config;
  config.hidden = {128, 64};
  config.latent = 8;
  TrainConfig train;
  train.batch = 64;
  train.lr = 2e-3f;
  train.binarize = false;  // the same binary batch every step
  train.epochs = 400;
  TrainState state;
  REQUIRE(init_train_state(config, train, &state).ok());
  const double before = evaluate_elbo(state.weights, config, x, 1).neg_elbo;
  for (int i = 0; i < 400; ++i) train_epoch(x, &state, nullptr);
  const double after = evaluate_elbo(state.weights, config, x, 1).neg_elbo;
  INFO("before " << before << " after " << after);
  CHECK(before > 500);
  CHECK(after < 0.4 * before);
}

TEST_CASE("a short run on a few thousand real garments lowers the test loss", "[vae][train][data]") {
  const Dataset& data = test::dataset();
  std::vector<int> train_ids(3000), test_ids(500);
  std::iota(train_ids.begin(), train_ids.end(), 0);
  std::iota(test_ids.begin(), test_ids.end(), 0);
  const Eigen::MatrixXf train_x = images_to_matrix(data.train_images, train_ids);
  const Eigen::MatrixXf test_x = images_to_matrix(data.test_images, test_ids);
  VaeConfig config;
  config.hidden = {128, 64};
  TrainConfig train;
  train.epochs = 3;
  TrainState state;
  REQUIRE(init_train_state(config, train, &state).ok());
  const double before = evaluate_elbo(state.weights, config, test_x, 9).neg_elbo;
  for (int e = 0; e < 3; ++e) train_epoch(train_x, &state, nullptr);
  const double after = evaluate_elbo(state.weights, config, test_x, 9).neg_elbo;
  INFO("test negative ELBO before " << before << " after " << after);
  CHECK(after < before - 300);
  CHECK(after < 360);
}

TEST_CASE("training is deterministic for a seed", "[vae][train][data]") {
  const Dataset& data = test::dataset();
  std::vector<int> ids(512);
  std::iota(ids.begin(), ids.end(), 0);
  const Eigen::MatrixXf x = images_to_matrix(data.train_images, ids);
  VaeConfig config;
  config.hidden = {64};
  config.latent = 4;
  TrainConfig train;
  train.batch = 64;
  TrainState a, b;
  REQUIRE(init_train_state(config, train, &a).ok());
  REQUIRE(init_train_state(config, train, &b).ok());
  train_epoch(x, &a, nullptr);
  train_epoch(x, &b, nullptr);
  CHECK(a.weights.dec.back().W == b.weights.dec.back().W);
  CHECK(a.weights.enc[0].W == b.weights.enc[0].W);
}

TEST_CASE("freezing the posterior mean trains the decoder and sigma and leaves mu(x) as it was", "[vae][train][data]") {
  const Dataset& data = test::dataset();
  std::vector<int> ids(512);
  std::iota(ids.begin(), ids.end(), 0);
  const Eigen::MatrixXf x = images_to_matrix(data.train_images, ids);
  VaeConfig config;
  config.hidden = {64, 32};
  config.latent = 4;
  config.conv = {ConvSpec{4, 3, 2, 1}};
  for (const int k : {1, 4}) {
    INFO("IWAE samples " << k);
    TrainConfig train;
    train.batch = 64;
    train.iwae_samples = k;
    train.iwae_gradient = k > 1 ? IwaeGradient::kDoublyReparameterized : IwaeGradient::kStandard;
    train.freeze_posterior_mean = true;
    TrainState state;
    REQUIRE(init_train_state(config, train, &state).ok());
    const VaeParams before = state.weights;
    train_epoch(x, &state, nullptr);
    const std::vector<std::string> frozen = posterior_mean_tensors(state.weights);
    CHECK(frozen == std::vector<std::string>{"enc.conv0.weight", "enc.conv0.bias", "enc.0.weight", "enc.0.bias",
                                             "enc.1.weight", "enc.1.bias", "enc.mu.weight", "enc.mu.bias"});
    const std::vector<ParamRef<const float>> old_refs = before.params();
    const std::vector<ParamRef<const float>> new_refs = static_cast<const VaeParams&>(state.weights).params();
    for (size_t t = 0; t < new_refs.size(); ++t) {
      INFO(new_refs[t].name);
      const bool same = std::equal(new_refs[t].data, new_refs[t].data + new_refs[t].size(), old_refs[t].data);
      const bool is_frozen = std::find(frozen.begin(), frozen.end(), new_refs[t].name) != frozen.end();
      CHECK(same == is_frozen);  // every other tensor (enc.logvar, dec.*) moved
    }
  }
}

}  // namespace lw

namespace lw {

// The trainer computes only enc.logvar's encoder gradient when the posterior
// mean is frozen: every gradient it does compute must equal the full backward
// pass's bit for bit, and exactly the tensors posterior_mean_tensors names
// (the ones Adam then skips) are left out.
TEST_CASE("kLogvarHeadOnly computes the full pass's gradients for every tensor that is not frozen",
          "[vae][train][data]") {
  const Dataset& data = test::dataset();
  std::vector<int> ids(16);
  std::iota(ids.begin(), ids.end(), 100);
  const Eigen::MatrixXf x = images_to_matrix(data.train_images, ids);
  VaeConfig config;
  config.hidden = {32, 16};
  config.latent = 4;
  config.conv = {ConvSpec{4, 3, 2, 1}};
  VaeParams params;
  init_params(config, 3, &params);
  const std::vector<std::string> frozen = posterior_mean_tensors(params);
  Rng rng(5);
  for (const int k : {1, 4}) {
    for (const IwaeGradient estimator : {IwaeGradient::kStandard, IwaeGradient::kDoublyReparameterized}) {
      if (k == 1 && estimator != IwaeGradient::kStandard) continue;
      INFO("IWAE samples " << k << ", DReG " << (estimator == IwaeGradient::kDoublyReparameterized));
      Eigen::MatrixXf eps(config.latent, static_cast<Eigen::Index>(x.cols()) * k);
      for (Eigen::Index i = 0; i < eps.size(); ++i) eps.data()[i] = static_cast<float>(rng.normal());
      VaeParams full, partial;
      allocate_params(config, &full);
      allocate_params(config, &partial);
      // Garbage in the partial gradients: kLogvarHeadOnly must overwrite every tensor.
      for (const ParamRef<float>& g : partial.params()) std::fill(g.data, g.data + g.size(), 7.0f);
      for (const EncoderGradients which : {EncoderGradients::kAll, EncoderGradients::kLogvarHeadOnly}) {
        VaeParams* g = which == EncoderGradients::kAll ? &full : &partial;
        if (k == 1) {
          VaeScratch s;
          s.resize(config, static_cast<int>(x.cols()));
          forward(params, x, eps, &s);
          backward(params, x, 0.7f, &s, g, 0, which);
        } else {
          IwaeScratch s;
          s.resize(config, static_cast<int>(x.cols()), k);
          iwae_forward(params, x, eps, &s);
          iwae_backward(params, x, &s, g, 0, estimator, which);
        }
      }
      const std::vector<ParamRef<float>> full_refs = full.params();
      const std::vector<ParamRef<float>> partial_refs = partial.params();
      for (size_t t = 0; t < full_refs.size(); ++t) {
        INFO(full_refs[t].name);
        const float* f = full_refs[t].data;
        const float* p = partial_refs[t].data;
        const size_t n = full_refs[t].size();
        const bool is_frozen = std::find(frozen.begin(), frozen.end(), full_refs[t].name) != frozen.end();
        if (is_frozen) {
          CHECK(std::all_of(p, p + n, [](float v) { return v == 0.0f; }));
          CHECK(std::any_of(f, f + n, [](float v) { return v != 0.0f; }));  // the full pass did compute it
        } else {
          CHECK(std::equal(f, f + n, p));
        }
      }
    }
  }
}

}  // namespace lw
