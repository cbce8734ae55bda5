// lw_model_variant: writes a degenerate variant of a model blob, for the
// tests of issue 11 (part 6) that need a model whose data has no spread or
// whose posteriors sit at the latent domain's edges. Real weights in, one
// deliberate change, real weights out (f32, both parts):
//   ignore-input   the encoder's first layer is zeroed: every image gets the
//                  same posterior (an encoder that ignores its input)
//   logvar=V       the log-variance head outputs V for every image and
//                  dimension (sigma = exp(V/2); V = -38 gives 5.6e-9)
//   flat-dim=K     latent dimension K's mu head is zeroed: mu_K = 0 for every
//                  image (a dimension with zero variance)
//
// usage: lw_model_variant IN.lwb OUT.lwb MODE
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/native/file_io.h"
#include "model/runtime/vae_io.h"

namespace {

lw::Status apply(const std::string& mode, const lw::VaeConfig& config, lw::VaeParams* p) {
  const size_t eq = mode.find('=');
  const std::string name = mode.substr(0, eq), value = eq == std::string::npos ? "" : mode.substr(eq + 1);
  if (name == "ignore-input" && value.empty()) {
    p->enc[0].W.setZero();
  } else if (name == "logvar" && !value.empty()) {
    p->enc_logvar.W.setZero();
    p->enc_logvar.b.setConstant(std::strtof(value.c_str(), nullptr));
  } else if (name == "flat-dim" && !value.empty()) {
    const int k = std::atoi(value.c_str());
    if (k < 0 || k >= config.latent) return lw::Status::Error("flat-dim " + value + " is not a latent dimension");
    p->enc_mu.W.row(k).setZero();
    p->enc_mu.b(k) = 0.0f;
  } else {
    return lw::Status::Error("unknown mode '" + mode + "' (ignore-input, logvar=V, flat-dim=K)");
  }
  return lw::Status::Ok();
}

lw::Status run(const std::string& in, const std::string& out, const std::string& mode) {
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(lw::read_file(in, &bytes));
  lw::VaeConfig config;
  lw::VaeParams params;
  uint32_t parts = 0;
  LW_RETURN_IF_ERROR(lw::read_model_blob(bytes.data(), bytes.size(), &config, &params, &parts).with_context(in));
  if (parts != (lw::kPartEncoder | lw::kPartDecoder)) return lw::Status::Error(in + ": needs both parts");
  LW_RETURN_IF_ERROR(apply(mode, config, &params));
  LW_RETURN_IF_ERROR(lw::write_model_blob(config, params, parts, lw::DType::kF32, "{\"variant\":\"" + mode + "\"}", &bytes));
  return lw::write_file_atomic(out, bytes.data(), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: lw_model_variant IN.lwb OUT.lwb ignore-input|logvar=V|flat-dim=K\n");
    return 2;
  }
  const lw::Status s = run(argv[1], argv[2], argv[3]);
  if (!s.ok()) {
    std::fprintf(stderr, "lw_model_variant: error: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
