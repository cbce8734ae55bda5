// Slicing-by-8 CRC-32: eight table lookups per 8 input bytes instead of one
// per byte (about 4x faster than the byte-wise loop), which matters because
// every blob load checksums the whole payload (tens of MB for a checkpoint).
#include "model/runtime/crc32.h"

#include <array>

namespace lw {
namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0] is the classic byte-wise table; tables[k][b] is the CRC of byte b
// followed by k zero bytes, so eight bytes can be folded in at once.
constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xffu];
  }
  return t;
}

constexpr Tables kTables = make_tables();

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
  uint32_t c = ~crc;
  // Bytes are combined explicitly (not loaded as words), so the result does
  // not depend on the host's byte order or on alignment.
  while (size >= 8) {
    const uint32_t lo = c ^ (static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 |
                             static_cast<uint32_t>(data[2]) << 16 | static_cast<uint32_t>(data[3]) << 24);
    c = kTables[7][lo & 0xffu] ^ kTables[6][(lo >> 8) & 0xffu] ^ kTables[5][(lo >> 16) & 0xffu] ^
        kTables[4][lo >> 24] ^ kTables[3][data[4]] ^ kTables[2][data[5]] ^ kTables[1][data[6]] ^
        kTables[0][data[7]];
    data += 8;
    size -= 8;
  }
  while (size--) c = kTables[0][(c ^ *data++) & 0xffu] ^ (c >> 8);
  return ~c;
}

}  // namespace lw
