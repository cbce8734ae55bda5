#include "model/runtime/encoder_infer.h"

#include <algorithm>
#include <string>

#include "model/runtime/kernels/im2col.h"

namespace lw {

namespace {
// Samples whose last convolution output is held at once before the dense
// layers run on them together: 32 x 3136 floats (400 KB) for the default
// encoder, while keeping the dense GEMMs batched.
constexpr int kChunk = 32;
}  // namespace

Status Encoder::init(const VaeParams& params) {
  *this = Encoder();
  if (params.enc_conv.size() != params.conv.size()) {
    return Status::Error("encoder: " + std::to_string(params.enc_conv.size()) + " convolution weights for " +
                         std::to_string(params.conv.size()) + " convolutions");
  }
  Encoder e;
  e.geo_ = params.conv;
  size_t patches = 0, inner = 0;
  for (size_t l = 0; l < e.geo_.size(); ++l) {
    const ConvGeometry& g = e.geo_[l];
    const Dense& d = params.enc_conv[l];
    const std::string name = "enc.conv" + std::to_string(l);
    if (d.out() != g.out_ch || d.in() != g.patch() || d.b.size() != d.W.rows()) {
      return Status::Error(name + ": weight " + std::to_string(d.out()) + " x " + std::to_string(d.in()) +
                           ", expected " + std::to_string(g.out_ch) + " x " + std::to_string(g.patch()));
    }
    if (l > 0 && (g.in_side != e.geo_[l - 1].out_side || g.in_ch != e.geo_[l - 1].out_ch)) {
      return Status::Error(name + ": its input does not match the previous convolution's output");
    }
    e.conv_.emplace_back();
    LW_RETURN_IF_ERROR(e.conv_.back().init({MlpLayer::of(d, Activation::kRelu)}).with_context(name));
    LW_RETURN_IF_ERROR(e.conv_.back().reserve(g.positions()));
    patches = std::max(patches, static_cast<size_t>(g.positions()) * g.patch());
    if (l + 1 < e.geo_.size()) inner = std::max(inner, static_cast<size_t>(g.out_size()));
  }
  LW_RETURN_IF_ERROR(make_encoder_mlp(params, &e.dense_));
  if (!e.geo_.empty() && e.dense_.in_dim() != e.geo_.back().out_size()) {
    return Status::Error("encoder: enc.0 takes " + std::to_string(e.dense_.in_dim()) +
                         " inputs, the last convolution gives " + std::to_string(e.geo_.back().out_size()));
  }
  e.patches_.resize(patches);
  e.act_.resize(2 * inner);
  if (!e.geo_.empty()) e.flat_.resize(static_cast<size_t>(kChunk) * e.geo_.back().out_size());
  *this = std::move(e);
  return Status::Ok();
}

Status Encoder::reserve(int n) { return dense_.reserve(geo_.empty() ? n : std::min(n, kChunk)); }

Status Encoder::forward(const float* x, int n, float* y) {
  if (empty()) return Status::Error("encoder: not loaded");
  if (geo_.empty()) return dense_.forward(x, n, y);
  if (n < 0) return Status::Error("encoder: sample count must be >= 0, got " + std::to_string(n));
  if (n > 0 && (x == nullptr || y == nullptr)) return Status::Error("encoder: null input or output");
  const int in = in_dim(), out = out_dim(), flat = geo_.back().out_size();
  const int inner = static_cast<int>(act_.size() / 2);
  for (int start = 0; start < n; start += kChunk) {
    const int count = std::min(kChunk, n - start);
    for (int j = 0; j < count; ++j) {
      const float* src = x + static_cast<size_t>(start + j) * in;
      for (size_t l = 0; l < geo_.size(); ++l) {
        const bool last = l + 1 == geo_.size();
        float* dst = last ? flat_.data() + static_cast<size_t>(j) * flat : act_.data() + (l % 2) * inner;
        kernels::im2col(geo_[l], src, patches_.data());
        LW_RETURN_IF_ERROR(conv_[l].forward(patches_.data(), geo_[l].positions(), dst));
        src = dst;
      }
    }
    LW_RETURN_IF_ERROR(dense_.forward(flat_.data(), count, y + static_cast<size_t>(start) * out));
  }
  return Status::Ok();
}

}  // namespace lw
