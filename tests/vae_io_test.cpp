// Model weight blobs: round trips, f16 tolerance, and that a loaded decoder
// reproduces the original's output. Checkpoints: checkpoint_native_test.cpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "model/runtime/crc32.h"
#include "model/runtime/encoder_infer.h"
#include "model/runtime/mlp_infer.h"
#include "model/runtime/rng.h"
#include "model/runtime/vae_io.h"

namespace lw {
namespace {

VaeConfig small_config() {
  VaeConfig c;
  c.hidden = {24, 12};
  c.latent = 5;
  return c;
}

uint32_t load_u32_at(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
}

void store_u32_at(std::vector<uint8_t>* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Rewrites the header checksum after an edit, so the edit itself is what the reader judges.
void reseal_header(std::vector<uint8_t>* b) { store_u32_at(b, 252, crc32(b->data(), 252)); }


uint64_t load_u64_at(const std::vector<uint8_t>& b, size_t at) {
  return uint64_t(load_u32_at(b, at)) | uint64_t(load_u32_at(b, at + 4)) << 32;
}

// Rewrites the payload checksum (and the header's) after an edit of the payload.
void reseal_payload(std::vector<uint8_t>* b) {
  const size_t payload = static_cast<size_t>(load_u64_at(*b, 112));
  store_u32_at(b, 136, crc32(b->data() + payload, b->size() - payload));
  reseal_header(b);
}

// The decoder's pixel probabilities for each column of z ([latent x n]), by
// the runtime's MLP (same layout: column-major [latent x n] is row-major
// [n x latent]).
Eigen::MatrixXf decode_probabilities(const VaeParams& p, const VaeConfig& c, const Eigen::MatrixXf& z) {
  Mlp mlp;
  REQUIRE(make_decoder_mlp(p, /*sigmoid_output=*/true, &mlp).ok());
  Eigen::MatrixXf probs(c.input_dim, z.cols());
  REQUIRE(mlp.forward(z.data(), static_cast<int>(z.cols()), probs.data()).ok());
  return probs;
}

}  // namespace

TEST_CASE("model blob round trip: f32 exact, f16 within half precision", "[vae_io]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 3, &params);
  Rng rng(4);
  Eigen::MatrixXf z(config.latent, 50);
  for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = static_cast<float>(rng.normal());
  const Eigen::MatrixXf expected = decode_probabilities(params, config, z);

  std::vector<uint8_t> f32, f16;
  const std::vector<float> kl = {0.1f, 2.0f, 0.0f, 3.5f, 1.0f};
  ModelStats stats;
  stats.kl_per_dim = kl;
  REQUIRE(write_model_blob(config, params, kPartDecoder, DType::kF32, "{}", &f32, &stats).ok());
  REQUIRE(write_model_blob(config, params, kPartDecoder, DType::kF16, "{}", &f16).ok());
  CHECK(f16.size() < f32.size() * 0.6);

  VaeConfig c32, c16;
  VaeParams p32, p16;
  uint32_t parts = 0;
  REQUIRE(read_model_blob(f32.data(), f32.size(), &c32, &p32, &parts).ok());
  CHECK(parts == kPartDecoder);
  CHECK(p32.enc.empty());
  CHECK(c32.describe() == config.describe());
  CHECK(decode_probabilities(p32, c32, z) == expected);  // bit-exact
  REQUIRE(read_model_blob(f16.data(), f16.size(), &c16, &p16, nullptr).ok());
  const float max_diff = (decode_probabilities(p16, c16, z) - expected).cwiseAbs().maxCoeff();
  INFO("max abs pixel difference f16 vs f32: " << max_diff);
  CHECK(max_diff < 2e-3f);

  BlobReader reader;
  REQUIRE(BlobReader::parse(f32.data(), f32.size(), &reader).ok());
  std::vector<float> kl_read;
  ModelStats read_stats;
  REQUIRE(read_model_stats(reader, &read_stats).ok());
  kl_read = read_stats.kl_per_dim;
  CHECK(kl_read == kl);
}

TEST_CASE("model blob with i8 matrices: half the f16 size, each weight within half a step, = round_trip_storage", "[vae_io][i8]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 5, &params);
  std::vector<uint8_t> f16, i8;
  REQUIRE(write_model_blob(config, params, kPartEncoder | kPartDecoder, DType::kF16, "{}", &f16).ok());
  REQUIRE(write_model_blob(config, params, kPartEncoder | kPartDecoder, DType::kI8, "{}", &i8).ok());
  CHECK(i8.size() < f16.size() * 0.75);  // small layers: the f16 biases and f32 scales weigh more than in 784-512-256
  BlobReader reader;
  REQUIRE(BlobReader::parse(i8.data(), i8.size(), &reader).ok());
  CHECK(reader.find("dec.2.weight")->dtype == DType::kI8);
  CHECK(reader.find("dec.2.bias")->dtype == DType::kF16);
  CHECK(reader.find("enc.mu.weight.scale")->dtype == DType::kF32);

  VaeConfig c8;
  VaeParams p8;
  REQUIRE(read_model_blob(i8.data(), i8.size(), &c8, &p8, nullptr).ok());
  const std::vector<ParamRef<const float>> before = static_cast<const VaeParams&>(params).params();
  const std::vector<ParamRef<float>> after = p8.params();
  REQUIRE(before.size() == after.size());
  for (size_t k = 0; k < before.size(); ++k) {
    const ParamRef<const float>& a = before[k];
    INFO(a.name);
    for (Eigen::Index r = 0; r < a.rows; ++r) {
      // Eigen keeps [out x in] column-major: row r of the blob's matrix is a strided row here.
      float max_abs = 0;
      for (Eigen::Index c = 0; c < a.cols; ++c) max_abs = std::max(max_abs, std::fabs(a.data[r + c * a.rows]));
      const float half_step = a.cols == 1 ? std::fabs(a.data[r]) * 1e-3f : max_abs / 127 / 2 * 1.0001f;
      for (Eigen::Index c = 0; c < a.cols; ++c) {
        CHECK(std::fabs(after[k].data[r + c * a.rows] - a.data[r + c * a.rows]) <= half_step);
      }
    }
  }
  VaeParams rounded = params;
  REQUIRE(round_trip_storage(config, DType::kI8, &rounded).ok());
  const std::vector<ParamRef<float>> via = rounded.params();
  for (size_t k = 0; k < via.size(); ++k) {
    CHECK(std::equal(via[k].data, via[k].data + via[k].size(), after[k].data));
  }
}

TEST_CASE("leave_i8_matrices: the integer decoder built from the blob is the same, i8 matrices still checked", "[vae_io][i8]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 6, &params);
  std::vector<uint8_t> i8;
  REQUIRE(write_model_blob(config, params, kPartDecoder, DType::kI8, "{}", &i8).ok());
  BlobReader blob;
  REQUIRE(BlobReader::parse(i8.data(), i8.size(), &blob).ok());
  VaeConfig c_full, c_left;
  VaeParams full, left;
  REQUIRE(read_model_blob(blob, &c_full, &full, nullptr).ok());
  REQUIRE(read_model_blob(blob, &c_left, &left, nullptr, /*leave_i8_matrices=*/true).ok());
  CHECK(full.dec[1].W.cwiseAbs().maxCoeff() > 0);
  CHECK(left.dec[1].W.cwiseAbs().maxCoeff() == 0);  // not widened
  CHECK(left.dec[1].b == full.dec[1].b);            // biases (f16) are read
  Mlp from_full, from_left;
  REQUIRE(make_decoder_mlp_from_blob(blob, full, /*sigmoid_output=*/true, &from_full).ok());
  REQUIRE(make_decoder_mlp_from_blob(blob, left, /*sigmoid_output=*/true, &from_left).ok());
  Rng rng(1);
  std::vector<float> z(7 * config.latent), a(7 * config.input_dim), b(7 * config.input_dim);
  for (float& v : z) v = static_cast<float>(rng.normal());
  REQUIRE(from_full.forward(z.data(), 7, a.data()).ok());
  REQUIRE(from_left.forward(z.data(), 7, b.data()).ok());
  CHECK(a == b);

  // A negative scale is refused with the tensor's name, as when widening.
  std::vector<uint8_t> bad = i8;
  const TensorInfo* scale = blob.find("dec.1.weight.scale");
  REQUIRE(scale != nullptr);
  const size_t at = static_cast<size_t>(load_u64_at(bad, 112) + scale->offset);
  const float minus_one = -1.0f;
  std::memcpy(bad.data() + at, &minus_one, 4);
  reseal_payload(&bad);
  VaeConfig c;
  VaeParams p;
  const Status s = read_model_blob(bad.data(), bad.size(), &c, &p, nullptr);
  BlobReader probe;
  REQUIRE(BlobReader::parse(bad.data(), bad.size(), &probe).ok());
  const Status s_left = read_model_blob(probe, &c, &p, nullptr, true);
  INFO(s.message() << " / " << s_left.message());
  CHECK(s.message().find("dec.1.weight") != std::string::npos);
  CHECK(s_left.message().find("dec.1.weight") != std::string::npos);
}

TEST_CASE("model blob errors name the problem", "[vae_io]") {
  const VaeConfig config = small_config();
  VaeParams params;
  init_params(config, 3, &params);
  std::vector<uint8_t> bytes;
  REQUIRE(write_model_blob(config, params, kPartDecoder | kPartEncoder, DType::kF32, "", &bytes).ok());
  VaeConfig c;
  VaeParams p;
  for (size_t cut : {size_t(0), size_t(10), bytes.size() / 2, bytes.size() - 1}) {
    CHECK_FALSE(read_model_blob(bytes.data(), cut, &c, &p, nullptr).ok());
  }
  // A NaN weight is rejected with the tensor's name.
  params.dec[1].W(2, 3) = NAN;
  REQUIRE(write_model_blob(config, params, kPartDecoder, DType::kF32, "", &bytes).ok());
  const Status s = read_model_blob(bytes.data(), bytes.size(), &c, &p, nullptr);
  INFO(s.message());
  CHECK(s.message().find("dec.1.weight") != std::string::npos);
}

namespace {

// A convolutional encoder (stride 2, padding 1, as the default model's) with a decoder of its own.
VaeConfig conv_config() {
  VaeConfig c;
  c.conv = {{5, 4, 2, 1}, {7, 3, 2, 1}};  // 28x28x1 -> 14x14x5 -> 7x7x7
  c.hidden = {20};
  c.dec_hidden = {9, 13};
  c.latent = 4;
  return c;
}

}  // namespace

TEST_CASE("convolutional model: version 2 header, round trip, same encoder output", "[vae_io][conv]") {
  const VaeConfig config = conv_config();
  REQUIRE(config.validate().ok());
  VaeParams params;
  init_params(config, 8, &params);
  std::vector<uint8_t> bytes;
  REQUIRE(write_model_blob(config, params, kPartEncoder | kPartDecoder, DType::kF32, "", &bytes).ok());
  CHECK(load_u32_at(bytes, 8) == 2);    // format_version
  CHECK(load_u32_at(bytes, 140) == 2);  // num_conv
  CHECK(load_u32_at(bytes, 144) == 5);  // conv 0: channels, kernel, stride, padding
  CHECK(load_u32_at(bytes, 148) == 4);
  CHECK(load_u32_at(bytes, 152) == 2);
  CHECK(load_u32_at(bytes, 156) == 1);
  CHECK(load_u32_at(bytes, 208) == 2);  // num_decoder_hidden
  CHECK(load_u32_at(bytes, 212) == 9);
  CHECK(load_u32_at(bytes, 216) == 13);

  VaeConfig c;
  VaeParams p;
  REQUIRE(read_model_blob(bytes.data(), bytes.size(), &c, &p, nullptr).ok());
  CHECK(c.describe() == "784-c5k4s2p1-c7k3s2p1-20-4, decoder 4-9-13-784");
  REQUIRE(p.enc_conv.size() == 2);
  CHECK(p.enc_conv[1].W == params.enc_conv[1].W);
  CHECK(p.dec[1].W == params.dec[1].W);

  Rng rng(2);
  std::vector<float> x(3 * 784), y_before(3 * 8), y_after(3 * 8);
  for (float& v : x) v = rng.uniform_f();
  Encoder before, after;
  REQUIRE(before.init(params).ok());
  REQUIRE(after.init(p).ok());
  REQUIRE(before.forward(x.data(), 3, y_before.data()).ok());
  REQUIRE(after.forward(x.data(), 3, y_after.data()).ok());
  CHECK(y_before == y_after);

  // f16 storage rounds the convolutions too, as round_trip_storage says (what `eval --weights f16` scores).
  std::vector<uint8_t> f16;
  REQUIRE(write_model_blob(config, params, kPartEncoder | kPartDecoder, DType::kF16, "", &f16).ok());
  VaeConfig c16;
  VaeParams p16, rounded = params;
  REQUIRE(read_model_blob(f16.data(), f16.size(), &c16, &p16, nullptr).ok());
  REQUIRE(round_trip_storage(config, DType::kF16, &rounded).ok());
  CHECK(p16.enc_conv[0].W != params.enc_conv[0].W);
  CHECK(rounded.enc_conv[0].W == p16.enc_conv[0].W);
  CHECK(rounded.enc_conv[1].b == p16.enc_conv[1].b);

  // An MLP model is still written as version 1, with header bytes 140.. zero.
  std::vector<uint8_t> mlp;
  VaeParams mlp_params;
  init_params(small_config(), 3, &mlp_params);
  REQUIRE(write_model_blob(small_config(), mlp_params, kPartDecoder, DType::kF32, "", &mlp).ok());
  CHECK(load_u32_at(mlp, 8) == 1);
  for (size_t i = 140; i < 252; ++i) CHECK(mlp[i] == 0);
}

TEST_CASE("convolutional model: header errors name the field", "[vae_io][conv]") {
  const VaeConfig config = conv_config();
  VaeParams params;
  init_params(config, 8, &params);
  std::vector<uint8_t> good;
  REQUIRE(write_model_blob(config, params, kPartEncoder, DType::kF32, "", &good).ok());
  struct Case {
    size_t at;
    uint32_t value;
    const char* expect;
  };
  const Case cases[] = {
      {140, 5, "convolution count 5 exceeds the maximum 4"},
      {140, 1, "unused convolution slot 1 holds 7"},
      {144 + 4, 9, "kernel must be in [1, 8]"},
      {144 + 12, 4, "padding must be in [0, kernel - 1]"},
      {144 + 8, 0, "stride must be in [1, 4]"},
      {208, 9, "decoder hidden layer count 9 exceeds the maximum 8"},
      {244, 1, "header reserved byte 244 is not zero"},
      {8, 3, "unsupported format version 3"},
  };
  for (const Case& k : cases) {
    std::vector<uint8_t> b = good;
    store_u32_at(&b, k.at, k.value);
    reseal_header(&b);
    VaeConfig c;
    VaeParams p;
    const Status s = read_model_blob(b.data(), b.size(), &c, &p, nullptr);
    INFO("byte " << k.at << " = " << k.value << ": " << s.message());
    CHECK(s.message().find(k.expect) != std::string::npos);
  }
  // A version 1 header must keep the version 2 fields zero (they are reserved there).
  std::vector<uint8_t> v1 = good;
  store_u32_at(&v1, 8, 1);
  reseal_header(&v1);
  VaeConfig c;
  VaeParams p;
  const Status s = read_model_blob(v1.data(), v1.size(), &c, &p, nullptr);
  INFO(s.message());
  CHECK(s.message().find("header reserved byte 140 is not zero") != std::string::npos);
  // A header cannot make inference allocate gigabytes: each convolution's output and patches are bounded.
  VaeConfig huge = config;
  huge.input_dim = 1024 * 1024;
  huge.conv = {{1024, 1, 1, 0}, {4, 8, 8, 0}};
  CHECK(huge.validate().message().find("convolution 0 (c1024k1s1p0): its output (1073741824 floats) exceeds") != std::string::npos);
  huge.conv = {{1, 8, 1, 7}};
  CHECK(huge.validate().message().find("exceeds 1048576") != std::string::npos);
  huge.input_dim = 512 * 512;
  huge.conv = {{2, 8, 1, 0}};
  CHECK(huge.validate().message().find("patches (") != std::string::npos);
  // The convolutions' input must be a square image.
  VaeConfig odd = config;
  odd.input_dim = 30;
  CHECK(odd.validate().message().find("square image") != std::string::npos);
}

TEST_CASE("parse_conv_spec reads describe()'s form and refuses others", "[vae_io][conv]") {
  ConvSpec spec;
  REQUIRE(parse_conv_spec("c32k4s2p1", &spec).ok());
  CHECK((spec.channels == 32 && spec.kernel == 4 && spec.stride == 2 && spec.padding == 1));
  for (const char* bad : {"", "c32", "c32k4s2", "32k4s2p1", "c32k4s2p1x", "c-1k4s2p1", "ck4s2p1", "c1234567k4s2p1"}) {
    INFO(bad);
    CHECK_FALSE(parse_conv_spec(bad, &spec).ok());
  }
}

}  // namespace lw
