// Loading a model for the tools: either a model weights blob or a training
// checkpoint (its weights), from a file path.
#pragma once
#include <string>

#include "model/runtime/vae_params.h"

namespace lw {

// Loads encoder and decoder; fails with a clear message if either is absent.
Status load_full_model(const std::string& path, VaeConfig* config, VaeParams* params);

}  // namespace lw
