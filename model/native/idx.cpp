#include "model/native/idx.h"

#include <string>

namespace lw {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr uint32_t kMaxCount = 10'000'000;  // far above any MNIST-like set
constexpr uint32_t kMaxSide = 4096;

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

std::string hex(uint32_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xf];
  return s;
}

}  // namespace

Status parse_idx_images(const uint8_t* data, size_t size, ImageSet* out) {
  if (size < 16) return Status::Error("IDX image file truncated: header needs 16 bytes, found " + std::to_string(size));
  const uint32_t magic = read_be32(data);
  if (magic != kImagesMagic) {
    return Status::Error("not an IDX image file: magic " + hex(magic) + ", expected " + hex(kImagesMagic));
  }
  const uint32_t count = read_be32(data + 4), rows = read_be32(data + 8), cols = read_be32(data + 12);
  if (count > kMaxCount) return Status::Error("IDX image count " + std::to_string(count) + " is implausible");
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide) {
    return Status::Error("IDX image size " + std::to_string(rows) + "x" + std::to_string(cols) + " is invalid");
  }
  const uint64_t expected = uint64_t(count) * rows * cols;
  const uint64_t available = size - 16;
  if (available < expected) {
    return Status::Error("IDX image file truncated: header promises " + std::to_string(count) + " images of " +
                         std::to_string(rows) + "x" + std::to_string(cols) + " (" + std::to_string(expected) +
                         " bytes), found " + std::to_string(available));
  }
  if (available > expected) {
    return Status::Error("IDX image file has " + std::to_string(available - expected) + " trailing bytes");
  }
  out->count = static_cast<int>(count);
  out->rows = static_cast<int>(rows);
  out->cols = static_cast<int>(cols);
  out->pixels.assign(data + 16, data + 16 + expected);
  return Status::Ok();
}

std::string describe_idx(const uint8_t* data, size_t size) {
  if (size == 0) return "empty";
  if (size >= 4) {
    const uint32_t magic = read_be32(data);
    if (magic == kImagesMagic) return "IDX images";
    if (magic == kLabelsMagic) return "IDX labels";
    // IDX magic: two zero bytes, a type code (0x08..0x0e), a rank.
    if (data[0] == 0 && data[1] == 0 && data[2] >= 0x08 && data[2] <= 0x0e) return "IDX (magic " + hex(magic) + ")";
  }
  static const char* digits = "0123456789abcdef";
  std::string start;
  for (size_t i = 0; i < size && i < 4; ++i) {
    start += std::string(i ? " " : "") + digits[data[i] >> 4] + digits[data[i] & 0xf];
  }
  return "not IDX (starts " + start + ")";
}

Status parse_idx_labels(const uint8_t* data, size_t size, std::vector<uint8_t>* out) {
  if (size < 8) return Status::Error("IDX label file truncated: header needs 8 bytes, found " + std::to_string(size));
  const uint32_t magic = read_be32(data);
  if (magic != kLabelsMagic) {
    return Status::Error("not an IDX label file: magic " + hex(magic) + ", expected " + hex(kLabelsMagic));
  }
  const uint32_t count = read_be32(data + 4);
  if (count > kMaxCount) return Status::Error("IDX label count " + std::to_string(count) + " is implausible");
  const uint64_t available = size - 8;
  if (available < count) {
    return Status::Error("IDX label file truncated: header promises " + std::to_string(count) + " labels, found " +
                         std::to_string(available));
  }
  if (available > count) return Status::Error("IDX label file has " + std::to_string(available - count) + " trailing bytes");
  out->assign(data + 8, data + 8 + count);
  return Status::Ok();
}

}  // namespace lw
