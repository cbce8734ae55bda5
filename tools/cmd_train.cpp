// wardrobe train: trains the VAE on Fashion-MNIST with Adam, a progress bar,
// a JSON-lines log, a checkpoint after every epoch (PATH.ckpt, for --resume)
// and the best-by-validation model at PATH. All files are written atomically.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/train.h"
#include "model/vae_io.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/progress.h"

namespace lw {
namespace {

struct TrainFlags {
  std::string data_dir;
  std::string out;            // best model (weights blob); PATH.ckpt is the latest checkpoint
  std::string resume;         // checkpoint to continue from
  std::string log_path;       // JSON lines, one per epoch
  int validation = 5000;      // training images held out for early stopping
  int train_limit = 0;        // use only the first N training images (0 = all); for tests
  int test_limit = 0;         // evaluate on the first N test images (0 = all)
  bool quiet = false;
};

Status parse_train_flags(int argc, char** argv, VaeConfig* config, TrainConfig* train, TrainFlags* flags) {
  Args args;
  LW_RETURN_IF_ERROR(args.parse(argc, argv,
                                {"data", "latent", "hidden", "epochs", "batch", "lr", "lr-min", "schedule",
                                 "kl-warmup", "seed", "out", "resume", "log", "validation", "train-limit",
                                 "test-limit", "threads"},
                                {"no-binarize", "quiet"}));
  LW_RETURN_IF_ERROR(args.require("out"));
  flags->out = args.get_string("out", "");
  flags->resume = args.get_string("resume", "");
  flags->log_path = args.get_string("log", flags->out + ".log.jsonl");
  flags->data_dir = resolve_data_dir(args.get_string("data", ""));
  flags->quiet = args.has("quiet");
  LW_RETURN_IF_ERROR(args.get_int("latent", 16, 1, 1024, &config->latent));
  LW_RETURN_IF_ERROR(args.get_int_list("hidden", {512, 256}, &config->hidden));
  LW_RETURN_IF_ERROR(args.get_int("epochs", 20, 1, 100000, &train->epochs));
  LW_RETURN_IF_ERROR(args.get_int("batch", 128, 1, 65536, &train->batch));
  LW_RETURN_IF_ERROR(args.get_float("lr", 1e-3f, 1e-7f, 0.5f, &train->lr));
  LW_RETURN_IF_ERROR(args.get_float("lr-min", 0.0f, 0.0f, train->lr, &train->lr_min));
  const std::string schedule = args.get_string("schedule", "constant");
  if (schedule == "cosine") {
    train->schedule = LrSchedule::kCosine;
  } else if (schedule == "constant") {
    train->schedule = LrSchedule::kConstant;
  } else {
    return Status::Error("--schedule must be constant or cosine, got '" + schedule + "'");
  }
  LW_RETURN_IF_ERROR(args.get_int("kl-warmup", 0, 0, 100000, &train->kl_warmup_epochs));
  LW_RETURN_IF_ERROR(args.get_u64("seed", 1, &train->seed));
  train->binarize = !args.has("no-binarize");
  LW_RETURN_IF_ERROR(args.get_int("validation", 5000, 0, 59000, &flags->validation));
  LW_RETURN_IF_ERROR(args.get_int("train-limit", 0, 0, 60000, &flags->train_limit));
  LW_RETURN_IF_ERROR(args.get_int("test-limit", 0, 0, 10000, &flags->test_limit));
  int threads = 0;
  LW_RETURN_IF_ERROR(args.get_int("threads", 0, 0, 256, &threads));
  if (threads > 0) omp_set_num_threads(threads);
  return Status::Ok();
}

std::string epoch_json(int epoch, double lr, double beta, const EpochStats& train, const EpochStats& val,
                       const EpochStats& test, double seconds, double images_per_s) {
  std::string s = "{\"epoch\":" + std::to_string(epoch);
  s += ",\"lr\":" + json_number(lr) + ",\"kl_weight\":" + json_number(beta);
  s += ",\"train_neg_elbo\":" + json_number(train.neg_elbo) + ",\"train_rec\":" + json_number(train.rec) +
       ",\"train_kl\":" + json_number(train.kl);
  // No validation set (--validation 0): null, not a loss of 0.
  s += ",\"val_neg_elbo\":" + (val.images > 0 ? json_number(val.neg_elbo) : std::string("null"));
  s += ",\"test_neg_elbo\":" + json_number(test.neg_elbo) + ",\"test_rec\":" + json_number(test.rec) +
       ",\"test_kl\":" + json_number(test.kl);
  s += ",\"seconds\":" + json_number(seconds) + ",\"images_per_s\":" + json_number(images_per_s) + "}";
  return s;
}

Status save_checkpoint_files(const TrainState& state, const TrainFlags& flags, const std::string& command,
                             bool improved) {
  const std::string meta = "{\"command\":" + json_escape(command) + ",\"epoch\":" + std::to_string(state.epochs_done) +
                           ",\"best_epoch\":" + std::to_string(state.best_epoch) +
                           ",\"best_val_neg_elbo\":" + json_number(state.best_val) + "}";
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(write_checkpoint(state, meta, &bytes));
  LW_RETURN_IF_ERROR(write_file_atomic(flags.out + ".ckpt", bytes.data(), bytes.size()));
  if (improved) {
    LW_RETURN_IF_ERROR(write_model_blob(state.config, state.weights, kPartEncoder | kPartDecoder, DType::kF32, meta,
                                        &bytes));
    LW_RETURN_IF_ERROR(write_file_atomic(flags.out, bytes.data(), bytes.size()));
  }
  return Status::Ok();
}

// The training, validation and test images the flags select. A step needs a
// whole batch (the last partial one is dropped), so a batch larger than the
// training images is an error rather than a silently smaller batch.
Status select_images(const TrainFlags& flags, const Dataset& data, int batch, std::vector<int>* train_ids,
                     std::vector<int>* val_ids, std::vector<int>* test_ids) {
  const int n_train = flags.train_limit > 0 ? flags.train_limit : data.train_images.count;
  LW_RETURN_IF_ERROR(first_images(n_train, data.train_images, "--train-limit", "training images", train_ids));
  LW_RETURN_IF_ERROR(first_images(flags.test_limit > 0 ? flags.test_limit : data.test_images.count, data.test_images,
                                  "--test-limit", "test images", test_ids));
  split_train_validation(n_train, std::min(flags.validation, n_train / 2), train_ids, val_ids);
  if (batch > static_cast<int>(train_ids->size())) {
    return Status::Error("--batch " + std::to_string(batch) + " exceeds the " + std::to_string(train_ids->size()) +
                         " training images (" + std::to_string(val_ids->size()) + " of the " +
                         std::to_string(n_train) + " are held out for validation)");
  }
  return Status::Ok();
}

}  // namespace

Status cmd_train(int argc, char** argv) {
  VaeConfig config;
  TrainConfig train;
  TrainFlags flags;
  LW_RETURN_IF_ERROR(parse_train_flags(argc, argv, &config, &train, &flags));
  const std::string command = join_command(argc, argv, "wardrobe train");
  // Fail before the long part if the outputs cannot be written; missing
  // folders are created.
  LW_RETURN_IF_ERROR(prepare_output_file(flags.out));
  LW_RETURN_IF_ERROR(prepare_output_file(flags.out + ".ckpt"));
  LW_RETURN_IF_ERROR(prepare_output_file(flags.log_path));

  TrainState state;
  if (!flags.resume.empty()) {
    std::vector<uint8_t> bytes;
    LW_RETURN_IF_ERROR(read_file(flags.resume, &bytes));
    LW_RETURN_IF_ERROR(read_checkpoint(bytes.data(), bytes.size(), &state).with_context(flags.resume));
    state.train.epochs = train.epochs;  // a resumed run may be extended
  } else {
    LW_RETURN_IF_ERROR(init_train_state(config, train, &state));
  }

  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(flags.data_dir, &data));
  std::vector<int> train_ids, val_ids, test_ids;
  LW_RETURN_IF_ERROR(select_images(flags, data, state.train.batch, &train_ids, &val_ids, &test_ids));
  const Eigen::MatrixXf train_x = images_to_matrix(data.train_images, train_ids);
  const Eigen::MatrixXf val_x = images_to_matrix(data.train_images, val_ids);
  const Eigen::MatrixXf test_x = images_to_matrix(data.test_images, test_ids);

  std::fprintf(stderr, "training %s VAE (%zu parameters) on %zu images (%zu validation), %d threads\n",
               state.config.describe().c_str(), state.weights.num_params(), train_ids.size(), val_ids.size(),
               omp_get_max_threads());
  std::ofstream log(flags.log_path, state.epochs_done > 0 ? std::ios::app : std::ios::trunc);
  if (!log) return Status::Error(flags.log_path + ": cannot open log for writing");

  while (state.epochs_done < state.train.epochs) {
    const int epoch = state.epochs_done + 1;
    const double lr = learning_rate_at(state.train, state.epochs_done);
    const double beta = kl_weight_at(state.train, state.epochs_done);
    ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(state.train.epochs));
    const auto start = std::chrono::steady_clock::now();
    const EpochStats train_stats = train_epoch(train_x, &state, [&](long done, long total, double loss) {
      if (!flags.quiet) bar.update(done, total, loss);
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.finish();
    const EpochStats val_stats = val_x.cols() > 0 ? evaluate_elbo(state.weights, state.config, val_x, 1234) : EpochStats{};
    const EpochStats test_stats = evaluate_elbo(state.weights, state.config, test_x, 4321);
    // Early stopping looks at validation only (never the test set).
    const double criterion = val_x.cols() > 0 ? val_stats.neg_elbo : train_stats.neg_elbo;
    const bool improved = criterion < state.best_val;
    if (improved) {
      state.best_val = criterion;
      state.best_epoch = epoch;
    }
    const std::string line =
        epoch_json(epoch, lr, beta, train_stats, val_stats, test_stats, seconds, train_stats.images / seconds);
    log << line << "\n";
    log.flush();
    std::fprintf(stderr, "epoch %d: train %.2f  val %.2f  test %.2f (rec %.2f, kl %.2f)  %.1f s, %.0f img/s%s\n",
                 epoch, train_stats.neg_elbo, val_stats.neg_elbo, test_stats.neg_elbo, test_stats.rec, test_stats.kl,
                 seconds, train_stats.images / seconds, improved ? "  *best" : "");
    LW_RETURN_IF_ERROR(save_checkpoint_files(state, flags, command, improved));
  }
  // The model file is written only by an improving epoch: claim it only then.
  if (state.best_epoch == 0) {
    return Status::Error("no epoch reached a finite validation loss, so " + flags.out +
                         " was not written (checkpoint: " + flags.out + ".ckpt)");
  }
  std::fprintf(stderr, "best validation negative ELBO %.2f at epoch %d; model: %s, checkpoint: %s.ckpt\n",
               state.best_val, state.best_epoch, flags.out.c_str(), flags.out.c_str());
  return Status::Ok();
}

}  // namespace lw
