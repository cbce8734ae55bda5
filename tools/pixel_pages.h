// The garments' pixels for the page, in pages of 64 items so a result can be
// shown without downloading all 70,000: garments/p0000.bin holds items
// 0..63 as 64 x 784 bytes (row-major, 0 = background), the last page fewer.
// Item ids follow the index (train 0..59,999, then test).
#pragma once
#include <string>

#include "model/native/dataset.h"

namespace lw {

constexpr const char* kPixelPagesDir = "garments";
constexpr int kPixelPageSize = 64;

struct PixelPagesInfo {
  int count = 0;        // items
  int page_size = 0;    // items per page
  int train_count = 0;  // items 0..train_count-1 are from the training file
};

Status write_pixel_pages(const Dataset& data, const std::string& dir);
Status read_pixel_pages_info(const std::string& dir, PixelPagesInfo* info);

}  // namespace lw
