// lw_golden (hidden test helper, not a user tool): native reference outputs of
// the decoder for the wasm parity test (tests/js/golden.test.mjs).
//
//   lw_golden <model.lwb> <z.f32> <out.f32> [mlp|eigen]
//
// z.f32 holds n * latent little-endian floats (sample-major); out.f32 gets
// n * 784 pixel probabilities sigmoid(logits). `mlp` (default) runs the
// inference kernels behind lw::Mlp built as the wasm module builds it
// (make_decoder_mlp_from_blob: i8 matrices on the integer kernel); `eigen`
// runs the training code's decoder (lw::decode, plain Eigen, the weights as
// floats: i8 ones dequantised) as an independent reference. Prints {"n":..,"latent":..,"pixels":..} on success.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "model/runtime/blob.h"
#include "model/runtime/mlp_infer.h"
#include "model/native/file_io.h"
#include "model/train/vae.h"
#include "model/runtime/vae_io.h"

namespace {

lw::Status run(int argc, char** argv) {
  if (argc < 4 || argc > 5) return lw::Status::Error("usage: lw_golden <model.lwb> <z.f32> <out.f32> [mlp|eigen]");
  const std::string impl = argc == 5 ? argv[4] : "mlp";
  if (impl != "mlp" && impl != "eigen") return lw::Status::Error("implementation must be mlp or eigen, got " + impl);
  std::vector<uint8_t> model_bytes, z_bytes;
  LW_RETURN_IF_ERROR(lw::read_file(argv[1], &model_bytes));
  LW_RETURN_IF_ERROR(lw::read_file(argv[2], &z_bytes));
  lw::VaeConfig config;
  lw::VaeParams params;
  uint32_t parts = 0;
  lw::BlobReader blob;
  LW_RETURN_IF_ERROR(lw::BlobReader::parse(model_bytes.data(), model_bytes.size(), &blob).with_context(argv[1]));
  LW_RETURN_IF_ERROR(lw::read_model_blob(blob, &config, &params, &parts).with_context(argv[1]));
  if (!(parts & lw::kPartDecoder)) return lw::Status::Error(std::string(argv[1]) + ": no decoder part");
  const int d = config.latent;
  const size_t row_bytes = static_cast<size_t>(d) * sizeof(float);
  if (z_bytes.empty() || z_bytes.size() % row_bytes != 0) {
    return lw::Status::Error(std::string(argv[2]) + ": size " + std::to_string(z_bytes.size()) +
                             " is not a positive multiple of " + std::to_string(row_bytes));
  }
  const int n = static_cast<int>(z_bytes.size() / row_bytes);
  std::vector<float> z(static_cast<size_t>(n) * d);
  std::memcpy(z.data(), z_bytes.data(), z_bytes.size());
  const int pixels = config.input_dim;
  std::vector<float> probs(static_cast<size_t>(n) * pixels);
  if (impl == "mlp") {
    lw::Mlp mlp;
    LW_RETURN_IF_ERROR(lw::make_decoder_mlp_from_blob(blob, params, /*sigmoid_output=*/true, &mlp));
    LW_RETURN_IF_ERROR(mlp.forward(z.data(), n, probs.data()));
  } else {
    lw::VaeScratch scratch;
    scratch.resize(config, n);
    // Scratch matrices are [features x batch] column-major: column j = sample j.
    for (int j = 0; j < n; ++j) {
      for (int k = 0; k < d; ++k) scratch.z(k, j) = z[static_cast<size_t>(j) * d + k];
    }
    lw::decode(params, &scratch);
    for (int j = 0; j < n; ++j) {
      for (int p = 0; p < pixels; ++p) {
        const double logit = scratch.logits(p, j);
        probs[static_cast<size_t>(j) * pixels + p] = static_cast<float>(1.0 / (1.0 + std::exp(-logit)));
      }
    }
  }
  LW_RETURN_IF_ERROR(lw::write_file_atomic(argv[3], reinterpret_cast<const uint8_t*>(probs.data()),
                                           probs.size() * sizeof(float)));
  std::printf("{\"n\":%d,\"latent\":%d,\"pixels\":%d,\"impl\":\"%s\"}\n", n, d, pixels, impl.c_str());
  return lw::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  const lw::Status s = run(argc, argv);
  if (!s.ok()) {
    std::fprintf(stderr, "lw_golden: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
