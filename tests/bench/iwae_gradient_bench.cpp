// lw_iwae_gradient_bench MODEL [images] [draws] [seed]: how noisy each estimator of the
// encoder's IWAE gradient is on real garments (model/train/iwae_objective.h). For K = 8 and
// K = 32 it draws eps `draws` times for the same `images` binarised training garments
// (the first ones of the split, fixed binarisation), runs iwae_backward with the standard
// (Burda et al. 2016) and the doubly reparameterised (DReG, Tucker et al. 2019) estimator,
// and prints per estimator the variance over draws summed over the encoder's parameters,
// and the squared norm of the mean gradient. Both estimators have the same expectation
// (tests/iwae_objective_native_test.cpp), so the lower variance is the better estimator.
// Needs $FASHION_MNIST_DIR. Prints JSON; errors go to stderr with exit status 1.
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>

#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/runtime/vae_io.h"
#include "model/train/iwae_objective.h"
#include "model/train/train.h"
#include "tools/json.h"

namespace lw {
namespace {

struct Spread {
  double variance_sum = 0;  // sum over encoder parameters of Var_eps[gradient]
  double mean_norm2 = 0;    // |E_eps[gradient]|^2 over the encoder's parameters (sample mean)
};

size_t encoder_size(const VaeParams& g) {
  size_t n = 0;
  for (const ParamRef<const float>& r : g.params()) n += is_decoder_tensor(r.name) ? 0 : r.size();
  return n;
}

Spread encoder_spread(const VaeParams& p, const VaeConfig& c, const Eigen::MatrixXf& x, int k, int draws,
                      uint64_t seed, IwaeGradient estimator) {
  const int b = static_cast<int>(x.cols());
  IwaeScratch s;
  s.resize(c, b, k);
  VaeParams g;
  allocate_params(c, &g);
  const Eigen::Index n = static_cast<Eigen::Index>(encoder_size(g));
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(n), sum_sq = Eigen::VectorXd::Zero(n);
  Eigen::MatrixXf eps(c.latent, b * k);
  Rng rng(seed);  // the same draws for both estimators
  for (int d = 0; d < draws; ++d) {
    for (Eigen::Index i = 0; i < eps.size(); ++i) eps.data()[i] = static_cast<float>(rng.normal());
    iwae_forward(p, x, eps, &s);
    iwae_backward(p, x, &s, &g, 0, estimator);
    Eigen::Index at = 0;
    for (const ParamRef<const float>& r : static_cast<const VaeParams&>(g).params()) {
      if (is_decoder_tensor(r.name)) continue;
      for (size_t i = 0; i < r.size(); ++i, ++at) {
        sum(at) += r.data[i];
        sum_sq(at) += static_cast<double>(r.data[i]) * r.data[i];
      }
    }
  }
  const Eigen::VectorXd mean = sum / draws;
  Spread out;
  out.variance_sum = (sum_sq / draws - mean.cwiseAbs2()).sum();
  out.mean_norm2 = mean.squaredNorm();
  return out;
}

Status run(const std::string& model, int images, int draws, uint64_t seed) {
  if (images < 1 || images > 5000 || draws < 2 || draws > 100000) {
    return Status::Error("images must be in [1, 5000] and draws in [2, 100000]");
  }
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(read_file(model, &bytes));
  VaeConfig config;
  VaeParams params;
  uint32_t parts = 0;
  LW_RETURN_IF_ERROR(read_model_blob(bytes.data(), bytes.size(), &config, &params, &parts).with_context(model));
  if (parts != (kPartEncoder | kPartDecoder)) return Status::Error(model + ": needs the encoder and the decoder");
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(""), &data));
  std::vector<int> ids(static_cast<size_t>(images));
  std::iota(ids.begin(), ids.end(), 0);
  const Eigen::MatrixXf x = binarize_fixed(images_to_matrix(data.train_images, ids), seed);
  Json j = {{"model", model}, {"architecture", config.describe()}, {"images", images}, {"draws", draws}};
  for (int k : {8, 32}) {
    for (IwaeGradient e : {IwaeGradient::kStandard, IwaeGradient::kDoublyReparameterized}) {
      const Spread s = encoder_spread(params, config, x, k, draws, seed, e);
      const std::string name = e == IwaeGradient::kStandard ? "standard" : "dreg";
      j["k" + std::to_string(k)][name] = {{"encoder_variance_sum", json_number(s.variance_sum, 5)},
                                          {"encoder_mean_norm2", json_number(s.mean_norm2, 5)}};
    }
  }
  std::printf("%s\n", j.dump().c_str());
  return Status::Ok();
}

}  // namespace
}  // namespace lw

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: lw_iwae_gradient_bench MODEL [images 64] [draws 40] [seed 5]\n");
    return 2;
  }
  const int images = argc > 2 ? std::atoi(argv[2]) : 64;
  const int draws = argc > 3 ? std::atoi(argv[3]) : 40;
  const uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 5;
  const lw::Status s = lw::run(argv[1], images, draws, seed);
  if (!s.ok()) {
    std::fprintf(stderr, "lw_iwae_gradient_bench: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
