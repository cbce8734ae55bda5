// JSON for the tools (--json output, the training log, blob metadata, the
// manifest) through nlohmann/json. ordered_json keeps keys in insertion
// order, so outputs read in a fixed order.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace lw {

using Json = nlohmann::ordered_json;

// A finite number rounded to `digits` significant digits (what a float holds
// is printed without noise digits), null otherwise.
inline Json json_number(double v, int digits = 6) {
  if (!std::isfinite(v)) return nullptr;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return std::strtod(buf, nullptr);
}

}  // namespace lw
