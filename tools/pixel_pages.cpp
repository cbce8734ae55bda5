#include "tools/pixel_pages.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "model/native/file_io.h"

namespace lw {

namespace {
std::string page_path(const std::string& dir, int page) {
  char name[32];
  std::snprintf(name, sizeof name, "/p%04d.bin", page);
  return dir + "/" + kPixelPagesDir + name;
}
}  // namespace

Status write_pixel_pages(const Dataset& data, const std::string& dir) {
  const std::string pages_dir = dir + "/" + kPixelPagesDir;
  if (mkdir(pages_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::Error("cannot create " + pages_dir);
  }
  const int n_train = data.train_images.count;
  const int total = n_train + data.test_images.count;
  std::vector<uint8_t> page;
  for (int start = 0, p = 0; start < total; start += kPixelPageSize, ++p) {
    const int count = std::min(kPixelPageSize, total - start);
    page.assign(static_cast<size_t>(count) * 784, 0);
    for (int j = 0; j < count; ++j) {
      const int id = start + j;
      const ImageSet& set = id < n_train ? data.train_images : data.test_images;
      const int pos = id < n_train ? id : id - n_train;
      std::copy_n(set.pixels.data() + static_cast<size_t>(pos) * 784, 784, page.data() + static_cast<size_t>(j) * 784);
    }
    LW_RETURN_IF_ERROR(write_file_atomic(page_path(dir, p), page.data(), page.size()));
  }
  const std::string info = std::to_string(total) + " " + std::to_string(kPixelPageSize) + " " + std::to_string(n_train) + "\n";
  return write_file_atomic(pages_dir + "/info.txt", reinterpret_cast<const uint8_t*>(info.data()), info.size());
}

Status read_pixel_pages_info(const std::string& dir, PixelPagesInfo* info) {
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(read_file(dir + "/" + kPixelPagesDir + "/info.txt", &bytes));
  const std::string text(bytes.begin(), bytes.end());
  if (std::sscanf(text.c_str(), "%d %d %d", &info->count, &info->page_size, &info->train_count) != 3) {
    return Status::Error("garments/info.txt is malformed");
  }
  return Status::Ok();
}

}  // namespace lw
