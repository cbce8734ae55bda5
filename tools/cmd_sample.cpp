// wardrobe sample / reconstruct: PNG grids of generated and reconstructed
// garments, decoded by the runtime's decoder (the page's code).
#include <algorithm>
#include <cstdio>

#include "model/native/batch_infer.h"
#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/runtime/rng.h"
#include "tools/commands.h"
#include "tools/model_file.h"
#include "tools/png_grid.h"

namespace lw {
Status cmd_sample(const SampleOptions& o) {
  const int n = o.n, scale = o.scale, cols = o.cols;
  const float temperature = o.temperature;
  // Before the work: the PNG can be written (missing folders are created).
  LW_RETURN_IF_ERROR(prepare_output_file(o.out));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(o.model, &config, &params));
  Rng rng(o.seed);
  // z [n x latent] row-major: sample i takes normals [i * latent, (i + 1) * latent).
  std::vector<float> z(static_cast<size_t>(n) * config.latent);
  for (float& v : z) v = temperature * static_cast<float>(rng.normal());
  std::vector<uint8_t> pixels;
  LW_RETURN_IF_ERROR(decode_images(params, z.data(), n, &pixels));
  const std::string& out = o.out;
  LW_RETURN_IF_ERROR(write_png_grid(out, pixels, n, cols, scale));
  std::printf("wrote %d samples (temperature %.2f) to %s\n", n, temperature, out.c_str());
  return Status::Ok();
}

Status cmd_reconstruct(const ReconstructOptions& o) {
  const int n = o.n, scale = o.scale, cols = o.cols;
  LW_RETURN_IF_ERROR(prepare_output_file(o.out));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(o.model, &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(o.data), &data));
  // --n 1..1024, and no more than the dataset's test images.
  std::vector<int> ids;
  LW_RETURN_IF_ERROR(first_images(n, data.test_images, "--n", "test images", &ids));
  const std::vector<float> x = image_floats(data.test_images, ids);
  std::vector<float> mu, sigma;
  LW_RETURN_IF_ERROR(encode_images(params, x.data(), n, &mu, &sigma));
  std::vector<uint8_t> recon;
  LW_RETURN_IF_ERROR(decode_images(params, mu.data(), n, &recon));
  // Rows alternate: originals, then their reconstructions (from z = mu).
  // --only-reconstructions leaves the dataset's own images out (for pictures
  // that get committed: the dataset's images are never committed).
  const bool originals = !o.only_reconstructions;
  std::vector<uint8_t> grid;
  for (int start = 0; start < n; start += cols) {
    const int row = std::min(cols, n - start);
    for (int i = 0; i < row && originals; ++i) {
      const uint8_t* src = data.test_images.pixels.data() + static_cast<size_t>(start + i) * kImagePixels;
      grid.insert(grid.end(), src, src + kImagePixels);
    }
    if (originals) grid.resize(grid.size() + static_cast<size_t>(cols - row) * kImagePixels, 0);
    grid.insert(grid.end(), recon.begin() + static_cast<long>(start) * kImagePixels,
                recon.begin() + static_cast<long>(start + row) * kImagePixels);
    grid.resize(grid.size() + static_cast<size_t>(cols - row) * kImagePixels, 0);
  }
  const std::string& out = o.out;
  const int tiles = static_cast<int>(grid.size() / kImagePixels);
  LW_RETURN_IF_ERROR(write_png_grid(out, grid, tiles, cols, scale));
  std::printf("wrote %d test garments and their reconstructions to %s\n", n, out.c_str());
  return Status::Ok();
}

}  // namespace lw
