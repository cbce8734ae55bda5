#include "model/native/dataset.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace lw {

const char* const kClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string resolve_data_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("FASHION_MNIST_DIR");
  if (env != nullptr && env[0] != '\0') return env;
  return "data/fashion-mnist";
}

Status gunzip(const std::vector<uint8_t>& compressed, size_t max_bytes, std::vector<uint8_t>* out) {
  out->clear();
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Error("zlib initialisation failed");
  zs.next_in = const_cast<Bytef*>(compressed.data());
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::vector<uint8_t> chunk(1 << 20);
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      const std::string why = rc == Z_BUF_ERROR ? "gzip stream truncated"
                                                : std::string("corrupt gzip data (") + (zs.msg ? zs.msg : "zlib error") + ")";
      inflateEnd(&zs);
      return Status::Error(why);
    }
    const size_t produced = chunk.size() - zs.avail_out;
    if (out->size() + produced > max_bytes) {
      inflateEnd(&zs);
      return Status::Error("decompressed data exceeds " + std::to_string(max_bytes) + " bytes");
    }
    out->insert(out->end(), chunk.begin(), chunk.begin() + static_cast<long>(produced));
    if (rc == Z_OK && produced == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return Status::Error("gzip stream truncated");
    }
  }
  inflateEnd(&zs);
  return Status::Ok();
}

namespace {

constexpr size_t kMaxIdxBytes = size_t(256) << 20;

Status read_gz(const std::string& path, std::vector<uint8_t>* raw) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot open (missing file?)");
  std::vector<uint8_t> compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Error(path + ": read error");
  return gunzip(compressed, kMaxIdxBytes, raw).with_context(path);
}

}  // namespace

Status load_idx_images_gz(const std::string& path, ImageSet* out) {
  std::vector<uint8_t> raw;
  LW_RETURN_IF_ERROR(read_gz(path, &raw));
  return parse_idx_images(raw.data(), raw.size(), out).with_context(path);
}

Status load_idx_labels_gz(const std::string& path, std::vector<uint8_t>* out) {
  std::vector<uint8_t> raw;
  LW_RETURN_IF_ERROR(read_gz(path, &raw));
  return parse_idx_labels(raw.data(), raw.size(), out).with_context(path);
}

namespace {

Status check_split(const std::string& name, const ImageSet& images, const std::vector<uint8_t>& labels) {
  if (images.rows != 28 || images.cols != 28) {
    return Status::Error(name + " images are " + std::to_string(images.rows) + "x" + std::to_string(images.cols) +
                         ", expected 28x28");
  }
  if (static_cast<size_t>(images.count) != labels.size()) {
    return Status::Error(name + ": " + std::to_string(images.count) + " images but " + std::to_string(labels.size()) +
                         " labels");
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 9) return Status::Error(name + " label " + std::to_string(i) + " is " + std::to_string(labels[i]) + ", expected 0-9");
  }
  return Status::Ok();
}

}  // namespace

Status load_fashion_mnist(const std::string& dir, Dataset* out) {
  std::ifstream probe(dir + "/train-images-idx3-ubyte.gz");
  if (!probe) {
    return Status::Error("Fashion-MNIST not found in " + dir +
                         " (set FASHION_MNIST_DIR or --data, or run `npm run fetch-data` to download it)");
  }
  LW_RETURN_IF_ERROR(load_idx_images_gz(dir + "/train-images-idx3-ubyte.gz", &out->train_images));
  LW_RETURN_IF_ERROR(load_idx_labels_gz(dir + "/train-labels-idx1-ubyte.gz", &out->train_labels));
  LW_RETURN_IF_ERROR(load_idx_images_gz(dir + "/t10k-images-idx3-ubyte.gz", &out->test_images));
  LW_RETURN_IF_ERROR(load_idx_labels_gz(dir + "/t10k-labels-idx1-ubyte.gz", &out->test_labels));
  LW_RETURN_IF_ERROR(check_split("training set", out->train_images, out->train_labels));
  return check_split("test set", out->test_images, out->test_labels);
}

}  // namespace lw
