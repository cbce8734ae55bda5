// Fuzz target: the LWARDROB container parser (BlobReader::parse), every
// typed accessor on what it accepts, and the model / checkpoint readers on
// top of it (read_model_blob, read_model_stats, read_checkpoint, and the
// decoder the wasm module builds from a blob, make_decoder_mlp_from_blob).
//
// Each input is tried as given and again with its checksums recomputed
// (fuzz_util.h), so mutations also reach the structural checks.
// Invariants beyond "no sanitizer report": an accepted blob's tensors lie in
// the buffer and read back with their own dtype and shape; an accepted model
// or checkpoint has consistent shapes and survives write -> read unchanged.
#include <cmath>
#include <cstring>

#include "model/runtime/blob.h"
#include "model/runtime/mlp_infer.h"
#include "model/runtime/vae_io.h"
#include "model/train/checkpoint.h"
#include "tests/fuzz/fuzz_util.h"

namespace lw::fuzz {
namespace {

// Every tensor of an accepted blob must be readable as what the table says.
void read_every_tensor(const BlobReader& blob, const uint8_t* data, size_t size) {
  for (const TensorInfo& t : blob.tensors()) {
    const uint8_t* p = blob.tensor_data(t);
    LW_FUZZ_CHECK(p >= data && t.bytes <= size && static_cast<size_t>(p - data) <= size - t.bytes);
    LW_FUZZ_CHECK(t.bytes == t.count() * dtype_size(t.dtype));
    LW_FUZZ_CHECK(blob.find(t.name) == &t);
    const size_t n = static_cast<size_t>(t.count());
    Status s;
    switch (t.dtype) {
      case DType::kF32:
      case DType::kF16: {
        std::vector<float> v(n), scratch;
        s = blob.read_f32(t.name, t.shape, v.data(), n, /*require_finite=*/false);
        if (!s.ok()) fail("read_f32 of a listed tensor", s);
        const float* view = nullptr;
        s = blob.view_f32(t.name, t.shape, &view, &scratch, false);
        if (!s.ok()) fail("view_f32 of a listed tensor", s);
        // Same values (bitwise, so NaNs compare too).
        if (n != 0) LW_FUZZ_CHECK(std::memcmp(view, v.data(), n * sizeof(float)) == 0);
        // A wrong destination size is an error, not an overrun.
        std::vector<float> small(n == 0 ? 1 : n - 1);
        LW_FUZZ_CHECK(!blob.read_f32(t.name, t.shape, small.data(), n == 0 ? 1 : n - 1, false).ok());
        break;
      }
      case DType::kI8: {
        // Readable as floats only with a valid <name>.scale tensor; then every value is finite.
        std::vector<float> v(n), scratch;
        if (!blob.read_f32(t.name, t.shape, v.data(), n, /*require_finite=*/false).ok()) break;
        for (float x : v) LW_FUZZ_CHECK(std::isfinite(x));
        const float* view = nullptr;
        s = blob.view_f32(t.name, t.shape, &view, &scratch, false);
        if (!s.ok()) fail("view_f32 of a readable i8 tensor", s);
        if (n != 0) LW_FUZZ_CHECK(std::memcmp(view, v.data(), n * sizeof(float)) == 0);
        break;
      }
      case DType::kU8: {
        std::vector<uint8_t> v(n);
        s = blob.read_u8(t.name, t.shape, v.data(), n);
        if (n != 0) LW_FUZZ_CHECK(std::memcmp(v.data(), p, n) == 0);
        break;
      }
      case DType::kI32: {
        std::vector<int32_t> v(n);
        s = blob.read_i32(t.name, t.shape, v.data(), n);
        break;
      }
      case DType::kU32: {
        std::vector<uint32_t> v(n);
        s = blob.read_u32(t.name, t.shape, v.data(), n);
        break;
      }
      case DType::kU64: {
        std::vector<uint64_t> v(n);
        s = blob.read_u64(t.name, t.shape, v.data(), n);
        break;
      }
    }
    if (!s.ok()) fail("integer read of a listed tensor", s);
    // Reading with another element type must fail cleanly.
    if (t.dtype != DType::kU8) {
      std::vector<uint8_t> v(n);
      LW_FUZZ_CHECK(!blob.read_u8(t.name, t.shape, v.data(), n).ok());
    }
  }
  LW_FUZZ_CHECK(blob.find("no-such-tensor-name-is-this-long-or-has-spaces ") == nullptr);
}

bool same_params(const VaeParams& a, const VaeParams& b) {
  const std::vector<ParamRef<const float>> pa = a.params(), pb = b.params();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (pa[i].name != pb[i].name || pa[i].rows != pb[i].rows || pa[i].cols != pb[i].cols) return false;
    if (pa[i].size() != 0 && std::memcmp(pa[i].data, pb[i].data, pa[i].size() * sizeof(float)) != 0) return false;
  }
  return true;
}

void check_model(const BlobReader& blob) {
  VaeConfig config;
  VaeParams params;
  uint32_t parts = 0;
  if (!read_model_blob(blob, &config, &params, &parts).ok()) return;
  LW_FUZZ_CHECK(config.validate().ok());
  LW_FUZZ_CHECK(parts != 0 && (parts & ~(kPartEncoder | kPartDecoder)) == 0);
  LW_FUZZ_CHECK(((parts & kPartEncoder) != 0) == (params.enc.size() == config.hidden.size()));
  LW_FUZZ_CHECK(((parts & kPartDecoder) != 0) == (params.dec.size() == config.hidden.size() + 1));
  for (const ParamRef<float>& p : params.params()) {
    for (size_t i = 0; i < p.size(); ++i) LW_FUZZ_CHECK(std::isfinite(p.data[i]));
  }
  if (parts & kPartDecoder) {
    // The page's decoder build (i8 matrices on the integer kernel) accepts
    // whatever read_model_blob accepted, and decodes without a report.
    Mlp decoder;
    const Status built = make_decoder_mlp_from_blob(blob, params, /*sigmoid_output=*/true, &decoder);
    if (!built.ok()) fail("make_decoder_mlp_from_blob of an accepted model", built);
    std::vector<float> z(static_cast<size_t>(config.latent), 0.5f);
    std::vector<uint8_t> pixels(static_cast<size_t>(decoder.out_dim()));
    LW_FUZZ_CHECK(decoder.forward_u8(z.data(), 1, pixels.data()).ok());
  }
  ModelStats stats;
  (void)read_model_stats(blob, &stats);
  // Round trip: what was accepted is written and read back identically.
  std::vector<uint8_t> bytes;
  Status s = write_model_blob(config, params, parts, DType::kF32, "{}", &bytes);
  if (!s.ok()) fail("write_model_blob of an accepted model", s);
  VaeConfig config2;
  VaeParams params2;
  uint32_t parts2 = 0;
  s = read_model_blob(bytes.data(), bytes.size(), &config2, &params2, &parts2);
  if (!s.ok()) fail("re-reading a written model", s);
  LW_FUZZ_CHECK(parts2 == parts && config2.describe() == config.describe() && same_params(params, params2));
}

void check_checkpoint(const uint8_t* data, size_t size) {
  TrainState state;
  if (!read_checkpoint(data, size, &state).ok()) return;
  LW_FUZZ_CHECK(state.config.validate().ok() && state.train.validate().ok());
  LW_FUZZ_CHECK(state.best_epoch <= state.epochs_done);
  LW_FUZZ_CHECK(state.adam.m.num_params() == state.weights.num_params());
  LW_FUZZ_CHECK(state.adam.v.num_params() == state.weights.num_params());
  std::vector<uint8_t> bytes;
  Status s = write_checkpoint(state, "{}", &bytes);
  if (!s.ok()) fail("write_checkpoint of an accepted checkpoint", s);
  TrainState again;
  s = read_checkpoint(bytes.data(), bytes.size(), &again);
  if (!s.ok()) fail("re-reading a written checkpoint", s);
  LW_FUZZ_CHECK(same_params(state.weights, again.weights) && same_params(state.adam.m, again.adam.m) &&
                same_params(state.adam.v, again.adam.v));
  LW_FUZZ_CHECK(state.rng.state() == again.rng.state() && state.adam.step == again.adam.step &&
                state.epochs_done == again.epochs_done && state.train.seed == again.train.seed);
}

void exercise(const uint8_t* data, size_t size) {
  BlobReader blob;
  const Status s = BlobReader::parse(data, size, &blob);
  if (s.ok()) {
    read_every_tensor(blob, data, size);
    check_model(blob);
  } else {
    LW_FUZZ_CHECK(!s.message().empty());
  }
  check_checkpoint(data, size);
}

}  // namespace
}  // namespace lw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lw::fuzz::exercise(data, size);
  const std::vector<uint8_t> fixed = lw::fuzz::with_fixed_checksums(data, size);
  if (size >= 256 && std::memcmp(fixed.data(), data, size) != 0) {
    lw::fuzz::exercise(fixed.data(), fixed.size());
    // The owning overload must agree with the span one.
    lw::BlobReader a, b;
    const bool ok_span = lw::BlobReader::parse(fixed.data(), fixed.size(), &a).ok();
    const bool ok_owned = lw::BlobReader::parse(std::vector<uint8_t>(fixed), &b).ok();
    LW_FUZZ_CHECK(ok_span == ok_owned);
  }
  return 0;
}
