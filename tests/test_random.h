// Random test inputs shared by the kernel tests (the wasm suites too, so no
// dataset here): uniform floats from a seeded std::mt19937.
#pragma once
#include <random>
#include <vector>

namespace lw::test {

// n floats uniform in [lo, hi).
inline std::vector<float> uniform_floats(size_t n, float lo, float hi, std::mt19937* rng) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(*rng);
  return v;
}

}  // namespace lw::test
