// Fashion-MNIST on disk: locating the directory, reading the four official
// files in whichever layout people have them (gzip'd as published, plain as
// torchvision's raw/ folder and Kaggle ship them, or a mix), parsing them,
// with one clear error line for each failure.
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

// Whether bytes start with the gzip magic 1f 8b.
bool is_gzip(const std::vector<uint8_t>& bytes);

// Reads an IDX file, gzip'd or plain: decided by its first bytes (gzip magic
// 1f 8b), never by its name; then the IDX magic must say images (0x803) or
// labels (0x801). Errors name the path.
Status load_idx_images(const std::string& path, ImageSet* out);
Status load_idx_labels(const std::string& path, std::vector<uint8_t>* out);

// Loads the four files from dir and checks counts and labels agree. Each file
// is found under its official name with or without ".gz" (train-images-idx3-ubyte[.gz],
// and the dotted form train-images.idx3-ubyte[.gz] of some mirrors); the first
// candidate that exists and parses is used, so gzip'd, plain and mixed layouts
// all load to the same bytes. When a file cannot be found, the error lists
// every name looked for and what was found there ("missing", "gzip stream
// truncated", "IDX labels, expected images", ...).
Status load_fashion_mnist(const std::string& dir, Dataset* out);

// Ids 0..n-1 of the first n images of a split, or an error naming the flag
// when n is outside 1..images.count ("--limit 500 exceeds the 300 test
// images in the dataset"); `what` names the split ("test images").
Status first_images(int n, const ImageSet& images, const std::string& flag, const std::string& what,
                    std::vector<int>* ids);

}  // namespace lw
