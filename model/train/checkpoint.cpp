#include "model/train/checkpoint.h"

#include <algorithm>

#include "model/runtime/vae_io.h"

namespace lw {

// Checkpoint-only tensors (see docs/FORMAT.md, "Training checkpoint").
Status write_checkpoint(const TrainState& s, const std::string& metadata_json, std::vector<uint8_t>* out) {
  BlobWriter writer(BlobKind::kTrainingCheckpoint, architecture_of(s.config),
                    kPartEncoder | kPartDecoder | kPartOptimizer);
  if (!metadata_json.empty()) LW_RETURN_IF_ERROR(writer.set_metadata(metadata_json));
  const std::vector<ParamRef<const float>> w = s.weights.params();
  const std::vector<ParamRef<const float>> m = s.adam.m.params();
  const std::vector<ParamRef<const float>> v = s.adam.v.params();
  for (size_t t = 0; t < w.size(); ++t) {
    LW_RETURN_IF_ERROR(add_weight_tensor(&writer, w[t].name, w[t], DType::kF32));
    LW_RETURN_IF_ERROR(add_weight_tensor(&writer, "adam.m." + w[t].name, m[t], DType::kF32));
    LW_RETURN_IF_ERROR(add_weight_tensor(&writer, "adam.v." + w[t].name, v[t], DType::kF32));
  }
  const std::array<uint64_t, Rng::kStateWords> rng = s.rng.state();
  LW_RETURN_IF_ERROR(writer.add_u64("rng.state", {Rng::kStateWords}, rng.data(), rng.size()));
  const uint64_t counters[4] = {static_cast<uint64_t>(s.epochs_done), static_cast<uint64_t>(s.best_epoch),
                                static_cast<uint64_t>(s.adam.step), s.train.seed};
  LW_RETURN_IF_ERROR(writer.add_u64("train.counters", {4}, counters, 4));
  const uint64_t settings[5] = {static_cast<uint64_t>(s.train.epochs), static_cast<uint64_t>(s.train.batch),
                                static_cast<uint64_t>(s.train.schedule),
                                static_cast<uint64_t>(s.train.kl_warmup_epochs), s.train.binarize ? 1u : 0u};
  LW_RETURN_IF_ERROR(writer.add_u64("train.settings", {5}, settings, 5));
  const float reals[3] = {s.train.lr, s.train.lr_min, static_cast<float>(std::min(s.best_val, 3.0e38))};
  LW_RETURN_IF_ERROR(writer.add_f32("train.reals", {3}, reals, 3));
  const uint64_t objective[1] = {static_cast<uint64_t>(s.train.iwae_samples)};
  LW_RETURN_IF_ERROR(writer.add_u64("train.iwae_samples", {1}, objective, 1));
  const uint64_t estimator[1] = {s.train.iwae_gradient == IwaeGradient::kDoublyReparameterized ? 1u : 0u};
  LW_RETURN_IF_ERROR(writer.add_u64("train.iwae_gradient", {1}, estimator, 1));
  const uint64_t frozen[1] = {s.train.freeze_posterior_mean ? 1u : 0u};
  LW_RETURN_IF_ERROR(writer.add_u64("train.freeze_posterior_mean", {1}, frozen, 1));
  return writer.finish(out);
}

Status read_checkpoint(const uint8_t* data, size_t size, TrainState* state) {
  BlobReader blob;
  LW_RETURN_IF_ERROR(BlobReader::parse(data, size, &blob));
  if (blob.kind() != BlobKind::kTrainingCheckpoint) {
    return Status::Error("expected a training checkpoint, found a " + blob_kind_name(blob.kind()) + " blob");
  }
  TrainState s;
  uint32_t parts = 0;
  LW_RETURN_IF_ERROR(read_model_blob(blob, &s.config, &s.weights, &parts));
  if (parts != (kPartEncoder | kPartDecoder)) return Status::Error("checkpoint lacks encoder or decoder weights");
  init_adam_state(s.config, &s.adam);
  std::vector<ParamRef<float>> m = s.adam.m.params();
  std::vector<ParamRef<float>> v = s.adam.v.params();
  for (size_t t = 0; t < m.size(); ++t) {
    LW_RETURN_IF_ERROR(read_weight_tensor(blob, "adam.m." + m[t].name, m[t]));
    LW_RETURN_IF_ERROR(read_weight_tensor(blob, "adam.v." + v[t].name, v[t]));
  }
  std::array<uint64_t, Rng::kStateWords> rng{};
  LW_RETURN_IF_ERROR(blob.read_u64("rng.state", {Rng::kStateWords}, rng.data(), rng.size()));
  s.rng.set_state(rng);
  uint64_t counters[4], settings[5];
  float reals[3];
  LW_RETURN_IF_ERROR(blob.read_u64("train.counters", {4}, counters, 4));
  LW_RETURN_IF_ERROR(blob.read_u64("train.settings", {5}, settings, 5));
  LW_RETURN_IF_ERROR(blob.read_f32("train.reals", {3}, reals, 3));
  if (counters[0] > 100000 || counters[1] > counters[0] || settings[2] > 1) {
    return Status::Error("checkpoint counters are inconsistent");
  }
  s.epochs_done = static_cast<int>(counters[0]);
  s.best_epoch = static_cast<int>(counters[1]);
  s.adam.step = static_cast<int64_t>(counters[2]);
  s.train.seed = counters[3];
  s.train.epochs = static_cast<int>(std::min<uint64_t>(settings[0], 100000));
  s.train.batch = static_cast<int>(std::min<uint64_t>(settings[1], 65536));
  s.train.schedule = settings[2] == 1 ? LrSchedule::kCosine : LrSchedule::kConstant;
  s.train.kl_warmup_epochs = static_cast<int>(std::min<uint64_t>(settings[3], 100000));
  s.train.binarize = settings[4] != 0;
  s.train.lr = reals[0];
  s.train.lr_min = reals[1];
  s.best_val = reals[2];
  // Optional: checkpoints written before the IWAE objective lack it (the ELBO).
  if (blob.find("train.iwae_samples") != nullptr) {
    uint64_t objective[1];
    LW_RETURN_IF_ERROR(blob.read_u64("train.iwae_samples", {1}, objective, 1));
    s.train.iwae_samples = static_cast<int>(std::min<uint64_t>(objective[0], 1u << 20));
  }
  // Optional: checkpoints written before DReG existed used the standard estimator.
  if (blob.find("train.iwae_gradient") != nullptr) {
    uint64_t estimator[1];
    LW_RETURN_IF_ERROR(blob.read_u64("train.iwae_gradient", {1}, estimator, 1));
    if (estimator[0] > 1) {
      return Status::Error("checkpoint train.iwae_gradient must be 0 or 1, got " + std::to_string(estimator[0]));
    }
    s.train.iwae_gradient = estimator[0] == 1 ? IwaeGradient::kDoublyReparameterized : IwaeGradient::kStandard;
  }
  // Optional: checkpoints written before stop 24 trained every tensor.
  if (blob.find("train.freeze_posterior_mean") != nullptr) {
    uint64_t frozen[1];
    LW_RETURN_IF_ERROR(blob.read_u64("train.freeze_posterior_mean", {1}, frozen, 1));
    if (frozen[0] > 1) {
      return Status::Error("checkpoint train.freeze_posterior_mean must be 0 or 1, got " + std::to_string(frozen[0]));
    }
    s.train.freeze_posterior_mean = frozen[0] == 1;
  }
  LW_RETURN_IF_ERROR(s.train.validate().with_context("checkpoint training settings"));
  *state = std::move(s);
  return Status::Ok();
}

}  // namespace lw
