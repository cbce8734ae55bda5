// Embind surface of the encoder ("your own garment"): encode an image to
// (mu, sigma), score it (negative ELBO and IWAE NLL, with the decoder's
// weights), and the anomaly statistics the exporter ships in encoder.lwb.
// wardrobe.js wraps this as Encoder (wardrobe.d.ts). Same conventions as
// bindings.cpp, through the same error channel and staging buffer
// (binding_support.h): no exceptions, 0/1 returns with the message in
// lastError(), data through buffers owned by the C++ object.
//
// A second EMSCRIPTEN_BINDINGS block in its own file, so the encoder (which
// the page loads only when first needed) stays apart from the decoder runtime.
#include <emscripten/bind.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/anomaly.h"
#include "model/runtime/blob.h"
#include "model/runtime/model_stats.h"
#include "model/runtime/vae_params.h"
#include "model/runtime/vae_io.h"
#include "wasm/binding_support.h"

namespace lw {
namespace {

// Reads a model blob holding `part` from the staged bytes [offset, offset + bytes).
Status read_staged_part(int offset, int bytes, uint32_t part, const char* what, BlobReader* blob, VaeConfig* config,
                        VaeParams* params) {
  const uint8_t* data = nullptr;
  Status s = staged_span(offset, bytes, &data);
  if (s.ok()) s = read_model_part(data, static_cast<size_t>(bytes), part, blob, config, params);
  return s.with_context(what);
}

class WasmEncoder {
 public:
  // Parses the encoder blob (the first enc_bytes staged bytes) and, if
  // dec_bytes > 0, the decoder blob staged right after it (score() needs it).
  int load(int enc_bytes, int dec_bytes) {
    const Status s = load_staged(enc_bytes, dec_bytes);
    return s.ok() ? 0 : fail(s);
  }

  int latentSize() const { return scorer_.latent(); }
  int imageSize() const { return scorer_.pixels(); }
  bool hasDecoder() const { return scorer_.has_decoder(); }

  uintptr_t inputPtr() { return reinterpret_cast<uintptr_t>(input_.data()); }
  // After encode(): mu [d] then sigma [d].
  uintptr_t outputPtr() { return reinterpret_cast<uintptr_t>(output_.data()); }

  int encode() {
    const Status s = scorer_.encode(input_.data(), output_.data(), output_.data() + scorer_.latent());
    return s.ok() ? 0 : fail(s);
  }

  // Scores the input image; seed is a 32-bit integer from JS (widened).
  int score(int k, double seed) {
    if (!(seed >= 0 && seed <= 18446744073709549568.0)) return fail("score: seed must be >= 0");
    ImageScore out;
    const Status s = scorer_.score(input_.data(), k, static_cast<uint64_t>(seed), &out);
    if (!s.ok()) return fail(s);
    last_ = out;
    return 0;
  }
  double negElbo() const { return last_.neg_elbo; }
  double iwaeNll() const { return last_.iwae_nll; }
  double complexity() const { return last_.complexity; }
  double ood() const { return last_.ood; }

  // Percentile (0..100) of a score among the test garments': which = 0 IWAE
  // NLL, 1 negative ELBO, 2 complexity-corrected score; -1 if the blob has no
  // such statistics.
  double percentile(double value, int which) const {
    const std::vector<float>& sorted = which == 1 ? test_elbo_ : which == 2 ? test_ood_ : test_iwae_;
    return sorted.empty() ? -1.0 : percentile_of(sorted, value);
  }

  int anomalyCount() const { return static_cast<int>(anomalous_ids_.size()); }
  uintptr_t anomalyIdsPtr() const { return reinterpret_cast<uintptr_t>(anomalous_ids_.data()); }
  uintptr_t anomalyNllPtr() const { return reinterpret_cast<uintptr_t>(anomalous_nll_.data()); }

 private:
  Status load_staged(int enc_bytes, int dec_bytes) {
    BlobReader enc_blob, dec_blob;
    VaeConfig config, dec_config;
    VaeParams params, dec_params;
    LW_RETURN_IF_ERROR(read_staged_part(0, enc_bytes, kPartEncoder, "encoder", &enc_blob, &config, &params));
    if (dec_bytes > 0) {
      LW_RETURN_IF_ERROR(
          read_staged_part(enc_bytes, dec_bytes, kPartDecoder, "decoder", &dec_blob, &dec_config, &dec_params));
      if (dec_config.describe() != config.describe()) {
        return Status::Error("decoder " + dec_config.describe() + " does not match encoder " + config.describe());
      }
      params.dec = std::move(dec_params.dec);
    }
    ModelStats stats;
    LW_RETURN_IF_ERROR(read_model_stats(enc_blob, &stats).with_context("encoder"));
    AnomalyScorer scorer;
    LW_RETURN_IF_ERROR(scorer.init(params));
    scorer_ = std::move(scorer);
    test_iwae_ = std::move(stats.test_iwae_sorted);
    test_elbo_ = std::move(stats.test_neg_elbo_sorted);
    test_ood_ = std::move(stats.test_ood_sorted);
    anomalous_ids_ = std::move(stats.anomalous_ids);
    anomalous_nll_ = std::move(stats.anomalous_nll);
    input_.assign(static_cast<size_t>(scorer_.pixels()), 0.0f);
    output_.assign(static_cast<size_t>(2 * scorer_.latent()), 0.0f);
    return Status::Ok();
  }

  AnomalyScorer scorer_;                // encoder (+ decoder logits for score)
  std::vector<float> input_;            // [pixels] image from JS
  std::vector<float> output_;           // [2 d] mu then sigma
  ImageScore last_;                     // last score()
  std::vector<float> test_iwae_;        // [10000] ascending, or empty
  std::vector<float> test_elbo_;        // [10000] ascending, or empty
  std::vector<float> test_ood_;         // [10000] ascending, or empty (older blobs)
  std::vector<int32_t> anomalous_ids_;  // [100] index ids, most anomalous first
  std::vector<float> anomalous_nll_;    // [100] their IWAE NLL
};

}  // namespace
}  // namespace lw

EMSCRIPTEN_BINDINGS(latent_wardrobe_encoder) {
  using namespace emscripten;
  class_<lw::WasmEncoder>("WasmEncoder")
      .constructor<>()
      .function("load", &lw::WasmEncoder::load)
      .function("latentSize", &lw::WasmEncoder::latentSize)
      .function("imageSize", &lw::WasmEncoder::imageSize)
      .function("hasDecoder", &lw::WasmEncoder::hasDecoder)
      .function("inputPtr", &lw::WasmEncoder::inputPtr)
      .function("outputPtr", &lw::WasmEncoder::outputPtr)
      .function("encode", &lw::WasmEncoder::encode)
      .function("score", &lw::WasmEncoder::score)
      .function("negElbo", &lw::WasmEncoder::negElbo)
      .function("iwaeNll", &lw::WasmEncoder::iwaeNll)
      .function("complexity", &lw::WasmEncoder::complexity)
      .function("ood", &lw::WasmEncoder::ood)
      .function("percentile", &lw::WasmEncoder::percentile)
      .function("anomalyCount", &lw::WasmEncoder::anomalyCount)
      .function("anomalyIdsPtr", &lw::WasmEncoder::anomalyIdsPtr)
      .function("anomalyNllPtr", &lw::WasmEncoder::anomalyNllPtr);
}
