// Training and evaluation of the VAE on in-memory images. The CLI
// (tools/cmd_train.cpp) adds files, progress output and checkpoints.
#pragma once
#include <functional>
#include <vector>

#include "model/train/adam.h"
#include "model/native/batch_infer.h"
#include "model/native/idx.h"
#include "model/runtime/rng.h"
#include "model/runtime/status.h"
#include "model/train/iwae_objective.h"
#include "model/train/vae.h"

namespace lw {

enum class LrSchedule { kConstant, kCosine };

struct TrainConfig {
  int epochs = 20;          // epochs to train in total (a resumed run continues to this)
  int batch = 128;          // images per step; the last partial batch of an epoch is dropped
  float lr = 1e-3f;         // peak learning rate
  float lr_min = 0.0f;      // final learning rate of the cosine schedule
  LrSchedule schedule = LrSchedule::kConstant;
  int kl_warmup_epochs = 0; // KL weight rises linearly from 0 to 1 over this many epochs
  bool binarize = true;     // dynamic binarisation: x ~ Bernoulli(pixel) every time it is used
  int iwae_samples = 1;     // objective: 1 = negative ELBO (closed-form KL, KL warm-up applies);
                            // K > 1 = the IWAE bound with K samples (model/train/iwae_objective.h)
  IwaeGradient iwae_gradient = IwaeGradient::kStandard;  // the encoder's gradient estimator when K > 1
  bool freeze_posterior_mean = false;  // leave the encoder's convolutions, hidden layers and mu head as they are
                                       // (posterior_mean_tensors): fine-tune the decoder and sigma only
  uint64_t seed = 1;        // initial weights, shuffling, binarisation and eps
  Status validate() const;
};

// Everything a run needs to continue exactly where it stopped.
struct TrainState {
  VaeConfig config;           // architecture
  TrainConfig train;          // hyper-parameters of the run
  VaeParams weights;          // current weights
  AdamState adam;             // optimizer moments and step count
  Rng rng;                    // the single random stream (shuffle, binarise, eps)
  int epochs_done = 0;        // completed epochs
  double best_val = 1e300;    // best validation negative ELBO so far (nats)
  int best_epoch = 0;         // epoch that reached best_val (0 = none yet)
};

// The tensors that compute mu(x): every encoder tensor but enc.logvar. What
// TrainConfig::freeze_posterior_mean leaves untouched, so the latent index's
// mu (and its nearest neighbours) stays that of the model fine-tuned from.
std::vector<std::string> posterior_mean_tensors(const VaeParams& params);

// Fresh state: initialised weights, zero moments, rng seeded from train.seed.
Status init_train_state(const VaeConfig& config, const TrainConfig& train, TrainState* state);

// Learning rate and KL weight at a fractional epoch position t (0 = start).
float learning_rate_at(const TrainConfig& train, double epoch_position);
float kl_weight_at(const TrainConfig& train, double epoch_position);

// Fixed split of n training images into train and validation ids (the same
// for every seed, so early stopping always looks at the same images).
void split_train_validation(int n, int validation_count, std::vector<int>* train_ids, std::vector<int>* val_ids);

// Images as a float matrix [784 x count], values in [0, 1].
Eigen::MatrixXf images_to_matrix(const ImageSet& images, const std::vector<int>& ids);

struct EpochStats {
  double neg_elbo = 0;  // mean over images, nats (beta = 1)
  double rec = 0;       // mean reconstruction term
  double kl = 0;        // mean KL term
  long images = 0;      // images processed
};

// Reports progress after each step: images done in this epoch, running mean loss.
using ProgressFn = std::function<void(long images_done, long images_total, double running_loss)>;

// One epoch over `data` ([784 x n] in [0,1]) in the order of a fresh shuffle.
// Preallocates everything before the first step; the steps allocate nothing.
EpochStats train_epoch(const Eigen::MatrixXf& data, TrainState* state, const ProgressFn& progress);

// Negative ELBO with one eps sample per image, on data binarised with a fixed
// seed (so the figure is repeatable), beta = 1.
EpochStats evaluate_elbo(const VaeParams& weights, const VaeConfig& config, const Eigen::MatrixXf& data,
                         uint64_t seed);

// The training objective of `train` on data binarised with a fixed seed: the
// negative ELBO (evaluate_elbo) when train.iwae_samples is 1, else the IWAE bound
// with that many samples (neg_elbo holds the bound; rec the mean reconstruction
// term; kl the rest). What validation-based model selection compares.
EpochStats evaluate_objective(const VaeParams& weights, const VaeConfig& config, const TrainConfig& train,
                              const Eigen::MatrixXf& data, uint64_t seed);

// Binarises data ([784 x n] in [0,1]) with a fixed seed: x ~ Bernoulli(p)
// (binarize() of model/native/batch_infer.h).
Eigen::MatrixXf binarize_fixed(const Eigen::MatrixXf& data, uint64_t seed);


}  // namespace lw
