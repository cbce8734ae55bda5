#include "wasm/binding_support.h"

#include <vector>

#include "model/runtime/vae_io.h"

namespace lw {

namespace {
std::string g_last_error;        // message of the last failed call
std::vector<uint8_t> g_staging;  // blob bytes on their way into fromBytes
}  // namespace

int fail(const Status& s) {
  g_last_error = s.message();
  return 1;
}
int fail(const std::string& message) { return fail(Status::Error(message)); }
std::string last_error() { return g_last_error; }

uintptr_t stage(int bytes) {
  if (bytes < 0) bytes = 0;
  g_staging.resize(static_cast<size_t>(bytes));
  return reinterpret_cast<uintptr_t>(g_staging.data());
}
void unstage() { std::vector<uint8_t>().swap(g_staging); }

Status staged_span(int offset, int bytes, const uint8_t** data) {
  if (offset < 0 || bytes < 0 || static_cast<size_t>(offset) + static_cast<size_t>(bytes) > g_staging.size()) {
    return Status::Error("bad staging size");
  }
  *data = g_staging.data() + offset;
  return Status::Ok();
}

Status read_model_part(const uint8_t* data, size_t size, uint32_t part, BlobReader* blob, VaeConfig* config,
                       VaeParams* params, bool leave_i8_matrices) {
  Status s = BlobReader::parse(data, size, blob);
  if (s.ok() && blob->kind() != BlobKind::kModelWeights && blob->kind() != BlobKind::kTrainingCheckpoint) {
    s = Status::Error("expected model weights, found a " + blob_kind_name(blob->kind()) + " blob");
  }
  uint32_t parts = 0;
  if (s.ok()) s = read_model_blob(*blob, config, params, &parts, leave_i8_matrices);
  if (s.ok() && !(parts & part)) {
    s = Status::Error(std::string("blob has no ") + (part == kPartEncoder ? "encoder" : "decoder") + " part");
  }
  return s;
}

}  // namespace lw
