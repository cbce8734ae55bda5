// The runtime's per-image inference (model/runtime/anomaly.h, mlp_infer.h)
// over many images, in parallel natively: one AnomalyScorer or Mlp per OpenMP
// thread, images shared out statically or dynamically. What the CLI's eval,
// export, index, sample, reconstruct and anomalies compute with, so the figures
// they ship are what the page computes. Each image's noise comes from a
// stream fixed by its position, so results do not depend on the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "model/native/idx.h"
#include "model/runtime/anomaly.h"
#include "model/runtime/status.h"
#include "model/runtime/vae_params.h"

namespace lw {

// Fixed seeds of `wardrobe eval` and the exported statistics (and of the
// default-model test): every evaluation of a model sees the same binarised
// test set and the same noise.
constexpr uint64_t kEvalBinarizeSeed = 20260101;
constexpr uint64_t kEvalNoiseSeed = 777;

// The pixels of images `ids` as floats in [0, 1]: [ids.size() x pixels] row-major.
std::vector<float> image_floats(const ImageSet& images, const std::vector<int>& ids);

// x ~ Bernoulli(p) for each of the count values p (in [0, 1]), from Rng(seed)
// in order: 0 or 1 floats.
std::vector<float> binarize(const float* p, size_t count, uint64_t seed);

// mu and sigma ([n x latent] row-major each) of n images x ([n x pixels]
// row-major, values in [0, 1]).
Status encode_images(const VaeParams& params, const float* x, int n, std::vector<float>* mu,
                     std::vector<float>* sigma);

// Negative ELBO terms of each image; image i's noise is normals
// [i * latent, (i + 1) * latent) of Rng(seed), so the figure equals one pass
// over the images with one stream.
Status neg_elbo_images(const VaeParams& params, const float* x, int n, uint64_t seed, std::vector<ElboTerms>* out);

// IWAE estimate of -log p(x) of each image with k samples; image i's noise
// from Rng(iwae_stream_seed(seed, first_image + i)), so scoring a set in
// chunks (first_image = the chunk's start) gives the same figures as one call.
Status iwae_images(const VaeParams& params, const float* x, int n, int k, uint64_t seed, std::vector<double>* out,
                   int64_t first_image = 0);

// Decodes n latent vectors z ([n x latent] row-major) to grey pixels
// ([n x pixels] bytes): the page's decoder (sigmoid fused, probabilities to
// bytes by kernels::probs_to_u8).
Status decode_images(const VaeParams& params, const float* z, int n, std::vector<uint8_t>* pixels);

}  // namespace lw
