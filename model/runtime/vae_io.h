// The VAE <-> blob glue: model weight blobs (encoder and/or decoder, f32 or
// f16). Training checkpoints build on it in model/train/checkpoint.h.
// Tensor names and layouts are specified in docs/FORMAT.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/blob.h"
#include "model/runtime/vae_params.h"

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

// One weight or bias tensor: blobs store weights [out, in] row-major, Eigen
// keeps [out x in] column-major; biases are [out] either way. The reader
// checks the stored shape against p's.
Status add_weight_tensor(BlobWriter* writer, const std::string& name, const ParamRef<const float>& p, DType storage);
Status read_weight_tensor(const BlobReader& blob, const std::string& name, const ParamRef<float>& p);

}  // namespace lw
