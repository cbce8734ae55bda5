#include "tools/model_file.h"

#include "model/native/file_io.h"
#include "model/runtime/vae_io.h"

namespace lw {

Status load_full_model(const std::string& path, VaeConfig* config, VaeParams* params) {
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(read_file(path, &bytes));
  uint32_t parts = 0;
  LW_RETURN_IF_ERROR(read_model_blob(bytes.data(), bytes.size(), config, params, &parts).with_context(path));
  if (parts != (kPartEncoder | kPartDecoder)) {
    return Status::Error(path + ": needs both encoder and decoder weights (this blob has only the " +
                         std::string(parts & kPartEncoder ? "encoder" : "decoder") + ")");
  }
  return Status::Ok();
}

DType storage_dtype(const std::string& name) {
  if (name == "f32") return DType::kF32;
  return name == "i8" ? DType::kI8 : DType::kF16;
}

}  // namespace lw
