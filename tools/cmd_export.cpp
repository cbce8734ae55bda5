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
#include "tools/iwae_progress.h"
#include "tools/json.h"
#include "tools/manifest.h"
#include "tools/model_file.h"
#include "tools/pixel_pages.h"

namespace lw {
namespace {

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

// Every test garment's posterior (mu, sigma: row-major [n x d]) must lie in
// the latent domain (model/runtime/search.h): outside it the KL and the
// scores overflow float, and no page could load the blobs.
Status check_posteriors(const std::string& model_path, const std::vector<float>& mu, const std::vector<float>& sigma,
                        int d) {
  for (size_t at = 0; at < mu.size(); ++at) {
    const std::string where = model_path + ": test garment " + std::to_string(at / static_cast<size_t>(d)) + " dim " +
                              std::to_string(at % static_cast<size_t>(d));
    LW_RETURN_IF_ERROR(check_posterior(mu[at], sigma[at], where));
  }
  return Status::Ok();
}

// The encoder weights must fit the storage type (f16 overflows past 65504):
// checked before the scoring rather than after it.
Status check_storage(const std::string& model_path, const VaeConfig& config, const VaeParams& params, DType dtype) {
  std::vector<uint8_t> probe;
  const Status fits = write_model_blob(config, params, kPartEncoder, dtype, "", &probe);
  if (fits.ok()) return fits;
  return Status::Error(model_path + ": " + fits.message() + (dtype == DType::kF16 ? " (try --dtype f32)" : ""));
}

// The encoder blob's statistics (model/runtime/model_stats.h) from the test
// garments x [n x 784]: IWAE NLL, negative ELBO and complexity-corrected score
// (IWAE NLL minus input complexity, model/runtime/complexity.h: what flags
// drawings and photos that are not garments), and the most anomalous test
// garments as index ids (the test file follows the training file): 100, or
// all of a smaller test set. Errors if any value is not finite.
Status anomaly_stats(const VaeParams& params, const std::vector<float>& x, int n, int anomaly_k, int first_test_id,
                     ModelStats* stats) {
  std::vector<double> iwae;
  LW_RETURN_IF_ERROR(iwae_images_with_progress("anomaly statistics", params, x.data(), n, anomaly_k, kEvalNoiseSeed, &iwae));
  std::vector<ElboTerms> terms;
  LW_RETURN_IF_ERROR(neg_elbo_images(params, x.data(), n, kEvalNoiseSeed, &terms));
  std::vector<double> elbo(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) elbo[i] = terms[i].neg_elbo();
  std::vector<double> ood(iwae.size());
  for (size_t i = 0; i < iwae.size(); ++i) {
    ood[i] = iwae[i] - input_complexity(x.data() + i * kImagePixels, kImageSide, kImageSide);
  }
  constexpr int kTopAnomalies = 100;
  *stats = encoder_stats(iwae, elbo, ood, first_test_id, kTopAnomalies);
  return check_finite_stats(*stats);
}

// Every garment's posterior (mu, sigma: row-major [n x d], training file then
// test file), label and split (0 train, 1 test).
Status encode_dataset(const VaeParams& params, const Dataset& data, std::vector<float>* mu, std::vector<float>* sigma,
                      std::vector<uint8_t>* labels, std::vector<uint8_t>* splits) {
  const int n_train = data.train_images.count, n_test = data.test_images.count, n = n_train + n_test;
  std::vector<float> x = image_floats(data.train_images, all_ids(n_train));
  const std::vector<float> test_x = image_floats(data.test_images, all_ids(n_test));
  x.insert(x.end(), test_x.begin(), test_x.end());
  LW_RETURN_IF_ERROR(encode_images(params, x.data(), n, mu, sigma));
  labels->assign(data.train_labels.begin(), data.train_labels.end());
  labels->insert(labels->end(), data.test_labels.begin(), data.test_labels.end());
  splits->assign(static_cast<size_t>(n_train), 0);
  splits->resize(static_cast<size_t>(n), 1);
  return Status::Ok();
}

// The index of the posteriors (checked against the latent domain before
// anything is rounded), with mu and sigma rounded through f16 where the blob
// will store f16 (index_storage), so the stored log-normalisers agree with
// the stored values. *note says which tensors stay f32 although f16 was asked.
Status build_stored_index(const std::string& model_path, DType dtype, int d, const std::vector<uint8_t>& labels,
                          const std::vector<uint8_t>& splits, std::vector<float>* mu, std::vector<float>* sigma,
                          LatentIndex* index, std::string* note) {
  const int n = static_cast<int>(labels.size());
  LW_RETURN_IF_ERROR(index->build(mu->data(), sigma->data(), n, d, labels.data(), splits.data()).with_context(model_path));
  const IndexStorage stored = index_storage(*index, dtype);
  note->clear();
  if (dtype == DType::kF16 && stored.inv2var == DType::kF32) {
    *note = " (1/(2 sigma^2) stored as f32: some sigma lies outside f16's range of about 0.0028..90)";
  }
  if (dtype == DType::kF16 && stored.mu == DType::kF32) {
    *note += " (mu stored as f32: f16 would move some posterior by more than sigma/16)";
  }
  if (stored.mu != DType::kF16 && stored.inv2var != DType::kF16) return Status::Ok();
  for (size_t i = 0; i < mu->size(); ++i) {
    if (stored.mu == DType::kF16) (*mu)[i] = f16_to_f32(f32_to_f16((*mu)[i]));
    const float s = (*sigma)[i];
    if (stored.inv2var == DType::kF16) (*sigma)[i] = std::sqrt(0.5f / f16_to_f32(f32_to_f16(0.5f / (s * s))));
  }
  return index->build(mu->data(), sigma->data(), n, d, labels.data(), splits.data());
}

}  // namespace

Status cmd_export(const ExportOptions& o) {
  const DType dtype = storage_dtype(o.dtype);
  const DType decoder_dtype = o.decoder_dtype.empty() ? dtype : storage_dtype(o.decoder_dtype);
  const int anomaly_k = o.anomaly_k;
  const std::string& model_path = o.model;
  const std::string& dir = o.out_dir;
  // Before the scoring (tens of seconds): the folder exists or is created,
  // and each output can be written.
  LW_RETURN_IF_ERROR(prepare_outputs(dir, {"decoder.lwb", "encoder.lwb", "manifest.json"}));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(model_path, &config, &params));
  LW_RETURN_IF_ERROR(check_storage(model_path, config, params, dtype));
  // i8 moves every weight by up to half a step of its row: the statistics below (KL per dimension,
  // anomaly scores) are computed with the weights the blobs hold, which is what the page runs.
  // (f16 rounding moves pixels by about 1e-3 and is not applied, so f16 blobs stay as they were.)
  if (dtype == DType::kI8) {
    LW_RETURN_IF_ERROR(round_trip_storage(config, dtype, &params, kPartEncoder).with_context(model_path));
  }
  if (decoder_dtype == DType::kI8) {
    LW_RETURN_IF_ERROR(round_trip_storage(config, decoder_dtype, &params, kPartDecoder).with_context(model_path));
  }
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(o.data), &data));
  const int n_test = data.test_images.count;
  const std::vector<float> test_x = image_floats(data.test_images, all_ids(n_test));
  std::vector<float> mu, sigma;
  LW_RETURN_IF_ERROR(encode_images(params, test_x.data(), n_test, &mu, &sigma).with_context(model_path));
  LW_RETURN_IF_ERROR(check_posteriors(model_path, mu, sigma, config.latent));

  const std::string meta =
      Json{{"source", model_path}, {"architecture", config.describe()}, {"anomaly_k", anomaly_k}}.dump();
  // The decoder blob carries each dimension's mean KL on the test set, which
  // the page uses to order and fold the sliders.
  std::vector<uint8_t> decoder;
  ModelStats decoder_stats;
  decoder_stats.kl_per_dim = kl_per_dimension(mu.data(), sigma.data(), n_test, config.latent);
  LW_RETURN_IF_ERROR(write_model_blob(config, params, kPartDecoder, decoder_dtype, meta, &decoder, &decoder_stats));
  // The encoder blob carries what the page's anomaly score is compared with:
  // the test garments' scores (grey pixels, as the page scores them), sorted.
  std::printf("scoring %d test garments for the anomaly statistics (IWAE, k=%d)...\n", data.test_images.count, anomaly_k);
  std::fflush(stdout);
  ModelStats stats;
  LW_RETURN_IF_ERROR(
      anomaly_stats(params, test_x, n_test, anomaly_k, data.train_images.count, &stats).with_context(model_path));
  std::vector<uint8_t> encoder;
  LW_RETURN_IF_ERROR(write_model_blob(config, params, kPartEncoder, dtype, meta, &encoder, &stats));
  OutputLog out;
  LW_RETURN_IF_ERROR(out.write(dir + "/decoder.lwb", decoder));
  LW_RETURN_IF_ERROR(out.write(dir + "/encoder.lwb", encoder));
  LW_RETURN_IF_ERROR(out.failed(write_manifest(dir)));
  out.written(dir + "/manifest.json", "  " + dir + "/manifest.json");
  const std::string storage = decoder_dtype == dtype ? dtype_name(dtype)
                                                     : "decoder " + dtype_name(decoder_dtype) + ", encoder " + dtype_name(dtype);
  out.print("exported " + model_path + " (" + config.describe() + ", " + storage + "):");
  return Status::Ok();
}

Status cmd_index(const IndexOptions& o) {
  const DType dtype = storage_dtype(o.dtype);
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
  std::vector<uint8_t> labels, splits;
  LW_RETURN_IF_ERROR(encode_dataset(params, data, &mu, &sigma, &labels, &splits).with_context(model_path));
  LatentIndex index;
  std::string note;
  LW_RETURN_IF_ERROR(build_stored_index(model_path, dtype, config.latent, labels, splits, &mu, &sigma, &index, &note));
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
