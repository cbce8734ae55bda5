// wardrobe eval: test-set negative ELBO, IWAE NLL estimate and active units.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "model/native/dataset.h"
#include "model/train.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/model_file.h"

namespace lw {

Status cmd_eval(int argc, char** argv) {
  Args args;
  LW_RETURN_IF_ERROR(args.parse(argc, argv, {"model", "data", "iwae", "limit"}, {"json"}));
  LW_RETURN_IF_ERROR(args.require("model"));
  int k = 0, limit = 0;
  LW_RETURN_IF_ERROR(args.get_int("iwae", 1000, 0, 100000, &k));
  LW_RETURN_IF_ERROR(args.get_int("limit", 10000, 1, 10000, &limit));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(args.get_string("model", ""), &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(args.get_string("data", "")), &data));
  std::vector<int> ids;
  LW_RETURN_IF_ERROR(first_images(args.has("limit") ? limit : data.test_images.count, data.test_images, "--limit",
                                  "test images", &ids));
  const Eigen::MatrixXf x = images_to_matrix(data.test_images, ids);
  const Eigen::MatrixXf x_bin = binarize_fixed(x, kEvalBinarizeSeed);

  // evaluate_elbo binarises its input with the given seed; x_bin is already
  // binary, so binarising it again leaves it unchanged.
  const EpochStats elbo = evaluate_elbo(params, config, x_bin, kEvalNoiseSeed);
  double iwae = NAN;
  double iwae_seconds = 0;
  if (k > 0) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<double> nll = iwae_nll(params, config, x_bin, k, kEvalNoiseSeed);
    iwae_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    iwae = std::accumulate(nll.begin(), nll.end(), 0.0) / static_cast<double>(nll.size());
  }
  Eigen::MatrixXf mu, sigma;
  encode_all(params, config, x, &mu, &sigma);
  const Eigen::VectorXf variance = mu_variance(mu);
  const int active = static_cast<int>((variance.array() > 0.01f).count());
  // A model whose posteriors overflow float (sigma^2 = inf, or 0) has no
  // finite figures: say so and why, instead of printing null.
  if (!std::isfinite(elbo.neg_elbo) || (k > 0 && !std::isfinite(iwae))) {
    auto g = [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", v);
      return std::string(buf);
    };
    return Status::Error("the model's figures are not finite (negative ELBO " + g(elbo.neg_elbo) + " = reconstruction " +
                         g(elbo.rec) + " + KL " + g(elbo.kl) + (k > 0 ? ", IWAE NLL " + g(iwae) : "") +
                         "): its posterior sigma ranges " + g(sigma.minCoeff()) + ".." + g(sigma.maxCoeff()) +
                         ", beyond what float arithmetic can square");
  }

  if (args.has("json")) {
    std::string s = "{\"model\":" + json_escape(args.get_string("model", "")) + ",\"architecture\":" +
                    json_escape(config.describe()) + ",\"test_images\":" + std::to_string(ids.size());
    s += ",\"neg_elbo\":" + json_number(elbo.neg_elbo) + ",\"rec\":" + json_number(elbo.rec) +
         ",\"kl\":" + json_number(elbo.kl);
    s += ",\"iwae_k\":" + std::to_string(k) + ",\"iwae_nll\":" + json_number(iwae);
    s += ",\"active_units\":" + std::to_string(active) + ",\"latent\":" + std::to_string(config.latent);
    s += ",\"mu_variance\":[";
    for (int i = 0; i < variance.size(); ++i) s += (i ? "," : "") + json_number(variance(i), 4);
    s += "],\"iwae_seconds\":" + json_number(iwae_seconds, 4) + "}";
    std::printf("%s\n", s.c_str());
  } else {
    std::printf("model %s (%s), %zu test images, binarised with a fixed seed\n", args.get_string("model", "").c_str(),
                config.describe().c_str(), ids.size());
    std::printf("  negative ELBO  %.2f nats (reconstruction %.2f + KL %.2f)\n", elbo.neg_elbo, elbo.rec, elbo.kl);
    if (k > 0) std::printf("  IWAE NLL (k=%d) %.2f nats  [%.1f s]\n", k, iwae, iwae_seconds);
    std::printf("  active units   %d of %d (Cov_x[mu_i] > 0.01)\n", active, config.latent);
  }
  return Status::Ok();
}

}  // namespace lw
