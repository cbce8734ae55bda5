// The statistics the exporter ships beside the weights (docs/FORMAT.md,
// "Model weights"): written, read and validated here and nowhere else. The
// decoder blob carries kl_per_dim (the page orders its sliders by it); the
// encoder blob the test garments' score distributions and the most anomalous
// test garments. `wardrobe export` writes them, the wasm module reads them.
#pragma once
#include <cstdint>
#include <vector>

#include "model/runtime/blob.h"
#include "model/runtime/status.h"

namespace lw {

struct ModelStats {
  std::vector<float> kl_per_dim;            // [latent] mean KL per dimension, nats; or empty
  std::vector<float> test_iwae_sorted;      // [test] IWAE NLL of every test garment, ascending; or empty
  std::vector<float> test_neg_elbo_sorted;  // [test] negative ELBO, ascending; or empty
  std::vector<float> test_ood_sorted;       // [test] IWAE NLL - input complexity, ascending; or empty
  std::vector<int32_t> anomalous_ids;       // [top] index ids, most anomalous first
  std::vector<float> anomalous_nll;         // [top] their IWAE NLL
};

// The encoder statistics from per-image scores of the test garments (image i
// is index id first_id + i): the three distributions sorted, and the `top`
// highest IWAE NLL (ties: lower id first).
ModelStats encoder_stats(const std::vector<double>& iwae, const std::vector<double>& neg_elbo,
                         const std::vector<double>& ood, int first_id, int top);

// Adds the non-empty statistics as "stats.*" tensors (ids as i32).
Status write_model_stats(const ModelStats& stats, BlobWriter* writer);

// Reads whichever statistics the blob holds (absent ones stay empty) and
// validates them: kl_per_dim has one value per latent dimension, the
// distributions are 1-D and ascending, ids are non-negative integers (i32, or
// f32 holding integers in blobs written before ids were i32) with one NLL each.
Status read_model_stats(const BlobReader& blob, ModelStats* stats);

}  // namespace lw
