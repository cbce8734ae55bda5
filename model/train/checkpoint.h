// Training checkpoints: a LWARDROB blob of kind 3 holding the weights, Adam's
// moments, the RNG state and the run's counters and settings, so `wardrobe
// train --resume` continues exactly where a run stopped. Tensor names in
// docs/FORMAT.md ("Training checkpoint"). The weights read back with
// read_model_blob (model/runtime/vae_io.h) like any model blob.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/status.h"
#include "model/train/train.h"

namespace lw {

Status write_checkpoint(const TrainState& state, const std::string& metadata_json, std::vector<uint8_t>* out);
Status read_checkpoint(const uint8_t* data, size_t size, TrainState* state);

}  // namespace lw
