#include "tools/manifest.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <cstdio>
#include <vector>

#include "model/native/file_io.h"
#include "model/runtime/vae_params.h"
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
  Json manifest;
  manifest["format"] = 1;
  manifest["blobs"] = Json::object();
  for (const char* name : {"decoder", "encoder", "index"}) {
    const std::string file = std::string(name) + ".lwb";
    std::vector<uint8_t> bytes;
    if (!read_file(dir + "/" + file, &bytes).ok()) continue;
    manifest["blobs"][name] = {{"file", file}, {"bytes", bytes.size()}, {"sha256", sha256_hex(bytes.data(), bytes.size())}};
  }
  PixelPagesInfo pages;
  if (read_pixel_pages_info(dir, &pages).ok()) {
    manifest["garments"] = {{"dir", kPixelPagesDir},       {"count", pages.count},
                            {"page_size", pages.page_size}, {"item_bytes", kImagePixels},
                            {"train_count", pages.train_count}};
  }
  manifest["classes"] = Json::array();
  for (const char* name : kClassNames) manifest["classes"].push_back(name);
  const std::string json = manifest.dump(2) + "\n";
  return write_file_atomic(dir + "/manifest.json", reinterpret_cast<const uint8_t*>(json.data()), json.size());
}

}  // namespace lw
