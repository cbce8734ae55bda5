// wardrobe eval: test-set negative ELBO, IWAE NLL estimate and active units,
// computed by the runtime's inference (the page's code), one scorer per thread.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "model/native/batch_infer.h"
#include "model/native/dataset.h"
#include "model/runtime/latent_stats.h"
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
  LW_RETURN_IF_ERROR(args.get_int("limit", 0, 0, 10000, &limit));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(args.get_string("model", ""), &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(args.get_string("data", "")), &data));
  std::vector<int> ids(static_cast<size_t>(limit > 0 ? limit : data.test_images.count));
  std::iota(ids.begin(), ids.end(), 0);
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
  double iwae = NAN;
  double iwae_seconds = 0;
  if (k > 0) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> nll;
    LW_RETURN_IF_ERROR(iwae_images(params, x_bin.data(), n, k, kEvalNoiseSeed, &nll));
    iwae_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    iwae = std::accumulate(nll.begin(), nll.end(), 0.0) / static_cast<double>(nll.size());
  }
  std::vector<float> mu, sigma;
  LW_RETURN_IF_ERROR(encode_images(params, x.data(), n, &mu, &sigma));
  const std::vector<float> variance = mu_variance(mu.data(), n, config.latent);
  const int active = static_cast<int>(std::count_if(variance.begin(), variance.end(), [](float v) { return v > 0.01f; }));
  const double neg_elbo = rec + kl;

  if (args.has("json")) {
    std::string s = "{\"model\":" + json_escape(args.get_string("model", "")) + ",\"architecture\":" +
                    json_escape(config.describe()) + ",\"test_images\":" + std::to_string(ids.size());
    s += ",\"neg_elbo\":" + json_number(neg_elbo) + ",\"rec\":" + json_number(rec) +
         ",\"kl\":" + json_number(kl);
    s += ",\"iwae_k\":" + std::to_string(k) + ",\"iwae_nll\":" + json_number(iwae);
    s += ",\"active_units\":" + std::to_string(active) + ",\"latent\":" + std::to_string(config.latent);
    s += ",\"mu_variance\":[";
    for (size_t i = 0; i < variance.size(); ++i) s += (i ? "," : "") + json_number(variance[i], 4);
    s += "],\"iwae_seconds\":" + json_number(iwae_seconds, 4) + "}";
    std::printf("%s\n", s.c_str());
  } else {
    std::printf("model %s (%s), %zu test images, binarised with a fixed seed\n", args.get_string("model", "").c_str(),
                config.describe().c_str(), ids.size());
    std::printf("  negative ELBO  %.2f nats (reconstruction %.2f + KL %.2f)\n", neg_elbo, rec, kl);
    if (k > 0) std::printf("  IWAE NLL (k=%d) %.2f nats  [%.1f s]\n", k, iwae, iwae_seconds);
    std::printf("  active units   %d of %d (Cov_x[mu_i] > 0.01)\n", active, config.latent);
  }
  return Status::Ok();
}

}  // namespace lw
