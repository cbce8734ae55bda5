// manifest.json: the web page's table of contents. Names each blob with its
// size and SHA-256 so the page can verify downloads and cache them by hash.
#pragma once
#include <string>

#include "model/runtime/status.h"

namespace lw {

// Lists the blobs present in dir (decoder.lwb, encoder.lwb, index.lwb) and
// the garment pixel pages, and writes dir/manifest.json atomically.
Status write_manifest(const std::string& dir);

std::string sha256_hex(const uint8_t* data, size_t size);

}  // namespace lw
