// Statistics of a set of encodings (mu, sigma of q(z|x), [n x d] row-major):
// what `wardrobe eval` reports and what the exporter ships in the decoder
// blob. PCA and class means of the index: index_io.h.
#pragma once
#include <vector>

namespace lw {

// Mean over the n images of each dimension's KL(q(z_k|x) || N(0, 1)), nats: [d].
std::vector<float> kl_per_dimension(const float* mu, const float* sigma, int n, int d);

// Variance over the n images of each mu_k(x): [d]. A dimension is "active"
// when it exceeds 0.01 (Burda et al. 2016).
std::vector<float> mu_variance(const float* mu, int n, int d);

}  // namespace lw
