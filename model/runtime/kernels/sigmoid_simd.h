// Vectorised logistic sigmoid on one VecF, inline so the dense kernel can
// fuse it into its epilogue.
//
// sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, with
// e = exp(-|x|) in (0, 1]: both forms stay accurate (no cancellation, no
// overflow) over the whole float range. exp uses the usual range reduction
// -|x| = n ln2 + r, |r| <= ln2/2, a degree-7 Taylor polynomial for e^r
// (truncation error < 5e-9 relative) and 2^n built from the exponent bits.
// Measured error vs double precision (kernels_test.cpp): < 1e-7 absolute,
// < 3e-7 relative.
//
// Edge cases: +inf -> 1, -inf -> 0 (exactly), NaN -> NaN, -0 -> 0.5.
// Below about -87.68 the result is 0 (true value < 1.0e-38).
#pragma once
#include "model/runtime/kernels/simd.h"

namespace lw {
namespace kernels {

inline VecI bits_of(VecF v) {
  VecI i;
  __builtin_memcpy(&i, &v, sizeof(i));
  return i;
}
inline VecF float_of(VecI i) {
  VecF v;
  __builtin_memcpy(&v, &i, sizeof(v));
  return v;
}

inline VecF sigmoid_vec(VecF x) {
  const VecI xi = bits_of(x);
  const VecI sign_mask = xi & static_cast<int>(0x80000000u);
  const VecF t = -float_of(xi & 0x7fffffff);  // -|x|, in [-inf, 0] or NaN
  // Clamp so that n >= -127 below; n = -127 gives 2^n = +0 (exponent bits 0),
  // so e underflows to exactly 0 from about -87.68 on (and for -inf).
  // NaN compares false and passes through, and so propagates to the result.
  const VecF lo = splat(-88.0f);
  const VecF tc = select(t < lo, lo, t);
  // n = round-to-nearest(tc / ln2) by adding and subtracting 1.5 * 2^23.
  // The integer n is then in the low mantissa bits of the shifted sum, which
  // avoids a float-to-int conversion (several instructions in V8 on x64).
  const VecF magic = splat(12582912.0f);
  const VecF shifted = tc * splat(1.44269504088896341f) + magic;
  const VecF nf = shifted - magic;
  // r = tc - n ln2 in two steps (ln2 split so n * kLn2Hi is exact).
  VecF r = tc - nf * splat(0.693359375f);
  r = r - nf * splat(-2.12194440e-4f);
  // e^r, Taylor to degree 7, in Estrin form (dependency depth 4
  // instead of 8, so consecutive vectors overlap better).
  const VecF r2 = r * r;
  const VecF r4 = r2 * r2;
  const VecF p01 = splat(1.0f) + r;
  const VecF p23 = splat(1.0f / 2.0f) + r * splat(1.0f / 6.0f);
  const VecF p45 = splat(1.0f / 24.0f) + r * splat(1.0f / 120.0f);
  const VecF p67 = splat(1.0f / 720.0f) + r * splat(1.0f / 5040.0f);
  const VecF p = (p01 + r2 * p23) + r4 * (p45 + r2 * p67);
  // Biased exponent n + 127 in [0, 127]; unsigned so that NaN's garbage
  // bits wrap instead of overflowing (the NaN propagates through p anyway).
  typedef unsigned int VecU __attribute__((vector_size(LW_VEC_BYTES)));
  VecU biased;
  __builtin_memcpy(&biased, &shifted, sizeof(biased));
  biased = biased - 0x4B400000u + 127u;  // 0x4B400000: bits of 1.5 * 2^23
  biased = biased << 23;
  VecF scale;
  __builtin_memcpy(&scale, &biased, sizeof(scale));
  const VecF e = p * scale;
  // One division: q = 1 / (1 + e) is sigmoid(|x|); e * q (one more
  // rounding, still < 2 ulp) is sigmoid(-|x|).
  const VecF q = splat(1.0f) / (splat(1.0f) + e);
  return select(sign_mask != 0, e * q, q);
}

}  // namespace kernels
}  // namespace lw
