// wardrobe anomalies: the dataset's most anomalous garments by IWAE NLL (the
// VAE's anomaly-detection use: a garment the model finds unlikely), as a PNG
// grid and optionally JSON.
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "model/native/batch_infer.h"
#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "tools/commands.h"
#include "tools/iwae_progress.h"
#include "tools/json.h"
#include "tools/model_file.h"
#include "tools/png_grid.h"

namespace lw {

Status cmd_anomalies(const AnomaliesOptions& o) {
  const int k = o.k;
  const std::string& split = o.split;
  // Before the work: the PNG can be written (missing folders are created).
  LW_RETURN_IF_ERROR(prepare_output_file(o.out));
  VaeConfig config;
  VaeParams params;
  LW_RETURN_IF_ERROR(load_full_model(o.model, &config, &params));
  Dataset data;
  LW_RETURN_IF_ERROR(load_fashion_mnist(resolve_data_dir(o.data), &data));
  const ImageSet& images = split == "test" ? data.test_images : data.train_images;
  const std::vector<uint8_t>& labels = split == "test" ? data.test_labels : data.train_labels;
  std::vector<int> ids(static_cast<size_t>(images.count));
  std::iota(ids.begin(), ids.end(), 0);
  const int top = std::min(o.top, images.count);
  // Grey pixels as the Bernoulli targets, as the page scores garments.
  const std::vector<float> x = image_floats(images, ids);
  std::vector<double> nll;
  LW_RETURN_IF_ERROR(iwae_images_with_progress("IWAE k=" + std::to_string(k), params, x.data(), images.count, k, kEvalNoiseSeed, &nll));
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
  LW_RETURN_IF_ERROR(write_png_grid(o.out, grid, top, o.cols, o.scale));
  if (o.json) {
    Json j;
    j["split"] = split;
    j["k"] = k;
    j["anomalies"] = Json::array();
    for (int i = 0; i < top; ++i) {
      const size_t pos = static_cast<size_t>(order[static_cast<size_t>(i)]);
      j["anomalies"].push_back({{"position", pos},
                                {"label", labels[pos]},
                                {"class", kClassNames[labels[pos]]},
                                {"iwae_nll", json_number(nll[pos])}});
    }
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("wrote the %d most anomalous %s garments (IWAE NLL, k=%d) to %s; highest %.1f nats (%s)\n", top,
                split.c_str(), k, o.out.c_str(), nll[static_cast<size_t>(order[0])], kClassNames[labels[static_cast<size_t>(order[0])]]);
  }
  return Status::Ok();
}

}  // namespace lw
