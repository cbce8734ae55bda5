// Nearest-item search in the latent space: given a point z, rank the encoded
// training/test items by how likely z is under each item's posterior
// q(z|x) = N(mu(x), diag(sigma(x)^2)), or by Euclidean distance to mu(x).
//
// Memory layout of LatentIndex (why: the hot loop must run on 4-wide vectors
// without gathers, and read memory in one forward stream):
//   Items are grouped in blocks of kSearchBlock = 16 consecutive ids. Inside
//   a block the data is dimension-major: for dim k, the 16 items' values sit
//   side by side (64 bytes = one cache line). Blocks follow each other:
//     mu_soa[(b * d + k) * 16 + j] = mu of item (b * 16 + j), dimension k
//   and inv2var_soa likewise. The kernel loads, per dimension, four 4-wide
//   vectors (16 items) and keeps four independent accumulators, so a block is
//   4 lane-groups of 4 items. The last block is padded with dummy items
//   (mu = 0, inv2var = 1, lognorm = 0) that are never reported.
//
// The same source compiles to SSE natively, to wasm SIMD128 with
// `em++ -msimd128`, and to scalar code without SIMD (GCC/clang vector
// extensions lower to whatever the target has).
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "model/runtime/status.h"

namespace lw {

// The latent domain: every runtime entry point (search, decode, the index,
// the encoder's posteriors) accepts latent values |z_k| <= kMaxLatentAbs and
// posteriors with |mu_k| <= kMaxLatentAbs and kMinSigma <= sigma_k <= kMaxSigma,
// and rejects anything else with an error naming the value. Why these bounds:
//  - The prior is N(0, I): |z_k| = 10 already has density e^-50, the page's
//    sliders and links stay within +-100, so 1e4 leaves a wide margin for
//    deliberate extremes;
//  - inside it every search score is a finite float: the kernel's sum
//    d * (|z| + |mu|)^2 / (2 sigma^2) <= 1024 * (2e4)^2 * 5e17 = 2e29 (d <= 1024
//    in every blob) stays far below FLT_MAX = 3.4e38, and log sigma stays
//    within +-21, so no score is inf and no ranking collapses into ties of
//    -inf; sigma = 1e-9 is a posterior 1e8 times narrower than any trained
//    garment's, sigma = 1e9 one wider than the whole domain.
constexpr float kMaxLatentAbs = 1e4f;
constexpr double kMinSigma = 1e-9;
constexpr double kMaxSigma = 1e9;

// Checks one posterior (mu, sigma) against the domain above; `where` names it
// in the error ("latent index: item 3 dim 2").
Status check_posterior(float mu, double sigma, const std::string& where);

// Checks a latent vector's values: finite and within +-kMaxLatentAbs. `what`
// names it in the error ("query value 3 is 20000, outside the latent domain
// +-10000"). The message is built only on failure: this runs on every decode
// and search call.
Status check_latent_values(const float* z, int count, const char* what);

constexpr int kSearchBlock = 16;  // items per block (4 lane-groups of 4)
constexpr int kNumLabels = 10;    // Fashion-MNIST classes 0..9
constexpr int kNumSplits = 2;     // 0 = train, 1 = test

// std::allocator with 64-byte (cache-line) alignment, so each block-dimension
// row of 16 floats is exactly one cache line.
template <typename T>
struct CacheAlignedAllocator {
  using value_type = T;
  CacheAlignedAllocator() = default;
  template <typename U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
  }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(64)); }
  template <typename U>
  bool operator==(const CacheAlignedAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const CacheAlignedAllocator<U>&) const { return false; }
};
using AlignedFloats = std::vector<float, CacheAlignedAllocator<float>>;

// How the per-dimension spread of q(z|x) is given to LatentIndex::build.
enum class Spread {
  kSigma,   // standard deviation sigma > 0
  kLogVar,  // log(sigma^2), what the encoder outputs
};

struct LatentIndex {
  int n = 0;  // number of items (ids 0..n-1)
  int d = 0;  // latent dimensions
  AlignedFloats mu_soa;       // [padded_n() * d], blocked layout above
  AlignedFloats inv2var_soa;  // [padded_n() * d], 1 / (2 sigma^2), same layout
  AlignedFloats lognorm;      // [padded_n()], -sum_k log(sqrt(2 pi) sigma_ik)
  std::vector<uint8_t> label; // [n], class 0..9
  std::vector<uint8_t> split; // [n], 0 = train, 1 = test
  // Per block b, bit j set when item b*16+j has that label / split (padding
  // items have none): the kernel offers only candidate lanes to the heap.
  std::vector<uint16_t> label_bits;  // [nblocks * kNumLabels], index b * kNumLabels + label
  std::vector<uint16_t> split_bits;  // [nblocks * kNumSplits], index b * kNumSplits + split
  // counts[s][l]: items with split filter s (0 train, 1 test, 2 all) and
  // label filter l (0..9, 10 = all); validates k against the filter.
  int counts[kNumSplits + 1][kNumLabels + 1] = {};

  // From row-major mu [n x d] and spread [n x d] (sigma or log-variance), and
  // per-item labels [n] and splits [n]. Rejects posteriors outside the latent
  // domain (non-finite values, |mu| > kMaxLatentAbs, sigma outside
  // [kMinSigma, kMaxSigma]), labels > 9 and splits > 1, naming the item, the
  // dimension and the value. On error the index is left empty.
  Status build(const float* mu, const float* spread, int n_items, int dims,
               const uint8_t* labels, const uint8_t* splits, Spread kind = Spread::kSigma);

  // From arrays already in the blocked layout above ([padded_n * d] each,
  // e.g. read back from an index blob): copies the real items (padding is
  // reset), validates like build() (sigma = sqrt(1 / (2 inv2var))) and
  // recomputes lognorm from inv2var.
  Status adopt_soa(const float* mu_blocked, const float* inv2var_blocked, int n_items, int dims,
                   const uint8_t* labels, const uint8_t* splits);

  int padded_n() const { return (n + kSearchBlock - 1) / kSearchBlock * kSearchBlock; }
  // Offset of (item, dim) in mu_soa / inv2var_soa.
  size_t offset(int id, int k) const {
    return (static_cast<size_t>(id / kSearchBlock) * d + k) * kSearchBlock + id % kSearchBlock;
  }
  // Candidate bits of block b for a valid filter (see SearchFilter).
  uint32_t block_pass_bits(int b, int want_split, int want_label) const {
    const uint16_t* sb = &split_bits[static_cast<size_t>(b) * kNumSplits];
    const uint32_t s = want_split < 0 ? (sb[0] | sb[1]) : sb[want_split];
    return want_label < 0 ? s : s & label_bits[static_cast<size_t>(b) * kNumLabels + want_label];
  }
  // Copies item id's mu (d floats) into out and returns out; nullptr if id is
  // out of range.
  const float* mu_of(int id, float* out) const;
  // Copies item id's sigma (d floats, recomputed from inv2var) into out.
  const float* sigma_of(int id, float* out) const;
};

enum class Metric {
  kLikelihood,  // score = log q(z|x), ranked descending (higher is better)
  kEuclidean,   // score = ||z - mu(x)||, ranked ascending (nearest first)
};

struct SearchFilter {
  int split = -1;  // -1 all, 0 train, 1 test
  int label = -1;  // -1 all, or a class 0..9
};

struct SearchHit {
  int32_t id;   // item position in the index
  float score;  // log-likelihood (nats) or Euclidean distance, per the metric
};

// Which scoring loop to run. Both give identical results; kScalar is the
// plain per-item reference (tests, speedup measurement).
enum class SearchKernel { kSimd, kScalar };

// Reusable scratch so that per-frame searches allocate nothing once the
// capacity has grown to k.
struct SearchWorkspace {
  std::vector<SearchHit> hits;  // [k] after a successful search, best first
};

// Top-k items for query z (zlen floats) among those passing the filter, best
// first. Ranking: likelihood by log q(z|x) descending; Euclidean by the
// reported (float) distance ascending. Equal reported scores rank the lower
// id first. Exact (no sampling); O(N d) scan with a bounded
// heap of k, no sort of N.
// Every score is finite for a query inside the latent domain (see
// kMaxLatentAbs): extreme but valid queries rank exactly as a double-precision
// scan does, up to float rounding of the scores.
// Errors: empty index, zlen != d, query values non-finite or beyond
// +-kMaxLatentAbs, bad filter, k < 1 or k > number of items passing the filter.
Status search(const LatentIndex& index, const float* z, int zlen, int k, Metric metric,
              SearchFilter filter, SearchWorkspace* ws,
              SearchKernel kernel = SearchKernel::kSimd);

// Convenience form that allocates: results in *out, best first.
Status search(const LatentIndex& index, const float* z, int zlen, int k, Metric metric,
              SearchFilter filter, std::vector<SearchHit>* out);

// Number of items passing the filter (0 for an invalid filter).
int count_candidates(const LatentIndex& index, SearchFilter filter);

}  // namespace lw
