// Real Fashion-MNIST for the native tests: found through FASHION_MNIST_DIR,
// else <source>/data/fashion-mnist. A missing dataset fails the test with a
// message (tests never silently skip real-data checks).
#pragma once
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "model/native/dataset.h"

namespace lw::test {

inline std::string data_dir() {
  const char* env = std::getenv("FASHION_MNIST_DIR");
  if (env != nullptr && env[0] != '\0') return env;
  return std::string(LW_SOURCE_DIR) + "/data/fashion-mnist";
}

// Loaded once per test process.
inline const Dataset& dataset() {
  static Dataset data;
  static Status status = load_fashion_mnist(data_dir(), &data);
  INFO(status.message());
  REQUIRE(status.ok());
  return data;
}

}  // namespace lw::test
