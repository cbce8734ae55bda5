// What every Embind surface of the module shares (bindings.cpp for the
// decoder and the index, encoder_bindings.cpp for the encoder): one error
// channel (0/1 returns, the message in lastError()), one staging buffer for
// blob bytes on their way into fromBytes, and reading a model blob.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/runtime/blob.h"
#include "model/runtime/status.h"
#include "model/runtime/vae_params.h"

namespace lw {

// Records the message for lastError() and returns 1 (the failed-call code).
int fail(const Status& s);
int fail(const std::string& message);
std::string last_error();

// Grows the staging buffer to `bytes` and returns its address: JS copies the
// blob(s) there, back to back, then calls a load method.
uintptr_t stage(int bytes);
// Frees the staging buffer once the blobs have been parsed.
void unstage();
// Staged bytes [offset, offset + bytes); an error unless they all lie in the
// staging buffer.
Status staged_span(int offset, int bytes, const uint8_t** data);

// Parses a model blob (weights or a training checkpoint) that must hold
// `part` (kPartEncoder or kPartDecoder). The caller adds the context.
// leave_i8_matrices: see read_model_blob (for a decoder built from the blob).
Status read_model_part(const uint8_t* data, size_t size, uint32_t part, BlobReader* blob, VaeConfig* config,
                       VaeParams* params, bool leave_i8_matrices = false);

}  // namespace lw
