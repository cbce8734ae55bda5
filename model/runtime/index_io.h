// The latent index blob: every garment's posterior q(z|x) in the layout the
// search scans (blocked structure of arrays, precomputed 1/(2 sigma^2) and
// per-item log-normaliser), plus what the page shows beside it: a 2-D PCA of
// the mu, and per-class mean directions. Tensor list in docs/FORMAT.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/blob.h"
#include "model/runtime/search.h"

namespace lw {

// Items are stored in source order: ids 0..59,999 are the training file's
// images 0..59,999 and ids 60,000..69,999 the test file's 0..9,999.

struct IndexExtras {
  std::vector<float> pca_mean;        // [d], mean of mu over all items
  std::vector<float> pca_components;  // [2 x d] row-major, unit principal axes of mu
  std::vector<float> pca_variance;    // [2], variance of mu along each axis
  std::vector<float> class_means;     // [10 x d] row-major, mean mu of each class (all items)
};

// Computes the PCA (2 axes) and the class means from row-major mu [n x d].
void compute_index_extras(const float* mu, const uint8_t* labels, int n, int d, IndexExtras* extras);

// Coordinates of n points on the index's two PCA axes: z [n x d] row-major,
// xy [n x 2] row-major (x, y interleaved), (z - pca_mean) . pca_components[axis].
// d must equal extras.pca_mean.size() (the caller checks). The page's map
// places z and the timeline's path with it.
void project_points(const IndexExtras& extras, const float* z, int n, int d, float* xy);

// Every item's coordinates on the two PCA axes: project_points of each mu,
// xy [index.n x 2]. What the page's map plots.
void project_pca(const LatentIndex& index, const IndexExtras& extras, std::vector<float>* xy);

// Why a 2-D map of the PCA cannot show the items' spread, or "" when it can:
// every item has (nearly) the same mu (an encoder that ignores its input),
// or the mus lie on a line (the second axis is arbitrary and flat). "Nearly":
// a standard deviation along the axis below 1e-6 of the mean's scale
// (max(1, max_k |mean_k|)), i.e. float noise. The projection is finite
// either way (every item at the same point, or on one line).
std::string pca_note(const IndexExtras& extras, int n);

// The storage of mu_soa and inv2var_soa for a requested dtype: f16 only for
// a tensor whose every value survives it (1/(2 sigma^2) in f16's normal range
// [2^-14, 65504], i.e. sigma in about [0.0028, 90]; mu rounded by at most
// sigma/16), else f32, so an extreme but valid posterior is never rounded to
// 0 or inf, nor moved by many of its sigmas.
struct IndexStorage {
  DType mu;
  DType inv2var;
};
IndexStorage index_storage(const LatentIndex& index, DType requested);

// storage is requested for mu_soa and inv2var_soa (f32 or f16; see
// index_storage for when f16 falls back to f32); lognorm stays f32.
Status write_index_blob(const LatentIndex& index, const Architecture& arch, const IndexExtras& extras, DType storage,
                        const std::string& metadata_json, std::vector<uint8_t>* out);

// Parses and validates an index blob, rebuilding the search structures.
Status read_index_blob(const uint8_t* data, size_t size, LatentIndex* index, IndexExtras* extras);

}  // namespace lw
