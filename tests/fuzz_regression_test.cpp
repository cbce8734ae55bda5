// Regression tests for problems found while fuzzing the parsers
// (tests/fuzz/). Each builds the offending input with the project's own
// writers, then corrupts it the way the fuzzer did; the raw crash inputs are
// also kept in tests/fuzz/regressions/<target>/ and replayed by
// scripts/fuzz.sh.
#include <catch2/catch.hpp>

#include "model/runtime/vae_io.h"
#include "tests/fuzz/fuzz_util.h"

namespace lw {
namespace {

using fuzz::tiny_config;

constexpr size_t kInputDimField = 24;  // docs/FORMAT.md, header
constexpr size_t kHiddenField = 36;    // hidden[0]

}  // namespace

// fuzz_blob: a 7 KB model blob whose header claims a 1048576-16384-2 model
// made read_model_blob allocate the full parameter set (64 GiB for the first
// layer) before finding that the blob holds none of it: std::bad_alloc
// natively, an out-of-memory abort under ASan and in the browser.
TEST_CASE("a blob header promising a huge model is rejected before allocating it", "[vae_io][fuzz_regression]") {
  VaeParams params;
  init_params(tiny_config(), 1, &params);
  const uint32_t parts = GENERATE(kPartEncoder | kPartDecoder, kPartDecoder, kPartEncoder);
  std::vector<uint8_t> blob;
  REQUIRE(write_model_blob(tiny_config(), params, parts, DType::kF32, "", &blob).ok());
  const std::vector<uint8_t> huge = fuzz::with_fields(blob, {{kInputDimField, 1u << 20}, {kHiddenField, 16384}});
  BlobReader reader;
  REQUIRE(BlobReader::parse(huge.data(), huge.size(), &reader).ok());  // the container itself is fine

  VaeConfig config;
  VaeParams loaded;
  uint32_t got = 0;
  const Status s = read_model_blob(huge.data(), huge.size(), &config, &loaded, &got);
  INFO(s.message());
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("1048576-16384-2") != std::string::npos);
  CHECK(loaded.num_params() == 0);
}

// The bound must not reject real blobs: every valid part combination, f32
// and f16, still loads.
TEST_CASE("the allocation bound accepts every valid model blob", "[vae_io][fuzz_regression]") {
  VaeConfig config = tiny_config();
  config.hidden = GENERATE(std::vector<int>{5}, std::vector<int>{9, 3}, std::vector<int>{1, 1, 1});
  VaeParams params;
  init_params(config, 2, &params);
  const uint32_t parts = GENERATE(kPartEncoder | kPartDecoder, kPartDecoder, kPartEncoder);
  const DType storage = GENERATE(DType::kF32, DType::kF16);
  std::vector<uint8_t> blob;
  REQUIRE(write_model_blob(config, params, parts, storage, "", &blob).ok());
  VaeConfig got_config;
  VaeParams got;
  uint32_t got_parts = 0;
  const Status s = read_model_blob(blob.data(), blob.size(), &got_config, &got, &got_parts);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(got_parts == parts);
  CHECK(got_config.describe() == config.describe());
}

}  // namespace lw
