// Fuzz target: the latent index blob reader (read_index_blob), then a few
// searches on whatever it accepts.
//
// Each input is tried as given and with its checksums recomputed
// (fuzz_util.h). Invariants on an accepted index: consistent sizes, every
// stored value usable by the search (finite mu, positive finite weights,
// labels 0..9, splits 0..1), the SIMD and scalar kernels agree bit for bit,
// and write -> read gives the same index back.
#include <cmath>
#include <cstring>

#include "model/runtime/index_io.h"
#include "tests/fuzz/fuzz_util.h"

namespace lw::fuzz {
namespace {

void check_index(const LatentIndex& ix, const IndexExtras& ex) {
  LW_FUZZ_CHECK(ix.n >= 1 && ix.d >= 1);
  const size_t padded = static_cast<size_t>(ix.padded_n());
  const size_t d = static_cast<size_t>(ix.d);
  LW_FUZZ_CHECK(ix.mu_soa.size() == padded * d && ix.inv2var_soa.size() == padded * d);
  LW_FUZZ_CHECK(ix.lognorm.size() == padded);
  LW_FUZZ_CHECK(ix.label.size() == static_cast<size_t>(ix.n) && ix.split.size() == static_cast<size_t>(ix.n));
  LW_FUZZ_CHECK(ex.pca_mean.size() == d && ex.pca_components.size() == 2 * d && ex.pca_variance.size() == 2 &&
                ex.class_means.size() == static_cast<size_t>(kNumLabels) * d);
  int total = 0;
  for (int i = 0; i < ix.n; ++i) {
    LW_FUZZ_CHECK(ix.label[static_cast<size_t>(i)] < kNumLabels && ix.split[static_cast<size_t>(i)] < kNumSplits);
    for (int k = 0; k < ix.d; ++k) {
      LW_FUZZ_CHECK(std::isfinite(ix.mu_soa[ix.offset(i, k)]));
      const float w = ix.inv2var_soa[ix.offset(i, k)];
      LW_FUZZ_CHECK(std::isfinite(w) && w > 0.0f);
    }
    ++total;
  }
  LW_FUZZ_CHECK(count_candidates(ix, SearchFilter{}) == total);

  // Query at item 0's mean (and at the origin): both kernels, both metrics.
  std::vector<float> z(d), origin(d, 0.0f);
  LW_FUZZ_CHECK(ix.mu_of(0, z.data()) != nullptr);
  LW_FUZZ_CHECK(ix.mu_of(ix.n, z.data()) == nullptr && ix.sigma_of(-1, z.data()) == nullptr);
  std::vector<float> sigma(d);
  LW_FUZZ_CHECK(ix.sigma_of(ix.n - 1, sigma.data()) != nullptr);
  ix.mu_of(0, z.data());
  const int k = ix.n < 3 ? ix.n : 3;
  for (const std::vector<float>* q : {&z, &origin}) {
    for (Metric metric : {Metric::kLikelihood, Metric::kEuclidean}) {
      SearchWorkspace simd, scalar;
      Status s = search(ix, q->data(), ix.d, k, metric, SearchFilter{}, &simd, SearchKernel::kSimd);
      if (!s.ok()) fail("search on an accepted index", s);
      s = search(ix, q->data(), ix.d, k, metric, SearchFilter{}, &scalar, SearchKernel::kScalar);
      if (!s.ok()) fail("scalar search on an accepted index", s);
      LW_FUZZ_CHECK(simd.hits.size() == static_cast<size_t>(k) && scalar.hits.size() == simd.hits.size());
      for (size_t i = 0; i < simd.hits.size(); ++i) {
        LW_FUZZ_CHECK(simd.hits[i].id == scalar.hits[i].id);
        LW_FUZZ_CHECK(std::memcmp(&simd.hits[i].score, &scalar.hits[i].score, sizeof(float)) == 0);
        LW_FUZZ_CHECK(simd.hits[i].id >= 0 && simd.hits[i].id < ix.n);
      }
    }
  }
}

void exercise(const uint8_t* data, size_t size) {
  LatentIndex ix;
  IndexExtras ex;
  const Status s = read_index_blob(data, size, &ix, &ex);
  if (!s.ok()) {
    LW_FUZZ_CHECK(!s.message().empty());
    return;
  }
  check_index(ix, ex);
  // Round trip through the writer (f32 storage keeps every value).
  Architecture arch;
  arch.latent = static_cast<uint32_t>(ix.d);
  std::vector<uint8_t> bytes;
  Status w = write_index_blob(ix, arch, ex, DType::kF32, "", &bytes);
  if (!w.ok()) fail("write_index_blob of an accepted index", w);
  LatentIndex again;
  IndexExtras ex2;
  w = read_index_blob(bytes.data(), bytes.size(), &again, &ex2);
  if (!w.ok()) fail("re-reading a written index", w);
  LW_FUZZ_CHECK(again.n == ix.n && again.d == ix.d && again.label == ix.label && again.split == ix.split);
  LW_FUZZ_CHECK(std::memcmp(again.mu_soa.data(), ix.mu_soa.data(), ix.mu_soa.size() * sizeof(float)) == 0);
  LW_FUZZ_CHECK(std::memcmp(again.inv2var_soa.data(), ix.inv2var_soa.data(), ix.inv2var_soa.size() * sizeof(float)) == 0);
  LW_FUZZ_CHECK(std::memcmp(again.lognorm.data(), ix.lognorm.data(), ix.lognorm.size() * sizeof(float)) == 0);
}

}  // namespace
}  // namespace lw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lw::fuzz::exercise(data, size);
  const std::vector<uint8_t> fixed = lw::fuzz::with_fixed_checksums(data, size);
  if (size >= 256 && std::memcmp(fixed.data(), data, size) != 0) lw::fuzz::exercise(fixed.data(), fixed.size());
  return 0;
}
