// IDX (the MNIST file format) parsing from bytes: big-endian magic
// 0x00000803 (u8 images: count, rows, cols) or 0x00000801 (u8 labels: count),
// then the data. Every field is checked against the buffer's length.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/status.h"

namespace lw {

struct ImageSet {
  int count = 0;                // number of images
  int rows = 0;                 // image height in pixels
  int cols = 0;                 // image width in pixels
  std::vector<uint8_t> pixels;  // [count x rows*cols], row-major, 0 = background
  int pixels_per_image() const { return rows * cols; }
};

Status parse_idx_images(const uint8_t* data, size_t size, ImageSet* out);
Status parse_idx_labels(const uint8_t* data, size_t size, std::vector<uint8_t>* out);

// What the first bytes say a file is, for messages about files that are not
// what their name promises: "IDX images", "IDX labels", "IDX (magic
// 0x00000d03)" for another IDX type, "not IDX (starts 3c 21 44 4f)", or "empty".
std::string describe_idx(const uint8_t* data, size_t size);

}  // namespace lw
