// The committed default model loads, and its evaluation on the first 1,000
// test images matches the figures recorded in its model card
// (model/default/card.json, written by scripts/model-card.sh).
#include <catch2/catch.hpp>
#include <fstream>
#include <numeric>
#include <regex>

#include "model/native/file_io.h"
#include "model/train/train.h"
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
  const Eigen::MatrixXf x_bin = binarize_fixed(images_to_matrix(data.test_images, ids), kEvalBinarizeSeed);
  const EpochStats elbo = evaluate_elbo(params, config, x_bin, kEvalNoiseSeed);
  const std::vector<double> nll = iwae_nll(params, config, x_bin, 50, kEvalNoiseSeed);
  const double iwae50 = std::accumulate(nll.begin(), nll.end(), 0.0) / static_cast<double>(nll.size());
  INFO("neg ELBO " << elbo.neg_elbo << ", IWAE(50) " << iwae50);
  // Same seeds, same code: the figures agree up to float summation noise.
  CHECK(elbo.neg_elbo == Approx(json_field(card, "first1000_neg_elbo")).margin(0.05));
  CHECK(iwae50 == Approx(json_field(card, "first1000_iwae50_nll")).margin(0.05));
  CHECK(iwae50 < elbo.neg_elbo);
}

}  // namespace lw
