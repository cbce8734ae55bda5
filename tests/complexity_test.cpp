// input_complexity: the code length of an image under the adaptive context
// model, checked against a direct evaluation of the KT formula on tiny images
// and against what a coder must do (plain < structured < noise; a constant
// image costs about (1/2) ln n per context, the KT regret).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "model/runtime/complexity.h"
#include "model/runtime/rng.h"

namespace lw {

TEST_CASE("input_complexity of tiny images equals the KT code length by hand", "[complexity]") {
  // 1 x 1: context 0, p1 = 1/2: ln 2 whatever the pixel.
  const float one = 1.0f, zero = 0.0f, grey = 0.25f;
  CHECK(input_complexity(&one, 1, 1) == Approx(std::log(2.0)));
  CHECK(input_complexity(&zero, 1, 1) == Approx(std::log(2.0)));
  CHECK(input_complexity(&grey, 1, 1) == Approx(std::log(2.0)));
  // 1 x 3 row [1, 1, 0]: contexts 0 (nothing left), then 1 (left = 1), then 1 again.
  //   pixel 0: p1 = 1/2 -> ln 2
  //   pixel 1: context 1 new, p1 = 1/2 -> ln 2; counts (1, 1)
  //   pixel 2: context 1, p1 = 1.5 / 2 = 0.75, x = 0 -> -ln 0.25
  const float row[3] = {1, 1, 0};
  CHECK(input_complexity(row, 3, 1) == Approx(2 * std::log(2.0) - std::log(0.25)));
}

TEST_CASE("input_complexity orders images as a coder would", "[complexity]") {
  const int side = 28, n = side * side;
  std::vector<float> black(n, 0.0f), stroke(n, 0.0f), noise(n);
  for (int r = 4; r < 24; ++r) stroke[static_cast<size_t>(r * side + 14)] = 1.0f;
  Rng rng(7);
  for (float& v : noise) v = rng.uniform_f() < 0.5f ? 0.0f : 1.0f;
  const double l_black = input_complexity(black.data(), side, side);
  const double l_stroke = input_complexity(stroke.data(), side, side);
  const double l_noise = input_complexity(noise.data(), side, side);
  // A constant image: one context, KT regret about (1/2) ln n + ln(pi)/2 nats.
  CHECK(l_black < 0.5 * std::log(static_cast<double>(n)) + 2.0);
  CHECK(l_black < l_stroke);
  CHECK(l_stroke < 40.0);
  // Fair coin flips cannot be compressed: at least n ln 2 minus a little.
  CHECK(l_noise > 0.98 * n * std::log(2.0));
  CHECK(l_noise < 1.05 * n * std::log(2.0));
}

TEST_CASE("input_complexity is deterministic and inverting the picture keeps it close", "[complexity]") {
  const int side = 28, n = side * side;
  std::vector<float> img(n), inv(n);
  Rng rng(3);
  for (int i = 0; i < n; ++i) {
    img[static_cast<size_t>(i)] = (i / side) > 10 && (i % side) > 6 && (i % side) < 20 ? 0.9f : 0.05f * rng.uniform_f();
    inv[static_cast<size_t>(i)] = 1.0f - img[static_cast<size_t>(i)];
  }
  CHECK(input_complexity(img.data(), side, side) == input_complexity(img.data(), side, side));
  CHECK(input_complexity(img.data(), side, side) > 0.0);
  // Outside pixels count as 0, so the inverse is a little dearer, not wildly.
  CHECK(std::abs(input_complexity(inv.data(), side, side) - input_complexity(img.data(), side, side)) < 30.0);
}

}  // namespace lw
