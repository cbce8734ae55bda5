// CRC-32 as used by zlib, gzip and PNG (reflected polynomial 0xEDB88320,
// initial value and final xor 0xFFFFFFFF). crc32("123456789") == 0xCBF43926.
// Chainable like zlib's: crc32(b, nb, crc32(a, na)) == crc32(a ++ b).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lw {

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace lw
