#include "model/runtime/complexity.h"

#include <cmath>

namespace lw {

namespace {

constexpr int kContexts = 16;  // 4 binary neighbours

// The thresholded pixel at (row, col); 0 outside the image.
inline int bit_at(const float* x, int width, int height, int row, int col) {
  if (row < 0 || col < 0 || col >= width || row >= height) return 0;
  return x[row * width + col] > 0.5f ? 1 : 0;
}

}  // namespace

double input_complexity(const float* x, int width, int height) {
  double ones[kContexts] = {};   // soft count of 1s seen in each context
  double seen[kContexts] = {};   // pixels seen in each context
  double nats = 0;
  for (int row = 0; row < height; ++row) {
    for (int col = 0; col < width; ++col) {
      const int context = bit_at(x, width, height, row, col - 1) | (bit_at(x, width, height, row - 1, col - 1) << 1) |
                          (bit_at(x, width, height, row - 1, col) << 2) |
                          (bit_at(x, width, height, row - 1, col + 1) << 3);
      const double p1 = (ones[context] + 0.5) / (seen[context] + 1.0);  // in (0, 1): KT never reaches 0 or 1
      const double v = static_cast<double>(x[row * width + col]);
      nats -= v * std::log(p1) + (1.0 - v) * std::log1p(-p1);
      ones[context] += v;
      seen[context] += 1.0;
    }
  }
  return nats;
}

}  // namespace lw
