// The VAE <-> blob glue: model weight blobs (encoder and/or decoder, f32,
// f16 or i8 matrices). Training checkpoints build on it in model/train/checkpoint.h.
// Tensor names and layouts are specified in docs/FORMAT.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/blob.h"
#include "model/runtime/model_stats.h"
#include "model/runtime/vae_params.h"

namespace lw {

Architecture architecture_of(const VaeConfig& config);
Status config_from_architecture(const Architecture& arch, VaeConfig* config);

// Writes the selected parts (kPartEncoder | kPartDecoder) of the weights and,
// if given, the statistics (model/runtime/model_stats.h).
Status write_model_blob(const VaeConfig& config, const VaeParams& params, uint32_t parts, DType storage,
                        const std::string& metadata_json, std::vector<uint8_t>* out,
                        const ModelStats* stats = nullptr);

// Reads a model weights blob or a training checkpoint's weights. Parts absent
// from the blob are left unallocated (zero-size); *parts says which are there.
// leave_i8_matrices: a weight matrix stored as i8 is checked (shape, scales)
// but left at zero instead of widened to floats, for a caller that runs it
// from the blob's bytes (make_decoder_mlp_from_blob: the page's decoder,
// which would otherwise widen 1.1 M weights it never reads).
Status read_model_blob(const BlobReader& blob, VaeConfig* config, VaeParams* params, uint32_t* parts,
                       bool leave_i8_matrices = false);
Status read_model_blob(const uint8_t* data, size_t size, VaeConfig* config, VaeParams* params, uint32_t* parts);

// Replaces the weights of the chosen parts (kPartEncoder | kPartDecoder, those present in params)
// by what a blob with that storage holds once read back: f16 rounding, or i8 matrices with per-row
// scales (docs/FORMAT.md). The weights the web page runs from its f16 or i8 blobs, so tools can
// score them. (The page's i8 decoder also rounds each layer's input to 15 bits on the integer
// kernel, kernels/dense_q8.h, which this does not model: at most 5.4e-4 per pixel probability on
// the default model, tests/js/golden.test.mjs.) f32 changes nothing. Errors: a value the storage cannot hold (f16 overflow, a
// non-finite weight for i8); params is unchanged then.
Status round_trip_storage(const VaeConfig& config, DType storage, VaeParams* params,
                          uint32_t parts = kPartEncoder | kPartDecoder);

// One weight or bias tensor: blobs store weights [out, in] row-major, Eigen
// keeps [out x in] column-major; biases are [out] either way. The reader
// checks the stored shape against p's.
Status add_weight_tensor(BlobWriter* writer, const std::string& name, const ParamRef<const float>& p, DType storage);
Status read_weight_tensor(const BlobReader& blob, const std::string& name, const ParamRef<float>& p);

}  // namespace lw
