// Whole-file reads and crash-safe whole-file writes (native only; the wasm
// build gets its bytes from fetch()).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/runtime/status.h"

namespace lw {

// Reads the whole file into *out. Errors name the path and the reason
// ("cannot open model.bin: No such file or directory", "... is a directory").
Status read_file(const std::string& path, std::vector<uint8_t>* out);

// Replaces `path` with exactly `size` bytes, atomically: the bytes go to a
// temporary file in the same directory (path + ".tmp.<pid>"), which is
// fsync'ed and renamed over `path`, then the directory is fsync'ed. On any
// failure the temporary file is removed and an existing `path` is left as it
// was (never truncated or half-written). A symlink at `path` is replaced by
// a regular file. New files get mode 0644 minus the umask.
Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size);

// Fails fast, before a long job, if `path` could not be written later:
// its directory is missing or not writable, or `path` is a directory.
// Creates and removes the same temporary file write_file_atomic would use;
// never touches `path` itself.
Status check_writable(const std::string& path);

// Makes sure files can be written into folder `dir` before a long job: creates
// it and any missing parents (mkdir -p; new folders get mode 0755 minus the
// umask), then creates and removes a probe file in it. Errors name the path
// and the reason: "cannot create output folder a/b/c: a/b is a file, not a
// folder", "... Permission denied", "... is not a folder".
Status prepare_output_dir(const std::string& dir);

// prepare_output_dir(the folder of `path`) then check_writable(path): the
// check every command makes for each output file before its work starts.
Status prepare_output_file(const std::string& path);

}  // namespace lw
