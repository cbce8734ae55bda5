#include "tools/manifest.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <cstdio>
#include <vector>

#include "model/native/file_io.h"
#include "tools/json.h"
#include "tools/pixel_pages.h"

namespace lw {

std::string sha256_hex(const uint8_t* data, size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

Status write_manifest(const std::string& dir) {
  std::string json = "{\n  \"format\": 1,\n  \"blobs\": {";
  bool first = true;
  for (const char* name : {"decoder", "encoder", "index"}) {
    const std::string file = std::string(name) + ".lwb";
    std::vector<uint8_t> bytes;
    if (!read_file(dir + "/" + file, &bytes).ok()) continue;
    json += std::string(first ? "" : ",") + "\n    \"" + name + "\": {\"file\": " + json_escape(file) +
            ", \"bytes\": " + std::to_string(bytes.size()) + ", \"sha256\": \"" +
            sha256_hex(bytes.data(), bytes.size()) + "\"}";
    first = false;
  }
  json += "\n  }";
  PixelPagesInfo pages;
  if (read_pixel_pages_info(dir, &pages).ok()) {
    json += ",\n  \"garments\": {\"dir\": " + json_escape(kPixelPagesDir) +
            ", \"count\": " + std::to_string(pages.count) + ", \"page_size\": " + std::to_string(pages.page_size) +
            ", \"item_bytes\": 784, \"train_count\": " + std::to_string(pages.train_count) + "}";
  }
  json += ",\n  \"classes\": [\"T-shirt/top\", \"Trouser\", \"Pullover\", \"Dress\", \"Coat\", \"Sandal\", \"Shirt\", "
          "\"Sneaker\", \"Bag\", \"Ankle boot\"]\n}\n";
  return write_file_atomic(dir + "/manifest.json", reinterpret_cast<const uint8_t*>(json.data()), json.size());
}

}  // namespace lw
