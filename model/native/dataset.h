// Fashion-MNIST on disk: locating the directory, gunzipping and parsing the
// four official files, with one clear error line for each failure.
#pragma once
#include <string>
#include <vector>

#include "model/native/idx.h"
#include "model/runtime/status.h"

namespace lw {

struct Dataset {
  ImageSet train_images;              // 60,000 x 28x28
  std::vector<uint8_t> train_labels;  // [60,000], classes 0-9
  ImageSet test_images;               // 10,000 x 28x28
  std::vector<uint8_t> test_labels;   // [10,000]
};

extern const char* const kClassNames[10];

// The directory to read: `flag` if non-empty, else $FASHION_MNIST_DIR, else
// data/fashion-mnist (relative to the working directory).
std::string resolve_data_dir(const std::string& flag);

// Decompresses a gzip stream; fails on a truncated or corrupt stream or when
// the output would exceed max_bytes.
Status gunzip(const std::vector<uint8_t>& compressed, size_t max_bytes, std::vector<uint8_t>* out);

Status load_idx_images_gz(const std::string& path, ImageSet* out);
Status load_idx_labels_gz(const std::string& path, std::vector<uint8_t>* out);

// Loads all four files from dir and checks counts and labels agree.
Status load_fashion_mnist(const std::string& dir, Dataset* out);

}  // namespace lw
