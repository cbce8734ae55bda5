// The VAE <-> blob glue: model weight blobs (encoder and/or decoder, f32 or
// f16) and training checkpoints (weights + Adam state + RNG + counters).
// Tensor names and layouts are specified in docs/FORMAT.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/blob.h"
#include "model/train.h"
#include "model/vae.h"

namespace lw {

Architecture architecture_of(const VaeConfig& config);
Status config_from_architecture(const Architecture& arch, VaeConfig* config);

// A float tensor stored beside the weights (always f32), e.g. the decoder's
// "stats.kl_per_dim" [latent] (each dimension's mean KL on the test set) or
// the encoder's anomaly statistics (docs/FORMAT.md).
struct StatTensor {
  std::string name;             // "stats.*"
  std::vector<uint32_t> shape;  // product == values.size()
  std::vector<float> values;
};

// Writes the selected parts (kPartEncoder | kPartDecoder) of the weights and
// the given statistics.
Status write_model_blob(const VaeConfig& config, const VaeParams& params, uint32_t parts, DType storage,
                        const std::string& metadata_json, std::vector<uint8_t>* out,
                        const std::vector<StatTensor>& stats = {});

// Reads "stats.kl_per_dim" ([latent] floats) from a model blob.
Status read_kl_per_dim(const BlobReader& blob, std::vector<float>* kl);

// Reads a model weights blob or a training checkpoint's weights. Parts absent
// from the blob are left unallocated (zero-size); *parts says which are there.
Status read_model_blob(const BlobReader& blob, VaeConfig* config, VaeParams* params, uint32_t* parts);
Status read_model_blob(const uint8_t* data, size_t size, VaeConfig* config, VaeParams* params, uint32_t* parts);

Status write_checkpoint(const TrainState& state, const std::string& metadata_json, std::vector<uint8_t>* out);
Status read_checkpoint(const uint8_t* data, size_t size, TrainState* state);

}  // namespace lw
