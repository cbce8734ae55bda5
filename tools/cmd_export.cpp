// wardrobe export / index: the blobs the web page loads.
//   export: decoder.lwb (with per-dimension KL activity) and encoder.lwb
//   index:  index.lwb (all 70,000 garments' q(z|x)), garments/ pixel pages
// Both refresh manifest.json in the output directory.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "model/runtime/complexity.h"
#include "model/runtime/f16.h"
#include "model/runtime/index_io.h"
#include "model/native/batch_infer.h"
#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/runtime/latent_stats.h"
#include "model/runtime/vae_io.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/manifest.h"
#include "tools/model_file.h"
#include "tools/pixel_pages.h"

namespace lw {
namespace {

DType dtype_of(const std::string& name) { return name == "f32" ? DType::kF32 : DType::kF16; }

Status write_blob_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  LW_RETURN_IF_ERROR(write_file_atomic(path, bytes.data(), bytes.size()));
  std::printf("  %-28s %9zu bytes  sha256 %s\n", path.c_str(), bytes.size(),
              sha256_hex(bytes.data(), bytes.size()).substr(0, 16).c_str());
  return Status::Ok();
}

std::vector<int> all_ids(int n) {
  std::vector<int> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  return ids;
}

}  // namespace

Status cmd_export(const ExportOptions& o) {
  const DType dtype = dtype_of(o.dtype);
  const int anomaly_k = o.anomaly_k;
  const std::string& model_path = o.model;
  const std::string& dir = o.out_dir;
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(model_path, &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(o.data), &data));
  const int n_test = data.test_images.count;
  const std::vector<float> test_x = image_floats(data.test_images, all_ids(n_test));
  std::vector<float> mu, sigma;
  LW_RETURN_IF_ERROR(encode_images(params, test_x.data(), n_test, &mu, &sigma));

  const std::string meta =
      Json{{"source", model_path}, {"architecture", config.describe()}, {"anomaly_k", anomaly_k}}.dump();
  // The decoder blob carries each dimension's mean KL on the test set, which
  // the page uses to order and fold the sliders.
  std::vector<uint8_t> decoder;
  ModelStats decoder_stats;
  decoder_stats.kl_per_dim = kl_per_dimension(mu.data(), sigma.data(), n_test, config.latent);
  LW_RETURN_IF_ERROR(write_model_blob(config, params, kPartDecoder, dtype, meta, &decoder, &decoder_stats));
  // The encoder blob carries what the page's anomaly score is compared with:
  // the test garments' scores (grey pixels, as the page scores them), sorted.
  std::printf("scoring %d test garments for the anomaly statistics (IWAE, k=%d)...\n", data.test_images.count, anomaly_k);
  std::fflush(stdout);
  std::vector<double> iwae;
  LW_RETURN_IF_ERROR(iwae_images(params, test_x.data(), n_test, anomaly_k, kEvalNoiseSeed, &iwae));
  std::vector<ElboTerms> terms;
  LW_RETURN_IF_ERROR(neg_elbo_images(params, test_x.data(), n_test, kEvalNoiseSeed, &terms));
  std::vector<double> elbo(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) elbo[i] = terms[i].neg_elbo();
  // And their complexity-corrected scores, IWAE NLL minus input complexity
  // (model/runtime/complexity.h): what flags drawings and photos that are not garments.
  std::vector<double> ood(iwae.size());
  for (size_t i = 0; i < iwae.size(); ++i) {
    ood[i] = iwae[i] - input_complexity(test_x.data() + i * kImagePixels, kImageSide, kImageSide);
  }
  // The most anomalous test garments as index ids (the test file follows the training file).
  constexpr int kTopAnomalies = 100;
  const ModelStats stats = encoder_stats(iwae, elbo, ood, data.train_images.count, kTopAnomalies);
  std::vector<uint8_t> encoder;
  LW_RETURN_IF_ERROR(write_model_blob(config, params, kPartEncoder, dtype, meta, &encoder, &stats));
  std::printf("exported %s (%s, %s):\n", model_path.c_str(), config.describe().c_str(), dtype_name(dtype).c_str());
  LW_RETURN_IF_ERROR(write_blob_file(dir + "/decoder.lwb", decoder));
  LW_RETURN_IF_ERROR(write_blob_file(dir + "/encoder.lwb", encoder));
  return write_manifest(dir);
}

Status cmd_index(const IndexOptions& o) {
  const DType dtype = dtype_of(o.dtype);
  const std::string& model_path = o.model;
  const std::string& dir = o.out_dir;
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(model_path, &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(o.data), &data));

  // All 70,000 garments in source order: training file, then test file.
  const int n_train = data.train_images.count, n_test = data.test_images.count, n = n_train + n_test;
  std::vector<float> mu, sigma;
  {
    std::vector<float> x = image_floats(data.train_images, all_ids(n_train));
    const std::vector<float> test_x = image_floats(data.test_images, all_ids(n_test));
    x.insert(x.end(), test_x.begin(), test_x.end());
    LW_RETURN_IF_ERROR(encode_images(params, x.data(), n, &mu, &sigma));
  }
  std::vector<uint8_t> labels(static_cast<size_t>(n)), splits(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    labels[static_cast<size_t>(i)] = i < n_train ? data.train_labels[static_cast<size_t>(i)]
                                                 : data.test_labels[static_cast<size_t>(i - n_train)];
    splits[static_cast<size_t>(i)] = i < n_train ? 0 : 1;
  }
  if (dtype == DType::kF16) {
    // Round what the blob will store (mu and 1/(2 sigma^2)) through f16 first,
    // so the stored log-normalisers agree with the stored weights.
    for (size_t i = 0; i < mu.size(); ++i) {
      mu[i] = f16_to_f32(f32_to_f16(mu[i]));
      const float s = sigma[i];
      const float inv2var = f16_to_f32(f32_to_f16(0.5f / (s * s)));
      sigma[i] = std::sqrt(0.5f / inv2var);
    }
  }
  LatentIndex index;
  LW_RETURN_IF_ERROR(index.build(mu.data(), sigma.data(), n, config.latent, labels.data(), splits.data()));
  IndexExtras extras;
  compute_index_extras(mu.data(), labels.data(), n, config.latent, &extras);
  const std::string meta = Json{{"source", model_path}, {"items", n}, {"train_items", n_train}}.dump();
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(write_index_blob(index, architecture_of(config), extras, dtype, meta, &bytes));
  std::printf("indexed %d garments (%d train, %d test), %d dims, %s:\n", n, n_train, n_test, config.latent,
              dtype_name(dtype).c_str());
  LW_RETURN_IF_ERROR(write_blob_file(dir + "/index.lwb", bytes));
  if (!o.no_pixels) {
    LW_RETURN_IF_ERROR(write_pixel_pages(data, dir));
    std::printf("  %s/%s/ %d pages of %d garments\n", dir.c_str(), kPixelPagesDir,
                (n + kPixelPageSize - 1) / kPixelPageSize, kPixelPageSize);
  }
  return write_manifest(dir);
}

}  // namespace lw
