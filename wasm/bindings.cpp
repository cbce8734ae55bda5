// Embind surface of the WebAssembly runtime: thin adapters that take bytes and
// floats from JS, call model/, and hand results back. wardrobe.js wraps this
// into the public API (wardrobe.d.ts); nothing else should call it directly.
//
// Why the shape of this API:
//  - C++ exceptions are off in this build, so nothing here throws: each
//    fallible method returns 0 (ok) or 1 (error) and leaves the message in
//    lastError(); the JS wrapper turns that into `throw new Error(message)`.
//  - Data crosses the boundary once each way through buffers owned by the
//    C++ objects: JS asks for an input buffer of the right size (which may
//    grow the heap), writes into a fresh heap view, calls the method (which
//    may grow the heap again), then copies the result out of a fresh view.
//    No heap view is kept across a call that may allocate.
//  - Buffers only grow, to the largest batch seen, so steady-state calls
//    allocate nothing and the heap size stays constant.
#include <emscripten/bind.h>
#include <malloc.h>
#include <algorithm>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/anomaly.h"
#include "model/runtime/blob.h"
#include "model/runtime/index_io.h"
#include "model/runtime/mlp_infer.h"
#include "model/runtime/model_stats.h"
#include "model/runtime/search.h"
#include "model/runtime/vae_params.h"
#include "model/runtime/vae_io.h"
#include "wasm/binding_support.h"

namespace lw {
namespace {

// Largest decode batch accepted in one call (64 MB of RGBA output).
constexpr int kMaxBatch = 1 << 14;
// Largest query buffer handed out (floats); a query needs exactly d.
constexpr int kMaxQuery = 1 << 16;

// Bytes currently allocated by malloc (for leak checks in the tests).
int heap_used() { return static_cast<int>(mallinfo().uordblks); }

// The domains of the numeric inputs, for wardrobe.js's `limits` (one
// definition, in C++, of what the calls accept).
double latent_abs_max() { return kMaxLatentAbs; }
double sigma_min() { return kMinSigma; }
double sigma_max() { return kMaxSigma; }
int max_batch() { return kMaxBatch; }
int max_score_samples() { return AnomalyScorer::kMaxSamples; }

// Checks that `count` floats hold whole vectors of `d` values, all finite
// and inside the latent domain (|z_k| <= kMaxLatentAbs, model/runtime/search.h).
Status check_latents(const float* z, int count, int d, int n, const char* what) {
  if (count != n * d) {
    if (n == 1) {
      return Status::Error(std::string(what) + " has " + std::to_string(count) +
                           " values, the latent size is " + std::to_string(d));
    }
    return Status::Error(std::string(what) + " has " + std::to_string(count) + " values, expected " +
                         std::to_string(n) + " x " + std::to_string(d) + " = " + std::to_string(n * d));
  }
  return check_latent_values(z, count, what);
}

// A decoder: z [d] -> 784 pixel probabilities (sigmoid fused into the last layer).
class WasmModel {
 public:
  // Parses the first `bytes` bytes of the staging buffer as a model blob with
  // a decoder part. On error the object stays unloaded.
  int load(int bytes) {
    const uint8_t* data = nullptr;
    VaeConfig config;
    VaeParams params;
    BlobReader blob;
    Status s = staged_span(0, bytes, &data);
    // i8 matrices are left in the blob, not widened: the integer kernel runs them from its bytes.
    if (s.ok()) s = read_model_part(data, static_cast<size_t>(bytes), kPartDecoder, &blob, &config, &params,
                                    /*leave_i8_matrices=*/true);
    ModelStats stats;
    if (s.ok()) s = read_model_stats(blob, &stats);
    std::vector<float> kl = std::move(stats.kl_per_dim);
    Mlp mlp;
    // i8 matrices (the page's decoder blob) stay i8 and run the integer kernel.
    if (s.ok()) s = make_decoder_mlp_from_blob(blob, params, /*sigmoid_output=*/true, &mlp);
    if (s.ok()) s = mlp.reserve(1);
    if (!s.ok()) return fail(s.with_context("model"));
    d_ = config.latent;
    pixels_ = mlp.out_dim();
    mlp_ = std::move(mlp);
    kl_ = kl.empty() ? std::vector<float>(static_cast<size_t>(d_), 0.0f) : std::move(kl);
    input_.assign(static_cast<size_t>(d_), 0.0f);
    output_.assign(static_cast<size_t>(pixels_) * 4, 0);  // room for one RGBA image
    return 0;
  }

  int latentSize() const { return d_; }
  int imageSize() const { return pixels_; }
  uintptr_t klPtr() const { return reinterpret_cast<uintptr_t>(kl_.data()); }

  // Input buffer for `count` floats (may grow the heap); 0 (error in
  // lastError()) for more than the largest batch accepts.
  uintptr_t inputPtr(int count) {
    if (count < 0) count = 0;
    if (count > kMaxBatch * d_) {
      fail("Z has " + std::to_string(count) + " values, more than the largest batch (" +
           std::to_string(kMaxBatch) + " x " + std::to_string(d_) + ")");
      return 0;
    }
    if (static_cast<size_t>(count) > input_.size()) input_.resize(static_cast<size_t>(count));
    return reinterpret_cast<uintptr_t>(input_.data());
  }
  uintptr_t outputPtr() const { return reinterpret_cast<uintptr_t>(output_.data()); }

  // Decodes n latent vectors from the first `count` input floats. kind:
  // 0 grey bytes [n x 784], 1 RGBA bytes [n x 784 x 4], 2 probabilities
  // (floats) [n x 784]. The result is at outputPtr().
  int decode(int count, int n, int kind) {
    if (mlp_.empty()) return fail("model: not loaded");
    if (n < 1 || n > kMaxBatch) {
      return fail("batch size must be 1.." + std::to_string(kMaxBatch) + ", got " + std::to_string(n));
    }
    if (count < 0 || static_cast<size_t>(count) > input_.size()) return fail("model: input buffer too small");
    Status s = check_latents(input_.data(), count, d_, n, n == 1 ? "z" : "Z");
    if (!s.ok()) return fail(s);
    const size_t pixels = static_cast<size_t>(n) * pixels_;
    const size_t bytes = kind == 0 ? pixels : pixels * 4;  // RGBA and floats both take 4 bytes per pixel
    if (kind < 0 || kind > 2) return fail("decode: unknown output kind " + std::to_string(kind));
    if (bytes > output_.size()) output_.resize(bytes);
    if (kind == 0) {
      s = mlp_.forward_u8(input_.data(), n, output_.data());
    } else if (kind == 1) {
      s = mlp_.forward_rgba(input_.data(), n, output_.data());
    } else {
      s = mlp_.forward(input_.data(), n, reinterpret_cast<float*>(output_.data()));
    }
    return s.ok() ? 0 : fail(s);
  }

 private:
  Mlp mlp_;                     // decoder with fused sigmoid output
  int d_ = 0;                   // latent size
  int pixels_ = 0;              // output pixels per image (784)
  std::vector<float> kl_;       // [d] mean KL per latent dimension (zeros if absent)
  std::vector<float> input_;    // [>= n x d] latent vectors from JS
  // [>= n x pixels x 4] bytes: grey, RGBA or float output. malloc aligns to
  // at least 8 bytes, enough for the float view.
  std::vector<uint8_t> output_;
};

// The latent index: search, per-item data, PCA and class means.
class WasmIndex {
 public:
  int load(int bytes) {
    const uint8_t* data = nullptr;
    LatentIndex index;
    IndexExtras extras;
    Status s = staged_span(0, bytes, &data);
    if (s.ok()) s = read_index_blob(data, static_cast<size_t>(bytes), &index, &extras);
    if (!s.ok()) return fail(s.with_context("index"));
    index_ = std::move(index);
    extras_ = std::move(extras);
    query_.assign(static_cast<size_t>(index_.d), 0.0f);
    item_.assign(static_cast<size_t>(index_.d), 0.0f);
    ws_.hits.reserve(16);
    return 0;
  }

  int size() const { return index_.n; }
  int latentSize() const { return index_.d; }

  // Query buffer for `count` floats; 0 (error in lastError()) when count is
  // too large to be worth copying (the search rejects any count != d).
  uintptr_t queryPtr(int count) {
    if (count < 0) count = 0;
    if (static_cast<size_t>(count) > query_.size()) {
      if (count > kMaxQuery) {
        fail("query has " + std::to_string(count) + " values, the index has " + std::to_string(index_.d) +
             " dimensions");
        return 0;
      }
      query_.resize(static_cast<size_t>(count));
    }
    return reinterpret_cast<uintptr_t>(query_.data());
  }

  // Top-k for the first `count` query floats. metric: 0 likelihood,
  // 1 euclidean; split: -1 all, 0 train, 1 test; label: -1 or 0..9.
  // Results: hitCount() hits at idsPtr() (int32) and scoresPtr() (float).
  int search(int count, int k, int metric, int split, int label) {
    if (index_.n < 1) return fail("index: not loaded");
    if (count < 0 || static_cast<size_t>(count) > query_.size()) return fail("index: query buffer too small");
    if (metric != 0 && metric != 1) return fail("search: unknown metric " + std::to_string(metric));
    SearchFilter filter;
    filter.split = split;
    filter.label = label;
    const Status s = lw::search(index_, query_.data(), count, k, metric == 0 ? Metric::kLikelihood : Metric::kEuclidean,
                                filter, &ws_);
    if (!s.ok()) return fail(s);
    const size_t hits = ws_.hits.size();
    if (ids_.size() < hits) {
      ids_.resize(hits);
      scores_.resize(hits);
    }
    for (size_t i = 0; i < hits; ++i) {
      ids_[i] = ws_.hits[i].id;
      scores_[i] = ws_.hits[i].score;
    }
    hit_count_ = static_cast<int>(hits);
    return 0;
  }
  int hitCount() const { return hit_count_; }
  uintptr_t idsPtr() const { return reinterpret_cast<uintptr_t>(ids_.data()); }
  uintptr_t scoresPtr() const { return reinterpret_cast<uintptr_t>(scores_.data()); }

  // what: 0 mu, 1 sigma, into itemPtr() (d floats).
  int item(int id, int what) {
    const Status s = check_id(id);
    if (!s.ok()) return fail(s);
    if (what == 0) {
      index_.mu_of(id, item_.data());
    } else {
      index_.sigma_of(id, item_.data());
    }
    return 0;
  }
  uintptr_t itemPtr() const { return reinterpret_cast<uintptr_t>(item_.data()); }
  // Class 0..9, or -1 (error in lastError()) for a bad id.
  int label(int id) const {
    const Status s = check_id(id);
    return s.ok() ? index_.label[static_cast<size_t>(id)] : (lw::fail(s), -1);
  }
  // 0 train, 1 test, or -1 for a bad id.
  int split(int id) const {
    const Status s = check_id(id);
    return s.ok() ? index_.split[static_cast<size_t>(id)] : (lw::fail(s), -1);
  }

  // Items of class c (0..9) in the whole index; 0 for a class it lacks
  // (whose classMeans row is then zeros, not a mean).
  int classCount(int c) const { return c >= 0 && c < kNumLabels ? index_.counts[kNumSplits][c] : 0; }
  // Why the 2-D PCA map cannot show a spread, or "" when it can.
  std::string pcaNote() const { return pca_note(extras_, index_.n); }

  uintptr_t pcaMeanPtr() const { return reinterpret_cast<uintptr_t>(extras_.pca_mean.data()); }
  uintptr_t pcaComponentsPtr() const { return reinterpret_cast<uintptr_t>(extras_.pca_components.data()); }
  uintptr_t pcaVariancePtr() const { return reinterpret_cast<uintptr_t>(extras_.pca_variance.data()); }
  uintptr_t classMeansPtr() const { return reinterpret_cast<uintptr_t>(extras_.class_means.data()); }

  // Every item's coordinates on the two PCA axes, [2 x n] interleaved, at
  // projectionPtr(). Computed once, on first use.
  int project() {
    if (index_.n < 1) return fail("index: not loaded");
    if (projection_.empty()) project_pca(index_, extras_, &projection_);
    return 0;
  }
  uintptr_t projectionPtr() const { return reinterpret_cast<uintptr_t>(projection_.data()); }

  // Buffer for `count` floats of points to project (n x d); 0 (error in
  // lastError()) for more than kMaxBatch points.
  uintptr_t pointsPtr(int count) {
    if (count < 0) count = 0;
    if (count > kMaxBatch * std::max(index_.d, 1)) {
      fail("Z has " + std::to_string(count) + " values, more than " + std::to_string(kMaxBatch) + " points");
      return 0;
    }
    if (static_cast<size_t>(count) > points_.size()) points_.resize(static_cast<size_t>(count));
    return reinterpret_cast<uintptr_t>(points_.data());
  }
  // The first `count` point floats (n x d, n = count / d) on the two PCA axes
  // (project_points), [n x 2] interleaved at pointsXyPtr().
  int projectPoints(int count) {
    if (index_.n < 1) return fail("index: not loaded");
    if (count < 0 || static_cast<size_t>(count) > points_.size()) return fail("index: points buffer too small");
    const int n = count / index_.d;
    if (n < 1) return fail("Z has " + std::to_string(count) + " values, the latent size is " + std::to_string(index_.d));
    const Status s = check_latents(points_.data(), count, index_.d, n, n == 1 ? "z" : "Z");
    if (!s.ok()) return fail(s);
    points_xy_.resize(2 * static_cast<size_t>(n));
    project_points(extras_, points_.data(), n, index_.d, points_xy_.data());
    return 0;
  }
  uintptr_t pointsXyPtr() const { return reinterpret_cast<uintptr_t>(points_xy_.data()); }

 private:
  Status check_id(int id) const {
    if (index_.n < 1) return Status::Error("index: not loaded");
    if (id < 0 || id >= index_.n) {
      return Status::Error("item id " + std::to_string(id) + " is out of range 0.." + std::to_string(index_.n - 1));
    }
    return Status::Ok();
  }

  LatentIndex index_;             // search structures
  IndexExtras extras_;            // PCA and class means from the blob
  SearchWorkspace ws_;            // reused by every search
  std::vector<float> query_;      // [>= d] query from JS
  std::vector<int32_t> ids_;      // [>= k] last results
  std::vector<float> scores_;     // [>= k]
  int hit_count_ = 0;             // valid entries in ids_/scores_
  std::vector<float> item_;       // [d] mu or sigma of one item
  std::vector<float> projection_; // [2 x n] PCA coordinates, empty until project()
  std::vector<float> points_;      // [>= n x d] points from JS for projectPoints()
  std::vector<float> points_xy_;   // [n x 2] their PCA coordinates
};

}  // namespace
}  // namespace lw

EMSCRIPTEN_BINDINGS(latent_wardrobe) {
  using namespace emscripten;
  function("lastError", &lw::last_error);
  function("heapUsed", &lw::heap_used);
  function("latentAbsMax", &lw::latent_abs_max);
  function("sigmaMin", &lw::sigma_min);
  function("sigmaMax", &lw::sigma_max);
  function("maxBatch", &lw::max_batch);
  function("maxScoreSamples", &lw::max_score_samples);
  function("stage", &lw::stage);
  function("unstage", &lw::unstage);
  class_<lw::WasmModel>("WasmModel")
      .constructor<>()
      .function("load", &lw::WasmModel::load)
      .function("latentSize", &lw::WasmModel::latentSize)
      .function("imageSize", &lw::WasmModel::imageSize)
      .function("klPtr", &lw::WasmModel::klPtr)
      .function("inputPtr", &lw::WasmModel::inputPtr)
      .function("outputPtr", &lw::WasmModel::outputPtr)
      .function("decode", &lw::WasmModel::decode);
  class_<lw::WasmIndex>("WasmIndex")
      .constructor<>()
      .function("load", &lw::WasmIndex::load)
      .function("size", &lw::WasmIndex::size)
      .function("latentSize", &lw::WasmIndex::latentSize)
      .function("queryPtr", &lw::WasmIndex::queryPtr)
      .function("search", &lw::WasmIndex::search)
      .function("hitCount", &lw::WasmIndex::hitCount)
      .function("idsPtr", &lw::WasmIndex::idsPtr)
      .function("scoresPtr", &lw::WasmIndex::scoresPtr)
      .function("item", &lw::WasmIndex::item)
      .function("itemPtr", &lw::WasmIndex::itemPtr)
      .function("label", &lw::WasmIndex::label)
      .function("split", &lw::WasmIndex::split)
      .function("classCount", &lw::WasmIndex::classCount)
      .function("pcaNote", &lw::WasmIndex::pcaNote)
      .function("pcaMeanPtr", &lw::WasmIndex::pcaMeanPtr)
      .function("pcaComponentsPtr", &lw::WasmIndex::pcaComponentsPtr)
      .function("pcaVariancePtr", &lw::WasmIndex::pcaVariancePtr)
      .function("classMeansPtr", &lw::WasmIndex::classMeansPtr)
      .function("project", &lw::WasmIndex::project)
      .function("projectionPtr", &lw::WasmIndex::projectionPtr)
      .function("pointsPtr", &lw::WasmIndex::pointsPtr)
      .function("projectPoints", &lw::WasmIndex::projectPoints)
      .function("pointsXyPtr", &lw::WasmIndex::pointsXyPtr);
}
