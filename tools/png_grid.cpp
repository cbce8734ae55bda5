#include "tools/png_grid.h"

#include "model/native/file_io.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

namespace lw {

Status write_png_grid(const std::string& path, const std::vector<uint8_t>& images, int count, int cols, int scale) {
  constexpr int kSide = 28, kGap = 2;
  if (count < 1 || cols < 1 || scale < 1 || scale > 32) return Status::Error("bad grid size");
  if (images.size() < static_cast<size_t>(count) * kSide * kSide) return Status::Error("grid: too few pixels");
  const int rows = (count + cols - 1) / cols;
  const int tile = kSide * scale;
  const int width = cols * tile + (cols + 1) * kGap;
  const int height = rows * tile + (rows + 1) * kGap;
  std::vector<uint8_t> canvas(static_cast<size_t>(width) * height, 40);  // dark grey gaps
  for (int n = 0; n < count; ++n) {
    const int x0 = kGap + (n % cols) * (tile + kGap);
    const int y0 = kGap + (n / cols) * (tile + kGap);
    const uint8_t* src = images.data() + static_cast<size_t>(n) * kSide * kSide;
    for (int y = 0; y < tile; ++y) {
      for (int x = 0; x < tile; ++x) {
        canvas[static_cast<size_t>(y0 + y) * width + x0 + x] = src[(y / scale) * kSide + x / scale];
      }
    }
  }
  std::vector<uint8_t> png;
  auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  if (!stbi_write_png_to_func(append, &png, width, height, 1, canvas.data(), width)) {
    return Status::Error(path + ": PNG encoding failed");
  }
  return write_file_atomic(path, png.data(), png.size());
}

}  // namespace lw
