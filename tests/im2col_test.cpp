// The encoder's convolutions (kernels/im2col.h): im2col followed by the dense
// kernel (lw::Mlp, SIMD in the wasm SIMD and native builds, scalar in the
// scalar build) against a direct convolution loop in double precision, over
// sizes, channels, kernels, strides and paddings; and col2im_add against
// im2col as its adjoint (<im2col(x), y> = <x, col2im(y)>), which is what
// training's backward pass relies on.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "tests/test_random.h"

#include "model/runtime/kernels/im2col.h"
#include "model/runtime/mlp_infer.h"

namespace {

using lw::kernels::ConvGeometry;

ConvGeometry geometry(int side, int in_ch, int out_ch, int kernel, int stride, int padding) {
  ConvGeometry g;
  g.in_side = side;
  g.in_ch = in_ch;
  g.out_ch = out_ch;
  g.kernel = kernel;
  g.stride = stride;
  g.padding = padding;
  g.out_side = (side + 2 * padding - kernel) / stride + 1;
  return g;
}

// out(oy, ox, o) = b(o) + sum over the window of W(o, (ky, kx, c)) * in(y, x, c), zero outside.
// w: [out_ch x patch] column-major (the training code's layout).
std::vector<double> direct_conv(const ConvGeometry& g, const std::vector<float>& in, const std::vector<float>& w,
                                const std::vector<float>& b) {
  std::vector<double> out(static_cast<size_t>(g.out_size()));
  for (int oy = 0; oy < g.out_side; ++oy) {
    for (int ox = 0; ox < g.out_side; ++ox) {
      for (int o = 0; o < g.out_ch; ++o) {
        double sum = b[o];
        for (int ky = 0; ky < g.kernel; ++ky) {
          for (int kx = 0; kx < g.kernel; ++kx) {
            const int y = oy * g.stride - g.padding + ky, x = ox * g.stride - g.padding + kx;
            if (y < 0 || x < 0 || y >= g.in_side || x >= g.in_side) continue;
            for (int c = 0; c < g.in_ch; ++c) {
              const int col = (ky * g.kernel + kx) * g.in_ch + c;
              sum += static_cast<double>(w[static_cast<size_t>(col) * g.out_ch + o]) *
                     in[static_cast<size_t>((y * g.in_side + x) * g.in_ch + c)];
            }
          }
        }
        out[static_cast<size_t>((oy * g.out_side + ox) * g.out_ch + o)] = sum;
      }
    }
  }
  return out;
}


}  // namespace

TEST_CASE("im2col + the dense kernel equal a direct convolution", "[kernels][conv]") {
  std::mt19937 rng(5);
  int cases = 0;
  for (int side : {5, 8, 14, 28}) {
    for (int in_ch : {1, 3, 32}) {
      for (int kernel : {1, 3, 4}) {
        for (int stride : {1, 2, 3}) {
          for (int padding = 0; padding < kernel; ++padding) {
            if (side + 2 * padding < kernel || (side == 28 && in_ch == 32)) continue;
            const int out_ch = 1 + (cases * 7) % 13;
            const ConvGeometry g = geometry(side, in_ch, out_ch, kernel, stride, padding);
            const std::vector<float> in = lw::test::uniform_floats(static_cast<size_t>(g.in_size()), -1.0f, 1.0f, &rng);
            const std::vector<float> w = lw::test::uniform_floats(static_cast<size_t>(out_ch) * g.patch(), -1.0f, 1.0f, &rng);
            const std::vector<float> b = lw::test::uniform_floats(static_cast<size_t>(out_ch), -1.0f, 1.0f, &rng);
            std::vector<float> patches(static_cast<size_t>(g.positions()) * g.patch(), -7.0f);
            lw::kernels::im2col(g, in.data(), patches.data());
            lw::MlpLayer layer;
            layer.w = w.data();
            layer.b = b.data();
            layer.in = g.patch();
            layer.out = out_ch;
            lw::Mlp mlp;
            REQUIRE(mlp.init({layer}).ok());
            std::vector<float> got(static_cast<size_t>(g.out_size()));
            REQUIRE(mlp.forward(patches.data(), g.positions(), got.data()).ok());
            const std::vector<double> want = direct_conv(g, in, w, b);
            double worst = 0;
            for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
            INFO("side " << side << " in_ch " << in_ch << " out_ch " << out_ch << " kernel " << kernel << " stride "
                         << stride << " padding " << padding);
            CHECK(worst < 1e-5 * (1 + g.patch()));
            ++cases;
          }
        }
      }
    }
  }
  CHECK(cases > 100);
}

TEST_CASE("col2im_add is im2col's adjoint and accumulates", "[kernels][conv]") {
  std::mt19937 rng(9);
  for (int kernel : {2, 3, 4}) {
    for (int stride : {1, 2}) {
      const ConvGeometry g = geometry(7, 2, 3, kernel, stride, kernel - 1);
      std::uniform_real_distribution<double> u(-1.0, 1.0);
      std::vector<double> x(static_cast<size_t>(g.in_size())), y(static_cast<size_t>(g.positions()) * g.patch());
      for (double& v : x) v = u(rng);
      for (double& v : y) v = u(rng);
      std::vector<double> px(y.size());
      lw::kernels::im2col(g, x.data(), px.data());
      std::vector<double> back(x.size(), 1.0);  // starts at 1: col2im_add adds to it
      lw::kernels::col2im_add(g, y.data(), back.data());
      double lhs = 0, rhs = 0;
      for (size_t i = 0; i < y.size(); ++i) lhs += px[i] * y[i];
      for (size_t i = 0; i < x.size(); ++i) rhs += x[i] * (back[i] - 1.0);
      INFO("kernel " << kernel << " stride " << stride);
      CHECK(lhs == Approx(rhs).epsilon(1e-12));
    }
  }
}
