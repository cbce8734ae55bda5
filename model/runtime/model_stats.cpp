#include "model/runtime/model_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace lw {
namespace {

std::vector<float> sorted_floats(const std::vector<double>& values) {
  std::vector<float> out(values.begin(), values.end());
  std::sort(out.begin(), out.end());
  return out;
}

Status add_vector(BlobWriter* writer, const std::string& name, const std::vector<float>& v) {
  if (v.empty()) return Status::Ok();
  return writer->add_f32(name, {static_cast<uint32_t>(v.size())}, v.data(), v.size());
}

// A rank-1 float tensor, or empty if absent.
Status read_vector(const BlobReader& blob, const std::string& name, std::vector<float>* out) {
  out->clear();
  const TensorInfo* t = blob.find(name);
  if (t == nullptr) return Status::Ok();
  if (t->shape.size() != 1) return Status::Error(name + " must have rank 1");
  out->resize(t->shape[0]);
  return blob.read_f32(name, {t->shape[0]}, out->data(), out->size());
}

Status read_sorted(const BlobReader& blob, const std::string& name, std::vector<float>* out) {
  LW_RETURN_IF_ERROR(read_vector(blob, name, out));
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i] < (*out)[i - 1]) return Status::Error(name + " is not sorted");
  }
  return Status::Ok();
}

Status read_ids(const BlobReader& blob, std::vector<int32_t>* ids) {
  const std::string name = "stats.anomalous_ids";
  ids->clear();
  const TensorInfo* t = blob.find(name);
  if (t == nullptr) return Status::Ok();
  if (t->shape.size() != 1) return Status::Error(name + " must have rank 1");
  if (t->dtype == DType::kI32) {
    ids->resize(t->shape[0]);
    LW_RETURN_IF_ERROR(blob.read_i32(name, {t->shape[0]}, ids->data(), ids->size()));
  } else {
    std::vector<float> values;
    LW_RETURN_IF_ERROR(read_vector(blob, name, &values));
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i] != std::floor(values[i]) || std::abs(values[i]) > 16777216.0f) {
        return Status::Error(name + " value " + std::to_string(i) + " (" + std::to_string(values[i]) +
                             ") is not an exact integer");
      }
      ids->push_back(static_cast<int32_t>(values[i]));
    }
  }
  for (size_t i = 0; i < ids->size(); ++i) {
    if ((*ids)[i] < 0) return Status::Error(name + " value " + std::to_string(i) + " is negative");
  }
  return Status::Ok();
}

}  // namespace

ModelStats encoder_stats(const std::vector<double>& iwae, const std::vector<double>& neg_elbo,
                         const std::vector<double>& ood, int first_id, int top) {
  ModelStats stats;
  stats.test_iwae_sorted = sorted_floats(iwae);
  stats.test_neg_elbo_sorted = sorted_floats(neg_elbo);
  stats.test_ood_sorted = sorted_floats(ood);
  std::vector<int> order(iwae.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const double ia = iwae[static_cast<size_t>(a)], ib = iwae[static_cast<size_t>(b)];
    return ia != ib ? ia > ib : a < b;
  });
  const size_t n = std::min(order.size(), static_cast<size_t>(std::max(top, 0)));
  for (size_t i = 0; i < n; ++i) {
    stats.anomalous_ids.push_back(first_id + order[i]);
    stats.anomalous_nll.push_back(static_cast<float>(iwae[static_cast<size_t>(order[i])]));
  }
  return stats;
}

Status write_model_stats(const ModelStats& stats, BlobWriter* writer) {
  LW_RETURN_IF_ERROR(add_vector(writer, "stats.kl_per_dim", stats.kl_per_dim));
  LW_RETURN_IF_ERROR(add_vector(writer, "stats.test_iwae_sorted", stats.test_iwae_sorted));
  LW_RETURN_IF_ERROR(add_vector(writer, "stats.test_neg_elbo_sorted", stats.test_neg_elbo_sorted));
  LW_RETURN_IF_ERROR(add_vector(writer, "stats.test_ood_sorted", stats.test_ood_sorted));
  if (stats.anomalous_ids.size() != stats.anomalous_nll.size()) {
    return Status::Error("stats.anomalous_ids and _nll differ in length");
  }
  if (!stats.anomalous_ids.empty()) {
    LW_RETURN_IF_ERROR(writer->add_i32("stats.anomalous_ids", {static_cast<uint32_t>(stats.anomalous_ids.size())},
                                       stats.anomalous_ids.data(), stats.anomalous_ids.size()));
  }
  return add_vector(writer, "stats.anomalous_nll", stats.anomalous_nll);
}

Status read_model_stats(const BlobReader& blob, ModelStats* stats) {
  ModelStats s;
  if (blob.find("stats.kl_per_dim") != nullptr) {
    s.kl_per_dim.assign(blob.arch().latent, 0.0f);
    LW_RETURN_IF_ERROR(blob.read_f32("stats.kl_per_dim", {blob.arch().latent}, s.kl_per_dim.data(), s.kl_per_dim.size()));
  }
  LW_RETURN_IF_ERROR(read_sorted(blob, "stats.test_iwae_sorted", &s.test_iwae_sorted));
  LW_RETURN_IF_ERROR(read_sorted(blob, "stats.test_neg_elbo_sorted", &s.test_neg_elbo_sorted));
  LW_RETURN_IF_ERROR(read_sorted(blob, "stats.test_ood_sorted", &s.test_ood_sorted));
  LW_RETURN_IF_ERROR(read_ids(blob, &s.anomalous_ids));
  LW_RETURN_IF_ERROR(read_vector(blob, "stats.anomalous_nll", &s.anomalous_nll));
  if (s.anomalous_ids.size() != s.anomalous_nll.size()) {
    return Status::Error("stats.anomalous_ids and _nll differ in length");
  }
  *stats = std::move(s);
  return Status::Ok();
}

}  // namespace lw
