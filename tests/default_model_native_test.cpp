// The committed default model loads, and its evaluation on the first 1,000
// test images matches the figures recorded in its model card
// (model/default/card.json, written by scripts/model-card.sh).
#include <catch2/catch.hpp>
#include <fstream>
#include <numeric>
#include <regex>

#include "model/native/file_io.h"
#include "model/native/batch_infer.h"
#include "model/runtime/vae_io.h"
#include "tests/test_data.h"

namespace lw {
namespace {

double json_field(const std::string& json, const std::string& key) {
  const std::regex pattern("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)");
  std::smatch m;
  REQUIRE(std::regex_search(json, m, pattern));
  return std::stod(m[1].str());
}

}  // namespace

TEST_CASE("the committed default model matches its model card", "[default_model][data]") {
  const std::string dir = std::string(LW_SOURCE_DIR) + "/model/default";
  std::vector<uint8_t> bytes;
  const Status read = read_file(dir + "/vae.lwb", &bytes);
  INFO(read.message());
  REQUIRE(read.ok());
  VaeConfig config;
  VaeParams params;
  uint32_t parts = 0;
  REQUIRE(read_model_blob(bytes.data(), bytes.size(), &config, &params, &parts).ok());
  CHECK(parts == (kPartEncoder | kPartDecoder));
  CHECK(config.latent == 16);

  std::ifstream card_file(dir + "/card.json");
  REQUIRE(card_file);
  const std::string card((std::istreambuf_iterator<char>(card_file)), std::istreambuf_iterator<char>());

  const Dataset& data = test::dataset();
  std::vector<int> ids(1000);
  std::iota(ids.begin(), ids.end(), 0);
  // What `wardrobe eval` runs: the runtime's inference on the binarised test images.
  const std::vector<float> x = image_floats(data.test_images, ids);
  const std::vector<float> x_bin = binarize(x.data(), x.size(), kEvalBinarizeSeed);
  std::vector<ElboTerms> terms;
  REQUIRE(neg_elbo_images(params, x_bin.data(), 1000, kEvalNoiseSeed + 1, &terms).ok());
  double neg_elbo = 0;
  for (const ElboTerms& t : terms) neg_elbo += t.neg_elbo() / static_cast<double>(terms.size());
  std::vector<double> nll;
  REQUIRE(iwae_images(params, x_bin.data(), 1000, 50, kEvalNoiseSeed, &nll).ok());
  const double iwae50 = std::accumulate(nll.begin(), nll.end(), 0.0) / static_cast<double>(nll.size());
  INFO("neg ELBO " << neg_elbo << ", IWAE(50) " << iwae50);
  // Same seeds and noise streams as the training code that wrote the card: the
  // figures agree up to float summation noise.
  CHECK(neg_elbo == Approx(json_field(card, "first1000_neg_elbo")).margin(0.05));
  CHECK(iwae50 == Approx(json_field(card, "first1000_iwae50_nll")).margin(0.05));
  CHECK(iwae50 < neg_elbo);

  // Scored in chunks with first_image (the CLI's progress bars), each image
  // keeps its noise stream: the figures equal the single call's exactly.
  std::vector<double> head, tail;
  REQUIRE(iwae_images(params, x_bin.data(), 300, 50, kEvalNoiseSeed, &head).ok());
  REQUIRE(iwae_images(params, x_bin.data() + 300 * kImagePixels, 700, 50, kEvalNoiseSeed, &tail, 300).ok());
  head.insert(head.end(), tail.begin(), tail.end());
  CHECK(head == nll);
  // Without the offset the second chunk would reuse the first images' streams.
  REQUIRE(iwae_images(params, x_bin.data() + 300 * kImagePixels, 700, 50, kEvalNoiseSeed, &tail).ok());
  CHECK(tail[0] != nll[300]);
}

}  // namespace lw
