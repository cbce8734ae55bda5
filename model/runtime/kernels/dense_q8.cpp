// Integer dense kernel (see dense_q8.h). Per group of up to kQ8Group panels
// the accumulators stay in registers for the whole input loop: per step two
// i32 broadcasts (the input pairs), then per panel one 16-byte load, two
// sign extensions, two pairwise dot products and two adds, i.e. 16
// multiply-adds in 7 instructions where the float kernel needs 12.
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
void finish_group(const PackedDenseQ8& L, int o0, int count, const int32_t* acc, float sx, float* y,
                  Activation act) {
  for (int j = 0; j < count; ++j) {
    const float v = L.bias[o0 + j] + static_cast<float>(acc[j]) * (L.scale[o0 + j] * sx);
    y[j] = act == Activation::kRelu ? (v > 0.0f ? v : 0.0f) : v;
  }
  if (act == Activation::kSigmoid) sigmoid(y, static_cast<size_t>(count), y);
}

// acc[p * 4 + r] = dot of panel p's row r with xq, portable C++.
void group_portable(const PackedDenseQ8& L, int gp, const int8_t* w, const int16_t* xq, int32_t* acc) {
  for (int j = 0; j < gp * kQ8Panel; ++j) acc[j] = 0;
  for (int k = 0; k < L.steps; ++k) {
    const int16_t* x = xq + k * kQ8Step;
    for (int p = 0; p < gp; ++p) {
      const int8_t* v = w + p * kPanelBytes;
      for (int r = 0; r < kQ8Panel; ++r) {
        acc[p * kQ8Panel + r] += v[2 * r] * x[0] + v[2 * r + 1] * x[1] + v[8 + 2 * r] * x[2] +
                                 v[8 + 2 * r + 1] * x[3];
      }
    }
    w += gp * kPanelBytes;
  }
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
inline V lo16(V v) { return wasm_i16x8_extend_low_i8x16(v); }
inline V hi16(V v) { return wasm_i16x8_extend_high_i8x16(v); }
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
inline V lo16(V v) { return _mm_cvtepi8_epi16(v); }
inline V hi16(V v) { return _mm_cvtepi8_epi16(_mm_unpackhi_epi64(v, v)); }
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
  for (int k = 0; k < steps; ++k) {
    const V x01 = splat_pair(xq);
    const V x23 = splat_pair(xq + 2);
    for (int p = 0; p < GP; ++p) {
      const V v = load16(w + p * kPanelBytes);
      a[p] = add(a[p], add(dot(lo16(v), x01), dot(hi16(v), x23)));
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

template <bool kSimd>
void forward_impl(const PackedDenseQ8& L, const float* x, int n, float* y, Activation act, int16_t* ws) {
  const int padded = padded_inputs(L);
  int32_t acc[kQ8Group * kQ8Panel];
  for (int s = 0; s < n; ++s) {
    const float sx = quantize_activations(x + static_cast<size_t>(s) * L.in, L.in, padded, L.qmax, ws);
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
      finish_group(L, o0, count, acc, sx, ys + o0, act);
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
            // t = 0, 1: low half, pair slot 2r + t; t = 2, 3: high half.
            const int byte = (t < 2 ? 0 : 8) + 2 * r + (t & 1);
            dst[p * kPanelBytes + byte] = (o < out && i < in) ? q[static_cast<size_t>(o) * in + i] : 0;
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
