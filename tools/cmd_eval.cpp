// wardrobe eval: test-set negative ELBO, IWAE NLL estimate and active units,
// computed by the runtime's inference (the page's code), one scorer per thread.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "model/native/batch_infer.h"
#include "model/native/dataset.h"
#include "model/runtime/latent_stats.h"
#include "model/runtime/vae_io.h"
#include "tools/commands.h"
#include "tools/iwae_progress.h"
#include "tools/json.h"
#include "tools/model_file.h"

namespace lw {

Status cmd_eval(const EvalOptions& o) {
  const int k = o.iwae;
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(o.model, &config, &params));
  LW_RETURN_IF_ERROR(round_trip_storage(config, storage_dtype(o.weights), &params).with_context(o.model + ": --weights " + o.weights));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(o.data), &data));
  // --limit 1..10000 (0: not given, all), and no more than the dataset holds.
  std::vector<int> ids;
  LW_RETURN_IF_ERROR(
      first_images(o.limit > 0 ? o.limit : data.test_images.count, data.test_images, "--limit", "test images", &ids));
  const int n = static_cast<int>(ids.size());
  const std::vector<float> x = image_floats(data.test_images, ids);
  const std::vector<float> x_bin = binarize(x.data(), x.size(), kEvalBinarizeSeed);

  // One eps per image from one stream, as the training code's evaluation draws it.
  std::vector<ElboTerms> terms;
  LW_RETURN_IF_ERROR(neg_elbo_images(params, x_bin.data(), n, kEvalNoiseSeed + 1, &terms));
  double rec = 0, kl = 0;
  for (const ElboTerms& t : terms) {
    rec += t.rec;
    kl += t.kl;
  }
  rec /= n;
  kl /= n;
  double iwae = NAN;  // --iwae 0 skips the estimate
  double iwae_seconds = 0;
  if (k > 0) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> nll;
    LW_RETURN_IF_ERROR(iwae_images_with_progress("IWAE k=" + std::to_string(k), params, x_bin.data(), n, k, kEvalNoiseSeed, &nll));
    iwae_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    iwae = std::accumulate(nll.begin(), nll.end(), 0.0) / static_cast<double>(nll.size());
  }
  std::vector<float> mu, sigma;
  LW_RETURN_IF_ERROR(encode_images(params, x.data(), n, &mu, &sigma));
  const std::vector<float> variance = mu_variance(mu.data(), n, config.latent);
  const int active = static_cast<int>(std::count_if(variance.begin(), variance.end(), [](float v) { return v > 0.01f; }));
  const double neg_elbo = rec + kl;
  // A model whose figures overflow has none to print: say so and why,
  // instead of printing null. (The scorer already refuses posteriors outside
  // the latent domain; this catches what still overflows in double sums.)
  if (!std::isfinite(neg_elbo) || (k > 0 && !std::isfinite(iwae))) {
    auto g = [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", v);
      return std::string(buf);
    };
    const auto [sigma_min, sigma_max] = std::minmax_element(sigma.begin(), sigma.end());
    return Status::Error("the model's figures are not finite (negative ELBO " + g(neg_elbo) + " = reconstruction " +
                         g(rec) + " + KL " + g(kl) + (k > 0 ? ", IWAE NLL " + g(iwae) : "") +
                         "): its posterior sigma ranges " + g(*sigma_min) + ".." + g(*sigma_max) +
                         ", beyond what float arithmetic can square");
  }

  if (o.json) {
    Json j;
    j["model"] = o.model;
    j["architecture"] = config.describe();
    j["weights"] = o.weights;
    j["test_images"] = ids.size();
    j["neg_elbo"] = json_number(neg_elbo);
    j["rec"] = json_number(rec);
    j["kl"] = json_number(kl);
    j["iwae_k"] = k;
    j["iwae_nll"] = json_number(iwae);
    j["active_units"] = active;
    j["latent"] = config.latent;
    j["mu_variance"] = Json::array();
    for (float v : variance) j["mu_variance"].push_back(json_number(v, 4));
    j["iwae_seconds"] = json_number(iwae_seconds, 4);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("model %s (%s), %zu test images, binarised with a fixed seed\n", o.model.c_str(),
                config.describe().c_str(), ids.size());
    std::printf("  negative ELBO  %.2f nats (reconstruction %.2f + KL %.2f)\n", neg_elbo, rec, kl);
    if (k > 0) std::printf("  IWAE NLL (k=%d) %.2f nats  [%.1f s]\n", k, iwae, iwae_seconds);
    std::printf("  active units   %d of %d (Cov_x[mu_i] > 0.01)\n", active, config.latent);
  }
  return Status::Ok();
}

}  // namespace lw
