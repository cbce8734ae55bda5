// Fuzz target: search() as the Embind API and `wardrobe search` call it,
// with arbitrary query length and values (NaN, infinities, huge numbers), k,
// metric, kernel and filter, against two small fixed indexes.
//
// Oracle: the call must succeed exactly when the arguments are valid
// (computed here independently), and then return the k best candidates of a
// brute-force ranking that repeats the scalar kernel's float arithmetic
// (same operation order, no FMA contraction), ties to the lower id.
//
// Input layout (make_corpus.cpp writes seeds in it; short inputs read as 0):
//   u8 flags  bit0 z is null          bit1 use the allocating overload
//             bit2 k as raw i32        bit3 split/label as raw i32
//             bit4 z as i8 / 4         bit5 reuse one workspace across runs
//             bit6 null output         bit7 use the 1-item, 1-dim index
//   i8 metric, i8 kernel
//   k: i8 (or i32), split, label: i8 each (or i32 each)
//   u8 zlen, then zlen values: f32 raw bits (or i8 / 4)
#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/runtime/search.h"
#include "tests/fuzz/fuzz_util.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace lw::fuzz {
namespace {

// Index A: 45 items (not a multiple of 16: a padded last block), 5 dims, no
// item of class 7, items 3 and 20 identical (a score tie), mixed splits.
// Index B: a single item in one dimension.
const LatentIndex& fixed_index(bool tiny) {
  static const LatentIndex a = [] {
    const int n = 45, d = 5;
    std::vector<float> mu(n * d), sigma(n * d);
    std::vector<uint8_t> labels(n), splits(n);
    uint32_t x = 12345;
    auto next = [&x] { return (x = x * 1664525u + 1013904223u) >> 8; };
    for (int i = 0; i < n * d; ++i) {
      mu[i] = static_cast<float>(static_cast<int>(next() % 2001) - 1000) / 250.0f;
      sigma[i] = 0.05f + static_cast<float>(next() % 1000) / 500.0f;
    }
    for (int k = 0; k < d; ++k) {
      mu[20 * d + k] = mu[3 * d + k];
      sigma[20 * d + k] = sigma[3 * d + k];
    }
    for (int i = 0; i < n; ++i) {
      labels[i] = static_cast<uint8_t>(i % 10 == 7 ? 3 : i % 10);
      splits[i] = static_cast<uint8_t>(i % 3 == 0 ? 1 : 0);
    }
    LatentIndex ix;
    if (!ix.build(mu.data(), sigma.data(), n, d, labels.data(), splits.data()).ok()) fail("building index A");
    return ix;
  }();
  static const LatentIndex b = [] {
    const float mu = 0.5f, sigma = 2.0f;
    const uint8_t label = 4, split = 1;
    LatentIndex ix;
    if (!ix.build(&mu, &sigma, 1, 1, &label, &split).ok()) fail("building index B");
    return ix;
  }();
  return tiny ? b : a;
}

struct Ref {
  int id;
  float key;  // ranked descending, ties to the lower id
};

std::vector<SearchHit> brute_force(const LatentIndex& ix, const float* z, int k, bool lik, SearchFilter f) {
  std::vector<Ref> all;
  for (int id = 0; id < ix.n; ++id) {
    if (f.split >= 0 && ix.split[static_cast<size_t>(id)] != f.split) continue;
    if (f.label >= 0 && ix.label[static_cast<size_t>(id)] != f.label) continue;
    float acc = 0.0f;
    for (int j = 0; j < ix.d; ++j) {
      const size_t o = ix.offset(id, j);
      const float diff = z[j] - ix.mu_soa[o];
      if (lik) {
        acc += diff * diff * ix.inv2var_soa[o];
      } else {
        acc += diff * diff;
      }
    }
    all.push_back({id, lik ? ix.lognorm[static_cast<size_t>(id)] - acc : -std::sqrt(acc)});
  }
  std::stable_sort(all.begin(), all.end(), [](const Ref& a, const Ref& b) { return a.key > b.key; });
  std::vector<SearchHit> out;
  for (int i = 0; i < k && i < static_cast<int>(all.size()); ++i) {
    out.push_back({all[static_cast<size_t>(i)].id, lik ? all[static_cast<size_t>(i)].key : -all[static_cast<size_t>(i)].key});
  }
  return out;
}

}  // namespace
}  // namespace lw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lw;
  using namespace lw::fuzz;
  static SearchWorkspace shared_ws;
  ByteReader in(data, size);
  const uint8_t flags = in.take<uint8_t>();
  const int metric = in.take<int8_t>();
  const int kernel = in.take<int8_t>();
  const int k = (flags & 4) ? in.take<int32_t>() : in.take<int8_t>();
  SearchFilter filter;
  if (flags & 8) {
    filter.split = in.take<int32_t>();
    filter.label = in.take<int32_t>();
  } else {
    filter.split = in.take<int8_t>();
    filter.label = in.take<int8_t>();
  }
  const int zlen = in.take<uint8_t>();
  // Exactly zlen floats on the heap, so any read past them is an ASan report.
  std::vector<float> zbuf(static_cast<size_t>(zlen));
  for (float& v : zbuf) v = (flags & 16) ? static_cast<float>(in.take<int8_t>()) / 4.0f : in.take<float>();
  const float* z = (flags & 1) ? nullptr : zbuf.data();
  const bool overload = (flags & 2) != 0;
  const bool null_out = (flags & 64) != 0;
  const LatentIndex& ix = fixed_index((flags & 128) != 0);

  // Independent validity check.
  bool valid = zlen == ix.d && z != nullptr && !null_out;
  for (int i = 0; valid && i < zlen; ++i) valid = std::isfinite(z[i]) && std::fabs(z[i]) <= kMaxLatentAbs;
  valid = valid && (metric == 0 || metric == 1);
  valid = valid && (overload || kernel == 0 || kernel == 1);
  valid = valid && filter.split >= -1 && filter.split <= 1 && filter.label >= -1 && filter.label <= 9;
  int candidates = 0;
  for (int id = 0; id < ix.n; ++id) {
    candidates += (filter.split < 0 || ix.split[static_cast<size_t>(id)] == filter.split) &&
                  (filter.label < 0 || ix.label[static_cast<size_t>(id)] == filter.label);
  }
  valid = valid && k >= 1 && k <= candidates;

  const Metric m = static_cast<Metric>(metric);
  std::vector<SearchHit> hits;
  Status s;
  if (overload) {
    s = search(ix, z, zlen, k, m, filter, null_out ? nullptr : &hits);
  } else {
    SearchWorkspace local;
    SearchWorkspace* ws = null_out ? nullptr : (flags & 32) ? &shared_ws : &local;
    s = search(ix, z, zlen, k, m, filter, ws, static_cast<SearchKernel>(kernel));
    if (ws) hits = ws->hits;
  }
  if (s.ok() != valid) fail(valid ? "valid query rejected" : "invalid query accepted", s);
  if (!valid) {
    LW_FUZZ_CHECK(!s.message().empty() && hits.empty());
    return 0;
  }
  const std::vector<SearchHit> want = brute_force(ix, z, k, metric == 0, filter);
  LW_FUZZ_CHECK(hits.size() == want.size() && hits.size() == static_cast<size_t>(k));
  for (size_t i = 0; i < hits.size(); ++i) {
    LW_FUZZ_CHECK(hits[i].id == want[i].id);
    LW_FUZZ_CHECK(std::memcmp(&hits[i].score, &want[i].score, sizeof(float)) == 0);
  }
  return 0;
}
