// Integer dense kernel (see dense_q8.h). Per group of up to kQ8Group panels
// the accumulators stay in registers for the whole input loop: per step two
// i32 broadcasts (the input pairs), then per panel one 16-byte load, one AND
// and one arithmetic shift (the two i16x8 operands, see the packed layout in
// dense_q8.h), two pairwise dot products and two adds: 16 multiply-adds in 7
// instructions where the float kernel needs 12.
//
// Why AND and shift rather than sign-extending the low and high 8 bytes (the
// layout until stop 27): on x86 those extensions become pmovsxbw twice plus a
// shuffle for the high half, all on the one shuffle port, which bound the
// loop; AND and shift run on the vector ALU ports beside the multiplies.
// Measured with tests/bench/decode-compare.mjs --module-b (the two builds of
// the module in one process): see model/default/MODEL_CARD.md ("Speed").
//
// Unlike the float kernels this file uses intrinsics (wasm_simd128.h, SSE4.1)
// rather than simd.h's vector extensions: those have no pairwise i16 dot
// product, which is the point of the kernel. Other targets (the scalar wasm
// build) run the portable path, which tests hold against the SIMD one. That
// path is 1.1-1.3x the float kernel's time at batch 1 in the scalar wasm
// build and about 1.5x at batch 8 to 256 (npm run bench); sharing weight
// loads across 4 samples, or keeping a panel's sums in registers over all
// steps, did not make it faster.
#include "model/runtime/kernels/dense_q8.h"

#include <cmath>
#include <cstring>

#include "model/runtime/kernels/sigmoid.h"

// The epilogue b + acc * (scale * s_x) must round the same in the kernel,
// the oracle and across targets (native vs wasm parity), so no FMA contraction.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define LW_Q8_WASM 1
#elif defined(__SSE4_1__)
#include <smmintrin.h>
#define LW_Q8_SSE 1
#endif

namespace lw {
namespace kernels {
namespace {

constexpr int kPanelBytes = kQ8Panel * kQ8Step;  // 16

int padded_inputs(const PackedDenseQ8& L) { return L.steps * kQ8Step; }

// Bias, scale and activation for the valid outputs of one group:
// y[j] = act(b + float(acc[j]) * (scale * s_x)).
// acc holds the sums with the offset weights (dense_q8.h): acc[j] - offset
// is the exact sum, computed modulo 2^32 like the accumulators themselves
// (the exact sum fits in int32 by the choice of qmax; the offset sums may not).
void finish_group(const PackedDenseQ8& L, int o0, int count, const int32_t* acc, uint32_t offset, float sx,
                  float* y, Activation act) {
  for (int j = 0; j < count; ++j) {
    const int32_t exact = static_cast<int32_t>(static_cast<uint32_t>(acc[j]) - offset);
    const float v = L.bias[o0 + j] + static_cast<float>(exact) * (L.scale[o0 + j] * sx);
    y[j] = act == Activation::kRelu ? (v > 0.0f ? v : 0.0f) : v;
  }
  if (act == Activation::kSigmoid) sigmoid(y, static_cast<size_t>(count), y);
}

// acc[p * 4 + r] = dot of panel p's row r with xq in the offset form
// (inputs 4k and 4k+1 against u = q + 128), modulo 2^32 as the SIMD path
// sums; portable C++.
void group_portable(const PackedDenseQ8& L, int gp, const int8_t* w, const int16_t* xq, int32_t* acc) {
  uint32_t sum[kQ8Group * kQ8Panel] = {};
  for (int k = 0; k < L.steps; ++k) {
    const int16_t* x = xq + k * kQ8Step;
    for (int p = 0; p < gp; ++p) {
      const int8_t* v = w + p * kPanelBytes;
      for (int r = 0; r < kQ8Panel; ++r) {
        const int8_t* b = v + 4 * r;  // u(i), q(i+2), u(i+1), q(i+3)
        const int32_t lo = static_cast<uint8_t>(b[0]) * x[0] + static_cast<uint8_t>(b[2]) * x[1];
        const int32_t hi = b[1] * x[2] + b[3] * x[3];
        sum[p * kQ8Panel + r] += static_cast<uint32_t>(lo) + static_cast<uint32_t>(hi);
      }
    }
    w += gp * kPanelBytes;
  }
  for (int j = 0; j < gp * kQ8Panel; ++j) acc[j] = static_cast<int32_t>(sum[j]);
}

#if defined(LW_Q8_WASM) || defined(LW_Q8_SSE)
#if defined(LW_Q8_WASM)
using V = v128_t;
inline V zero() { return wasm_i32x4_splat(0); }
inline V load16(const int8_t* p) { return wasm_v128_load(p); }
inline V splat_pair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return wasm_i32x4_splat(v);
}
inline V byte_mask() { return wasm_i16x8_splat(0x00FF); }
inline V low_bytes(V v, V mask) { return wasm_v128_and(v, mask); }    // u, zero-extended
inline V high_bytes(V v) { return wasm_i16x8_shr(v, 8); }             // q, sign-extended
inline V dot(V a, V b) { return wasm_i32x4_dot_i16x8(a, b); }
inline V add(V a, V b) { return wasm_i32x4_add(a, b); }
inline void store4(int32_t* p, V v) { wasm_v128_store(p, v); }
#else
using V = __m128i;
inline V zero() { return _mm_setzero_si128(); }
inline V load16(const int8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline V splat_pair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm_set1_epi32(v);
}
inline V byte_mask() { return _mm_set1_epi16(0x00FF); }
inline V low_bytes(V v, V mask) { return _mm_and_si128(v, mask); }
inline V high_bytes(V v) { return _mm_srai_epi16(v, 8); }
inline V dot(V a, V b) { return _mm_madd_epi16(a, b); }
inline V add(V a, V b) { return _mm_add_epi32(a, b); }
inline void store4(int32_t* p, V v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
#endif

// GP panels, accumulators in registers. V8 gives wasm code 15 vector
// registers and schedules a step's loads first, so GP accumulators + GP
// loaded weight vectors + 2 broadcasts + temporaries must fit: GP = 5 or 6.
// Measured (decode-compare.mjs, the default decoder, i8 against f16 blob,
// 3 runs each): kQ8Group 4, 5, 6, 8 gave 0.45, 0.39, 0.44, 0.71 of the float
// kernel's time; 8 spills.
template <int GP>
void group_simd(int steps, const int8_t* w, const int16_t* xq, int32_t* acc) {
  V a[GP];
  for (int p = 0; p < GP; ++p) a[p] = zero();
  const V mask = byte_mask();
  for (int k = 0; k < steps; ++k) {
    const V x01 = splat_pair(xq);
    const V x23 = splat_pair(xq + 2);
    for (int p = 0; p < GP; ++p) {
      const V v = load16(w + p * kPanelBytes);
      a[p] = add(a[p], add(dot(low_bytes(v, mask), x01), dot(high_bytes(v), x23)));
    }
    xq += kQ8Step;
    w += GP * kPanelBytes;
  }
  for (int p = 0; p < GP; ++p) store4(acc + p * kQ8Panel, a[p]);
}

template <int GP>
void group_simd_dispatch(int gp, int steps, const int8_t* w, const int16_t* xq, int32_t* acc) {
  if (gp == GP) {
    group_simd<GP>(steps, w, xq, acc);
  } else if constexpr (GP > 1) {
    group_simd_dispatch<GP - 1>(gp, steps, w, xq, acc);
  }
}
#endif

// What the offset u = q + 128 adds to every output's sum: 128 * the sum of
// the inputs 4k and 4k+1 (the ones multiplied by u), modulo 2^32.
uint32_t weight_offset_sum(const int16_t* xq, int steps) {
  int32_t sum = 0;  // |sum| <= 2 * steps * qmax <= (2^31 - 1) / 256 by qmax's bound
  for (int k = 0; k < steps; ++k) sum += xq[k * kQ8Step] + xq[k * kQ8Step + 1];
  return static_cast<uint32_t>(sum) * 128u;
}

template <bool kSimd>
void forward_impl(const PackedDenseQ8& L, const float* x, int n, float* y, Activation act, int16_t* ws) {
  const int padded = padded_inputs(L);
  int32_t acc[kQ8Group * kQ8Panel];
  for (int s = 0; s < n; ++s) {
    const float sx = quantize_activations(x + static_cast<size_t>(s) * L.in, L.in, padded, L.qmax, ws);
    const uint32_t offset = weight_offset_sum(ws, L.steps);
    float* ys = y + static_cast<size_t>(s) * L.out;
    for (int g = 0; g < L.groups; ++g) {
      const int gp = L.group_panels(g);
      const int8_t* w = L.w.data() + L.group_offset(g);
#if defined(LW_Q8_WASM) || defined(LW_Q8_SSE)
      if (kSimd) {
        group_simd_dispatch<kQ8Group>(gp, L.steps, w, ws, acc);
      } else {
        group_portable(L, gp, w, ws, acc);
      }
#else
      group_portable(L, gp, w, ws, acc);
#endif
      const int o0 = g * kQ8Group * kQ8Panel;
      const int count = L.out - o0 < gp * kQ8Panel ? L.out - o0 : gp * kQ8Panel;
      finish_group(L, o0, count, acc, offset, sx, ys + o0, act);
    }
  }
}

int qmax_for(int padded_in) {
  // 128: a blob may hold -128 (docs/FORMAT.md), though the writer never stores it.
  const long long limit = 2147483647LL / (128LL * padded_in);
  return static_cast<int>(limit < kQ8MaxAct ? limit : kQ8MaxAct);
}

}  // namespace

float quantize_activations(const float* x, int in, int padded_in, int qmax, int16_t* xq) {
  float amax = 0.0f;
  for (int i = 0; i < in; ++i) {
    const float a = std::fabs(x[i]);
    if (a > amax && a <= 3.4e38f) amax = a;  // skips NaN and infinities
  }
  if (amax == 0.0f) {
    std::memset(xq, 0, static_cast<size_t>(padded_in) * sizeof(int16_t));
    return 0.0f;
  }
  const float inv = static_cast<float>(qmax) / amax;
  // A largest value below qmax / FLT_MAX (subnormal inputs) overflows inv to infinity, and 0 * inf
  // is NaN: then divide first, a / amax being in [-1, 1]. (Found by fuzz_blob in stop 23.)
  const bool tiny = !(inv <= 3.4e38f);
  for (int i = 0; i < in; ++i) {
    const float a = x[i];
    float q = tiny ? std::nearbyint(a / amax * static_cast<float>(qmax)) : std::nearbyint(a * inv);
    if (!(std::fabs(a) <= amax)) q = 0.0f;  // NaN and infinities
    if (q > qmax) q = static_cast<float>(qmax);
    if (q < -qmax) q = static_cast<float>(-qmax);
    xq[i] = static_cast<int16_t>(q);
  }
  for (int i = in; i < padded_in; ++i) xq[i] = 0;
  return amax / static_cast<float>(qmax);
}

void pack_dense_q8(const int8_t* q, const float* scale, const float* b, int in, int out,
                   PackedDenseQ8* packed) {
  PackedDenseQ8& L = *packed;
  L.in = in;
  L.out = out;
  L.steps = (in + kQ8Step - 1) / kQ8Step;
  L.panels = (out + kQ8Panel - 1) / kQ8Panel;
  L.groups = (L.panels + kQ8Group - 1) / kQ8Group;
  L.qmax = qmax_for(L.steps * kQ8Step);
  L.w.assign(static_cast<size_t>(L.panels) * kPanelBytes * L.steps, 0);
  L.scale.assign(static_cast<size_t>(L.panels) * kQ8Panel, 0.0f);
  L.bias.assign(static_cast<size_t>(L.panels) * kQ8Panel, 0.0f);
  for (int o = 0; o < out; ++o) {
    L.scale[o] = scale[o];
    L.bias[o] = b[o];
  }
  for (int g = 0; g < L.groups; ++g) {
    const int gp = L.group_panels(g);
    int8_t* dst = L.w.data() + L.group_offset(g);
    for (int k = 0; k < L.steps; ++k) {
      for (int p = 0; p < gp; ++p) {
        for (int r = 0; r < kQ8Panel; ++r) {
          const int o = (g * kQ8Group + p) * kQ8Panel + r;
          for (int t = 0; t < kQ8Step; ++t) {
            const int i = k * kQ8Step + t;
            const int8_t value = (o < out && i < in) ? q[static_cast<size_t>(o) * in + i] : 0;
            // Row r's 4 bytes: u(i), q(i+2), u(i+1), q(i+3), where u = q + 128
            // as an unsigned byte (flipping the top bit adds 128 modulo 256).
            const int byte = 4 * r + (t < 2 ? 2 * t : 2 * (t - 2) + 1);
            dst[p * kPanelBytes + byte] =
                t < 2 ? static_cast<int8_t>(static_cast<uint8_t>(value) ^ 0x80u) : value;
          }
        }
      }
      dst += gp * kPanelBytes;
    }
  }
}

size_t dense_q8_workspace(const PackedDenseQ8& layer) { return static_cast<size_t>(padded_inputs(layer)); }

void dense_q8_forward(const PackedDenseQ8& layer, const float* x, int n, float* y, Activation act,
                      int16_t* ws) {
  forward_impl<true>(layer, x, n, y, act, ws);
}

void dense_q8_ref(const int8_t* q, const float* scale, const float* b, int in, int out, const float* x,
                  int n, float* y, Activation act) {
  const int padded = (in + kQ8Step - 1) / kQ8Step * kQ8Step;
  const int qmax = qmax_for(padded);
  std::vector<int16_t> xq(static_cast<size_t>(padded));
  for (int s = 0; s < n; ++s) {
    const float sx = quantize_activations(x + static_cast<size_t>(s) * in, in, padded, qmax, xq.data());
    float* ys = y + static_cast<size_t>(s) * out;
    for (int o = 0; o < out; ++o) {
      int64_t acc = 0;  // wider than the kernel's int32: an overflow there would show up here
      for (int i = 0; i < in; ++i) acc += static_cast<int64_t>(q[static_cast<size_t>(o) * in + i]) * xq[i];
      const float v = b[o] + static_cast<float>(acc) * (scale[o] * sx);
      ys[o] = act == Activation::kRelu ? (v > 0.0f ? v : 0.0f) : v;
    }
    if (act == Activation::kSigmoid) sigmoid(ys, static_cast<size_t>(out), ys);
  }
}

namespace detail {
void dense_q8_forward_portable(const PackedDenseQ8& layer, const float* x, int n, float* y, Activation act,
                               int16_t* ws) {
  forward_impl<false>(layer, x, n, y, act, ws);
}
bool has_simd_path() {
#if defined(LW_Q8_WASM) || defined(LW_Q8_SSE)
  return true;
#else
  return false;
#endif
}
}  // namespace detail

}  // namespace kernels
}  // namespace lw
