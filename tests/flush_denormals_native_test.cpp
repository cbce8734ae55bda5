// ScopedFlushDenormals (model/train/flush_denormals.h): subnormal floats become zero inside the
// guard, the caller's floating-point mode comes back after it, and Adam's decaying first moment,
// the case that made training slow, lands on zero instead of a subnormal.
#include <catch2/catch.hpp>

#include <limits>

#include "model/train/adam.h"
#include "model/train/flush_denormals.h"

namespace lw {
namespace {

// volatile: the compiler must not fold the products at compile time, where the mode does not apply.
float times(float a, float b) {
  volatile float x = a, y = b;
  return x * y;
}

}  // namespace

TEST_CASE("ScopedFlushDenormals flushes subnormals in scope and restores the mode after", "[train][ftz]") {
  const float smallest_normal = std::numeric_limits<float>::min();  // 1.18e-38
  const float subnormal = smallest_normal / 4;
  REQUIRE(times(subnormal, 1.0f) != 0.0f);  // the default mode keeps subnormals
  if (!ScopedFlushDenormals::supported()) {
    WARN("no MXCSR on this CPU: the guard does nothing");
    return;
  }
  {
    const ScopedFlushDenormals flush;
    CHECK(times(smallest_normal, 0.5f) == 0.0f);  // FTZ: a subnormal result becomes 0
    CHECK(times(subnormal, 1.0f) == 0.0f);        // DAZ: a subnormal input reads as 0
    CHECK(times(smallest_normal, 2.0f) == 2 * smallest_normal);  // normal numbers are untouched
  }
  CHECK(times(subnormal, 1.0f) == subnormal);
  CHECK(times(smallest_normal, 0.5f) == smallest_normal / 2);
}

TEST_CASE("Adam's first moment of a weight with zero gradient decays to zero, not to a subnormal, under the guard",
          "[train][ftz]") {
  if (!ScopedFlushDenormals::supported()) return;
  const AdamConfig config;
  const float grad = 0.0f;
  float param = 0.5f, m = std::numeric_limits<float>::min(), v = 1e-8f;
  {
    const ScopedFlushDenormals flush;
    adam_update(config, 1e-3f, 100, &grad, &param, &m, &v, 1);
  }
  CHECK(m == 0.0f);
  float m_default = std::numeric_limits<float>::min();
  param = 0.5f;
  v = 1e-8f;
  adam_update(config, 1e-3f, 100, &grad, &param, &m_default, &v, 1);
  CHECK(m_default > 0.0f);  // beta1 * m: subnormal without the guard
  CHECK(m_default < std::numeric_limits<float>::min());
}

}  // namespace lw
