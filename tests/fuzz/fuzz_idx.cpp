// Fuzz target: the IDX (MNIST format) readers, parse_idx_images and
// parse_idx_labels. Every input is offered to both.
//
// Invariants: an accepted file's sizes match the buffer exactly (header +
// data, no trailing bytes) and the returned bytes are the file's data; a
// rejected one leaves the output untouched and says why.
#include <cstring>

#include "model/native/idx.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lw::ImageSet images;
  images.count = -7;  // sentinel: must survive a rejection
  lw::Status s = lw::parse_idx_images(data, size, &images);
  if (s.ok()) {
    LW_FUZZ_CHECK(size >= 16 && be32(data) == 0x803);
    LW_FUZZ_CHECK(images.count >= 0 && images.rows >= 1 && images.cols >= 1);
    LW_FUZZ_CHECK(static_cast<uint32_t>(images.count) == be32(data + 4));
    LW_FUZZ_CHECK(static_cast<uint32_t>(images.rows) == be32(data + 8) &&
                  static_cast<uint32_t>(images.cols) == be32(data + 12));
    const uint64_t n = uint64_t(images.count) * uint64_t(images.pixels_per_image());
    LW_FUZZ_CHECK(images.pixels.size() == n && size == 16 + n);
    LW_FUZZ_CHECK(n == 0 || std::memcmp(images.pixels.data(), data + 16, n) == 0);
  } else {
    LW_FUZZ_CHECK(!s.message().empty() && images.count == -7 && images.pixels.empty());
  }

  std::vector<uint8_t> labels = {42};  // sentinel
  s = lw::parse_idx_labels(data, size, &labels);
  if (s.ok()) {
    LW_FUZZ_CHECK(size >= 8 && be32(data) == 0x801 && be32(data + 4) == labels.size());
    LW_FUZZ_CHECK(size == 8 + labels.size());
    LW_FUZZ_CHECK(labels.empty() || std::memcmp(labels.data(), data + 8, labels.size()) == 0);
  } else {
    LW_FUZZ_CHECK(!s.message().empty() && labels.size() == 1 && labels[0] == 42);
  }
  return 0;
}
