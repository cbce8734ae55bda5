// The wardrobe subcommands. tools/wardrobe.cpp parses and validates the flags
// with CLI11 into these option structs (every numeric flag has a documented
// domain there); each command returns a Status, which main() prints as one
// line on stderr with a non-zero exit code.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/status.h"

namespace lw {

struct TrainOptions {
  std::string out;           // best model (weights blob); PATH.ckpt is the latest checkpoint
  std::string data;          // dataset directory ("" = $FASHION_MNIST_DIR, else data/fashion-mnist)
  std::string resume;        // checkpoint to continue from
  std::string init;          // model or checkpoint whose weights start a new run (fine-tuning)
  std::string log;           // JSON lines, one per epoch ("" = OUT.log.jsonl)
  int latent = 16;
  std::vector<int> hidden = {512, 256};
  std::vector<std::string> conv;     // encoder convolutions, "c32k4s2p1" each (VaeConfig::describe's form)
  std::vector<int> decoder_hidden;   // empty: --hidden reversed
  int epochs = 20;
  int batch = 128;
  float lr = 1e-3f;
  float lr_min = 0.0f;
  std::string schedule = "constant";  // constant | cosine
  int kl_warmup = 0;         // epochs
  int iwae_samples = 1;      // 1 = negative ELBO; K > 1 = the IWAE bound with K samples
  std::string iwae_gradient = "standard";  // the encoder's estimator for K > 1: "standard" or "dreg"
  bool freeze_posterior_mean = false;      // fine-tune the decoder and sigma only (TrainConfig)
  uint64_t seed = 1;
  int validation = 5000;     // training images held out for early stopping
  int train_limit = 0;       // use only the first N training images (0 = all); for tests
  int test_limit = 0;        // evaluate on the first N test images (0 = all)
  int threads = 0;           // 0 = OpenMP's default
  bool no_binarize = false;
  bool quiet = false;
  std::string command;       // the command line, recorded in the checkpoint metadata
};

struct EvalOptions {
  std::string model, data;
  std::string weights = "f32";  // score the weights as stored in f32 (unchanged), f16 or i8 (the web blobs)
  int iwae = 1000;  // IWAE samples per image
  int limit = 0;    // first N test images (--limit 1..10000; 0 = not given, all)
  bool json = false;
};

struct SampleOptions {
  std::string model, out;
  int n = 64;
  uint64_t seed = 1;
  float temperature = 1.0f;
  int scale = 3;
  int cols = 8;
};

struct ReconstructOptions {
  std::string model, out, data;
  int n = 32;
  int scale = 3;
  int cols = 8;
  bool only_reconstructions = false;
};

struct ExportOptions {
  std::string model, out_dir, data;
  std::string dtype = "f16";  // f16 | f32 | i8 (weight matrices; biases f16)
  std::string decoder_dtype;  // the decoder blob's storage if not dtype: f16 | f32 | i8
  int anomaly_k = 100;
};

struct IndexOptions {
  std::string model, out_dir, data;
  std::string dtype = "f16";  // f16 | f32
  bool no_pixels = false;
};

struct SearchOptions {
  std::string index;
  std::vector<float> z;  // the query, or empty with item >= 0
  int item = -1;         // index id whose mu is the query
  int k = 10;
  std::string metric = "likelihood";  // likelihood | euclidean
  std::string split = "all";          // all | train | test
  int label = -1;                     // --class, -1 = all
  bool json = false;
};

struct EvalSearchOptions {
  std::string index;
  int limit = 0;  // first N test items (0 = all)
  bool json = false;
};

struct AnomaliesOptions {
  std::string model, out, data;
  int top = 50;
  int k = 100;
  std::string split = "test";  // test | train
  int cols = 10;
  int scale = 2;
  bool json = false;
};

Status cmd_train(const TrainOptions& options);
Status cmd_eval(const EvalOptions& options);
Status cmd_sample(const SampleOptions& options);
Status cmd_reconstruct(const ReconstructOptions& options);
Status cmd_export(const ExportOptions& options);
Status cmd_index(const IndexOptions& options);
Status cmd_search(const SearchOptions& options);
Status cmd_eval_search(const EvalSearchOptions& options);
Status cmd_anomalies(const AnomaliesOptions& options);

}  // namespace lw
