// iwae_images (model/native/batch_infer.h) over a whole image set with a
// progress bar on stderr: `eval`, `export` and `anomalies` score up to 70,000
// garments with k samples each, minutes of work that would otherwise print
// nothing. The figures equal one iwae_images call (chunks keep each image's
// noise stream).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/status.h"
#include "model/runtime/vae_params.h"

namespace lw {

// out[i]: the IWAE estimate of -log p(x_i) in nats, k samples, for the n
// images x [n x encoder_input()] row-major in [0, 1]. label names the bar.
Status iwae_images_with_progress(const std::string& label, const VaeParams& params, const float* x, int n, int k,
                                 uint64_t seed, std::vector<double>* out);

}  // namespace lw
