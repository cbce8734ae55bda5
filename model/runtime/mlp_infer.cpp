#include "model/runtime/mlp_infer.h"

#include <algorithm>
#include <functional>
#include <string>

#include "model/runtime/kernels/dense.h"
#include "model/runtime/kernels/sigmoid.h"

namespace lw {

namespace {

// Bounds that keep every size computation far from overflow, also with the
// 32-bit size_t of wasm32: at most 2^26 floats (256 MB) per weight matrix or
// activation buffer.
constexpr long long kMaxElements = 1LL << 26;

bool overlaps(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  const char* pa = static_cast<const char*>(a);
  const char* pb = static_cast<const char*>(b);
  std::less<const char*> lt;
  return lt(pa, pb + b_bytes) && lt(pb, pa + a_bytes);
}

}  // namespace

Status Mlp::init(const std::vector<MlpLayer>& layers) {
  layers_.clear();
  acts_.clear();
  max_hidden_ = 0;
  capacity_ = 0;
  if (layers.empty()) return Status::Error("mlp: no layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    const MlpLayer& l = layers[i];
    const std::string where = "mlp layer " + std::to_string(i);
    if (l.in < 1 || l.out < 1)
      return Status::Error(where + ": sizes must be >= 1, got in=" + std::to_string(l.in) +
                           " out=" + std::to_string(l.out));
    if (static_cast<long long>(l.in) * l.out > kMaxElements)
      return Status::Error(where + ": weight matrix too large (" + std::to_string(l.out) + " x " +
                           std::to_string(l.in) + ")");
    if ((l.w == nullptr && l.wq == nullptr) || l.b == nullptr)
      return Status::Error(where + ": null weights or bias");
    if (l.wq != nullptr && l.wscale == nullptr) return Status::Error(where + ": i8 weights without scales");
    // The integer kernel needs 128 * padded inputs < 2^31 (kernels/dense_q8.h).
    if (l.wq != nullptr && l.in > (1 << 23))
      return Status::Error(where + ": " + std::to_string(l.in) + " inputs, more than i8 layers take (2^23)");
    if (i > 0 && layers[i - 1].out != l.in)
      return Status::Error(where + ": input size " + std::to_string(l.in) +
                           " does not match previous layer's output size " +
                           std::to_string(layers[i - 1].out));
    switch (l.act) {
      case Activation::kIdentity:
      case Activation::kRelu:
      case Activation::kSigmoid: break;
      default: return Status::Error(where + ": unknown activation");
    }
  }
  std::vector<Packed> packed(layers.size());
  std::vector<Activation> acts(layers.size());
  int max_hidden = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const MlpLayer& l = layers[i];
    packed[i].quantized = l.wq != nullptr;
    if (l.wq != nullptr) {
      kernels::pack_dense_q8(l.wq, l.wscale, l.b, l.in, l.out, &packed[i].q8);
    } else {
      kernels::pack_dense(l.w, l.b, l.in, l.out, &packed[i].f32);
    }
    acts[i] = l.act;
    if (i + 1 < layers.size()) max_hidden = std::max(max_hidden, l.out);
  }
  layers_ = std::move(packed);
  acts_ = std::move(acts);
  max_hidden_ = max_hidden;
  return Status::Ok();
}

Status Mlp::reserve(int n) {
  if (empty()) return Status::Error("mlp: not initialised");
  if (n < 1) return Status::Error("mlp: batch size must be >= 1, got " + std::to_string(n));
  const long long widest = std::max(std::max(max_hidden_, out_dim()), in_dim());
  if (static_cast<long long>(n) * widest > kMaxElements)
    return Status::Error("mlp: batch of " + std::to_string(n) + " too large");
  if (n <= capacity_) return Status::Ok();
  const size_t count = static_cast<size_t>(n);
  if (layers_.size() > 1) hidden_[0].resize(count * max_hidden_);
  if (layers_.size() > 2) hidden_[1].resize(count * max_hidden_);
  final_.resize(count * out_dim());
  size_t ws = 0, qws = 0;
  for (const Packed& l : layers_) {
    if (l.quantized) {
      qws = std::max(qws, kernels::dense_q8_workspace(l.q8));
    } else {
      ws = std::max(ws, kernels::dense_workspace_floats(l.f32.in, n));
    }
  }
  workspace_.resize(ws);
  qworkspace_.resize(qws);
  capacity_ = n;
  return Status::Ok();
}

Status Mlp::check_batch(const void* x, int n, const void* y) const {
  if (empty()) return Status::Error("mlp: not initialised");
  if (n < 1) return Status::Error("mlp: batch size must be >= 1, got " + std::to_string(n));
  if (x == nullptr || y == nullptr) return Status::Error("mlp: null input or output");
  return Status::Ok();
}

void Mlp::run(const float* x, int n, float* y) {
  const float* src = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    float* dst = i + 1 == layers_.size() ? y : hidden_[i % 2].data();
    if (layers_[i].quantized) {
      kernels::dense_q8_forward(layers_[i].q8, src, n, dst, acts_[i], qworkspace_.data());
    } else {
      kernels::dense_forward(layers_[i].f32, src, n, dst, acts_[i], workspace_.data());
    }
    src = dst;
  }
}

Status Mlp::forward(const float* x, int n, float* y) {
  LW_RETURN_IF_ERROR(check_batch(x, n, y));
  LW_RETURN_IF_ERROR(reserve(n));
  const size_t n_in = static_cast<size_t>(n) * in_dim() * sizeof(float);
  const size_t n_out = static_cast<size_t>(n) * out_dim() * sizeof(float);
  if (overlaps(x, n_in, y, n_out)) return Status::Error("mlp: input and output overlap");
  run(x, n, y);
  return Status::Ok();
}

Status Mlp::forward_u8(const float* x, int n, uint8_t* pixels) {
  LW_RETURN_IF_ERROR(check_batch(x, n, pixels));
  LW_RETURN_IF_ERROR(reserve(n));
  run(x, n, final_.data());
  kernels::probs_to_u8(final_.data(), static_cast<size_t>(n) * out_dim(), pixels);
  return Status::Ok();
}

Status Mlp::forward_rgba(const float* x, int n, uint8_t* rgba) {
  LW_RETURN_IF_ERROR(check_batch(x, n, rgba));
  LW_RETURN_IF_ERROR(reserve(n));
  run(x, n, final_.data());
  kernels::probs_to_rgba(final_.data(), static_cast<size_t>(n) * out_dim(), rgba);
  return Status::Ok();
}

MlpLayer MlpLayer::of(const Dense& d, Activation act) {
  MlpLayer l;
  l.w = d.W.data();
  l.b = d.b.data();
  l.in = d.in();
  l.out = d.out();
  l.act = act;
  return l;
}

namespace {

Status check_dense(const Dense& d, const std::string& name) {
  if (d.W.size() == 0 || d.b.size() != d.W.rows())
    return Status::Error(name + ": weight " + std::to_string(d.W.rows()) + " x " +
                         std::to_string(d.W.cols()) + " with bias of " +
                         std::to_string(d.b.size()));
  return Status::Ok();
}

}  // namespace

namespace {

// The decoder's layers from params; with a blob, each weight matrix the blob
// stores as i8 keeps its bytes (MlpLayer::wq) and runs the integer kernel.
Status make_decoder(const VaeParams& params, const BlobReader* blob, bool sigmoid_output, Mlp* mlp) {
  if (params.dec.empty()) return Status::Error("decoder: no layers");
  std::vector<MlpLayer> layers;
  std::vector<std::vector<float>> scales(params.dec.size());  // alive until init has packed them
  for (size_t i = 0; i < params.dec.size(); ++i) {
    const Dense& d = params.dec[i];
    LW_RETURN_IF_ERROR(check_dense(d, "dec." + std::to_string(i)));
    const bool last = i + 1 == params.dec.size();
    const Activation act =
        !last ? Activation::kRelu : (sigmoid_output ? Activation::kSigmoid : Activation::kIdentity);
    MlpLayer l = MlpLayer::of(d, act);
    const std::string name = "dec." + std::to_string(i) + ".weight";
    const TensorInfo* t = blob != nullptr ? blob->find(name) : nullptr;
    if (t != nullptr && t->dtype == DType::kI8) {
      const std::vector<uint32_t> shape = {static_cast<uint32_t>(d.out()), static_cast<uint32_t>(d.in())};
      LW_RETURN_IF_ERROR(blob->view_i8_matrix(name, shape, &l.wq, &scales[i]).with_context("decoder"));
      l.wscale = scales[i].data();
    }
    layers.push_back(l);
  }
  return mlp->init(layers).with_context("decoder");
}

}  // namespace

Status make_decoder_mlp(const VaeParams& params, bool sigmoid_output, Mlp* mlp) {
  return make_decoder(params, nullptr, sigmoid_output, mlp);
}

Status make_decoder_mlp_from_blob(const BlobReader& blob, const VaeParams& params, bool sigmoid_output,
                                  Mlp* mlp) {
  return make_decoder(params, &blob, sigmoid_output, mlp);
}

Status make_encoder_mlp(const VaeParams& params, Mlp* mlp) {
  if (params.enc.empty()) return Status::Error("encoder: no layers");
  std::vector<MlpLayer> layers;
  for (size_t i = 0; i < params.enc.size(); ++i) {
    LW_RETURN_IF_ERROR(check_dense(params.enc[i], "enc." + std::to_string(i)));
    layers.push_back(MlpLayer::of(params.enc[i], Activation::kRelu));
  }
  const Dense& mu = params.enc_mu;
  const Dense& lv = params.enc_logvar;
  LW_RETURN_IF_ERROR(check_dense(mu, "enc.mu"));
  LW_RETURN_IF_ERROR(check_dense(lv, "enc.logvar"));
  if (mu.in() != lv.in() || mu.out() != lv.out())
    return Status::Error("encoder: mu head " + std::to_string(mu.out()) + " x " +
                         std::to_string(mu.in()) + " and logvar head " + std::to_string(lv.out()) +
                         " x " + std::to_string(lv.in()) + " differ");
  // Stack the heads: rows [0, latent) = mu, [latent, 2 latent) = logvar.
  const int latent = mu.out();
  Dense::Matrix w(2 * latent, mu.in());
  w.topRows(latent) = mu.W;
  w.bottomRows(latent) = lv.W;
  Dense::Vector b(2 * latent);
  b.head(latent) = mu.b;
  b.tail(latent) = lv.b;
  MlpLayer heads;
  heads.w = w.data();
  heads.b = b.data();
  heads.in = mu.in();
  heads.out = 2 * latent;
  heads.act = Activation::kIdentity;
  layers.push_back(heads);
  return mlp->init(layers).with_context("encoder");
}

}  // namespace lw
