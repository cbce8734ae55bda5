// Loading a model for the tools: either a model weights blob or a training
// checkpoint (its weights), from a file path.
#pragma once
#include <string>

#include "model/runtime/blob.h"
#include "model/runtime/vae_params.h"

namespace lw {

// Loads encoder and decoder; fails with a clear message if either is absent.
Status load_full_model(const std::string& path, VaeConfig* config, VaeParams* params);

// "f32" -> kF32, "i8" -> kI8, anything else (CLI11 has checked it is "f16") -> kF16.
DType storage_dtype(const std::string& name);

}  // namespace lw
