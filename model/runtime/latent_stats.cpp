#include "model/runtime/latent_stats.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace lw {

std::vector<float> kl_per_dimension(const float* mu, const float* sigma, int n, int d) {
  std::vector<float> kl(static_cast<size_t>(d), 0.0f);
  for (int k = 0; k < d; ++k) {
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const size_t at = static_cast<size_t>(i) * d + k;
      const double m = mu[at], s = sigma[at];
      sum += 0.5 * (m * m + s * s - 1.0) - std::log(s);
    }
    kl[static_cast<size_t>(k)] = static_cast<float>(sum / std::max(1, n));
  }
  return kl;
}

std::vector<float> mu_variance(const float* mu, int n, int d) {
  // Row-major [n x d] is column-major [d x n]: one column per image.
  const Eigen::Map<const Eigen::MatrixXf> m(mu, d, n);
  const Eigen::VectorXd mean = m.cast<double>().rowwise().mean();
  const Eigen::MatrixXd centered = m.cast<double>().colwise() - mean;
  const Eigen::VectorXf variance =
      (centered.array().square().rowwise().sum() / std::max(1, n)).cast<float>().matrix();
  return std::vector<float>(variance.data(), variance.data() + d);
}

}  // namespace lw
