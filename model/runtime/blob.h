// The project's versioned binary container ("LWARDROB" blob): a fixed header
// (kind, architecture), a table of named tensors, a small JSON metadata
// string and a 64-byte-aligned payload, all little-endian and checksummed.
// Used for model weights, training checkpoints and the latent index.
// docs/FORMAT.md is the byte-level specification; this file is the C++ API.
//
// Everything works on memory (no file paths), so the same parser runs in the
// browser. BlobReader::parse validates the whole container before returning
// (a hostile buffer cannot cause an out-of-bounds read, an integer overflow or
// an allocation larger than the buffer); the typed read_* accessors then check
// each tensor's dtype, shape and (optionally) finiteness against what the
// caller expects, with messages naming the tensor.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/runtime/status.h"

namespace lw {

// ---- Format constants (see docs/FORMAT.md) ---------------------------------
constexpr char kBlobMagic[8] = {'L', 'W', 'A', 'R', 'D', 'R', 'O', 'B'};
constexpr uint32_t kBlobVersion = 2;             // the newest version this code reads/writes
constexpr uint32_t kBlobMinVersion = 1;          // the oldest it reads (version 1: no convolutions, mirrored decoder)
constexpr size_t kBlobHeaderSize = 256;          // bytes, fixed in version 1
constexpr size_t kBlobTableEntrySize = 128;      // bytes per tensor table entry
constexpr size_t kBlobAlignment = 64;            // payload and tensor data alignment
constexpr uint32_t kBlobMaxTensors = 4096;       // bound on the tensor count
constexpr size_t kBlobMaxNameLength = 63;        // bytes, excluding the NUL
constexpr uint32_t kBlobMaxRank = 4;             // dimensions per tensor
constexpr uint32_t kBlobMaxHidden = 8;           // hidden layers in the header (encoder; decoder in version 2)
constexpr uint32_t kBlobMaxConv = 4;             // encoder convolutions in the header (version 2)
constexpr size_t kBlobMaxMetadataSize = 65536;   // bytes of metadata JSON

enum class DType : uint32_t { kF32 = 1, kF16 = 2, kU8 = 3, kI32 = 4, kU32 = 5, kU64 = 6, kI8 = 7 };

// A float matrix stored as i8 (docs/FORMAT.md "Quantised matrices") has a companion f32 tensor named
// <name> + kQuantScaleSuffix, shape [rows]: element (r, c) is scale[r] * q[r][c].
constexpr char kQuantScaleSuffix[] = ".scale";

enum class BlobKind : uint32_t {
  kModelWeights = 1,        // encoder and/or decoder weights (inference)
  kLatentIndex = 2,         // the dataset's latent codes, for search
  kTrainingCheckpoint = 3,  // weights + optimizer state, to resume training
};

// Which parts a blob holds (header field "parts", a bit set).
enum BlobPart : uint32_t {
  kPartEncoder = 1u << 0,
  kPartDecoder = 1u << 1,
  kPartOptimizer = 1u << 2,  // Adam moments etc.; training checkpoints only
};
constexpr uint32_t kBlobKnownParts = kPartEncoder | kPartDecoder | kPartOptimizer;

// Activation codes in the header. 0 means "not specified".
constexpr uint32_t kActNone = 0;
constexpr uint32_t kActReLU = 1;             // hidden_activation
constexpr uint32_t kActBernoulliLogits = 1;  // output_activation: sigmoid of logits

// Bytes per element; 0 for an unknown dtype.
size_t dtype_size(DType dtype);
// "f32", "f16", ...; "dtype 7" for unknown values.
std::string dtype_name(DType dtype);
// "model weights", "latent index", "training checkpoint"; "kind 9" otherwise.
std::string blob_kind_name(BlobKind kind);
// "784x512"; "scalar" for rank 0.
std::string shape_string(const std::vector<uint32_t>& shape);

// One encoder convolution in the header (version 2): see VaeConfig's ConvSpec.
struct ArchConv {
  uint32_t channels = 0, kernel = 0, stride = 0, padding = 0;
};

// The model architecture recorded in the header.
struct Architecture {
  uint32_t input_dim = 0;                   // pixels per image (784)
  uint32_t latent = 0;                      // latent dimensions
  std::vector<ArchConv> conv;               // encoder convolutions, input side first; <= 4 (version 2)
  std::vector<uint32_t> hidden;             // encoder (dense) hidden sizes, input side first; <= 8
  std::vector<uint32_t> decoder_hidden;     // decoder hidden sizes, z side first; <= 8; empty: hidden
                                            // reversed (version 2)
  uint32_t hidden_activation = kActNone;    // kActReLU
  uint32_t output_activation = kActNone;    // kActBernoulliLogits
  // The version a writer gives a blob of this architecture: 1 when it uses
  // nothing of version 2 (so files of older models stay readable by older readers).
  uint32_t format_version() const { return conv.empty() && decoder_hidden.empty() ? 1 : 2; }
};

// One entry of the tensor table.
struct TensorInfo {
  std::string name;              // 1..63 printable ASCII bytes, unique in the blob
  DType dtype = DType::kF32;     // element type of the stored bytes
  std::vector<uint32_t> shape;   // rank 0..4, row-major (last index fastest)
  uint64_t offset = 0;           // bytes from the payload start, multiple of 64
  uint64_t bytes = 0;            // product(shape) * dtype_size(dtype)
  uint64_t count() const;        // product(shape)
};

// A parsed, fully validated blob.
//
// Lifetime: parse(const uint8_t*, size_t, ...) does NOT copy the buffer; the
// reader (and every pointer obtained from it) reads the caller's bytes, which
// must stay alive and unchanged while the reader is used. parse(std::vector&&)
// takes ownership instead. Copies of a reader share the same buffer.
class BlobReader {
 public:
  static Status parse(const uint8_t* data, size_t size, BlobReader* out);
  static Status parse(std::vector<uint8_t>&& bytes, BlobReader* out);

  uint32_t version() const { return version_; }
  BlobKind kind() const { return kind_; }
  uint32_t parts() const { return parts_; }
  bool has_part(BlobPart part) const { return (parts_ & part) != 0; }
  const Architecture& arch() const { return arch_; }
  const std::string& metadata() const { return metadata_; }  // UTF-8 JSON or empty
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& name) const;  // nullptr if absent

  // Copies a float tensor (stored f32, f16 widened to f32, or an i8 matrix times its per-row
  // scale) into dst. Fails, naming the tensor, if it is missing, not f32/f16/i8, an i8 tensor is
  // not a matrix or lacks a valid scale tensor (f32, [rows], finite, >= 0), its shape differs
  // from expected_shape, dst_count differs from its element count, or (with
  // require_finite) it holds a NaN or infinity.
  Status read_f32(const std::string& name, const std::vector<uint32_t>& expected_shape, float* dst,
                  size_t dst_count, bool require_finite = true) const;

  // Like read_f32, but zero-copy when possible: if the tensor is stored as f32
  // and its bytes are 16-byte aligned in memory (on a little-endian host),
  // *out points into the blob buffer; otherwise the values are widened/copied
  // into *scratch and *out points there. *out is valid while both the buffer
  // and *scratch live (and *scratch is not modified).
  Status view_f32(const std::string& name, const std::vector<uint32_t>& expected_shape,
                  const float** out, std::vector<float>* scratch, bool require_finite = true) const;

  // An i8 matrix as stored (docs/FORMAT.md "Quantised matrices"), for the
  // integer kernels: *q points at its rows x cols bytes in the blob buffer
  // (row-major; valid while the buffer lives), *scale receives its row scales
  // [rows]. Fails, naming the tensor, if it is missing, not stored as i8, of
  // another shape, or its scale tensor is missing, mis-shaped or holds a
  // value outside [0, 1e30].
  Status view_i8_matrix(const std::string& name, const std::vector<uint32_t>& expected_shape,
                        const int8_t** q, std::vector<float>* scale) const;

  // Raw integer tensors; the stored dtype must match exactly.
  Status read_u8(const std::string& name, const std::vector<uint32_t>& expected_shape, uint8_t* dst,
                 size_t dst_count) const;
  Status read_i32(const std::string& name, const std::vector<uint32_t>& expected_shape, int32_t* dst,
                  size_t dst_count) const;
  Status read_u32(const std::string& name, const std::vector<uint32_t>& expected_shape, uint32_t* dst,
                  size_t dst_count) const;
  Status read_u64(const std::string& name, const std::vector<uint32_t>& expected_shape, uint64_t* dst,
                  size_t dst_count) const;

  // The stored (little-endian) bytes of a tensor: info.bytes bytes.
  const uint8_t* tensor_data(const TensorInfo& info) const { return payload_ + info.offset; }

 private:
  // Finds the tensor, checks its dtype is one of `allowed` (n of them), its
  // shape and the destination size.
  Status lookup(const std::string& name, const DType* allowed, int n_allowed,
                const std::vector<uint32_t>& expected_shape, size_t dst_count,
                const TensorInfo** info) const;
  // lookup() for a caller without a destination: the count is the expected shape's.
  Status lookup_shape(const std::string& name, const DType* allowed, int n_allowed,
                      const std::vector<uint32_t>& expected_shape, const TensorInfo** info) const;
  template <typename T>
  Status read_int(const std::string& name, DType dtype, const std::vector<uint32_t>& expected_shape,
                  T* dst, size_t dst_count) const;
  // dst = the i8 matrix t times its per-row scale tensor.
  Status dequantize_i8(const TensorInfo& t, float* dst) const;
  // scales [rows] = t's validated per-row scale tensor (t: an i8 matrix).
  Status quant_scales(const TensorInfo& t, float* scales) const;

  std::shared_ptr<const std::vector<uint8_t>> owned_;  // set by parse(vector&&)
  const uint8_t* data_ = nullptr;                      // whole blob [size_ bytes]
  size_t size_ = 0;
  const uint8_t* payload_ = nullptr;  // data_ + payload offset
  uint32_t version_ = 0;
  BlobKind kind_ = BlobKind::kModelWeights;
  uint32_t parts_ = 0;
  Architecture arch_;
  std::string metadata_;
  std::vector<TensorInfo> tensors_;                 // in table (= payload) order
  std::unordered_map<std::string, size_t> index_;   // name -> position in tensors_
};

// Builds a blob in memory. Tensors are laid out in the order they are added.
// Errors (bad name, duplicate, shape/count mismatch, f16 overflow, too many
// tensors, bad architecture) are reported by the add_* call, or by finish().
class BlobWriter {
 public:
  BlobWriter(BlobKind kind, Architecture arch, uint32_t parts = 0);

  // A UTF-8 JSON object, e.g. {"epoch": 30, "command": "lw_train ..."}.
  // Not parsed; checked for size (<= 64 KiB), valid UTF-8 and no NUL byte.
  Status set_metadata(std::string json);

  // count must equal product(shape). storage is DType::kF32, kF16 or kI8;
  // f16 rounds to nearest even and fails if a finite value exceeds the f16
  // range. kI8 (matrices only, rank 2) stores each row r as round(w / s_r) in
  // [-127, 127] with s_r = max_c |w[r][c]| / 127, and adds the tensor
  // <name>.scale (f32, [rows]); it fails on a non-finite value. Otherwise
  // non-finite values are stored as given (readers reject them by default).
  Status add_f32(const std::string& name, const std::vector<uint32_t>& shape, const float* data,
                 size_t count, DType storage = DType::kF32);
  Status add_u8(const std::string& name, const std::vector<uint32_t>& shape, const uint8_t* data,
                size_t count);
  Status add_i32(const std::string& name, const std::vector<uint32_t>& shape, const int32_t* data,
                 size_t count);
  Status add_u32(const std::string& name, const std::vector<uint32_t>& shape, const uint32_t* data,
                 size_t count);
  Status add_u64(const std::string& name, const std::vector<uint32_t>& shape, const uint64_t* data,
                 size_t count);

  size_t tensor_count() const { return tensors_.size(); }
  // Serialises header, table, metadata and payload with their checksums.
  Status finish(std::vector<uint8_t>* out) const;

 private:
  // Validates name/shape/count and reserves aligned payload space; *dst is
  // where the caller writes `bytes` bytes.
  Status begin_tensor(const std::string& name, const std::vector<uint32_t>& shape, size_t count,
                      DType dtype, uint8_t** dst);
  template <typename T>
  Status add_int(const std::string& name, const std::vector<uint32_t>& shape, const T* data,
                 size_t count, DType dtype);
  Status add_quantized_i8(const std::string& name, const std::vector<uint32_t>& shape, const float* data,
                          size_t count);

  BlobKind kind_;
  Architecture arch_;
  uint32_t parts_;
  std::string metadata_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> index_;  // name -> position, for duplicates
  std::vector<uint8_t> payload_;                   // tensor data, 64-byte aligned offsets
};

}  // namespace lw
