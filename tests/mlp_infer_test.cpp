// Mlp (packed SIMD inference) vs an independent double-precision Eigen
// forward pass of the same network, plus its input validation.
#include "model/runtime/mlp_infer.h"

#include <Eigen/Core>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "model/runtime/kernels/sigmoid.h"

namespace {

using lw::Activation;

struct Net {
  std::vector<Eigen::MatrixXf> w;  // w[l]: [out x in]
  std::vector<Eigen::VectorXf> b;  // b[l]: [out]
  std::vector<Activation> act;     // act[l]
  std::vector<lw::MlpLayer> layers() const {
    std::vector<lw::MlpLayer> out;
    for (size_t l = 0; l < w.size(); ++l) {
      lw::MlpLayer layer;
      layer.w = w[l].data();
      layer.b = b[l].data();
      layer.in = static_cast<int>(w[l].cols());
      layer.out = static_cast<int>(w[l].rows());
      layer.act = act[l];
      out.push_back(layer);
    }
    return out;
  }
};

// He-like scaling keeps activations O(1) through deep, wide layers.
Net random_net(const std::vector<int>& sizes, Activation last, std::mt19937* rng) {
  Net net;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float scale = std::sqrt(6.0f / static_cast<float>(sizes[l]));
    Eigen::MatrixXf w(sizes[l + 1], sizes[l]);
    for (int i = 0; i < w.size(); ++i) w.data()[i] = scale * u(*rng);
    Eigen::VectorXf b(sizes[l + 1]);
    for (int i = 0; i < b.size(); ++i) b[i] = 0.1f * u(*rng);
    net.w.push_back(w);
    net.b.push_back(b);
    net.act.push_back(l + 2 == sizes.size() ? last : Activation::kRelu);
  }
  return net;
}

// x: [n x in] row-major = Eigen [in x n] column-major; result [out x n].
Eigen::MatrixXd reference_forward(const Net& net, const std::vector<float>& x, int n) {
  const int in = static_cast<int>(net.w.front().cols());
  Eigen::MatrixXd h = Eigen::Map<const Eigen::MatrixXf>(x.data(), in, n).cast<double>();
  for (size_t l = 0; l < net.w.size(); ++l) {
    Eigen::MatrixXd next(net.w[l].rows(), n);
    next.noalias() = net.w[l].cast<double>() * h;
    next.colwise() += net.b[l].cast<double>();
    if (net.act[l] == Activation::kRelu) next = next.cwiseMax(0.0);
    if (net.act[l] == Activation::kSigmoid) next = (1.0 + (-next.array()).exp()).inverse().matrix();
    h = next;
  }
  return h;
}

std::vector<float> random_input(size_t count, std::mt19937* rng) {
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(count);
  for (float& v : x) v = g(*rng);
  return x;
}

double max_abs_diff(const std::vector<float>& y, const Eigen::MatrixXd& ref) {
  double worst = 0;
  for (int j = 0; j < ref.cols(); ++j)
    for (int o = 0; o < ref.rows(); ++o)
      worst = std::max(worst, std::abs(y[static_cast<size_t>(j) * ref.rows() + o] - ref(o, j)));
  return worst;
}

}  // namespace

TEST_CASE("Mlp forward matches a double-precision Eigen network", "[mlp]") {
  std::mt19937 rng(11);
  struct Case {
    std::vector<int> sizes;
    Activation last;
    double tol;  // absolute, on outputs of magnitude ~1
  };
  const std::vector<Case> cases = {
      {{16, 256, 512, 784}, Activation::kSigmoid, 1e-5},  // the decoder
      {{784, 512, 256, 32}, Activation::kIdentity, 1e-4},  // the encoder, heads stacked
      {{5, 3, 7, 2}, Activation::kIdentity, 1e-5},
      {{1, 1}, Activation::kRelu, 1e-6},
      {{3, 17, 1}, Activation::kSigmoid, 1e-6},
      {{9, 33, 8, 65, 4, 11}, Activation::kIdentity, 1e-5},
  };
  for (const Case& c : cases) {
    Net net = random_net(c.sizes, c.last, &rng);
    lw::Mlp mlp;
    REQUIRE(mlp.init(net.layers()).ok());
    REQUIRE(mlp.in_dim() == c.sizes.front());
    REQUIRE(mlp.out_dim() == c.sizes.back());
    for (int n : {1, 3, 8, 65, 2, 1}) {  // growing, then smaller batches reuse the buffers
      INFO("sizes " << c.sizes.size() << " layers from " << c.sizes.front() << " n=" << n);
      std::vector<float> x = random_input(static_cast<size_t>(n) * mlp.in_dim(), &rng);
      std::vector<float> y(static_cast<size_t>(n) * mlp.out_dim());
      REQUIRE(mlp.forward(x.data(), n, y.data()).ok());
      const double err = max_abs_diff(y, reference_forward(net, x, n));
      INFO("max abs error " << err);
      CHECK(err <= c.tol);
    }
  }
}

TEST_CASE("Mlp forward_u8 and forward_rgba convert the probabilities", "[mlp]") {
  std::mt19937 rng(12);
  Net net = random_net({4, 10, 30}, Activation::kSigmoid, &rng);
  lw::Mlp mlp;
  REQUIRE(mlp.init(net.layers()).ok());
  const int n = 5;
  std::vector<float> x = random_input(static_cast<size_t>(n) * 4, &rng);
  std::vector<float> probs(static_cast<size_t>(n) * 30);
  REQUIRE(mlp.forward(x.data(), n, probs.data()).ok());
  std::vector<uint8_t> px(probs.size()), rgba(4 * probs.size());
  REQUIRE(mlp.forward_u8(x.data(), n, px.data()).ok());
  REQUIRE(mlp.forward_rgba(x.data(), n, rgba.data()).ok());
  for (size_t i = 0; i < probs.size(); ++i) {
    const uint8_t want = lw::kernels::prob_to_u8_ref(probs[i]);
    CHECK(px[i] == want);
    CHECK(rgba[4 * i] == want);
    CHECK(rgba[4 * i + 3] == 255);
  }
}

TEST_CASE("Mlp rejects bad layers and bad batches with a message", "[mlp]") {
  std::mt19937 rng(13);
  Net net = random_net({4, 6, 3}, Activation::kIdentity, &rng);
  lw::Mlp mlp;
  float x[8] = {}, y[6] = {};

  CHECK_FALSE(mlp.forward(x, 1, y).ok());  // not initialised
  CHECK_FALSE(mlp.init({}).ok());

  std::vector<lw::MlpLayer> layers = net.layers();
  layers[1].in = 5;  // chain mismatch
  lw::Status s = mlp.init(layers);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("does not match") != std::string::npos);
  CHECK(mlp.empty());

  layers = net.layers();
  layers[0].out = 0;
  CHECK_FALSE(mlp.init(layers).ok());
  layers = net.layers();
  layers[1].b = nullptr;
  CHECK_FALSE(mlp.init(layers).ok());
  layers = net.layers();
  layers[0].act = static_cast<Activation>(42);
  CHECK_FALSE(mlp.init(layers).ok());
  layers = net.layers();
  layers[0].in = 1 << 20;
  layers[0].out = 1 << 20;
  CHECK_FALSE(mlp.init(layers).ok());  // too large, rejected before reading w

  REQUIRE(mlp.init(net.layers()).ok());
  CHECK_FALSE(mlp.forward(x, 0, y).ok());
  CHECK_FALSE(mlp.forward(x, -3, y).ok());
  CHECK_FALSE(mlp.forward(nullptr, 1, y).ok());
  CHECK_FALSE(mlp.forward(x, 1, nullptr).ok());
  CHECK_FALSE(mlp.forward(x, 1 << 30, y).ok());  // too large, rejected before any access
  CHECK_FALSE(mlp.forward(x, 2, x + 4).ok());    // overlap
  CHECK(mlp.forward(x, 2, y).ok());
  CHECK(mlp.activation(0) == Activation::kRelu);
  CHECK(mlp.activation(7) == Activation::kIdentity);
}

TEST_CASE("make_decoder_mlp and make_encoder_mlp follow the VAE's layers", "[mlp]") {
  std::mt19937 rng(14);
  // A small VAE built by hand: 12 -> 7 -> 5 -> latent 3 and back.
  auto dense = [&rng](int out, int in) {
    lw::Dense d;
    std::normal_distribution<float> g(0.0f, 0.5f);
    d.W.resize(out, in);
    d.b.resize(out);
    for (int i = 0; i < d.W.size(); ++i) d.W.data()[i] = g(rng);
    for (int i = 0; i < d.b.size(); ++i) d.b[i] = g(rng);
    return d;
  };
  lw::VaeParams p;
  p.enc = {dense(7, 12), dense(5, 7)};
  p.enc_mu = dense(3, 5);
  p.enc_logvar = dense(3, 5);
  p.dec = {dense(5, 3), dense(7, 5), dense(12, 7)};

  const int n = 4;
  std::vector<float> x = random_input(static_cast<size_t>(n) * 12, &rng);
  Eigen::Map<const Eigen::MatrixXf> xm(x.data(), 12, n);

  lw::Mlp enc;
  REQUIRE(lw::make_encoder_mlp(p, &enc).ok());
  REQUIRE(enc.out_dim() == 6);
  std::vector<float> ml(static_cast<size_t>(n) * 6);
  REQUIRE(enc.forward(x.data(), n, ml.data()).ok());
  Eigen::MatrixXf h = xm;
  for (const lw::Dense& d : p.enc) {
    Eigen::MatrixXf next = d.W * h;
    next.colwise() += d.b;
    h = next.cwiseMax(0.0f);
  }
  Eigen::MatrixXf mu = p.enc_mu.W * h;
  mu.colwise() += p.enc_mu.b;
  Eigen::MatrixXf lv = p.enc_logvar.W * h;
  lv.colwise() += p.enc_logvar.b;
  for (int j = 0; j < n; ++j) {
    for (int k = 0; k < 3; ++k) {
      CHECK(ml[j * 6 + k] == Approx(mu(k, j)).margin(1e-5));
      CHECK(ml[j * 6 + 3 + k] == Approx(lv(k, j)).margin(1e-5));
    }
  }

  for (bool sig : {false, true}) {
    lw::Mlp dec;
    REQUIRE(lw::make_decoder_mlp(p, sig, &dec).ok());
    REQUIRE(dec.in_dim() == 3);
    REQUIRE(dec.out_dim() == 12);
    CHECK(dec.activation(0) == Activation::kRelu);
    CHECK(dec.activation(2) == (sig ? Activation::kSigmoid : Activation::kIdentity));
    std::vector<float> z = random_input(static_cast<size_t>(n) * 3, &rng);
    std::vector<float> out(static_cast<size_t>(n) * 12);
    REQUIRE(dec.forward(z.data(), n, out.data()).ok());
    Eigen::MatrixXf g = Eigen::Map<const Eigen::MatrixXf>(z.data(), 3, n);
    for (size_t l = 0; l < p.dec.size(); ++l) {
      Eigen::MatrixXf next = p.dec[l].W * g;
      next.colwise() += p.dec[l].b;
      g = l + 1 < p.dec.size() ? next.cwiseMax(0.0f) : next;
    }
    for (int j = 0; j < n; ++j) {
      for (int o = 0; o < 12; ++o) {
        const float want = sig ? 1.0f / (1.0f + std::exp(-g(o, j))) : g(o, j);
        CHECK(out[j * 12 + o] == Approx(want).margin(1e-5));
      }
    }
  }

  lw::VaeParams bad = p;
  bad.dec[1].b.resize(2);
  lw::Mlp dec;
  CHECK_FALSE(lw::make_decoder_mlp(bad, true, &dec).ok());
  bad = p;
  bad.enc_logvar = dense(4, 5);
  CHECK_FALSE(lw::make_encoder_mlp(bad, &enc).ok());
  bad = p;
  bad.dec[1] = dense(7, 4);  // breaks the chain
  CHECK_FALSE(lw::make_decoder_mlp(bad, true, &dec).ok());
}
