// IEEE 754 binary16 ("half") <-> binary32 conversion, in portable integer
// code so native and wasm builds produce the same bits (no F16C, no _Float16).
//
// f32_to_f16 rounds to nearest, ties to even; handles subnormals, infinities
// and NaN (the sign and the top 10 payload bits are kept; a NaN whose kept
// payload would be zero becomes a quiet NaN so it does not turn into an
// infinity). Finite values of magnitude >= 65520 round to infinity.
// f16_to_f32 is exact (every half is a float), so
// f32_to_f16(f16_to_f32(h)) == h for all 65536 bit patterns, NaNs included.
#pragma once
#include <cstdint>
#include <cstring>

namespace lw {

constexpr float kF16Max = 65504.0f;  // largest finite half

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline uint16_t f32_to_f16(float f) {
  const uint32_t x = f32_bits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t a = x & 0x7fffffffu;  // magnitude bits
  if (a >= 0x7f800000u) {              // infinity or NaN
    if (a == 0x7f800000u) return sign | 0x7c00u;
    uint32_t m = (a >> 13) & 0x3ffu;
    if (m == 0) m = 0x200u;  // payload only in the dropped bits: keep it a NaN
    return static_cast<uint16_t>(sign | 0x7c00u | m);
  }
  // 65520 is halfway between 65504 (odd mantissa) and 2^16, so it and
  // everything above rounds to infinity.
  if (a >= 0x477ff000u) return sign | 0x7c00u;
  if (a >= 0x38800000u) {  // >= 2^-14: a normal half
    // Rebias the exponent (127 -> 15) and drop 13 mantissa bits; a carry out
    // of the mantissa correctly bumps the exponent.
    uint32_t h = (a - (112u << 23)) >> 13;
    const uint32_t rem = a & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  // Subnormal half (or zero): value = m * 2^-24.
  const uint32_t e = a >> 23;
  if (e < 101) return sign;  // < 2^-26: rounds to zero
  const uint32_t mant = (a & 0x7fffffu) | 0x800000u;  // value = mant * 2^(e-150)
  const uint32_t shift = 126 - e;                      // 14..25
  uint32_t m = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (m & 1u))) ++m;  // may carry into 0x400 = 2^-14, still right
  return static_cast<uint16_t>(sign | m);
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu;
  uint32_t m = h & 0x3ffu;
  if (e == 0x1f) return f32_from_bits(sign | 0x7f800000u | (m << 13));
  if (e != 0) return f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
  if (m == 0) return f32_from_bits(sign);
  // Subnormal half: normalise (every half subnormal is a normal float).
  int32_t exp = 1;
  while (!(m & 0x400u)) {
    m <<= 1;
    --exp;
  }
  m &= 0x3ffu;
  return f32_from_bits(sign | (static_cast<uint32_t>(exp + 112) << 23) | (m << 13));
}

}  // namespace lw
