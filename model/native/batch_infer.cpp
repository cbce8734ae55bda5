#include "model/native/batch_infer.h"

#include <omp.h>

#include <algorithm>
#include <string>

#include "model/runtime/mlp_infer.h"
#include "model/runtime/rng.h"

namespace lw {
namespace {

// Images handed to a thread at a time by the dynamic schedules.
constexpr int kEncodeChunk = 256;

// Runs body(scorer, i) for i in [0, n) on every thread with its own scorer;
// the first error (by image) wins.
template <typename Body>
Status for_each_image(const VaeParams& params, int n, bool dynamic, Body body) {
  Status first_error = Status::Ok();
  int error_at = n;
#pragma omp parallel
  {
    AnomalyScorer scorer;
    Status init = scorer.init(params);
    Status local = init;
    int local_at = init.ok() ? n : 0;
    if (dynamic) {
#pragma omp for schedule(dynamic, 4)
      for (int i = 0; i < n; ++i) {
        if (local.ok()) {
          local = body(&scorer, i);
          if (!local.ok()) local_at = i;
        }
      }
    } else {
#pragma omp for schedule(static)
      for (int i = 0; i < n; ++i) {
        if (local.ok()) {
          local = body(&scorer, i);
          if (!local.ok()) local_at = i;
        }
      }
    }
#pragma omp critical
    if (!local.ok() && local_at < error_at) {
      error_at = local_at;
      first_error = local;
    }
  }
  return first_error;
}

}  // namespace

std::vector<float> image_floats(const ImageSet& images, const std::vector<int>& ids) {
  const size_t p = static_cast<size_t>(images.pixels_per_image());
  std::vector<float> out(ids.size() * p);
  for (size_t c = 0; c < ids.size(); ++c) {
    const uint8_t* src = images.pixels.data() + static_cast<size_t>(ids[c]) * p;
    for (size_t j = 0; j < p; ++j) out[c * p + j] = src[j] * (1.0f / 255.0f);
  }
  return out;
}

std::vector<float> binarize(const float* p, size_t count, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = rng.uniform_f() < p[i] ? 1.0f : 0.0f;
  return out;
}

Status encode_images(const VaeParams& params, const float* x, int n, std::vector<float>* mu,
                     std::vector<float>* sigma) {
  if (n < 0) return Status::Error("encode: image count must be >= 0, got " + std::to_string(n));
  const size_t d = static_cast<size_t>(params.enc_mu.out()), pixels = static_cast<size_t>(params.encoder_input());
  mu->assign(static_cast<size_t>(n) * d, 0.0f);
  sigma->assign(static_cast<size_t>(n) * d, 0.0f);
  const int chunks = (n + kEncodeChunk - 1) / kEncodeChunk;
  return for_each_image(params, chunks, /*dynamic=*/false, [&](AnomalyScorer* scorer, int c) {
    const size_t start = static_cast<size_t>(c) * kEncodeChunk;
    const int count = std::min(kEncodeChunk, n - static_cast<int>(start));
    return scorer->encode_batch(x + start * pixels, count, mu->data() + start * d, sigma->data() + start * d)
        .with_context("image " + std::to_string(start) + ".." + std::to_string(start + count - 1));
  });
}

Status neg_elbo_images(const VaeParams& params, const float* x, int n, uint64_t seed, std::vector<ElboTerms>* out) {
  if (n < 0) return Status::Error("neg ELBO: image count must be >= 0, got " + std::to_string(n));
  const size_t d = static_cast<size_t>(params.enc_mu.out()), pixels = static_cast<size_t>(params.encoder_input());
  // One stream in image order, drawn up front (cheap next to the decodes).
  std::vector<float> eps(static_cast<size_t>(n) * d);
  Rng rng(seed);
  for (float& e : eps) e = static_cast<float>(rng.normal());
  out->assign(static_cast<size_t>(n), ElboTerms{});
  return for_each_image(params, n, /*dynamic=*/false, [&](AnomalyScorer* scorer, int i) {
    const size_t at = static_cast<size_t>(i);
    return scorer->neg_elbo(x + at * pixels, eps.data() + at * d, &(*out)[at]).with_context("image " + std::to_string(i));
  });
}

Status iwae_images(const VaeParams& params, const float* x, int n, int k, uint64_t seed, std::vector<double>* out,
                   int64_t first_image) {
  if (n < 0) return Status::Error("IWAE: image count must be >= 0, got " + std::to_string(n));
  const size_t pixels = static_cast<size_t>(params.encoder_input());
  out->assign(static_cast<size_t>(n), 0.0);
  return for_each_image(params, n, /*dynamic=*/true, [&](AnomalyScorer* scorer, int i) {
    Rng rng(iwae_stream_seed(seed, first_image + i));
    const size_t at = static_cast<size_t>(i);
    return scorer->iwae_nll(x + at * pixels, k, &rng, &(*out)[at]).with_context("image " + std::to_string(i));
  });
}

Status decode_images(const VaeParams& params, const float* z, int n, std::vector<uint8_t>* pixels) {
  if (n < 0) return Status::Error("decode: count must be >= 0, got " + std::to_string(n));
  Mlp probe;
  LW_RETURN_IF_ERROR(make_decoder_mlp(params, /*sigmoid_output=*/true, &probe));
  const size_t d = static_cast<size_t>(probe.in_dim()), out = static_cast<size_t>(probe.out_dim());
  pixels->assign(static_cast<size_t>(n) * out, 0);
  const int chunks = (n + kEncodeChunk - 1) / kEncodeChunk;
  Status first_error = Status::Ok();
#pragma omp parallel
  {
    Mlp mlp;
    Status local = make_decoder_mlp(params, /*sigmoid_output=*/true, &mlp);
#pragma omp for schedule(static)
    for (int c = 0; c < chunks; ++c) {
      const size_t start = static_cast<size_t>(c) * kEncodeChunk;
      const int count = std::min(kEncodeChunk, n - static_cast<int>(start));
      if (local.ok()) local = mlp.forward_u8(z + start * d, count, pixels->data() + start * out);
    }
#pragma omp critical
    if (!local.ok() && first_error.ok()) first_error = local;
  }
  return first_error;
}

}  // namespace lw
