// wardrobe sample / reconstruct: PNG grids of generated and reconstructed garments.
#include <cstdio>

#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/rng.h"
#include "model/train.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/model_file.h"
#include "tools/png_grid.h"

namespace lw {
namespace {

// Decodes z ([latent x n]) to bytes (n x 784).
std::vector<uint8_t> decode_to_bytes(const VaeParams& params, const VaeConfig& config, const Eigen::MatrixXf& z) {
  VaeScratch scratch;
  scratch.resize(config, static_cast<int>(z.cols()));
  scratch.z = z;
  decode(params, &scratch);
  const Eigen::MatrixXf probs = (1.0f / (1.0f + (-scratch.logits.array()).exp())).matrix();
  std::vector<uint8_t> bytes(static_cast<size_t>(probs.size()));
  probabilities_to_bytes(probs.data(), static_cast<int>(probs.size()), bytes.data());
  return bytes;
}

}  // namespace

Status cmd_sample(int argc, char** argv) {
  Args args;
  LW_RETURN_IF_ERROR(args.parse(argc, argv, {"model", "out", "n", "seed", "temperature", "scale", "cols"}, {}));
  LW_RETURN_IF_ERROR(args.require("model"));
  LW_RETURN_IF_ERROR(args.require("out"));
  int n = 0, scale = 0, cols = 0;
  uint64_t seed = 0;
  float temperature = 1;
  LW_RETURN_IF_ERROR(args.get_int("n", 64, 1, 4096, &n));
  LW_RETURN_IF_ERROR(args.get_int("scale", 3, 1, 32, &scale));
  LW_RETURN_IF_ERROR(args.get_int("cols", 8, 1, 256, &cols));
  LW_RETURN_IF_ERROR(args.get_u64("seed", 1, &seed));
  LW_RETURN_IF_ERROR(args.get_float("temperature", 1.0f, 0.0f, 10.0f, &temperature));
  // Before the work: the PNG can be written (missing folders are created).
  LW_RETURN_IF_ERROR(prepare_output_file(args.get_string("out", "")));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(args.get_string("model", ""), &config, &params));
  Rng rng(seed);
  Eigen::MatrixXf z(config.latent, n);
  for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = temperature * static_cast<float>(rng.normal());
  const std::string out = args.get_string("out", "");
  LW_RETURN_IF_ERROR(write_png_grid(out, decode_to_bytes(params, config, z), n, cols, scale));
  std::printf("wrote %d samples (temperature %.2f) to %s\n", n, temperature, out.c_str());
  return Status::Ok();
}

Status cmd_reconstruct(int argc, char** argv) {
  Args args;
  LW_RETURN_IF_ERROR(args.parse(argc, argv, {"model", "out", "data", "n", "scale", "cols"}, {"only-reconstructions"}));
  LW_RETURN_IF_ERROR(args.require("model"));
  LW_RETURN_IF_ERROR(args.require("out"));
  int n = 0, scale = 0, cols = 0;
  LW_RETURN_IF_ERROR(args.get_int("n", 32, 1, 1024, &n));
  LW_RETURN_IF_ERROR(args.get_int("scale", 3, 1, 32, &scale));
  LW_RETURN_IF_ERROR(args.get_int("cols", 8, 1, 256, &cols));
  LW_RETURN_IF_ERROR(prepare_output_file(args.get_string("out", "")));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(args.get_string("model", ""), &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(args.get_string("data", "")), &data));
  std::vector<int> ids;
  LW_RETURN_IF_ERROR(first_images(n, data.test_images, "--n", "test images", &ids));
  const Eigen::MatrixXf x = images_to_matrix(data.test_images, ids);
  Eigen::MatrixXf mu, sigma;
  encode_all(params, config, x, &mu, &sigma);
  const std::vector<uint8_t> recon = decode_to_bytes(params, config, mu);
  // Rows alternate: originals, then their reconstructions (from z = mu).
  // --only-reconstructions leaves the dataset's own images out (for pictures
  // that get committed: the dataset's images are never committed).
  const bool originals = !args.has("only-reconstructions");
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
  const std::string out = args.get_string("out", "");
  const int tiles = static_cast<int>(grid.size() / kImagePixels);
  LW_RETURN_IF_ERROR(write_png_grid(out, grid, tiles, cols, scale));
  std::printf("wrote %d test garments and their reconstructions to %s\n", n, out.c_str());
  return Status::Ok();
}

}  // namespace lw
