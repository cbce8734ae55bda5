// The IWAE training objective (model/iwae_objective.h): its value against a
// brute-force computation from per-sample forward passes, its gradients against
// central finite differences (double precision) for every tensor, and its
// ordering against the ELBO on real garments.
#include <catch2/catch.hpp>
#include <cmath>

#include "model/train/iwae_objective.h"
#include "model/native/file_io.h"
#include "model/runtime/rng.h"
#include "model/train/train.h"
#include "model/runtime/vae_io.h"
#include "tests/test_data.h"

namespace lw {
namespace {

using MatrixXd = Eigen::MatrixXd;

struct TinyProblem {
  VaeConfig config;
  VaeParamsT<double> params;
  MatrixXd x;    // [input x images], binary
  MatrixXd eps;  // [latent x images*k]
};

TinyProblem make_problem(int images, int k) {
  TinyProblem t;
  t.config.input_dim = 12;
  t.config.hidden = {7, 5};
  t.config.latent = 3;
  init_params(t.config, 42, &t.params);
  Rng rng(9);
  // Non-zero biases so their gradients are exercised away from ReLU kinks.
  for (ParamRef<double>& ref : t.params.params()) {
    if (ref.cols == 1) {
      for (size_t i = 0; i < ref.size(); ++i) ref.data[i] = 0.1 * rng.normal();
    }
  }
  t.x.resize(t.config.input_dim, images);
  t.eps.resize(t.config.latent, images * k);
  for (Eigen::Index i = 0; i < t.x.size(); ++i) t.x.data()[i] = rng.uniform() < 0.5 ? 1.0 : 0.0;
  for (Eigen::Index i = 0; i < t.eps.size(); ++i) t.eps.data()[i] = rng.normal();
  return t;
}

double mean_loss(const TinyProblem& t, int k, IwaeScratchT<double>* s) {
  return iwae_forward(t.params, t.x, t.eps, s).neg_elbo() / static_cast<double>(t.x.cols());
}

}  // namespace

TEST_CASE("IWAE loss equals a brute-force log-mean-exp over per-sample forward passes", "[iwae]") {
  const int images = 3, k = GENERATE(1, 5);
  const TinyProblem t = make_problem(images, k);
  IwaeScratchT<double> s;
  s.resize(t.config, images, k);
  const LossSums sums = iwae_forward(t.params, t.x, t.eps, &s);

  double expected = 0;
  VaeScratchT<double> one;
  one.resize(t.config, 1);
  for (int i = 0; i < images; ++i) {
    std::vector<double> log_w;
    for (int j = 0; j < k; ++j) {
      const MatrixXd e = t.eps.col(i * k + j);
      forward(t.params, t.x.col(i), e, &one);
      // log N(z; 0, I) - log N(z; mu, sigma^2), written out term by term.
      double log_ratio = 0;
      for (int d = 0; d < t.config.latent; ++d) {
        const double z = one.z(d, 0), mu = one.mu(d, 0), sigma = one.sigma(d, 0);
        log_ratio += -0.5 * z * z - (-0.5 * (z - mu) * (z - mu) / (sigma * sigma) - std::log(sigma));
      }
      log_w.push_back(-one.rec(0) + log_ratio);
    }
    double m = log_w[0];
    for (double v : log_w) m = std::max(m, v);
    double total = 0;
    for (double v : log_w) total += std::exp(v - m);
    expected += -(m + std::log(total / k));
  }
  CHECK(sums.neg_elbo() == Approx(expected).epsilon(1e-12));
  for (int i = 0; i < images; ++i) CHECK(s.weight.col(i).sum() == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("IWAE gradients match central finite differences for every tensor", "[iwae][gradient]") {
  const int images = 3, k = GENERATE(1, 4);
  TinyProblem t = make_problem(images, k);
  IwaeScratchT<double> s;
  s.resize(t.config, images, k);
  VaeParamsT<double> grads;
  allocate_params(t.config, &grads);
  mean_loss(t, k, &s);
  iwae_backward(t.params, t.x, &s, &grads);

  std::vector<ParamRef<double>> params = t.params.params();
  std::vector<ParamRef<double>> analytic = grads.params();
  const double h = 1e-6;
  for (size_t p = 0; p < params.size(); ++p) {
    double max_err = 0;
    for (size_t i = 0; i < params[p].size(); ++i) {
      const double saved = params[p].data[i];
      params[p].data[i] = saved + h;
      const double up = mean_loss(t, k, &s);
      params[p].data[i] = saved - h;
      const double down = mean_loss(t, k, &s);
      params[p].data[i] = saved;
      const double numeric = (up - down) / (2 * h);
      max_err = std::max(max_err, std::abs(numeric - analytic[p].data[i]) / std::max(1.0, std::abs(numeric)));
    }
    INFO("tensor " << params[p].name << " k " << k);
    CHECK(max_err < 1e-6);
  }
}

namespace {

// The DReG surrogate (Tucker et al. 2019, eq. 7) of the mean loss: -sum_k c_ik log w_ik
// over images, where c = w~^2 from the unperturbed parameters and log w_ik takes
// z_ik = mu(x_i) + sigma(x_i) eps_ik from the current parameters but scores it under
// q with the unperturbed mu0, sigma0. Its gradient in the encoder's parameters is
// what the DReG estimator computes; brute force, one forward pass per sample.
double dreg_surrogate(const TinyProblem& t, int k, const MatrixXd& c, const MatrixXd& mu0, const MatrixXd& sigma0) {
  VaeScratchT<double> one;
  one.resize(t.config, 1);
  double total = 0;
  for (Eigen::Index i = 0; i < t.x.cols(); ++i) {
    for (int j = 0; j < k; ++j) {
      const MatrixXd e = t.eps.col(i * k + j);
      forward(t.params, t.x.col(i), e, &one);
      double log_w = -one.rec(0);
      for (int d = 0; d < t.config.latent; ++d) {
        const double z = one.z(d, 0), u = (z - mu0(d, i)) / sigma0(d, i);
        log_w += -0.5 * z * z + 0.5 * u * u + std::log(sigma0(d, i));
      }
      total -= c(j, i) * log_w;
    }
  }
  return total / static_cast<double>(t.x.cols());
}

}  // namespace

TEST_CASE("DReG: the decoder's gradient is the standard one, the encoder's that of its surrogate", "[iwae][gradient]") {
  const int images = 3, k = GENERATE(2, 5);
  TinyProblem t = make_problem(images, k);
  IwaeScratchT<double> s;
  s.resize(t.config, images, k);
  VaeParamsT<double> standard, dreg;
  allocate_params(t.config, &standard);
  allocate_params(t.config, &dreg);
  mean_loss(t, k, &s);
  const MatrixXd c = s.weight.array().square().matrix();
  const MatrixXd mu0 = s.enc.mu, sigma0 = s.enc.sigma;
  iwae_backward(t.params, t.x, &s, &standard);
  mean_loss(t, k, &s);
  iwae_backward(t.params, t.x, &s, &dreg, 0, IwaeGradient::kDoublyReparameterized);

  std::vector<ParamRef<double>> params = t.params.params();
  std::vector<ParamRef<double>> want_std = standard.params(), got = dreg.params();
  const double h = 1e-6;
  bool encoder_differs = false;
  for (size_t p = 0; p < params.size(); ++p) {
    const bool decoder = is_decoder_tensor(params[p].name);
    double max_err = 0;
    for (size_t i = 0; i < params[p].size(); ++i) {
      double want = want_std[p].data[i];
      if (!decoder) {
        const double saved = params[p].data[i];
        params[p].data[i] = saved + h;
        const double up = dreg_surrogate(t, k, c, mu0, sigma0);
        params[p].data[i] = saved - h;
        const double down = dreg_surrogate(t, k, c, mu0, sigma0);
        params[p].data[i] = saved;
        want = (up - down) / (2 * h);
        encoder_differs |= std::abs(want - want_std[p].data[i]) > 1e-4;
      }
      max_err = std::max(max_err, std::abs(want - got[p].data[i]) / std::max(1.0, std::abs(want)));
    }
    INFO("tensor " << params[p].name << " k " << k);
    CHECK(max_err < (decoder ? 1e-12 : 1e-6));
  }
  // The two estimators agree only in expectation: on one draw the encoder's differ.
  CHECK(encoder_differs);
}

TEST_CASE("DReG and the standard estimator agree in expectation over eps", "[iwae][gradient]") {
  // Both are unbiased for the gradient of E_eps[IWAE loss]; average each over many
  // independent draws of eps and compare within the Monte Carlo error.
  const int images = 2, k = 4, draws = 4000;
  TinyProblem t = make_problem(images, k);
  IwaeScratchT<double> s;
  s.resize(t.config, images, k);
  VaeParamsT<double> g;
  allocate_params(t.config, &g);
  const size_t n = t.params.num_params();
  Eigen::VectorXd sum_std = Eigen::VectorXd::Zero(n), sum_dreg = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd sq_std = Eigen::VectorXd::Zero(n), sq_dreg = Eigen::VectorXd::Zero(n);
  Rng rng(17);
  auto flat = [&](const VaeParamsT<double>& grads) {
    Eigen::VectorXd v(n);
    size_t at = 0;
    for (const ParamRef<const double>& r : grads.params()) {
      for (size_t i = 0; i < r.size(); ++i) v(static_cast<Eigen::Index>(at++)) = r.data[i];
    }
    return v;
  };
  for (int d = 0; d < draws; ++d) {
    for (Eigen::Index i = 0; i < t.eps.size(); ++i) t.eps.data()[i] = rng.normal();
    mean_loss(t, k, &s);
    iwae_backward(t.params, t.x, &s, &g);
    const Eigen::VectorXd a = flat(g);
    mean_loss(t, k, &s);
    iwae_backward(t.params, t.x, &s, &g, 0, IwaeGradient::kDoublyReparameterized);
    const Eigen::VectorXd b = flat(g);
    sum_std += a;
    sq_std += a.cwiseAbs2();
    sum_dreg += b;
    sq_dreg += b.cwiseAbs2();
  }
  const Eigen::VectorXd mean_std = sum_std / draws, mean_dreg = sum_dreg / draws;
  const Eigen::VectorXd var_std = sq_std / draws - mean_std.cwiseAbs2();
  const Eigen::VectorXd var_dreg = sq_dreg / draws - mean_dreg.cwiseAbs2();
  int outside = 0;
  for (size_t i = 0; i < n; ++i) {
    const Eigen::Index j = static_cast<Eigen::Index>(i);
    const double se = std::sqrt((var_std(j) + var_dreg(j)) / draws);
    outside += std::abs(mean_std(j) - mean_dreg(j)) > 4.5 * se + 1e-12;
  }
  INFO(outside << " of " << n << " gradient entries differ by more than 4.5 standard errors");
  CHECK(outside == 0);
  // And DReG's encoder estimate is the less noisy one (summed variance over the encoder's entries).
  double enc_var_std = 0, enc_var_dreg = 0;
  size_t at = 0;
  for (const ParamRef<const double>& r : static_cast<const VaeParamsT<double>&>(g).params()) {
    const bool decoder = is_decoder_tensor(r.name);
    for (size_t i = 0; i < r.size(); ++i, ++at) {
      if (decoder) continue;
      enc_var_std += var_std(static_cast<Eigen::Index>(at));
      enc_var_dreg += var_dreg(static_cast<Eigen::Index>(at));
    }
  }
  INFO("encoder gradient variance, standard " << enc_var_std << ", DReG " << enc_var_dreg);
  CHECK(enc_var_dreg < enc_var_std);
}

TEST_CASE("on real garments the IWAE bound with more samples is tighter than the ELBO", "[iwae][data]") {
  std::vector<int> ids(200);
  for (int i = 0; i < 200; ++i) ids[static_cast<size_t>(i)] = i;
  const Eigen::MatrixXf x = binarize_fixed(images_to_matrix(test::dataset().test_images, ids), 5);
  std::vector<uint8_t> bytes;
  REQUIRE(read_file(std::string(LW_SOURCE_DIR) + "/model/default/vae.lwb", &bytes).ok());
  VaeConfig config;
  VaeParams weights;
  uint32_t parts = 0;
  REQUIRE(read_model_blob(bytes.data(), bytes.size(), &config, &weights, &parts).ok());
  double loss_1 = 0, loss_16 = 0;
  for (int k : {1, 16}) {
    IwaeScratch s;
    s.resize(config, static_cast<int>(x.cols()), k);
    Eigen::MatrixXf eps(config.latent, x.cols() * k);
    Rng rng(3);
    for (Eigen::Index i = 0; i < eps.size(); ++i) eps.data()[i] = static_cast<float>(rng.normal());
    (k == 1 ? loss_1 : loss_16) = iwae_forward(weights, x, eps, &s).neg_elbo() / static_cast<double>(x.cols());
  }
  // The default model's test figures: negative ELBO about 233, IWAE NLL about 231.
  CHECK(loss_1 > 220);
  CHECK(loss_1 < 250);
  CHECK(loss_16 < loss_1 - 0.5);
  CHECK(loss_16 > loss_1 - 10);
}

}  // namespace lw
