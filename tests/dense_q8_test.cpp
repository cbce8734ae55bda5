// The integer dense kernel (model/runtime/kernels/dense_q8.h): its SIMD path
// (SSE4.1 natively, wasm SIMD in the wasm test build) and its portable path
// (the scalar wasm build's) against each other and against the scalar oracle
// on the unpacked layout, bit for bit; the oracle against double precision
// within the quantisation error it promises; edge cases of the activation
// quantiser.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "tests/test_random.h"

#include "model/runtime/kernels/dense_q8.h"

namespace {

using lw::kernels::Activation;
using lw::kernels::PackedDenseQ8;

struct QLayer {
  int in, out;
  std::vector<int8_t> q;   // [out x in] row-major
  std::vector<float> scale;
  std::vector<float> b;
};

QLayer random_qlayer(int in, int out, std::mt19937* rng) {
  std::uniform_int_distribution<int> qd(-127, 127);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  QLayer l{in, out, std::vector<int8_t>(static_cast<size_t>(in) * out), std::vector<float>(out),
           std::vector<float>(out)};
  for (int8_t& v : l.q) v = static_cast<int8_t>(qd(*rng));
  for (float& s : l.scale) s = std::fabs(u(*rng)) / 127.0f;
  for (float& v : l.b) v = u(*rng);
  return l;
}


struct Outputs {
  std::vector<float> simd, portable, ref;
};

Outputs run_all(const QLayer& l, const std::vector<float>& x, int n, Activation act) {
  PackedDenseQ8 packed;
  lw::kernels::pack_dense_q8(l.q.data(), l.scale.data(), l.b.data(), l.in, l.out, &packed);
  std::vector<int16_t> ws(lw::kernels::dense_q8_workspace(packed));
  const size_t count = static_cast<size_t>(n) * l.out;
  Outputs o{std::vector<float>(count), std::vector<float>(count), std::vector<float>(count)};
  lw::kernels::dense_q8_forward(packed, x.data(), n, o.simd.data(), act, ws.data());
  lw::kernels::detail::dense_q8_forward_portable(packed, x.data(), n, o.portable.data(), act, ws.data());
  lw::kernels::dense_q8_ref(l.q.data(), l.scale.data(), l.b.data(), l.in, l.out, x.data(), n, o.ref.data(), act);
  return o;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("dense_q8: SIMD, portable path and the oracle agree bit for bit", "[kernels][q8]") {
  INFO("SIMD path compiled in: " << lw::kernels::detail::has_simd_path());
  std::mt19937 rng(7);
  // Odd, padded and exact sizes, one output up to several groups (32 outputs) plus a tail.
  const int ins[] = {1, 2, 3, 4, 5, 16, 17, 256, 511, 768};
  const int outs[] = {1, 3, 4, 5, 31, 32, 33, 100, 784};
  const Activation acts[] = {Activation::kIdentity, Activation::kRelu, Activation::kSigmoid};
  for (int in : ins) {
    for (int out : outs) {
      const QLayer l = random_qlayer(in, out, &rng);
      for (int n : {1, 3, 6}) {
        const std::vector<float> x = lw::test::uniform_floats(static_cast<size_t>(n) * in, -2.0f, 2.0f, &rng);
        for (Activation act : acts) {
          const Outputs o = run_all(l, x, n, act);
          INFO("in " << in << " out " << out << " n " << n << " act " << static_cast<int>(act));
          CHECK(same_bits(o.simd, o.ref));
          CHECK(same_bits(o.portable, o.ref));
        }
      }
    }
  }
}

TEST_CASE("dense_q8: within the activation quantisation error of double precision", "[kernels][q8]") {
  // Exact reference: the same i8 weights and scales in double, unquantised
  // inputs. The only error is rounding x to qmax steps of its largest value:
  // |err_o| <= scale_o * sum_i |q_oi| * s_x / 2 (plus float rounding).
  std::mt19937 rng(11);
  for (int in : {16, 256, 768, 1100}) {
    const int out = 40;
    const QLayer l = random_qlayer(in, out, &rng);
    const std::vector<float> x = lw::test::uniform_floats(static_cast<size_t>(in), -2.0f, 2.0f, &rng);
    const Outputs o = run_all(l, x, 1, Activation::kIdentity);
    double amax = 0;
    for (float v : x) amax = std::max(amax, std::fabs(static_cast<double>(v)));
    const int padded = (in + 3) / 4 * 4;
    const int qmax = static_cast<int>(std::min<long long>(16383, 2147483647LL / (128LL * padded)));
    const double sx = amax / qmax;
    for (int r = 0; r < out; ++r) {
      double exact = l.b[r], abs_q = 0, abs_sum = std::fabs(l.b[r]);
      for (int i = 0; i < in; ++i) {
        const double w = static_cast<double>(l.scale[r]) * l.q[static_cast<size_t>(r) * in + i];
        exact += w * x[i];
        abs_q += std::fabs(static_cast<double>(l.q[static_cast<size_t>(r) * in + i]));
        abs_sum += std::fabs(w * x[i]);
      }
      const double bound = l.scale[r] * abs_q * sx * 0.5 + 1e-6 * abs_sum;
      INFO("in " << in << " output " << r << " exact " << exact << " got " << o.simd[r]);
      CHECK(std::fabs(o.simd[r] - exact) <= bound);
    }
  }
}

TEST_CASE("dense_q8: worst-case inputs do not overflow the int32 accumulators", "[kernels][q8]") {
  // Every weight -128 (readable, though never written) or 127 and every input
  // at the maximum: the largest possible sums.
  for (int in : {768, 1024, 1025, 1032, 1033, 4000}) {
    QLayer l{in, 8, std::vector<int8_t>(static_cast<size_t>(in) * 8), std::vector<float>(8, 1.0f / 128),
             std::vector<float>(8, 0.0f)};
    for (size_t i = 0; i < l.q.size(); ++i) l.q[i] = static_cast<int8_t>((i / in) % 2 == 0 ? -128 : 127);
    for (float sign : {1.0f, -1.0f}) {  // the offset sum at both of its extremes
      std::vector<float> x(static_cast<size_t>(in), 3.0f * sign);
      const Outputs o = run_all(l, x, 1, Activation::kIdentity);
      INFO("in " << in << ", x = " << 3.0f * sign);
      CHECK(same_bits(o.simd, o.ref));  // the oracle sums in int64
      CHECK(same_bits(o.portable, o.ref));
      CHECK(o.simd[0] == Approx(-3.0 * sign * in).epsilon(1e-4));
      CHECK(o.simd[1] == Approx(3.0 * sign * in * 127 / 128).epsilon(1e-4));
    }
  }
}

TEST_CASE("dense_q8: zero, NaN and infinite inputs", "[kernels][q8]") {
  std::mt19937 rng(3);
  const QLayer l = random_qlayer(20, 9, &rng);
  std::vector<float> zeros(20, 0.0f);
  Outputs o = run_all(l, zeros, 1, Activation::kIdentity);
  for (int r = 0; r < 9; ++r) CHECK(o.simd[r] == l.b[r]);  // s_x = 0: bias only

  std::vector<float> x = lw::test::uniform_floats(20, -2.0f, 2.0f, &rng);
  std::vector<float> bad = x;
  bad[3] = std::numeric_limits<float>::quiet_NaN();
  bad[7] = std::numeric_limits<float>::infinity();
  std::vector<float> cleaned = x;
  cleaned[3] = 0.0f;
  cleaned[7] = 0.0f;
  const Outputs ob = run_all(l, bad, 1, Activation::kRelu);
  const Outputs oc = run_all(l, cleaned, 1, Activation::kRelu);
  CHECK(same_bits(ob.simd, oc.simd));  // non-finite inputs count as 0, as ReLU maps NaN to 0
  for (float v : ob.simd) CHECK(std::isfinite(v));
}

TEST_CASE("dense_q8: quantize_activations on subnormal inputs stays finite and in range", "[kernels][q8]") {
  // qmax / amax overflows float when amax is subnormal; 0 * inf would be NaN (UB once cast to int16).
  const float x[4] = {1e-40f, 0.0f, -5e-41f, 2e-45f};
  int16_t q[8];
  const float sx = lw::kernels::quantize_activations(x, 4, 8, 16383, q);
  CHECK(q[0] == 16383);
  CHECK(q[1] == 0);
  CHECK(q[2] == -8192);  // -0.5 * 16383 = -8191.5 rounds to even
  CHECK(std::abs(q[3]) <= 1);
  for (int i = 4; i < 8; ++i) CHECK(q[i] == 0);
  CHECK(std::isfinite(sx));
  CHECK(sx >= 0.0f);
}

TEST_CASE("dense_q8: quantize_activations rounds to qmax steps of the largest value", "[kernels][q8]") {
  const float x[5] = {1.0f, -0.5f, 0.25f, 0.0f, -1.0f};
  int16_t q[8];
  const float sx = lw::kernels::quantize_activations(x, 5, 8, 16383, q);
  CHECK(sx == Approx(1.0 / 16383));
  CHECK(q[0] == 16383);
  CHECK(q[1] == -8192);  // -8191.5 rounds half to even
  CHECK(q[2] == 4096);   // 4095.75
  CHECK(q[3] == 0);
  CHECK(q[4] == -16383);
  for (int i = 5; i < 8; ++i) CHECK(q[i] == 0);  // padding
}

TEST_CASE("dense_q8: a sample's result does not depend on the batch", "[kernels][q8]") {
  std::mt19937 rng(5);
  const QLayer l = random_qlayer(100, 70, &rng);
  const std::vector<float> x = lw::test::uniform_floats(5 * 100, -2.0f, 2.0f, &rng);
  const Outputs batch = run_all(l, x, 5, Activation::kRelu);
  for (int s = 0; s < 5; ++s) {
    const std::vector<float> one(x.begin() + s * 100, x.begin() + (s + 1) * 100);
    const Outputs single = run_all(l, one, 1, Activation::kRelu);
    CHECK(std::memcmp(single.simd.data(), batch.simd.data() + s * 70, 70 * sizeof(float)) == 0);
    CHECK(std::memcmp(single.portable.data(), batch.portable.data() + s * 70, 70 * sizeof(float)) == 0);
  }
}
