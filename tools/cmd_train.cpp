// wardrobe train: trains the VAE on Fashion-MNIST with Adam, a progress bar,
// a JSON-lines log, a checkpoint after every epoch (PATH.ckpt, for --resume)
// and the best-by-validation model at PATH. All files are written atomically.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/train/train.h"
#include "model/runtime/vae_io.h"
#include "model/train/checkpoint.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/model_file.h"
#include "tools/progress.h"

namespace lw {
namespace {

// The run's model and training settings from the flags (ranges checked by
// the parser; the cross-flag rules here and in TrainConfig::validate).
Status configure(const TrainOptions& o, VaeConfig* config, TrainConfig* train) {
  config->latent = o.latent;
  config->hidden = o.hidden;
  config->dec_hidden = o.decoder_hidden;
  config->conv.clear();
  for (const std::string& text : o.conv) {
    ConvSpec spec;
    LW_RETURN_IF_ERROR(parse_conv_spec(text, &spec).with_context("--conv"));
    config->conv.push_back(spec);
  }
  train->epochs = o.epochs;
  train->batch = o.batch;
  train->lr = o.lr;
  if (o.lr_min > o.lr) {
    return Status::Error("--lr-min " + std::to_string(o.lr_min) + " must not exceed --lr " + std::to_string(o.lr));
  }
  train->lr_min = o.lr_min;
  train->schedule = o.schedule == "cosine" ? LrSchedule::kCosine : LrSchedule::kConstant;
  train->kl_warmup_epochs = o.kl_warmup;
  train->iwae_samples = o.iwae_samples;
  train->iwae_gradient = o.iwae_gradient == "dreg" ? IwaeGradient::kDoublyReparameterized : IwaeGradient::kStandard;
  train->freeze_posterior_mean = o.freeze_posterior_mean;
  train->seed = o.seed;
  train->binarize = !o.no_binarize;
  if (o.threads > 0) omp_set_num_threads(o.threads);
  LW_RETURN_IF_ERROR(train->validate());  // before the dataset is read
  return config->validate();
}

std::string epoch_json(int epoch, double lr, double beta, const EpochStats& train, const EpochStats& val,
                       const EpochStats& test, double seconds, double images_per_s) {
  const Json j = {{"epoch", epoch},
                  {"lr", json_number(lr)},
                  {"kl_weight", json_number(beta)},
                  {"train_neg_elbo", json_number(train.neg_elbo)},
                  {"train_rec", json_number(train.rec)},
                  {"train_kl", json_number(train.kl)},
                  // No validation set (--validation 0): null, not a loss of 0.
                  {"val_neg_elbo", val.images > 0 ? json_number(val.neg_elbo) : Json(nullptr)},
                  {"test_neg_elbo", json_number(test.neg_elbo)},
                  {"test_rec", json_number(test.rec)},
                  {"test_kl", json_number(test.kl)},
                  {"seconds", json_number(seconds)},
                  {"images_per_s", json_number(images_per_s)}};
  return j.dump();
}

Status save_checkpoint_files(const TrainState& state, const TrainOptions& flags, bool improved) {
  const std::string meta = Json{{"command", flags.command},
                                {"epoch", state.epochs_done},
                                {"best_epoch", state.best_epoch},
                                {"best_val_neg_elbo", json_number(state.best_val)}}
                               .dump();
  std::vector<uint8_t> bytes;
  // The best model before the checkpoint: a kill between the two renames then leaves a model one
  // epoch ahead of the checkpoint (the resumed run recomputes that epoch bit for bit and writes the
  // same model again), never a checkpoint whose best epoch the model file does not hold (a resume
  // rewrites the model only on a later improvement, so that "best" model would stay stale).
  if (improved) {
    LW_RETURN_IF_ERROR(write_model_blob(state.config, state.weights, kPartEncoder | kPartDecoder, DType::kF32, meta,
                                        &bytes));
    LW_RETURN_IF_ERROR(write_file_atomic(flags.out, bytes.data(), bytes.size()));
  }
  LW_RETURN_IF_ERROR(write_checkpoint(state, meta, &bytes));
  LW_RETURN_IF_ERROR(write_file_atomic(flags.out + ".ckpt", bytes.data(), bytes.size()));
  return Status::Ok();
}

// The images of the run: the first --train-limit training images (minus the
// validation set taken from them) and the first --test-limit test images.
// Limits beyond the dataset are errors, not clamped; so is a batch larger than
// the training set (a step needs a whole batch and the last partial one is
// dropped, so it would silently train on fewer images).
Status select_images(const TrainOptions& flags, const Dataset& data, int batch, std::vector<int>* train_ids,
                     std::vector<int>* val_ids, std::vector<int>* test_ids) {
  const int n_train = flags.train_limit > 0 ? flags.train_limit : data.train_images.count;
  LW_RETURN_IF_ERROR(first_images(n_train, data.train_images, "--train-limit", "training images", train_ids));
  LW_RETURN_IF_ERROR(first_images(flags.test_limit > 0 ? flags.test_limit : data.test_images.count, data.test_images,
                                  "--test-limit", "test images", test_ids));
  split_train_validation(n_train, std::min(flags.validation, n_train / 2), train_ids, val_ids);
  if (batch > static_cast<int>(train_ids->size())) {
    return Status::Error("--batch " + std::to_string(batch) + " exceeds the " + std::to_string(train_ids->size()) +
                         " training images (" + std::to_string(val_ids->size()) + " of the " + std::to_string(n_train) +
                         " are held out for validation)");
  }
  return Status::Ok();
}

// The state a run starts from: a checkpoint (--resume), a model's weights with a
// fresh optimizer (--init, fine-tuning: the architecture comes from the model), or
// new weights.
Status start_state(const TrainOptions& o, const VaeConfig& config, const TrainConfig& train, TrainState* state) {
  if (!o.resume.empty()) {
    std::vector<uint8_t> bytes;
    LW_RETURN_IF_ERROR(read_file(o.resume, &bytes));
    LW_RETURN_IF_ERROR(read_checkpoint(bytes.data(), bytes.size(), state).with_context(o.resume));
    state->train.epochs = train.epochs;  // a resumed run may be extended
    return Status::Ok();
  }
  LW_RETURN_IF_ERROR(init_train_state(config, train, state));
  if (o.init.empty()) return Status::Ok();
  LW_RETURN_IF_ERROR(load_full_model(o.init, &state->config, &state->weights));
  init_adam_state(state->config, &state->adam);
  return Status::Ok();
}

}  // namespace

Status cmd_train(const TrainOptions& options) {
  VaeConfig config;
  TrainConfig train;
  LW_RETURN_IF_ERROR(configure(options, &config, &train));
  TrainOptions flags = options;
  if (flags.log.empty()) flags.log = flags.out + ".log.jsonl";
  flags.data = resolve_data_dir(flags.data);
  // Fail before the long part if the outputs cannot be written; missing
  // folders are created.
  LW_RETURN_IF_ERROR(prepare_output_file(flags.out));
  LW_RETURN_IF_ERROR(prepare_output_file(flags.out + ".ckpt"));
  LW_RETURN_IF_ERROR(prepare_output_file(flags.log));

  TrainState state;
  LW_RETURN_IF_ERROR(start_state(flags, config, train, &state));

  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(flags.data, &data));
  std::vector<int> train_ids, val_ids, test_ids;
  LW_RETURN_IF_ERROR(select_images(flags, data, state.train.batch, &train_ids, &val_ids, &test_ids));
  const Eigen::MatrixXf train_x = images_to_matrix(data.train_images, train_ids);
  const Eigen::MatrixXf val_x = images_to_matrix(data.train_images, val_ids);
  const Eigen::MatrixXf test_x = images_to_matrix(data.test_images, test_ids);

  std::fprintf(stderr, "training %s VAE (%zu parameters) on %zu images (%zu validation), %d threads\n",
               state.config.describe().c_str(), state.weights.num_params(), train_ids.size(), val_ids.size(),
               omp_get_max_threads());
  std::ofstream log(flags.log, state.epochs_done > 0 ? std::ios::app : std::ios::trunc);
  if (!log) return Status::Error(flags.log + ": cannot open log for writing");

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
    const EpochStats val_stats = val_x.cols() > 0 ? evaluate_objective(state.weights, state.config, state.train, val_x, 1234)
                                                 : EpochStats{};
    const EpochStats test_stats = evaluate_elbo(state.weights, state.config, test_x, 4321);
    // Early stopping looks at validation only (never the test set), on the training objective.
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
    LW_RETURN_IF_ERROR(save_checkpoint_files(state, flags, improved));
  }
  // The model file is written only by an improving epoch: claim it only then.
  if (state.best_epoch == 0) {
    return Status::Error("no epoch reached a finite validation loss, so " + flags.out +
                         " was not written (checkpoint: " + flags.out + ".ckpt)");
  }
  // The validation loss is the training objective: the negative ELBO, or the negative IWAE bound with K samples.
  const std::string objective = state.train.iwae_samples > 1
                                    ? "negative IWAE bound (K = " + std::to_string(state.train.iwae_samples) + ")"
                                    : "negative ELBO";
  std::fprintf(stderr, "best validation %s %.2f at epoch %d; model: %s, checkpoint: %s.ckpt\n", objective.c_str(),
               state.best_val, state.best_epoch, flags.out.c_str(), flags.out.c_str());
  return Status::Ok();
}

}  // namespace lw
