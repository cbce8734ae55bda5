// The IDX reader on the real Fashion-MNIST files and on corrupted copies.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "model/native/idx.h"
#include "model/native/dataset.h"
#include "tests/test_data.h"

namespace lw {
namespace {

std::vector<uint8_t> read_gz_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<uint8_t> raw;
  REQUIRE(gunzip(gz, size_t(256) << 20, &raw).ok());
  return raw;
}

}  // namespace

TEST_CASE("the real Fashion-MNIST files load with the published counts", "[idx][data]") {
  const Dataset& data = test::dataset();
  CHECK(data.train_images.count == 60000);
  CHECK(data.test_images.count == 10000);
  CHECK(data.train_images.rows == 28);
  CHECK(data.train_images.cols == 28);
  CHECK(data.train_labels.size() == 60000);
  // 6,000 of each class in train and 1,000 in test.
  int train_counts[10] = {}, test_counts[10] = {};
  for (uint8_t l : data.train_labels) ++train_counts[l];
  for (uint8_t l : data.test_labels) ++test_counts[l];
  for (int c = 0; c < 10; ++c) {
    CHECK(train_counts[c] == 6000);
    CHECK(test_counts[c] == 1000);
  }
  // The first training garment is an ankle boot (label 9).
  CHECK(data.train_labels[0] == 9);
}

TEST_CASE("IDX image parsing rejects truncated and corrupt data", "[idx][data]") {
  const std::vector<uint8_t> raw = read_gz_raw(test::data_dir() + "/t10k-images-idx3-ubyte.gz");
  ImageSet images;
  REQUIRE(parse_idx_images(raw.data(), raw.size(), &images).ok());
  CHECK(images.count == 10000);

  SECTION("truncated at several offsets") {
    for (size_t cut : {size_t(0), size_t(3), size_t(15), size_t(16), size_t(800), raw.size() - 1}) {
      const Status s = parse_idx_images(raw.data(), cut, &images);
      INFO("cut at " << cut << ": " << s.message());
      CHECK_FALSE(s.ok());
      CHECK(s.message().find("truncated") != std::string::npos);
    }
  }
  SECTION("bad magic") {
    std::vector<uint8_t> bad = raw;
    bad[3] = 0x01;
    const Status s = parse_idx_images(bad.data(), bad.size(), &images);
    CHECK(s.message().find("magic") != std::string::npos);
  }
  SECTION("count larger than the data") {
    std::vector<uint8_t> bad = raw;
    bad[4] = 0x00;
    bad[5] = 0x01;  // 10000 -> 75536 images
    const Status s = parse_idx_images(bad.data(), bad.size(), &images);
    CHECK(s.message().find("promises") != std::string::npos);
  }
  SECTION("zero-sized images") {
    std::vector<uint8_t> bad = raw;
    bad[11] = 0;
    CHECK_FALSE(parse_idx_images(bad.data(), bad.size(), &images).ok());
  }
  SECTION("trailing bytes") {
    std::vector<uint8_t> bad = raw;
    bad.push_back(0);
    CHECK(parse_idx_images(bad.data(), bad.size(), &images).message().find("trailing") != std::string::npos);
  }
}

TEST_CASE("IDX label parsing rejects truncated and corrupt data", "[idx][data]") {
  const std::vector<uint8_t> raw = read_gz_raw(test::data_dir() + "/t10k-labels-idx1-ubyte.gz");
  std::vector<uint8_t> labels;
  REQUIRE(parse_idx_labels(raw.data(), raw.size(), &labels).ok());
  CHECK(labels.size() == 10000);
  CHECK_FALSE(parse_idx_labels(raw.data(), 7, &labels).ok());
  CHECK_FALSE(parse_idx_labels(raw.data(), raw.size() - 10, &labels).ok());
  std::vector<uint8_t> images_magic = raw;
  images_magic[3] = 0x03;
  CHECK(parse_idx_labels(images_magic.data(), images_magic.size(), &labels).message().find("magic") !=
        std::string::npos);
}

TEST_CASE("gzip errors and a missing dataset give clear messages", "[idx][data]") {
  std::ifstream in(test::data_dir() + "/t10k-labels-idx1-ubyte.gz", std::ios::binary);
  std::vector<uint8_t> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO("dataset directory: " << test::data_dir() << " (set FASHION_MNIST_DIR)");
  REQUIRE(gz.size() > 100);  // the cuts below index into it
  std::vector<uint8_t> raw;
  for (size_t cut : {size_t(10), gz.size() / 2, gz.size() - 4}) {
    std::vector<uint8_t> truncated(gz.begin(), gz.begin() + static_cast<long>(cut));
    const Status s = gunzip(truncated, 1 << 20, &raw);
    INFO(s.message());
    CHECK_FALSE(s.ok());
  }
  std::vector<uint8_t> corrupt = gz;
  // Past the gzip header (which holds the file name): deflate data or CRC.
  corrupt[gz.size() / 2] ^= 0xff;
  corrupt[gz.size() / 2 + 1] ^= 0xff;
  CHECK_FALSE(gunzip(corrupt, 1 << 20, &raw).ok());
  CHECK(gunzip(gz, 100, &raw).message().find("exceeds") != std::string::npos);

  Dataset data;
  const Status missing = load_fashion_mnist("/nonexistent/fashion", &data);
  CHECK(missing.message().find("not found") != std::string::npos);
  CHECK(missing.message().find("FASHION_MNIST_DIR") != std::string::npos);
}

}  // namespace lw
