// wardrobe export / index: the blobs the web page loads.
//   export: decoder.lwb (with per-dimension KL activity) and encoder.lwb
//   index:  index.lwb (all 70,000 garments' q(z|x)), garments/ pixel pages
// Both refresh manifest.json in the output directory.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "model/complexity.h"
#include "model/f16.h"
#include "model/index_io.h"
#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/train.h"
#include "model/vae_io.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/manifest.h"
#include "tools/model_file.h"
#include "tools/pixel_pages.h"

namespace lw {
namespace {

Status parse_dtype(const std::string& text, DType* out) {
  if (text == "f16") {
    *out = DType::kF16;
  } else if (text == "f32") {
    *out = DType::kF32;
  } else {
    return Status::Error("--dtype must be f16 or f32, got '" + text + "'");
  }
  return Status::Ok();
}

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

// Mean over images of each dimension's KL(q(z_i|x) || N(0,1)), nats.
std::vector<float> kl_per_dimension(const Eigen::MatrixXf& mu, const Eigen::MatrixXf& sigma) {
  std::vector<float> kl(static_cast<size_t>(mu.rows()), 0.0f);
  for (Eigen::Index k = 0; k < mu.rows(); ++k) {
    double sum = 0;
    for (Eigen::Index i = 0; i < mu.cols(); ++i) {
      const double m = mu(k, i), s = sigma(k, i);
      sum += 0.5 * (m * m + s * s - 1.0) - std::log(s);
    }
    kl[static_cast<size_t>(k)] = static_cast<float>(sum / std::max<Eigen::Index>(1, mu.cols()));
  }
  return kl;
}

std::vector<int> all_ids(int n) {
  std::vector<int> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  return ids;
}

// Every test garment's posterior must lie in the latent domain
// (model/search.h): outside it the KL and the scores overflow float, and no
// page could load the blobs.
Status check_posteriors(const std::string& model_path, const Eigen::MatrixXf& mu, const Eigen::MatrixXf& sigma) {
  for (Eigen::Index i = 0; i < mu.cols(); ++i) {
    for (Eigen::Index k = 0; k < mu.rows(); ++k) {
      LW_RETURN_IF_ERROR(check_posterior(mu(k, i), sigma(k, i),
                                         model_path + ": test garment " + std::to_string(i) + " dim " + std::to_string(k)));
    }
  }
  return Status::Ok();
}

// The encoder blob's statistics: the test garments' IWAE NLL, negative ELBO
// and complexity-corrected score (IWAE NLL minus input complexity,
// model/complexity.h: what flags drawings and photos that are not garments),
// each sorted; and the most anomalous test garments (highest IWAE NLL, 100 or
// all of a smaller test set) as index ids (test ids start at first_test_id).
// Errors if any value is not finite.
Status anomaly_stats(const std::string& model_path, const Eigen::MatrixXf& test_x, const std::vector<double>& iwae,
                     const std::vector<double>& elbo, int first_test_id, std::vector<StatTensor>* stats) {
  std::vector<float> ood(iwae.size());
  for (size_t i = 0; i < iwae.size(); ++i) {
    const float* x = test_x.col(static_cast<Eigen::Index>(i)).data();
    ood[i] = static_cast<float>(iwae[i] - input_complexity(x, kImageSide, kImageSide));
  }
  const uint32_t count = static_cast<uint32_t>(iwae.size());
  *stats = {{"stats.test_iwae_sorted", {count}, std::vector<float>(iwae.begin(), iwae.end())},
            {"stats.test_neg_elbo_sorted", {count}, std::vector<float>(elbo.begin(), elbo.end())},
            {"stats.test_ood_sorted", {count}, ood}};
  for (StatTensor& t : *stats) std::sort(t.values.begin(), t.values.end());
  std::vector<int> order = all_ids(static_cast<int>(iwae.size()));
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return iwae[static_cast<size_t>(a)] != iwae[static_cast<size_t>(b)] ? iwae[static_cast<size_t>(a)] > iwae[static_cast<size_t>(b)] : a < b;
  });
  const int top = std::min(100, static_cast<int>(order.size()));
  const uint32_t top_count = static_cast<uint32_t>(top);
  StatTensor top_ids{"stats.anomalous_ids", {top_count}, {}}, top_nll{"stats.anomalous_nll", {top_count}, {}};
  for (int i = 0; i < top; ++i) {
    const int pos = order[static_cast<size_t>(i)];
    top_ids.values.push_back(static_cast<float>(first_test_id + pos));  // exact in f32
    top_nll.values.push_back(static_cast<float>(iwae[static_cast<size_t>(pos)]));
  }
  stats->push_back(top_ids);
  stats->push_back(top_nll);
  for (const StatTensor& t : *stats) {
    for (size_t i = 0; i < t.values.size(); ++i) {
      if (!std::isfinite(t.values[i])) {
        return Status::Error(model_path + ": " + t.name + "[" + std::to_string(i) + "] is " +
                             std::to_string(t.values[i]) + ": the model's scores are not finite");
      }
    }
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

}  // namespace

Status cmd_export(int argc, char** argv) {
  Args args;
  LW_RETURN_IF_ERROR(args.parse(argc, argv, {"model", "out-dir", "dtype", "data", "anomaly-k"}, {}));
  LW_RETURN_IF_ERROR(args.require("model"));
  LW_RETURN_IF_ERROR(args.require("out-dir"));
  DType dtype;
  LW_RETURN_IF_ERROR(parse_dtype(args.get_string("dtype", "f16"), &dtype));
  int anomaly_k = 0;
  LW_RETURN_IF_ERROR(args.get_int("anomaly-k", 100, 1, 10000, &anomaly_k));
  const std::string model_path = args.get_string("model", ""), dir = args.get_string("out-dir", "");
  // Before the scoring (tens of seconds): the folder exists or is created,
  // and each output can be written.
  for (const char* name : {"decoder.lwb", "encoder.lwb", "manifest.json"}) {
    LW_RETURN_IF_ERROR(prepare_output_file(dir + "/" + name));
  }
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(model_path, &config, &params));
  LW_RETURN_IF_ERROR(check_storage(model_path, config, params, dtype));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(args.get_string("data", "")), &data));
  const Eigen::MatrixXf test_x = images_to_matrix(data.test_images, all_ids(data.test_images.count));
  Eigen::MatrixXf mu, sigma;
  encode_all(params, config, test_x, &mu, &sigma);
  LW_RETURN_IF_ERROR(check_posteriors(model_path, mu, sigma));
  const uint32_t latent = static_cast<uint32_t>(config.latent);

  const std::string meta = "{\"source\":" + json_escape(model_path) + ",\"architecture\":" +
                           json_escape(config.describe()) + ",\"anomaly_k\":" + std::to_string(anomaly_k) + "}";
  // The decoder blob carries each dimension's mean KL on the test set, which
  // the page uses to order and fold the sliders.
  std::vector<uint8_t> decoder;
  LW_RETURN_IF_ERROR(write_model_blob(config, params, kPartDecoder, dtype, meta, &decoder,
                                      {{"stats.kl_per_dim", {latent}, kl_per_dimension(mu, sigma)}}));
  // The encoder blob carries what the page's anomaly score is compared with:
  // the test garments' scores (grey pixels, as the page scores them), sorted.
  std::printf("scoring %d test garments for the anomaly statistics (IWAE, k=%d)...\n", data.test_images.count, anomaly_k);
  std::fflush(stdout);
  const std::vector<double> iwae = iwae_nll(params, config, test_x, anomaly_k, kEvalNoiseSeed);
  const std::vector<double> elbo = neg_elbo_per_image(params, config, test_x, kEvalNoiseSeed);
  std::vector<StatTensor> stats;
  LW_RETURN_IF_ERROR(anomaly_stats(model_path, test_x, iwae, elbo, data.train_images.count, &stats));
  std::vector<uint8_t> encoder;
  LW_RETURN_IF_ERROR(write_model_blob(config, params, kPartEncoder, dtype, meta, &encoder, stats));
  OutputLog out;
  LW_RETURN_IF_ERROR(out.write(dir + "/decoder.lwb", decoder));
  LW_RETURN_IF_ERROR(out.write(dir + "/encoder.lwb", encoder));
  LW_RETURN_IF_ERROR(out.failed(write_manifest(dir)));
  out.written(dir + "/manifest.json", "  " + dir + "/manifest.json");
  out.print("exported " + model_path + " (" + config.describe() + ", " + dtype_name(dtype) + "):");
  return Status::Ok();
}

namespace {

// Every garment's posterior (mu, sigma: [d x n], training file then test
// file), label and split (0 train, 1 test).
void encode_dataset(const VaeParams& params, const VaeConfig& config, const Dataset& data, Eigen::MatrixXf* mu,
                    Eigen::MatrixXf* sigma, std::vector<uint8_t>* labels, std::vector<uint8_t>* splits) {
  const int n_train = data.train_images.count, n_test = data.test_images.count, n = n_train + n_test;
  mu->resize(config.latent, n);
  sigma->resize(config.latent, n);
  Eigen::MatrixXf m, s;
  encode_all(params, config, images_to_matrix(data.train_images, all_ids(n_train)), &m, &s);
  mu->leftCols(n_train) = m;
  sigma->leftCols(n_train) = s;
  encode_all(params, config, images_to_matrix(data.test_images, all_ids(n_test)), &m, &s);
  mu->rightCols(n_test) = m;
  sigma->rightCols(n_test) = s;
  labels->resize(static_cast<size_t>(n));
  splits->resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    (*labels)[static_cast<size_t>(i)] = i < n_train ? data.train_labels[static_cast<size_t>(i)]
                                                    : data.test_labels[static_cast<size_t>(i - n_train)];
    (*splits)[static_cast<size_t>(i)] = i < n_train ? 0 : 1;
  }
}

// The index of the posteriors (checked against the latent domain before
// anything is rounded), with mu and sigma rounded through f16 where the blob
// will store f16 (index_storage), so the stored log-normalisers agree with
// the stored values. *note says which tensors stay f32 although f16 was asked.
Status build_stored_index(const std::string& model_path, DType dtype, const std::vector<uint8_t>& labels,
                          const std::vector<uint8_t>& splits, Eigen::MatrixXf* mu, Eigen::MatrixXf* sigma,
                          LatentIndex* index, std::string* note) {
  const int d = static_cast<int>(mu->rows()), n = static_cast<int>(mu->cols());
  // mu and sigma are [d x n] column-major == row-major [n x d].
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
  for (Eigen::Index i = 0; i < mu->size(); ++i) {
    if (stored.mu == DType::kF16) mu->data()[i] = f16_to_f32(f32_to_f16(mu->data()[i]));
    const float s = sigma->data()[i];
    if (stored.inv2var == DType::kF16) sigma->data()[i] = std::sqrt(0.5f / f16_to_f32(f32_to_f16(0.5f / (s * s))));
  }
  return index->build(mu->data(), sigma->data(), n, d, labels.data(), splits.data());
}

}  // namespace

Status cmd_index(int argc, char** argv) {
  Args args;
  LW_RETURN_IF_ERROR(args.parse(argc, argv, {"model", "out-dir", "dtype", "data"}, {"no-pixels"}));
  LW_RETURN_IF_ERROR(args.require("model"));
  LW_RETURN_IF_ERROR(args.require("out-dir"));
  DType dtype;
  LW_RETURN_IF_ERROR(parse_dtype(args.get_string("dtype", "f16"), &dtype));
  const std::string model_path = args.get_string("model", ""), dir = args.get_string("out-dir", "");
  const bool pixels = !args.has("no-pixels");
  // Before encoding 70,000 garments: every output can be written.
  for (const char* name : {"index.lwb", "manifest.json"}) LW_RETURN_IF_ERROR(prepare_output_file(dir + "/" + name));
  if (pixels) LW_RETURN_IF_ERROR(prepare_output_file(dir + "/" + kPixelPagesDir + "/info.txt"));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(model_path, &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(args.get_string("data", "")), &data));

  // All 70,000 garments in source order: training file, then test file.
  const int n_train = data.train_images.count, n_test = data.test_images.count, n = n_train + n_test;
  Eigen::MatrixXf mu, sigma;
  std::vector<uint8_t> labels, splits;
  encode_dataset(params, config, data, &mu, &sigma, &labels, &splits);
  LatentIndex index;
  std::string note;
  LW_RETURN_IF_ERROR(build_stored_index(model_path, dtype, labels, splits, &mu, &sigma, &index, &note));
  IndexExtras extras;
  compute_index_extras(mu.data(), labels.data(), n, config.latent, &extras);
  const std::string meta = "{\"source\":" + json_escape(model_path) + ",\"items\":" + std::to_string(n) +
                           ",\"train_items\":" + std::to_string(n_train) + "}";
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
