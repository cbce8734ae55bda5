// wardrobe anomalies: the dataset's most anomalous garments by IWAE NLL (the
// VAE's anomaly-detection use: a garment the model finds unlikely), as a PNG
// grid and optionally JSON.
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/train.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/model_file.h"
#include "tools/png_grid.h"

namespace lw {

Status cmd_anomalies(int argc, char** argv) {
  Args args;
  LW_RETURN_IF_ERROR(args.parse(argc, argv, {"model", "out", "data", "top", "k", "split", "cols", "scale"}, {"json"}));
  LW_RETURN_IF_ERROR(args.require("model"));
  LW_RETURN_IF_ERROR(args.require("out"));
  int top = 0, k = 0, cols = 0, scale = 0;
  LW_RETURN_IF_ERROR(args.get_int("top", 50, 1, 10000, &top));
  LW_RETURN_IF_ERROR(args.get_int("k", 100, 1, 10000, &k));
  LW_RETURN_IF_ERROR(args.get_int("cols", 10, 1, 100, &cols));
  LW_RETURN_IF_ERROR(args.get_int("scale", 2, 1, 16, &scale));
  const std::string split = args.get_string("split", "test");
  if (split != "test" && split != "train") return Status::Error("--split must be test or train, got '" + split + "'");
  // Before the work: the PNG can be written (missing folders are created).
  LW_RETURN_IF_ERROR(prepare_output_file(args.get_string("out", "")));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(args.get_string("model", ""), &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(args.get_string("data", "")), &data));
  const ImageSet& images = split == "test" ? data.test_images : data.train_images;
  const std::vector<uint8_t>& labels = split == "test" ? data.test_labels : data.train_labels;
  std::vector<int> ids(static_cast<size_t>(images.count));
  std::iota(ids.begin(), ids.end(), 0);
  top = std::min(top, images.count);
  // Grey pixels as the Bernoulli targets, as the page scores garments.
  const std::vector<double> nll = iwae_nll(params, config, images_to_matrix(images, ids), k, kEvalNoiseSeed);
  std::vector<int> order = ids;
  std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](int a, int b) {
    return nll[static_cast<size_t>(a)] != nll[static_cast<size_t>(b)] ? nll[static_cast<size_t>(a)] > nll[static_cast<size_t>(b)]
                                                                      : a < b;
  });
  std::vector<uint8_t> grid;
  for (int i = 0; i < top; ++i) {
    const uint8_t* src = images.pixels.data() + static_cast<size_t>(order[static_cast<size_t>(i)]) * kImagePixels;
    grid.insert(grid.end(), src, src + kImagePixels);
  }
  const std::string out = args.get_string("out", "");
  LW_RETURN_IF_ERROR(write_png_grid(out, grid, top, cols, scale));
  if (args.has("json")) {
    std::string s = "{\"split\":\"" + split + "\",\"k\":" + std::to_string(k) + ",\"anomalies\":[";
    for (int i = 0; i < top; ++i) {
      const size_t pos = static_cast<size_t>(order[static_cast<size_t>(i)]);
      s += std::string(i ? "," : "") + "{\"position\":" + std::to_string(pos) + ",\"label\":" +
           std::to_string(labels[pos]) + ",\"class\":" + json_escape(kClassNames[labels[pos]]) +
           ",\"iwae_nll\":" + json_number(nll[pos]) + "}";
    }
    std::printf("%s]}\n", s.c_str());
  } else {
    std::printf("wrote the %d most anomalous %s garments (IWAE NLL, k=%d) to %s; highest %.1f nats (%s)\n", top,
                split.c_str(), k, out.c_str(), nll[static_cast<size_t>(order[0])], kClassNames[labels[static_cast<size_t>(order[0])]]);
  }
  return Status::Ok();
}

}  // namespace lw
