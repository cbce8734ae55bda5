// SIMD inference kernels vs the scalar reference and a double-precision
// Eigen reference: dense layers of many shapes, the sigmoid's accuracy and
// edge cases, and the 8-bit pixel conversions.
#include <Eigen/Core>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "tests/test_random.h"

#include "model/runtime/kernels/dense.h"
#include "model/runtime/kernels/dense_ref.h"
#include "model/runtime/kernels/pack.h"
#include "model/runtime/kernels/sigmoid.h"

namespace {

using lw::kernels::Activation;

struct Layer {
  int in, out;
  std::vector<float> w;  // [out x in] column-major
  std::vector<float> b;  // [out]
};

Layer random_layer(int in, int out, std::mt19937* rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Layer l{in, out, std::vector<float>(static_cast<size_t>(in) * out), std::vector<float>(out)};
  for (float& v : l.w) v = u(*rng);
  for (float& v : l.b) v = u(*rng);
  return l;
}


// Double-precision reference: y [n x out] row-major, plus sum |w x| + |b|
// per output (the scale of the rounding error of a float sum).
void eigen_reference(const Layer& l, const std::vector<float>& x, int n, Activation act,
                     Eigen::MatrixXd* y, Eigen::MatrixXd* scale) {
  Eigen::Map<const Eigen::MatrixXf> w(l.w.data(), l.out, l.in);
  Eigen::Map<const Eigen::MatrixXf> xm(x.data(), l.in, n);  // one column per sample
  Eigen::Map<const Eigen::VectorXf> b(l.b.data(), l.out);
  const Eigen::MatrixXd wd = w.cast<double>();
  const Eigen::MatrixXd xd = xm.cast<double>();
  Eigen::MatrixXd h(l.out, n);
  h.noalias() = wd * xd;
  h.colwise() += b.cast<double>();
  Eigen::MatrixXd s(l.out, n);
  s.noalias() = wd.cwiseAbs() * xd.cwiseAbs();
  s.colwise() += b.cast<double>().cwiseAbs();
  for (int j = 0; j < n; ++j) {
    for (int o = 0; o < l.out; ++o) {
      double& v = h(o, j);
      if (act == Activation::kRelu) v = v > 0 ? v : 0;
      if (act == Activation::kSigmoid) v = 1.0 / (1.0 + std::exp(-v));
    }
  }
  *y = h;
  *scale = s;
}

}  // namespace

TEST_CASE("pack_dense groups panels and interleaves their weights by input", "[kernels]") {
  using lw::kernels::kGroup;
  using lw::kernels::kPanel;
  std::mt19937 rng(1);
  const int in = 3;
  // One full group plus a group of one partial panel.
  const int out = kGroup * kPanel + kPanel - 1;
  Layer l = random_layer(in, out, &rng);
  lw::kernels::PackedDense p;
  lw::kernels::pack_dense(l.w.data(), l.b.data(), in, out, &p);
  REQUIRE(p.panels == kGroup + 1);
  REQUIRE(p.groups == 2);
  REQUIRE(p.group_panels(0) == kGroup);
  REQUIRE(p.group_panels(1) == 1);
  REQUIRE(p.data.size() == static_cast<size_t>((kGroup + 1) * (in + 1) * kPanel));
  for (int o = 0; o < (kGroup + 1) * kPanel; ++o) {
    const int g = o / (kGroup * kPanel);
    const int width = p.group_panels(g) * kPanel;
    const int r = o - g * kGroup * kPanel;  // column within the group
    const float* group = p.group(g);
    INFO("output " << o);
    CHECK(group[r] == (o < out ? l.b[o] : 0.0f));
    for (int i = 0; i < in; ++i)
      CHECK(group[(1 + i) * width + r] == (o < out ? l.w[o + i * out] : 0.0f));
  }
  CHECK(p.group(1) + (in + 1) * kPanel == p.data.data() + p.data.size());
}

TEST_CASE("dense_forward matches the scalar reference and double precision", "[kernels]") {
  using lw::kernels::kGroup;
  using lw::kernels::kPanel;
  std::mt19937 rng(42);
  const int ins[] = {1, 2, 3, 7, 16, 33, 100};
  // Partial panels, exact panels and groups, several groups with a partial last one.
  const int outs[] = {1, 3, kPanel - 1, kPanel, kPanel + 1, 2 * kPanel + 5, kGroup * kPanel,
                      kGroup * kPanel + 1, 4 * kPanel + 5, 2 * kGroup * kPanel - 1};
  // Batch 1, remainders of the 4-sample blocks, several 64-sample chunks.
  const int ns[] = {1, 2, 3, 4, 5, 8, 65, 131};
  const Activation acts[] = {Activation::kIdentity, Activation::kRelu, Activation::kSigmoid};
  for (int in : ins) {
    for (int out : outs) {
      Layer l = random_layer(in, out, &rng);
      lw::kernels::PackedDense packed;
      lw::kernels::pack_dense(l.w.data(), l.b.data(), in, out, &packed);
      for (int n : ns) {
        std::vector<float> x = lw::test::uniform_floats(static_cast<size_t>(n) * in, -2.0f, 2.0f, &rng);
        for (Activation act : acts) {
          INFO("in=" << in << " out=" << out << " n=" << n << " act=" << activation_name(act));
          // Sentinels after y catch writes past the end.
          std::vector<float> y(static_cast<size_t>(n) * out + 8, 1234.5f);
          std::vector<float> yr(static_cast<size_t>(n) * out);
          std::vector<float> ws(lw::kernels::dense_workspace_floats(in, n));
          lw::kernels::dense_forward(packed, x.data(), n, y.data(), act, ws.data());
          lw::kernels::dense_ref(l.w.data(), l.b.data(), in, out, x.data(), n, yr.data(), act);
          Eigen::MatrixXd ye, scale;
          eigen_reference(l, x, n, act, &ye, &scale);
          double worst_ref = 0, worst_eigen = 0;
          for (int j = 0; j < n; ++j) {
            for (int o = 0; o < out; ++o) {
              const double v = y[static_cast<size_t>(j) * out + o];
              // Float sums of `in` terms: error <= ~in * 2^-24 * scale; the
              // sigmoid adds up to 1e-6 absolute (and shrinks the former).
              const double tol = 1e-6 * (in + 1) * scale(o, j) +
                                 (act == Activation::kSigmoid ? 1e-6 : 0.0);
              worst_ref = std::max(worst_ref, std::abs(v - yr[static_cast<size_t>(j) * out + o]) / tol);
              worst_eigen = std::max(worst_eigen, std::abs(v - ye(o, j)) / tol);
            }
          }
          CHECK(worst_ref <= 1.0);
          CHECK(worst_eigen <= 1.0);
          for (int s = 0; s < 8; ++s) CHECK(y[static_cast<size_t>(n) * out + s] == 1234.5f);
        }
      }
    }
  }
}

TEST_CASE("dense_forward gives each sample the same bits at any batch size", "[kernels]") {
  std::mt19937 rng(7);
  const int in = 37, out = 45, n = 11;
  Layer l = random_layer(in, out, &rng);
  lw::kernels::PackedDense packed;
  lw::kernels::pack_dense(l.w.data(), l.b.data(), in, out, &packed);
  std::vector<float> x = lw::test::uniform_floats(static_cast<size_t>(n) * in, -2.0f, 2.0f, &rng);
  std::vector<float> batch(static_cast<size_t>(n) * out);
  std::vector<float> ws(lw::kernels::dense_workspace_floats(in, n));
  lw::kernels::dense_forward(packed, x.data(), n, batch.data(), Activation::kRelu, ws.data());
  for (int j = 0; j < n; ++j) {
    std::vector<float> one(out);
    lw::kernels::dense_forward(packed, x.data() + j * in, 1, one.data(), Activation::kRelu, nullptr);
    INFO("sample " << j);
    CHECK(std::memcmp(one.data(), batch.data() + j * out, out * sizeof(float)) == 0);
  }
}

TEST_CASE("dense_forward ReLU maps NaN to 0 like the reference", "[kernels]") {
  const float w[1] = {1.0f};
  const float b[1] = {0.0f};
  lw::kernels::PackedDense packed;
  lw::kernels::pack_dense(w, b, 1, 1, &packed);
  const float x[2] = {std::numeric_limits<float>::quiet_NaN(), -3.0f};
  float y[2], yr[2];
  float ws[2];
  REQUIRE(lw::kernels::dense_workspace_floats(1, 2) <= 2);
  lw::kernels::dense_forward(packed, x, 2, y, Activation::kRelu, ws);
  lw::kernels::dense_ref(w, b, 1, 1, x, 2, yr, Activation::kRelu);
  CHECK(y[0] == 0.0f);
  CHECK(yr[0] == 0.0f);
  CHECK(y[1] == 0.0f);
}

TEST_CASE("sigmoid is within 1e-6 of double precision on [-30, 30]", "[kernels][sigmoid]") {
  const int count = 600001;  // step 1e-4
  std::vector<float> x(count), y(count);
  for (int i = 0; i < count; ++i) x[i] = -30.0f + 60.0f * static_cast<float>(i) / (count - 1);
  lw::kernels::sigmoid(x.data(), x.size(), y.data());
  double worst_abs = 0, worst_rel = 0, worst_vs_ref = 0;
  for (int i = 0; i < count; ++i) {
    const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    worst_abs = std::max(worst_abs, std::abs(y[i] - exact));
    worst_rel = std::max(worst_rel, std::abs(y[i] - exact) / exact);
    worst_vs_ref = std::max(worst_vs_ref, static_cast<double>(std::abs(y[i] - lw::kernels::sigmoid_ref(x[i]))));
  }
  INFO("max abs error " << worst_abs << ", max rel error " << worst_rel << ", vs float ref "
                        << worst_vs_ref);
  CHECK(worst_abs < 1e-6);
  CHECK(worst_rel < 1e-6);  // also small outputs (large negative x) stay accurate
  CHECK(worst_vs_ref < 1e-6);
}

TEST_CASE("sigmoid is accurate for random values over the float range", "[kernels][sigmoid]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-87.0f, 87.0f);
  std::vector<float> x(100003), y(x.size());
  for (float& v : x) v = u(rng);
  lw::kernels::sigmoid(x.data(), x.size(), y.data());
  double worst_rel = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    worst_rel = std::max(worst_rel, std::abs(y[i] - exact) / exact);
  }
  INFO("max rel error " << worst_rel);
  CHECK(worst_rel < 1e-6);
}

TEST_CASE("sigmoid edge cases: infinities, NaN, zero, huge values", "[kernels][sigmoid]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float fmax = std::numeric_limits<float>::max();
  const float denorm = std::numeric_limits<float>::denorm_min();
  const std::vector<float> x = {inf, -inf, nan, 0.0f, -0.0f, fmax, -fmax, 88.0f, -88.0f, -87.0f,
                                -86.9f, 17.0f, 1e-30f, -1e-30f, denorm, -denorm, -104.0f};
  std::vector<float> y(x.size());
  lw::kernels::sigmoid(x.data(), x.size(), y.data());
  CHECK(y[0] == 1.0f);
  CHECK(y[1] == 0.0f);
  CHECK(std::isnan(y[2]));
  CHECK(y[3] == 0.5f);
  CHECK(y[4] == 0.5f);
  CHECK(y[5] == 1.0f);
  CHECK(y[6] == 0.0f);
  CHECK(y[7] == 1.0f);
  CHECK(y[8] == 0.0f);  // true value 6e-39: below the documented cut-off
  for (size_t i = 9; i < x.size(); ++i) {
    INFO("x = " << x[i]);
    const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    CHECK(std::abs(y[i] - exact) <= 1e-6 * exact + 1e-37);
  }
  // In place.
  std::vector<float> z = x;
  lw::kernels::sigmoid(z.data(), z.size(), z.data());
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(y[i])) {
      CHECK(std::isnan(z[i]));
    } else {
      CHECK(z[i] == y[i]);
    }
  }
}

TEST_CASE("sigmoid of every length gets the same bits in the tail as in the body", "[kernels][sigmoid]") {
  std::mt19937 rng(5);
  std::vector<float> x = lw::test::uniform_floats(40, -2.0f, 2.0f, &rng);
  std::vector<float> full(x.size());
  lw::kernels::sigmoid(x.data(), x.size(), full.data());
  for (size_t len = 0; len <= x.size(); ++len) {
    for (size_t start = 0; start < 3 && start + len <= x.size(); ++start) {
      std::vector<float> part(len + 1, -7.0f);
      lw::kernels::sigmoid(x.data() + start, len, part.data());
      INFO("len " << len << " start " << start);
      CHECK(std::memcmp(part.data(), full.data() + start, len * sizeof(float)) == 0);
      CHECK(part[len] == -7.0f);
    }
  }
}

TEST_CASE("probs_to_u8 and probs_to_rgba round, clamp and map NaN to 0", "[kernels][pixels]") {
  std::vector<float> p = {0.0f, 1.0f, 0.5f, -0.1f, 1.5f, std::numeric_limits<float>::quiet_NaN(),
                          0.5f / 255.0f, 0.49f / 255.0f, 254.5f / 255.0f, 254.49f / 255.0f,
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::infinity()};
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-0.05f, 1.05f);
  for (int i = 0; i < 1000; ++i) p.push_back(u(rng));
  for (size_t len : {p.size(), p.size() - 1, p.size() - 2, p.size() - 3, size_t{5}, size_t{1}, size_t{0}}) {
    std::vector<uint8_t> g(len + 1, 77), rgba(4 * len + 1, 77);
    lw::kernels::probs_to_u8(p.data(), len, g.data());
    lw::kernels::probs_to_rgba(p.data(), len, rgba.data());
    for (size_t i = 0; i < len; ++i) {
      INFO("p = " << p[i]);
      const uint8_t want = lw::kernels::prob_to_u8_ref(p[i]);
      CHECK(g[i] == want);
      CHECK(rgba[4 * i] == want);
      CHECK(rgba[4 * i + 1] == want);
      CHECK(rgba[4 * i + 2] == want);
      CHECK(rgba[4 * i + 3] == 255);
    }
    CHECK(g[len] == 77);
    CHECK(rgba[4 * len] == 77);
  }
  CHECK(lw::kernels::prob_to_u8_ref(0.0f) == 0);
  CHECK(lw::kernels::prob_to_u8_ref(1.0f) == 255);
  CHECK(lw::kernels::prob_to_u8_ref(0.5f) == 128);
  CHECK(lw::kernels::prob_to_u8_ref(0.49f / 255.0f) == 0);
  CHECK(lw::kernels::prob_to_u8_ref(0.51f / 255.0f) == 1);
}
