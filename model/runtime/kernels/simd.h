// Portable SIMD vector type for the inference kernels and the search scan
// (model/runtime/search.cpp): the project's one SIMD abstraction.
//
// GCC/clang vector extensions give one source for every target: SSE/AVX
// natively, SIMD128 in wasm with -msimd128, and plain scalar code in wasm
// without it (the fallback build). The width is a compile-time constant;
// kernels are written in terms of kVecFloats so they work at any width
// (LW_VEC_BYTES = 4, 16, 32 or 64).
#pragma once
#include <cstddef>

#ifndef LW_VEC_BYTES
#if defined(__AVX__)
#define LW_VEC_BYTES 32  // 8 floats: AVX ymm registers
#elif defined(__wasm__) && !defined(__wasm_simd128__)
// The scalar wasm build: one float per "vector", so the kernels' register
// tiles (sized in vectors) fit the scalar registers. 4-float vectors split
// into scalars made 4x larger tiles that spill: 2x slower at batch 1.
#define LW_VEC_BYTES 4
#else
#define LW_VEC_BYTES 16  // 4 floats: SSE xmm or wasm v128
#endif
#endif

namespace lw {
namespace kernels {

constexpr int kVecFloats = LW_VEC_BYTES / 4;

typedef float VecF __attribute__((vector_size(LW_VEC_BYTES)));
typedef int VecI __attribute__((vector_size(LW_VEC_BYTES)));

// Unaligned load/store: memcpy compiles to one vector load/store and is free
// of alignment and aliasing assumptions.
inline VecF load(const float* p) {
  VecF v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void store(float* p, VecF v) { __builtin_memcpy(p, &v, sizeof(v)); }

// All lanes = s. Adding s to a vector of -0.0f is exact for every s (also
// -0.0f, infinities, NaN) and compilers fold it to a single broadcast (a
// lane-by-lane loop made GCC emit insertps chains).
inline VecF splat(float s) {
  const VecF neg_zero = -VecF{};
  return neg_zero + s;
}

// Lane-wise select: mask lanes are all-ones (true) or zero (false), as
// produced by vector comparisons.
inline VecF select(VecI mask, VecF a, VecF b) {
  VecI ai, bi;
  __builtin_memcpy(&ai, &a, sizeof(ai));
  __builtin_memcpy(&bi, &b, sizeof(bi));
  VecI r = (ai & mask) | (bi & ~mask);
  VecF out;
  __builtin_memcpy(&out, &r, sizeof(out));
  return out;
}

// True if any lane of a comparison mask is set.
inline bool any_lane(VecI mask) {
  for (int i = 0; i < kVecFloats; ++i) {
    if (mask[i] != 0) return true;
  }
  return false;
}

inline VecF max0(VecF v) {
  // v > 0 ? v : 0. NaN compares false, so ReLU(NaN) = 0 (documented in dense.h).
  return select(v > splat(0.0f), v, splat(0.0f));
}

}  // namespace kernels
}  // namespace lw
