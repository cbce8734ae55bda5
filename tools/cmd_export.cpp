// wardrobe export / index: the blobs the web page loads.
//   export: decoder.lwb (with per-dimension KL activity) and encoder.lwb
//   index:  index.lwb (all 70,000 garments' q(z|x)), garments/ pixel pages
// Both refresh manifest.json in the output directory.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <numeric>
#include <string>
#include <utility>

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

// The files a command has written, reported only once each is in place
// (after its atomic rename): a failure part-way says which were written
// before it, and nothing is claimed that was not written.
class OutputLog {
 public:
  Status write(const std::string& path, const std::vector<uint8_t>& bytes) {
    const Status s = write_file_atomic(path, bytes.data(), bytes.size());
    if (!s.ok()) return failed(s);
    char line[512];
    std::snprintf(line, sizeof line, "  %-28s %9zu bytes  sha256 %s", path.c_str(), bytes.size(),
                  sha256_hex(bytes.data(), bytes.size()).substr(0, 16).c_str());
    written(path, line);
    return Status::Ok();
  }
  void written(const std::string& path, const std::string& line) {
    paths_.push_back(path);
    lines_.push_back(line);
  }
  // s, plus the files written before it failed.
  Status failed(const Status& s) const {
    if (s.ok() || paths_.empty()) return s;
    std::string list;
    for (const std::string& p : paths_) list += (list.empty() ? "" : ", ") + p;
    return Status::Error(s.message() + " (already written: " + list + ")");
  }
  void print(const std::string& heading) const {
    std::printf("%s\n", heading.c_str());
    for (const std::string& l : lines_) std::printf("%s\n", l.c_str());
  }

 private:
  std::vector<std::string> paths_;  // written files, in order
  std::vector<std::string> lines_;  // one report line each
};

// prepare_output_file for each of `names` in folder `dir`.
Status prepare_outputs(const std::string& dir, std::initializer_list<const char*> names) {
  for (const char* name : names) LW_RETURN_IF_ERROR(prepare_output_file(dir + "/" + name));
  return Status::Ok();
}

// Every statistic finite: a non-finite one would make the page's
// percentiles meaningless (read_model_stats would take it as sorted).
Status check_finite_stats(const ModelStats& stats) {
  const std::pair<const char*, const std::vector<float>*> tensors[] = {
      {"stats.kl_per_dim", &stats.kl_per_dim},
      {"stats.test_iwae_sorted", &stats.test_iwae_sorted},
      {"stats.test_neg_elbo_sorted", &stats.test_neg_elbo_sorted},
      {"stats.test_ood_sorted", &stats.test_ood_sorted},
      {"stats.anomalous_nll", &stats.anomalous_nll}};
  for (const auto& [name, values] : tensors) {
    for (size_t i = 0; i < values->size(); ++i) {
      if (!std::isfinite((*values)[i])) {
        return Status::Error(std::string(name) + "[" + std::to_string(i) + "] is " + std::to_string((*values)[i]) +
                             ": the model's scores are not finite");
      }
    }
  }
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
  // Before the scoring (tens of seconds): the folder exists or is created,
  // and each output can be written.
  LW_RETURN_IF_ERROR(prepare_outputs(dir, {"decoder.lwb", "encoder.lwb", "manifest.json"}));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(model_path, &config, &params));
  {
    // And the encoder weights fit the storage type (f16 overflows past 65504).
    std::vector<uint8_t> probe;
    const Status fits = write_model_blob(config, params, kPartEncoder, dtype, "", &probe);
    if (!fits.ok()) {
      return Status::Error(model_path + ": " + fits.message() + (dtype == DType::kF16 ? " (try --dtype f32)" : ""));
    }
  }
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(o.data), &data));
  const int n_test = data.test_images.count;
  const std::vector<float> test_x = image_floats(data.test_images, all_ids(n_test));
  std::vector<float> mu, sigma;
  // The scorer refuses posteriors outside the latent domain (sigma^2
  // overflowing float, say), which would give infinite KL and scores that no
  // page can load.
  LW_RETURN_IF_ERROR(encode_images(params, test_x.data(), n_test, &mu, &sigma).with_context(model_path));

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
  // The most anomalous test garments as index ids (the test file follows the
  // training file): 100, or all of a smaller test set.
  constexpr int kTopAnomalies = 100;
  const ModelStats stats = encoder_stats(iwae, elbo, ood, data.train_images.count, kTopAnomalies);
  LW_RETURN_IF_ERROR(check_finite_stats(stats).with_context(model_path));
  std::vector<uint8_t> encoder;
  LW_RETURN_IF_ERROR(write_model_blob(config, params, kPartEncoder, dtype, meta, &encoder, &stats));
  OutputLog out;
  LW_RETURN_IF_ERROR(out.write(dir + "/decoder.lwb", decoder));
  LW_RETURN_IF_ERROR(out.write(dir + "/encoder.lwb", encoder));
  LW_RETURN_IF_ERROR(out.failed(write_manifest(dir)));
  out.written(dir + "/manifest.json", "  " + dir + "/manifest.json");
  out.print("exported " + model_path + " (" + config.describe() + ", " + dtype_name(dtype) + "):");
  return Status::Ok();
}

Status cmd_index(const IndexOptions& o) {
  const DType dtype = dtype_of(o.dtype);
  const std::string& model_path = o.model;
  const std::string& dir = o.out_dir;
  const bool pixels = !o.no_pixels;
  // Before encoding 70,000 garments: every output can be written.
  LW_RETURN_IF_ERROR(prepare_outputs(dir, {"index.lwb", "manifest.json"}));
  if (pixels) LW_RETURN_IF_ERROR(prepare_output_file(dir + "/" + kPixelPagesDir + "/info.txt"));
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
    LW_RETURN_IF_ERROR(encode_images(params, x.data(), n, &mu, &sigma).with_context(model_path));
  }
  std::vector<uint8_t> labels(static_cast<size_t>(n)), splits(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    labels[static_cast<size_t>(i)] = i < n_train ? data.train_labels[static_cast<size_t>(i)]
                                                 : data.test_labels[static_cast<size_t>(i - n_train)];
    splits[static_cast<size_t>(i)] = i < n_train ? 0 : 1;
  }
  LatentIndex index;
  // mu and sigma are row-major [n x d]. Checks every posterior against the
  // latent domain before anything is rounded.
  LW_RETURN_IF_ERROR(
      index.build(mu.data(), sigma.data(), n, config.latent, labels.data(), splits.data()).with_context(model_path));
  // f16 where every value survives it (index_storage), else f32.
  const IndexStorage stored = index_storage(index, dtype);
  if (stored.mu == DType::kF16 || stored.inv2var == DType::kF16) {
    // Round what the blob will store (mu and 1/(2 sigma^2)) through f16 first,
    // so the stored log-normalisers agree with the stored weights.
    for (size_t i = 0; i < mu.size(); ++i) {
      if (stored.mu == DType::kF16) mu[i] = f16_to_f32(f32_to_f16(mu[i]));
      const float s = sigma[i];
      if (stored.inv2var == DType::kF16) sigma[i] = std::sqrt(0.5f / f16_to_f32(f32_to_f16(0.5f / (s * s))));
    }
    LW_RETURN_IF_ERROR(index.build(mu.data(), sigma.data(), n, config.latent, labels.data(), splits.data()));
  }
  std::string note;
  if (dtype == DType::kF16 && stored.inv2var == DType::kF32) {
    note = " (1/(2 sigma^2) stored as f32: some sigma lies outside f16's range of about 0.0028..90)";
  }
  if (dtype == DType::kF16 && stored.mu == DType::kF32) {
    note += " (mu stored as f32: f16 would move some posterior by more than sigma/16)";
  }
  IndexExtras extras;
  compute_index_extras(mu.data(), labels.data(), n, config.latent, &extras);
  const std::string meta = Json{{"source", model_path}, {"items", n}, {"train_items", n_train}}.dump();
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(write_index_blob(index, architecture_of(config), extras, dtype, meta, &bytes));
  OutputLog out;
  LW_RETURN_IF_ERROR(out.write(dir + "/index.lwb", bytes));
  if (pixels) {
    LW_RETURN_IF_ERROR(out.failed(write_pixel_pages(data, dir)));
    const std::string pages = dir + "/" + kPixelPagesDir + "/";
    out.written(pages, "  " + pages + " " + std::to_string((n + kPixelPageSize - 1) / kPixelPageSize) +
                           " pages of " + std::to_string(kPixelPageSize) + " garments");
  }
  LW_RETURN_IF_ERROR(out.failed(write_manifest(dir)));
  out.written(dir + "/manifest.json", "  " + dir + "/manifest.json");
  out.print("indexed " + std::to_string(n) + " garments (" + std::to_string(n_train) + " train, " +
            std::to_string(n_test) + " test), " + std::to_string(config.latent) + " dims, " + dtype_name(dtype) + note +
            ":");
  return Status::Ok();
}

}  // namespace lw
