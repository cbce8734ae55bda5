#include "model/train/train.h"

#include "model/train/flush_denormals.h"
#include "model/train/iwae_objective.h"
#include "model/train/shard_pool.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <functional>
#include <utility>

namespace lw {

Status TrainConfig::validate() const {
  if (epochs < 1 || epochs > 100000) return Status::Error("--epochs must be in [1, 100000], got " + std::to_string(epochs));
  if (batch < 1 || batch > 65536) return Status::Error("--batch must be in [1, 65536], got " + std::to_string(batch));
  if (!(lr > 0.0f && lr < 1.0f)) return Status::Error("--lr must be in (0, 1), got " + std::to_string(lr));
  if (!(lr_min >= 0.0f && lr_min <= lr)) return Status::Error("--lr-min must be in [0, lr]");
  if (kl_warmup_epochs < 0) return Status::Error("--kl-warmup must be >= 0");
  if (iwae_samples < 1 || iwae_samples > 1024) {
    return Status::Error("--iwae-samples must be in [1, 1024], got " + std::to_string(iwae_samples));
  }
  if (iwae_gradient == IwaeGradient::kDoublyReparameterized && iwae_samples < 2) {
    return Status::Error("--iwae-gradient dreg needs the IWAE bound (--iwae-samples 2 or more)");
  }
  return Status::Ok();
}

std::vector<std::string> posterior_mean_tensors(const VaeParams& params) {
  std::vector<std::string> names;
  for (const ParamRef<const float>& p : params.params()) {
    if (is_posterior_mean_tensor(p.name)) names.push_back(p.name);
  }
  return names;
}

Status init_train_state(const VaeConfig& config, const TrainConfig& train, TrainState* state) {
  LW_RETURN_IF_ERROR(config.validate());
  LW_RETURN_IF_ERROR(train.validate());
  state->config = config;
  state->train = train;
  init_params(config, train.seed, &state->weights);
  init_adam_state(config, &state->adam);
  // A stream distinct from the one that initialised the weights.
  state->rng.reseed(train.seed ^ 0x5eed5eed5eed5eedULL);
  state->epochs_done = 0;
  state->best_val = 1e300;
  state->best_epoch = 0;
  return Status::Ok();
}

float learning_rate_at(const TrainConfig& t, double epoch_position) {
  if (t.schedule == LrSchedule::kConstant) return t.lr;
  const double progress = std::min(1.0, std::max(0.0, epoch_position / t.epochs));
  return static_cast<float>(t.lr_min + 0.5 * (t.lr - t.lr_min) * (1.0 + std::cos(M_PI * progress)));
}

float kl_weight_at(const TrainConfig& t, double epoch_position) {
  if (t.kl_warmup_epochs <= 0) return 1.0f;
  return static_cast<float>(std::min(1.0, epoch_position / t.kl_warmup_epochs));
}

void split_train_validation(int n, int validation_count, std::vector<int>* train_ids, std::vector<int>* val_ids) {
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(0x7a11da7e);  // fixed: the validation set never depends on the run's seed
  for (int i = n - 1; i > 0; --i) std::swap(order[static_cast<size_t>(i)], order[rng.below(static_cast<uint64_t>(i) + 1)]);
  const int v = std::min(std::max(validation_count, 0), n);
  val_ids->assign(order.begin(), order.begin() + v);
  train_ids->assign(order.begin() + v, order.end());
  std::sort(val_ids->begin(), val_ids->end());
  std::sort(train_ids->begin(), train_ids->end());
}

Eigen::MatrixXf images_to_matrix(const ImageSet& images, const std::vector<int>& ids) {
  const std::vector<float> x = image_floats(images, ids);  // [n x pixels] row-major = [pixels x n]
  return Eigen::Map<const Eigen::MatrixXf>(x.data(), images.pixels_per_image(), static_cast<Eigen::Index>(ids.size()));
}

namespace {

// x_bin(:, c) ~ Bernoulli(data(:, order[start + c])), or the grey values
// themselves when binarisation is off.
void gather_batch(const Eigen::MatrixXf& data, const std::vector<int>& order, size_t start, bool binarize, Rng* rng,
                  Eigen::MatrixXf* x) {
  const Eigen::Index rows = data.rows();
  for (Eigen::Index c = 0; c < x->cols(); ++c) {
    const float* src = data.col(order[start + static_cast<size_t>(c)]).data();
    float* dst = x->col(c).data();
    if (binarize) {
      for (Eigen::Index j = 0; j < rows; ++j) dst[j] = rng->uniform_f() < src[j] ? 1.0f : 0.0f;
    } else {
      for (Eigen::Index j = 0; j < rows; ++j) dst[j] = src[j];
    }
  }
}

void fill_normal(Rng* rng, Eigen::MatrixXf* m) {
  for (Eigen::Index i = 0; i < m->size(); ++i) m->data()[i] = static_cast<float>(rng->normal());
}

// One shard's buffers for the run's objective: the ELBO's (iwae_samples == 1)
// or the IWAE bound's (iwae_samples > 1).
struct ShardScratch {
  VaeScratch elbo;
  IwaeScratch iwae;
  void resize(const VaeConfig& config, int images, int k) {
    if (k == 1) {
      elbo.resize(config, images);
    } else {
      iwae.resize(config, images, k);
    }
  }
  int images(int k) const { return k == 1 ? elbo.batch : iwae.batch; }
};

// The loss sums of one shard: x [784 x B], eps [latent x B*k].
LossSums shard_forward(const VaeParams& w, const Eigen::Ref<const Eigen::MatrixXf>& x,
                       const Eigen::Ref<const Eigen::MatrixXf>& eps, int k, ShardScratch* s) {
  return k == 1 ? forward(w, x, eps, &s->elbo) : iwae_forward(w, x, eps, &s->iwae);
}

// The gradients of the shard that shard_forward just ran, as part of a batch of mean_over images.
void shard_backward(const VaeParams& w, const Eigen::Ref<const Eigen::MatrixXf>& x, float beta, const TrainConfig& train,
                    int mean_over, ShardScratch* s, VaeParams* g) {
  // Frozen tensors keep their values (Adam skips them), so their gradients are not computed.
  const EncoderGradients encoder =
      train.freeze_posterior_mean ? EncoderGradients::kLogvarHeadOnly : EncoderGradients::kAll;
  if (train.iwae_samples == 1) {
    backward(w, x, beta, &s->elbo, g, mean_over, encoder);
  } else {
    // No KL weight: the bound is not a sum of rec and KL.
    iwae_backward(w, x, &s->iwae, g, mean_over, train.iwae_gradient, encoder);
  }
}

}  // namespace

EpochStats train_epoch(const Eigen::MatrixXf& data, TrainState* state, const ProgressFn& progress) {
  const int n = static_cast<int>(data.cols());
  const int batch = std::min(state->train.batch, n);
  const int steps = n / batch;
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (int i = n - 1; i > 0; --i) {
    std::swap(order[static_cast<size_t>(i)], order[state->rng.below(static_cast<uint64_t>(i) + 1)]);
  }
  // Data-parallel: each thread takes a contiguous shard of the batch with its
  // own scratch and gradients (Eigen runs single-threaded inside), and the
  // shards' gradients are summed. One thread reproduces the plain step.
  const int threads = std::max(1, std::min(omp_get_max_threads(), batch / 16));
  // Each shard's GEMMs run single-threaded; restored when the epoch ends.
  const int eigen_threads = Eigen::nbThreads();
  if (threads > 1) Eigen::setNbThreads(1);
  // Everything the steps touch is allocated here, once per epoch.
  const int k = state->train.iwae_samples;
  std::vector<ShardScratch> scratch(static_cast<size_t>(threads));
  std::vector<VaeParams> grads(static_cast<size_t>(threads));
  std::vector<int> shard_start(static_cast<size_t>(threads) + 1);
  for (int t = 0; t <= threads; ++t) shard_start[static_cast<size_t>(t)] = batch * t / threads;
  std::vector<std::vector<ParamRef<float>>> grad_refs;
  for (int t = 0; t < threads; ++t) {
    scratch[static_cast<size_t>(t)].resize(
        state->config, shard_start[static_cast<size_t>(t) + 1] - shard_start[static_cast<size_t>(t)], k);
    allocate_params(state->config, &grads[static_cast<size_t>(t)]);
    grad_refs.push_back(grads[static_cast<size_t>(t)].params());
  }
  const std::vector<std::string> frozen =
      state->train.freeze_posterior_mean ? posterior_mean_tensors(state->weights) : std::vector<std::string>{};
  Adam adam(AdamConfig{}, &state->weights, &grads[0], &state->adam, frozen);
  Eigen::MatrixXf x(data.rows(), batch);
  Eigen::MatrixXf eps(state->config.latent, static_cast<Eigen::Index>(batch) * k);  // k samples per image
  std::vector<LossSums> shard_sums(static_cast<size_t>(threads));

  ShardPool pool(threads);
  float beta = 1.0f;  // the current step's KL weight, read by the shards
  const std::function<void(int)> run_shard = [&](int shard) {
    const ScopedFlushDenormals flush;  // on the pool's threads; shard 0 runs under the guard below
    const size_t t = static_cast<size_t>(shard);
    const int start = shard_start[t], len = shard_start[t + 1] - shard_start[t];
    shard_sums[t] = shard_forward(state->weights, x.middleCols(start, len), eps.middleCols(start * k, len * k), k,
                                  &scratch[t]);
    shard_backward(state->weights, x.middleCols(start, len), beta, state->train, batch, &scratch[t], &grads[t]);
  };

  // The update, in slices on the same threads (the sum and Adam touch every
  // weight once per step, too much memory traffic for one thread): slice t sums
  // the shards' gradients into grads[0] and runs Adam on its elements of every
  // tensor. Elementwise, so the bits do not depend on the thread count.
  float lr = 0.0f;  // the current step's learning rate
  const std::function<void(int)> sum_and_update = [&](int slice) {
    const ScopedFlushDenormals flush;
    if (threads > 1) {  // shard 0's gradients become the batch's
      for (size_t i = 0; i < grad_refs[0].size(); ++i) {
        if (adam.frozen(i)) continue;  // Adam does not read its gradient
        const std::pair<size_t, size_t> range = slice_range(grad_refs[0][i].size(), slice, threads);
        float* total = grad_refs[0][i].data;
        for (size_t t = 1; t < static_cast<size_t>(threads); ++t) {
          const float* shard = grad_refs[t][i].data;
          for (size_t e = range.first; e < range.second; ++e) total[e] += shard[e];
        }
      }
    }
    adam.update_slice(lr, slice, threads);
  };

  const ScopedFlushDenormals flush;  // this thread: shard 0 and slice 0
  EpochStats stats;
  for (int step = 0; step < steps; ++step) {
    const double position = state->epochs_done + static_cast<double>(step) / steps;
    gather_batch(data, order, static_cast<size_t>(step) * static_cast<size_t>(batch), state->train.binarize,
                 &state->rng, &x);
    fill_normal(&state->rng, &eps);
    beta = kl_weight_at(state->train, position);
    pool.run(run_shard);
    lr = learning_rate_at(state->train, position);
    adam.begin_step();
    pool.run(sum_and_update);
    for (const LossSums& sums : shard_sums) {
      stats.rec += sums.rec;
      stats.kl += sums.kl;
    }
    stats.images += batch;
    if (progress) progress(stats.images, static_cast<long>(steps) * batch, (stats.rec + stats.kl) / stats.images);
  }
  if (stats.images > 0) {
    stats.rec /= stats.images;
    stats.kl /= stats.images;
  }
  stats.neg_elbo = stats.rec + stats.kl;
  state->epochs_done += 1;
  Eigen::setNbThreads(eigen_threads);
  return stats;
}

Eigen::MatrixXf binarize_fixed(const Eigen::MatrixXf& data, uint64_t seed) {
  const std::vector<float> bits = binarize(data.data(), static_cast<size_t>(data.size()), seed);
  return Eigen::Map<const Eigen::MatrixXf>(bits.data(), data.rows(), data.cols());
}

EpochStats evaluate_objective(const VaeParams& weights, const VaeConfig& config, const TrainConfig& train,
                              const Eigen::MatrixXf& data, uint64_t seed) {
  const int k = train.iwae_samples;
  const Eigen::MatrixXf x_bin = binarize_fixed(data, seed);
  Rng rng(seed + 1);
  const int n = static_cast<int>(data.cols());
  const int batch = k == 1 ? 500 : 100;
  EpochStats stats;
  ShardScratch scratch;
  for (int start = 0; start < n; start += batch) {
    const int b = std::min(batch, n - start);
    if (scratch.images(k) != b) scratch.resize(config, b, k);
    Eigen::MatrixXf eps(config.latent, static_cast<Eigen::Index>(b) * k);
    fill_normal(&rng, &eps);
    const LossSums sums = shard_forward(weights, x_bin.middleCols(start, b), eps, k, &scratch);
    stats.rec += sums.rec;
    stats.kl += sums.kl;
    stats.images += b;
  }
  if (stats.images > 0) {
    stats.rec /= stats.images;
    stats.kl /= stats.images;
  }
  stats.neg_elbo = stats.rec + stats.kl;
  return stats;
}

EpochStats evaluate_elbo(const VaeParams& weights, const VaeConfig& config, const Eigen::MatrixXf& data,
                         uint64_t seed) {
  return evaluate_objective(weights, config, TrainConfig{}, data, seed);
}

}  // namespace lw
