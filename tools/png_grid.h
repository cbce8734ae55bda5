// PNG grids of 28x28 garments (stb_image_write), written atomically.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/status.h"

namespace lw {

// images: count x 784 greyscale bytes. Laid out `cols` per row, each scaled
// up `scale` times with crisp pixels, a 2-pixel gap between tiles.
Status write_png_grid(const std::string& path, const std::vector<uint8_t>& images, int count, int cols, int scale);

}  // namespace lw
