// Helpers shared by the fuzz targets and the seed corpus generator.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <utility>
#include <vector>

#include "model/runtime/crc32.h"
#include "model/runtime/status.h"
#include "model/runtime/vae_params.h"

namespace lw::fuzz {

// A fuzz-found failure: print what broke and abort, so libFuzzer saves the
// input as a crash artifact.
[[noreturn]] inline void fail(const char* what, const Status& status = Status::Ok()) {
  std::fprintf(stderr, "fuzz invariant violated: %s%s%s\n", what, status.ok() ? "" : ": ",
               status.message().c_str());
  std::abort();
}
#define LW_FUZZ_CHECK(cond) \
  do {                      \
    if (!(cond)) ::lw::fuzz::fail(#cond); \
  } while (0)

inline uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
inline void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// A copy of a would-be LWARDROB blob with every CRC-32 recomputed from the
// section offsets and sizes its header claims (docs/FORMAT.md, "Header"),
// for the sections that lie inside the buffer. Random mutations almost never
// get a checksum right; with this, they reach the checks behind the
// checksums. Buffers shorter than a header are returned unchanged.
inline std::vector<uint8_t> with_fixed_checksums(const uint8_t* data, size_t size) {
  std::vector<uint8_t> b(data, data + size);
  if (size < 256) return b;
  // (offset field, size field, crc field) of the table, metadata, payload.
  const size_t sections[3][3] = {{80, 88, 128}, {96, 104, 132}, {112, 120, 136}};
  for (const auto& s : sections) {
    const uint64_t off = le64(&b[s[0]]), len = le64(&b[s[1]]);
    if (off <= size && len <= size - off) {
      put_le32(&b[s[2]], crc32(b.data() + off, static_cast<size_t>(len)));
    }
  }
  put_le32(&b[252], crc32(b.data(), 252));
  return b;
}

// A copy of a blob with u32 fields rewritten ({byte offset, value}) and the
// checksums made consistent again, so the parser's structural checks (not the
// CRCs) are what must object.
inline std::vector<uint8_t> with_fields(std::vector<uint8_t> b, std::initializer_list<std::pair<size_t, uint32_t>> fields) {
  for (const auto& f : fields) put_le32(&b.at(f.first), f.second);
  return with_fixed_checksums(b.data(), b.size());
}

// A 6-5-2 model: small enough for seeds of a few KB.
inline VaeConfig tiny_config() {
  VaeConfig c;
  c.input_dim = 6;
  c.hidden = {5};
  c.latent = 2;
  return c;
}

// Reads fixed-size little-endian values from the front of the fuzz input;
// past the end it yields zeros.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  template <typename T>
  T take() {
    T v{};
    const size_t c = n_ < sizeof(T) ? n_ : sizeof(T);
    if (c != 0) std::memcpy(&v, p_, c);
    p_ += c;
    n_ -= c;
    return v;
  }
  size_t left() const { return n_; }

 private:
  const uint8_t* p_;
  size_t n_;
};

}  // namespace lw::fuzz
