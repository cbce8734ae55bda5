// The data finder on the layouts people have Fashion-MNIST in (issue 11,
// part 4): gzip'd as published, plain as torchvision's raw/ folder and Kaggle
// ship them, mixed, misnamed (a plain file called .gz, a gzip'd one without
// .gz), and the dotted names of some mirrors. Each layout is built at test
// time in a temporary folder from slices of the real files (the first N
// images and labels, with the IDX header's count set to N), and must load to
// exactly the bytes of the same images read from $FASHION_MNIST_DIR with
// zlib's gzread (independent of the loader under test).
// The missing-data error must list each name looked for and what was there.
#include <stdlib.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "model/native/idx.h"
#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "tests/test_data.h"

namespace lw {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

constexpr int kTrainSlice = 600;
constexpr int kTestSlice = 300;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/lw_layouts_test_XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

// gzip (not zlib) framing, as the official files use.
Bytes gzip_bytes(const Bytes& raw) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes out(deflateBound(&zs, raw.size()) + 64);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// The first `bytes` bytes after the header of a real file, read with zlib's
// gzread (independent of the loader under test; it reads plain files too).
Bytes reference_bytes(const std::string& stem, size_t header, size_t bytes) {
  std::string path = test::data_dir() + "/" + stem + ".gz";
  if (!fs::exists(path)) path = test::data_dir() + "/" + stem;
  gzFile f = gzopen(path.c_str(), "rb");
  INFO(path);
  REQUIRE(f != nullptr);
  Bytes out(header + bytes);
  const int got = gzread(f, out.data(), static_cast<unsigned>(out.size()));
  gzclose(f);
  REQUIRE(got == static_cast<int>(out.size()));
  return Bytes(out.begin() + static_cast<long>(header), out.end());
}

// The first n images (or labels) of a split as a plain IDX file: the header
// written here, the records read with gzread (independent of the loader).
Bytes image_slice(const std::string& stem, int n) {
  Bytes out(16);
  put_be32(out.data(), 0x803);
  put_be32(out.data() + 4, static_cast<uint32_t>(n));
  put_be32(out.data() + 8, 28);
  put_be32(out.data() + 12, 28);
  const Bytes pixels = reference_bytes(stem, 16, static_cast<size_t>(n) * 784);
  out.insert(out.end(), pixels.begin(), pixels.end());
  return out;
}

Bytes label_slice(const std::string& stem, int n) {
  Bytes out(8);
  put_be32(out.data(), 0x801);
  put_be32(out.data() + 4, static_cast<uint32_t>(n));
  const Bytes labels = reference_bytes(stem, 8, static_cast<size_t>(n));
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

void write(const TempDir& dir, const std::string& name, const Bytes& bytes) {
  REQUIRE(write_file_atomic(dir.file(name), bytes.data(), bytes.size()).ok());
}

// The four slices, each plain or gzip'd, under the given names.
struct Slices {
  Bytes train_images, train_labels, test_images, test_labels;
  Slices() {
    train_images = image_slice("train-images-idx3-ubyte", kTrainSlice);
    train_labels = label_slice("train-labels-idx1-ubyte", kTrainSlice);
    test_images = image_slice("t10k-images-idx3-ubyte", kTestSlice);
    test_labels = label_slice("t10k-labels-idx1-ubyte", kTestSlice);
  }
};

// The loaded slices equal the first images and labels of the real files.
void check_equals_real(const Dataset& got) {
  REQUIRE(got.train_images.count == kTrainSlice);
  REQUIRE(got.test_images.count == kTestSlice);
  CHECK(got.train_images.rows == 28);
  CHECK(got.test_images.cols == 28);
  CHECK(got.train_images.pixels == reference_bytes("train-images-idx3-ubyte", 16, kTrainSlice * 784));
  CHECK(got.test_images.pixels == reference_bytes("t10k-images-idx3-ubyte", 16, kTestSlice * 784));
  CHECK(got.train_labels == reference_bytes("train-labels-idx1-ubyte", 8, kTrainSlice));
  CHECK(got.test_labels == reference_bytes("t10k-labels-idx1-ubyte", 8, kTestSlice));
}

Dataset load_ok(const std::string& dir) {
  Dataset data;
  const Status s = load_fashion_mnist(dir, &data);
  INFO(s.message());
  REQUIRE(s.ok());
  return data;
}

}  // namespace

TEST_CASE("plain IDX files (torchvision raw/, Kaggle) load to the bytes of the gzip'd ones", "[data][layouts]") {
  const Slices slices;
  TempDir plain, gzipped;
  write(plain, "train-images-idx3-ubyte", slices.train_images);
  write(plain, "train-labels-idx1-ubyte", slices.train_labels);
  write(plain, "t10k-images-idx3-ubyte", slices.test_images);
  write(plain, "t10k-labels-idx1-ubyte", slices.test_labels);
  write(gzipped, "train-images-idx3-ubyte.gz", gzip_bytes(slices.train_images));
  write(gzipped, "train-labels-idx1-ubyte.gz", gzip_bytes(slices.train_labels));
  write(gzipped, "t10k-images-idx3-ubyte.gz", gzip_bytes(slices.test_images));
  write(gzipped, "t10k-labels-idx1-ubyte.gz", gzip_bytes(slices.test_labels));
  check_equals_real(load_ok(plain.path));
  check_equals_real(load_ok(gzipped.path));
}

TEST_CASE("mixed, misnamed and doubled layouts load the same bytes", "[data][layouts]") {
  const Slices slices;
  SECTION("training files plain, test files gzip'd") {
    TempDir dir;
    write(dir, "train-images-idx3-ubyte", slices.train_images);
    write(dir, "train-labels-idx1-ubyte", slices.train_labels);
    write(dir, "t10k-images-idx3-ubyte.gz", gzip_bytes(slices.test_images));
    write(dir, "t10k-labels-idx1-ubyte.gz", gzip_bytes(slices.test_labels));
    check_equals_real(load_ok(dir.path));
  }
  SECTION("the name lies: plain bytes called .gz, gzip'd bytes without .gz (the content decides)") {
    TempDir dir;
    write(dir, "train-images-idx3-ubyte.gz", slices.train_images);  // a browser that decompressed on download
    write(dir, "train-labels-idx1-ubyte", gzip_bytes(slices.train_labels));
    write(dir, "t10k-images-idx3-ubyte", gzip_bytes(slices.test_images));
    write(dir, "t10k-labels-idx1-ubyte.gz", slices.test_labels);
    check_equals_real(load_ok(dir.path));
  }
  SECTION("both forms side by side (torchvision's raw/), and the dotted names of some mirrors") {
    TempDir dir;
    write(dir, "train-images-idx3-ubyte", slices.train_images);
    write(dir, "train-images-idx3-ubyte.gz", gzip_bytes(slices.train_images));
    write(dir, "train-labels.idx1-ubyte", slices.train_labels);
    write(dir, "t10k-images.idx3-ubyte.gz", gzip_bytes(slices.test_images));
    write(dir, "t10k-labels-idx1-ubyte", slices.test_labels);
    write(dir, "t10k-labels-idx1-ubyte.gz", gzip_bytes(slices.test_labels));
    check_equals_real(load_ok(dir.path));
  }
  SECTION("a broken candidate is skipped for a good one, and the single-file readers agree") {
    TempDir dir;
    write(dir, "train-images-idx3-ubyte", Bytes(slices.train_images.begin(), slices.train_images.begin() + 999));
    write(dir, "train-images-idx3-ubyte.gz", gzip_bytes(slices.train_images));
    write(dir, "train-labels-idx1-ubyte", slices.train_labels);
    write(dir, "t10k-images-idx3-ubyte", slices.test_images);
    write(dir, "t10k-labels-idx1-ubyte", slices.test_labels);
    check_equals_real(load_ok(dir.path));
    ImageSet images;
    REQUIRE(load_idx_images(dir.file("train-images-idx3-ubyte.gz"), &images).ok());
    CHECK(images.pixels == load_ok(dir.path).train_images.pixels);
    std::vector<uint8_t> labels;
    const Status wrong = load_idx_labels(dir.file("t10k-images-idx3-ubyte"), &labels);
    CHECK_THAT(wrong.message(), Catch::Contains("t10k-images-idx3-ubyte: IDX images, expected IDX labels"));
  }
}

TEST_CASE("when the data is not there, the error lists each place looked and what was found", "[data][layouts]") {
  const Slices slices;
  Dataset data;
  SECTION("no such folder") {
    const Status s = load_fashion_mnist("/nonexistent/fashion", &data);
    CHECK_THAT(s.message(), Catch::StartsWith("Fashion-MNIST not found: /nonexistent/fashion: No such file or directory"));
    CHECK_THAT(s.message(), Catch::Contains("FASHION_MNIST_DIR"));
  }
  SECTION("an empty folder: every name of every file, missing") {
    TempDir dir;
    const Status s = load_fashion_mnist(dir.path, &data);
    CHECK_THAT(s.message(), Catch::StartsWith("Fashion-MNIST not found in " + dir.path + ": "));
    for (const char* stem : {"train-images", "train-labels", "t10k-images", "t10k-labels"}) {
      const std::string idx = std::string(stem).find("images") != std::string::npos ? "idx3-ubyte" : "idx1-ubyte";
      CHECK_THAT(s.message(), Catch::Contains(std::string(stem) + "-" + idx + "[.gz], " + stem + "." + idx + "[.gz]: missing"));
    }
  }
  SECTION("broken, wrong and misplaced files, each named with what it holds") {
    TempDir dir;
    fs::create_directory(dir.file("train-images-idx3-ubyte"));
    const Bytes gz_labels = gzip_bytes(slices.train_labels);
    write(dir, "train-labels-idx1-ubyte.gz", Bytes(gz_labels.begin(), gz_labels.begin() + gz_labels.size() / 2));
    write(dir, "t10k-images-idx3-ubyte", slices.test_labels);  // labels under the images' name
    const std::string html = "<!DOCTYPE html><title>404</title>";
    write(dir, "t10k-labels-idx1-ubyte", Bytes(html.begin(), html.end()));  // an error page saved as the file
    const Status s = load_fashion_mnist(dir.path, &data);
    INFO(s.message());
    CHECK(s.message().find('\n') == std::string::npos);  // one line
    CHECK_THAT(s.message(), Catch::Contains("training images: train-images-idx3-ubyte: a folder, "
                                            "train-images-idx3-ubyte.gz, train-images.idx3-ubyte[.gz]: missing"));
    CHECK_THAT(s.message(), Catch::Contains("training labels: train-labels-idx1-ubyte.gz: gzip stream truncated"));
    CHECK_THAT(s.message(), Catch::Contains("test images: t10k-images-idx3-ubyte: IDX labels, expected IDX images"));
    CHECK_THAT(s.message(), Catch::Contains("test labels: t10k-labels-idx1-ubyte: not IDX (starts 3c 21 44 4f), expected IDX labels"));
  }
  SECTION("three files fine, one missing: the fine ones say so") {
    TempDir dir;
    write(dir, "train-images-idx3-ubyte", slices.train_images);
    write(dir, "train-labels-idx1-ubyte.gz", gzip_bytes(slices.train_labels));
    write(dir, "t10k-images-idx3-ubyte", slices.test_images);
    const Status s = load_fashion_mnist(dir.path, &data);
    CHECK_THAT(s.message(), Catch::Contains("training images: train-images-idx3-ubyte: ok (plain)"));
    CHECK_THAT(s.message(), Catch::Contains("training labels: train-labels-idx1-ubyte.gz: ok (gzip)"));
    CHECK_THAT(s.message(), Catch::Contains("test labels: t10k-labels-idx1-ubyte[.gz], t10k-labels.idx1-ubyte[.gz]: missing"));
  }
}

}  // namespace lw
