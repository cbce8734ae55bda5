#include "model/runtime/kernels/sigmoid.h"

#include <cstring>

#include "model/runtime/kernels/sigmoid_simd.h"

namespace lw {
namespace kernels {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "RGBA packing assumes little endian");

namespace {

typedef unsigned int VecU32 __attribute__((vector_size(LW_VEC_BYTES)));
typedef unsigned char VecU8 __attribute__((vector_size(kVecFloats)));

// round(clamp(p, 0, 1) * 255) as int lanes; comparisons map NaN to 0.
inline VecI to_u8_lanes(VecF p) {
  VecF v = p * splat(255.0f) + splat(0.5f);
  v = select(v > splat(0.0f), v, splat(0.0f));
  v = select(v < splat(255.0f), v, splat(255.0f));
  return __builtin_convertvector(v, VecI);  // truncation of a value >= 0
}

// Runs f on full vectors, then on the tail padded into a temporary vector so
// the tail gets bit-identical results to the vector body.
template <typename F>
void for_each_vec(const float* x, size_t n, F f) {
  size_t i = 0;
  for (; i + kVecFloats <= n; i += kVecFloats) f(load(x + i), i, static_cast<size_t>(kVecFloats));
  if (i < n) {
    float tmp[kVecFloats] = {};
    std::memcpy(tmp, x + i, (n - i) * sizeof(float));
    f(load(tmp), i, n - i);
  }
}

}  // namespace

void sigmoid(const float* x, size_t n, float* y) {
  for_each_vec(x, n, [y](VecF v, size_t i, size_t count) {
    VecF s = sigmoid_vec(v);
    if (count == static_cast<size_t>(kVecFloats)) {
      store(y + i, s);
    } else {
      std::memcpy(y + i, &s, count * sizeof(float));
    }
  });
}

void probs_to_u8(const float* p, size_t n, uint8_t* out) {
  for_each_vec(p, n, [out](VecF v, size_t i, size_t count) {
    VecU8 b = __builtin_convertvector(to_u8_lanes(v), VecU8);
    std::memcpy(out + i, &b, count);
  });
}

void probs_to_rgba(const float* p, size_t n, uint8_t* rgba) {
  for_each_vec(p, n, [rgba](VecF v, size_t i, size_t count) {
    VecU32 g = __builtin_convertvector(to_u8_lanes(v), VecU32);
    VecU32 px = g * 0x010101u + 0xFF000000u;  // bytes R=G=B=g, A=255 (little endian)
    std::memcpy(rgba + 4 * i, &px, 4 * count);
  });
}

uint8_t prob_to_u8_ref(float p) {
  if (!(p > 0.0f)) return 0;  // also NaN
  if (p >= 1.0f) return 255;
  return static_cast<uint8_t>(p * 255.0f + 0.5f);
}

}  // namespace kernels
}  // namespace lw
