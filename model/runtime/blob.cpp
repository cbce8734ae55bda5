// Parser and writer of the LWARDROB blob (docs/FORMAT.md). The parser treats
// the buffer as hostile: every field is read with bounds-checked little-endian
// loads, all offset arithmetic is done in uint64_t after checking it cannot
// wrap, and the only allocations are bounded by the buffer size (the tensor
// table is allocated only after it is known to fit in the buffer).
#include "model/runtime/blob.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "model/runtime/crc32.h"
#include "model/runtime/f16.h"

namespace lw {
namespace {

// Largest per-row scale of an i8 matrix a reader accepts: scale * 127 stays a finite float.
constexpr float kMaxQuantScale = 1e30f;

// ---- Header layout (byte offsets; docs/FORMAT.md "Header") -----------------
constexpr size_t kOffMagic = 0;
constexpr size_t kOffVersion = 8;
constexpr size_t kOffHeaderSize = 12;
constexpr size_t kOffKind = 16;
constexpr size_t kOffParts = 20;
constexpr size_t kOffInputDim = 24;
constexpr size_t kOffLatent = 28;
constexpr size_t kOffNumHidden = 32;
constexpr size_t kOffHidden = 36;  // u32[8]
constexpr size_t kOffHiddenAct = 68;
constexpr size_t kOffOutputAct = 72;
constexpr size_t kOffTensorCount = 76;
constexpr size_t kOffTableOffset = 80;
constexpr size_t kOffTableSize = 88;
constexpr size_t kOffMetaOffset = 96;
constexpr size_t kOffMetaSize = 104;
constexpr size_t kOffPayloadOffset = 112;
constexpr size_t kOffPayloadSize = 120;
constexpr size_t kOffTableCrc = 128;
constexpr size_t kOffMetaCrc = 132;
constexpr size_t kOffPayloadCrc = 136;
constexpr size_t kOffNumConv = 140;       // version 2
constexpr size_t kOffConv = 144;          // version 2: u32[4][4] (channels, kernel, stride, padding)
constexpr size_t kOffNumDecHidden = 208;  // version 2
constexpr size_t kOffDecHidden = 212;     // version 2: u32[8]
constexpr size_t kOffReservedV2 = 244;    // version 2: zeros up to kOffHeaderCrc
constexpr size_t kOffReserved = 140;  // version 1: zeros up to kOffHeaderCrc
constexpr size_t kOffHeaderCrc = 252;
static_assert(kOffHeaderCrc + 4 == kBlobHeaderSize, "header layout");

// ---- Table entry layout (byte offsets within an entry) ---------------------
constexpr size_t kEntName = 0;  // char[64], NUL-terminated, zero-padded
constexpr size_t kEntDType = 64;
constexpr size_t kEntRank = 68;
constexpr size_t kEntShape = 72;  // u32[4]
constexpr size_t kEntOffset = 88;
constexpr size_t kEntBytes = 96;
constexpr size_t kEntReserved = 104;  // zeros up to the entry end
static_assert(kEntName + kBlobMaxNameLength + 1 == kEntDType, "entry layout");

uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint64_t load_u64(const uint8_t* p) {
  return static_cast<uint64_t>(load_u32(p)) | static_cast<uint64_t>(load_u32(p + 4)) << 32;
}
void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void store_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

bool host_is_little_endian() {
  const uint16_t one = 1;
  uint8_t first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

uint64_t align_up(uint64_t x) { return (x + (kBlobAlignment - 1)) & ~static_cast<uint64_t>(kBlobAlignment - 1); }

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
  return buf;
}

std::string u64s(uint64_t v) { return std::to_string(v); }

// Shows bytes as text, escaping anything that is not printable ASCII.
std::string escaped(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"') {
      s += static_cast<char>(p[i]);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", p[i]);
      s += buf;
    }
  }
  return s;
}

bool name_char_ok(uint8_t c) { return c >= 0x21 && c <= 0x7e; }

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
// Returns the offset of the first bad byte, or n if valid.
size_t utf8_error_offset(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1fu, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0fu, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07u, min = 0x10000;
    } else {
      return i;
    }
    if (n - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return n;
}

bool dtype_known(uint32_t v) { return v >= 1 && v <= 7; }

// product(shape) with overflow detection; false if it does not fit in uint64.
bool shape_count(const std::vector<uint32_t>& shape, uint64_t* count) {
  uint64_t c = 1;
  for (uint32_t d : shape) {
    if (d != 0 && c > std::numeric_limits<uint64_t>::max() / d) return false;
    c *= d;
  }
  *count = c;
  return true;
}

Status truncated(const std::string& what, uint64_t need, uint64_t at, size_t have) {
  return Status::Error("blob truncated: " + what + " needs " + u64s(need) + " bytes at offset " + u64s(at) +
                       ", file has " + u64s(have));
}

}  // namespace

// ---- Names ------------------------------------------------------------------

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kU8: return 1;
    case DType::kI32: return 4;
    case DType::kU32: return 4;
    case DType::kU64: return 8;
    case DType::kI8: return 1;
  }
  return 0;
}

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kU8: return "u8";
    case DType::kI32: return "i32";
    case DType::kU32: return "u32";
    case DType::kU64: return "u64";
    case DType::kI8: return "i8";
  }
  return "dtype " + std::to_string(static_cast<uint32_t>(dtype));
}

std::string blob_kind_name(BlobKind kind) {
  switch (kind) {
    case BlobKind::kModelWeights: return "model weights";
    case BlobKind::kLatentIndex: return "latent index";
    case BlobKind::kTrainingCheckpoint: return "training checkpoint";
  }
  return "kind " + std::to_string(static_cast<uint32_t>(kind));
}

std::string shape_string(const std::vector<uint32_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

uint64_t TensorInfo::count() const {
  uint64_t c = 0;
  return shape_count(shape, &c) ? c : 0;
}

// ---- Validation shared by reader and writer ---------------------------------

namespace {

Status check_arch(const Architecture& a) {
  if (a.hidden.size() > kBlobMaxHidden) {
    return Status::Error("hidden layer count " + std::to_string(a.hidden.size()) + " exceeds the maximum " +
                         std::to_string(kBlobMaxHidden));
  }
  if (a.decoder_hidden.size() > kBlobMaxHidden) {
    return Status::Error("decoder hidden layer count " + std::to_string(a.decoder_hidden.size()) +
                         " exceeds the maximum " + std::to_string(kBlobMaxHidden));
  }
  if (a.conv.size() > kBlobMaxConv) {
    return Status::Error("convolution count " + std::to_string(a.conv.size()) + " exceeds the maximum " +
                         std::to_string(kBlobMaxConv));
  }
  if (a.hidden_activation != kActNone && a.hidden_activation != kActReLU) {
    return Status::Error("unknown hidden activation code " + std::to_string(a.hidden_activation) +
                         " (known: 0 none, 1 ReLU)");
  }
  if (a.output_activation != kActNone && a.output_activation != kActBernoulliLogits) {
    return Status::Error("unknown output activation code " + std::to_string(a.output_activation) +
                         " (known: 0 none, 1 Bernoulli logits)");
  }
  return Status::Ok();
}

Status check_kind_parts(uint32_t kind, uint32_t parts) {
  if (kind < 1 || kind > 3) {
    return Status::Error("unknown blob kind " + std::to_string(kind) +
                         " (known: 1 model weights, 2 latent index, 3 training checkpoint)");
  }
  if (parts & ~kBlobKnownParts) return Status::Error("unknown part flags " + hex32(parts & ~kBlobKnownParts));
  if ((parts & kPartOptimizer) && kind != static_cast<uint32_t>(BlobKind::kTrainingCheckpoint)) {
    return Status::Error("part flag 'optimizer' is only valid in a training checkpoint, not in " +
                         blob_kind_name(static_cast<BlobKind>(kind)));
  }
  return Status::Ok();
}

// name: the raw 64-byte field.
Status check_name_field(const uint8_t* field, size_t index, std::string* name) {
  size_t len = 0;
  while (len < kBlobMaxNameLength + 1 && field[len] != 0) ++len;
  const std::string where = "tensor table entry " + std::to_string(index);
  if (len == 0) return Status::Error(where + ": empty name");
  if (len > kBlobMaxNameLength) {
    return Status::Error(where + ": name \"" + escaped(field, 24) + "...\" is not NUL-terminated within " +
                         std::to_string(kBlobMaxNameLength + 1) + " bytes");
  }
  for (size_t i = 0; i < len; ++i) {
    if (!name_char_ok(field[i])) {
      return Status::Error(where + ": name \"" + escaped(field, len) + "\" has a non-printable byte at position " +
                           std::to_string(i));
    }
  }
  for (size_t i = len; i < kBlobMaxNameLength + 1; ++i) {
    if (field[i] != 0) {
      return Status::Error(where + " (" + escaped(field, len) + "): name padding is not zero");
    }
  }
  name->assign(reinterpret_cast<const char*>(field), len);
  return Status::Ok();
}

Status check_name_for_writer(const std::string& name) {
  if (name.empty()) return Status::Error("tensor name is empty");
  if (name.size() > kBlobMaxNameLength) {
    return Status::Error("tensor name \"" + name.substr(0, 24) + "...\" is " + std::to_string(name.size()) +
                         " bytes, the maximum is " + std::to_string(kBlobMaxNameLength));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char_ok(static_cast<uint8_t>(name[i]))) {
      return Status::Error("tensor name \"" +
                           escaped(reinterpret_cast<const uint8_t*>(name.data()), name.size()) +
                           "\" has a non-printable byte at position " + std::to_string(i) +
                           " (allowed: ASCII 0x21..0x7e)");
    }
  }
  return Status::Ok();
}

}  // namespace

// ---- Reader -----------------------------------------------------------------

Status BlobReader::parse(std::vector<uint8_t>&& bytes, BlobReader* out) {
  auto owned = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  BlobReader r;
  LW_RETURN_IF_ERROR(parse(owned->data(), owned->size(), &r));
  r.owned_ = std::move(owned);
  *out = std::move(r);
  return Status::Ok();
}

// ---- BlobReader::parse, one function per section of docs/FORMAT.md --------

namespace {

// A count and its u32 slots (`width` per entry, `slots` entries): the entries
// in use, the unused slots zero.
Status parse_slots(const uint8_t* h, size_t count_offset, size_t slots_offset, uint32_t slots, uint32_t width,
                   const char* what, std::vector<uint32_t>* values) {
  const uint32_t count = load_u32(h + count_offset);
  if (count > slots) {
    return Status::Error(std::string(what) + " count " + std::to_string(count) + " exceeds the maximum " +
                         std::to_string(slots));
  }
  for (uint32_t i = 0; i < slots * width; ++i) {
    const uint32_t v = load_u32(h + slots_offset + 4 * i);
    if (i < count * width) {
      values->push_back(v);
    } else if (v != 0) {
      return Status::Error(std::string("unused ") + what + " slot " + std::to_string(i / width) + " holds " +
                           std::to_string(v) + ", expected 0 (" + std::to_string(count) + " in use)");
    }
  }
  return Status::Ok();
}

// "Header": the architecture fields (sizes in use, unused slots zero); the
// convolutions and the decoder's hidden sizes from version 2 on.
Status parse_architecture(const uint8_t* h, uint32_t version, Architecture* arch) {
  arch->input_dim = load_u32(h + kOffInputDim);
  arch->latent = load_u32(h + kOffLatent);
  LW_RETURN_IF_ERROR(parse_slots(h, kOffNumHidden, kOffHidden, kBlobMaxHidden, 1, "hidden layer", &arch->hidden));
  if (version >= 2) {
    std::vector<uint32_t> conv;
    LW_RETURN_IF_ERROR(parse_slots(h, kOffNumConv, kOffConv, kBlobMaxConv, 4, "convolution", &conv));
    for (size_t i = 0; i + 3 < conv.size(); i += 4) arch->conv.push_back({conv[i], conv[i + 1], conv[i + 2], conv[i + 3]});
    LW_RETURN_IF_ERROR(parse_slots(h, kOffNumDecHidden, kOffDecHidden, kBlobMaxHidden, 1, "decoder hidden layer",
                                   &arch->decoder_hidden));
  }
  arch->hidden_activation = load_u32(h + kOffHiddenAct);
  arch->output_activation = load_u32(h + kOffOutputAct);
  return check_arch(*arch);
}

// "Header (256 bytes)": magic, version, header size and checksum, reserved
// bytes, kind and parts, architecture.
Status parse_header(const uint8_t* h, size_t size, uint32_t* version, uint32_t* kind, uint32_t* parts,
                    Architecture* arch) {
  // Magic first: for a file that is not a blob at all, say so.
  if (size >= sizeof kBlobMagic && std::memcmp(h + kOffMagic, kBlobMagic, sizeof kBlobMagic) != 0) {
    return Status::Error("bad magic: expected \"LWARDROB\", found \"" + escaped(h, sizeof kBlobMagic) +
                         "\" (not a latent-wardrobe blob)");
  }
  if (size < kBlobHeaderSize) return truncated("header", kBlobHeaderSize, 0, size);
  *version = load_u32(h + kOffVersion);
  if (*version < kBlobMinVersion || *version > kBlobVersion) {
    return Status::Error("unsupported format version " + std::to_string(*version) + " (this reader supports versions " +
                         std::to_string(kBlobMinVersion) + " to " + std::to_string(kBlobVersion) + ")");
  }
  const uint32_t header_size = load_u32(h + kOffHeaderSize);
  if (header_size != kBlobHeaderSize) {
    return Status::Error("bad header size " + std::to_string(header_size) + " (versions 1 and 2 use " +
                         std::to_string(kBlobHeaderSize) + ")");
  }
  const uint32_t header_crc = crc32(h, kOffHeaderCrc);
  if (header_crc != load_u32(h + kOffHeaderCrc)) {
    return Status::Error("header checksum mismatch (stored " + hex32(load_u32(h + kOffHeaderCrc)) +
                         ", computed " + hex32(header_crc) + ")");
  }
  for (size_t i = *version >= 2 ? kOffReservedV2 : kOffReserved; i < kOffHeaderCrc; ++i) {
    if (h[i] != 0) return Status::Error("header reserved byte " + std::to_string(i) + " is not zero");
  }
  *kind = load_u32(h + kOffKind);
  *parts = load_u32(h + kOffParts);
  LW_RETURN_IF_ERROR(check_kind_parts(*kind, *parts));
  return parse_architecture(h, *version, arch);
}

// The section offsets and sizes the header records ("File layout").
struct Layout {
  uint32_t count = 0;  // tensors
  uint64_t table_offset = 0, table_size = 0;
  uint64_t meta_offset = 0, meta_size = 0;
  uint64_t payload_offset = 0, payload_size = 0;
};

// The rest of "File layout": the payload starts at the metadata's end rounded
// up to 64 (zero padding between) and ends the file.
Status check_payload_placement(const uint8_t* h, size_t size, const Layout& l) {
  const uint64_t file_size = size;
  const uint64_t meta_end = l.meta_offset + l.meta_size;
  if (l.payload_offset != align_up(meta_end)) {
    return Status::Error("payload offset " + u64s(l.payload_offset) + ", expected " + u64s(align_up(meta_end)) +
                         " (metadata end rounded up to " + std::to_string(kBlobAlignment) + ")");
  }
  if (l.payload_offset > file_size) return truncated("payload", l.payload_size, l.payload_offset, size);
  if (l.payload_size > file_size - l.payload_offset) return truncated("payload", l.payload_size, l.payload_offset, size);
  if (l.payload_offset + l.payload_size != file_size) {
    return Status::Error("blob has " + u64s(file_size - l.payload_offset - l.payload_size) +
                         " trailing bytes after the payload (payload ends at " +
                         u64s(l.payload_offset + l.payload_size) + ", file has " + u64s(file_size) + ")");
  }
  for (uint64_t i = meta_end; i < l.payload_offset; ++i) {
    if (h[i] != 0) return Status::Error("padding byte " + u64s(i) + " before the payload is not zero");
  }
  return Status::Ok();
}

// "File layout": header | table | metadata | zero padding | payload, with
// nothing after the payload. All arithmetic stays far from uint64 overflow
// because every size is first bounded by the buffer size.
Status parse_layout(const uint8_t* h, size_t size, Layout* l) {
  l->count = load_u32(h + kOffTensorCount);
  if (l->count > kBlobMaxTensors) {
    return Status::Error("tensor count " + std::to_string(l->count) + " exceeds the limit " +
                         std::to_string(kBlobMaxTensors));
  }
  l->table_offset = load_u64(h + kOffTableOffset);
  l->table_size = load_u64(h + kOffTableSize);
  l->meta_offset = load_u64(h + kOffMetaOffset);
  l->meta_size = load_u64(h + kOffMetaSize);
  l->payload_offset = load_u64(h + kOffPayloadOffset);
  l->payload_size = load_u64(h + kOffPayloadSize);
  const uint64_t file_size = size;
  if (l->table_offset != kBlobHeaderSize) {
    return Status::Error("tensor table offset " + u64s(l->table_offset) + ", expected " +
                         std::to_string(kBlobHeaderSize) + " (right after the header)");
  }
  const uint64_t expect_table = static_cast<uint64_t>(l->count) * kBlobTableEntrySize;  // <= 512 KiB
  if (l->table_size != expect_table) {
    return Status::Error("tensor table size " + u64s(l->table_size) + " does not match " + std::to_string(l->count) +
                         " tensors x " + std::to_string(kBlobTableEntrySize) + " bytes = " + u64s(expect_table));
  }
  if (l->table_size > file_size - l->table_offset) return truncated("tensor table", l->table_size, l->table_offset, size);
  if (l->meta_offset != l->table_offset + l->table_size) {
    return Status::Error("metadata offset " + u64s(l->meta_offset) + ", expected " +
                         u64s(l->table_offset + l->table_size) + " (right after the tensor table)");
  }
  if (l->meta_size > kBlobMaxMetadataSize) {
    return Status::Error("metadata size " + u64s(l->meta_size) + " exceeds the limit " +
                         std::to_string(kBlobMaxMetadataSize));
  }
  if (l->meta_size > file_size - l->meta_offset) return truncated("metadata", l->meta_size, l->meta_offset, size);
  return check_payload_placement(h, size, *l);
}

// "Checksums" of one section: CRC-32 of its bytes against the header field.
Status check_crc(const uint8_t* h, size_t field, const uint8_t* bytes, uint64_t n, const char* what) {
  const uint32_t crc = crc32(bytes, static_cast<size_t>(n));
  if (crc != load_u32(h + field)) {
    return Status::Error(std::string(what) + " checksum mismatch (stored " + hex32(load_u32(h + field)) +
                         ", computed " + hex32(crc) + ")");
  }
  return Status::Ok();
}

// "Metadata": UTF-8 JSON without NUL bytes (its checksum checked first).
Status parse_metadata(const uint8_t* meta, uint64_t meta_size, std::string* out) {
  const size_t bad_utf8 = utf8_error_offset(meta, static_cast<size_t>(meta_size));
  if (bad_utf8 != meta_size) return Status::Error("metadata is not valid UTF-8 (byte " + std::to_string(bad_utf8) + ")");
  if (std::memchr(meta, 0, static_cast<size_t>(meta_size)) != nullptr) {
    return Status::Error("metadata contains a NUL byte");
  }
  out->assign(reinterpret_cast<const char*>(meta), static_cast<size_t>(meta_size));
  return Status::Ok();
}

// "Tensor table": rank and shape of one entry (unused slots zero).
Status parse_shape(const uint8_t* e, const std::string& where, std::vector<uint32_t>* shape) {
  const uint32_t rank = load_u32(e + kEntRank);
  if (rank > kBlobMaxRank) {
    return Status::Error(where + ": rank " + std::to_string(rank) + " exceeds the maximum " +
                         std::to_string(kBlobMaxRank));
  }
  for (uint32_t d = 0; d < kBlobMaxRank; ++d) {
    const uint32_t v = load_u32(e + kEntShape + 4 * d);
    if (d < rank) {
      shape->push_back(v);
    } else if (v != 0) {
      return Status::Error(where + ": unused shape slot " + std::to_string(d) + " is " + std::to_string(v) +
                           ", expected 0 (rank " + std::to_string(rank) + ")");
    }
  }
  return Status::Ok();
}

// "Tensor table", one 128-byte entry: name, dtype, rank and shape, reserved
// bytes, offset and byte length inside the payload, in payload order after
// the previous tensor (which ends at prev_end).
Status parse_table_entry(const uint8_t* e, uint32_t i, uint64_t payload_size, uint64_t prev_end, TensorInfo* t) {
  LW_RETURN_IF_ERROR(check_name_field(e + kEntName, i, &t->name));
  const std::string where = "tensor " + t->name;
  const uint32_t dtype = load_u32(e + kEntDType);
  if (!dtype_known(dtype)) {
    return Status::Error(where + ": unknown dtype " + std::to_string(dtype) +
                         " (known: 1 f32, 2 f16, 3 u8, 4 i32, 5 u32, 6 u64, 7 i8)");
  }
  t->dtype = static_cast<DType>(dtype);
  LW_RETURN_IF_ERROR(parse_shape(e, where, &t->shape));
  for (size_t k = kEntReserved; k < kBlobTableEntrySize; ++k) {
    if (e[k] != 0) return Status::Error(where + ": reserved entry byte " + std::to_string(k) + " is not zero");
  }
  t->offset = load_u64(e + kEntOffset);
  t->bytes = load_u64(e + kEntBytes);
  uint64_t n = 0;
  const uint64_t esize = dtype_size(t->dtype);
  if (!shape_count(t->shape, &n) || n > std::numeric_limits<uint64_t>::max() / esize) {
    return Status::Error(where + ": shape " + shape_string(t->shape) + " of " + dtype_name(t->dtype) +
                         " overflows 64 bits");
  }
  if (t->bytes != n * esize) {
    return Status::Error(where + ": byte length " + u64s(t->bytes) + " does not match shape " +
                         shape_string(t->shape) + " of " + dtype_name(t->dtype) + " (" + u64s(n * esize) + " bytes)");
  }
  if (t->offset % kBlobAlignment != 0) {
    return Status::Error(where + ": offset " + u64s(t->offset) + " is not a multiple of " +
                         std::to_string(kBlobAlignment));
  }
  if (t->offset < prev_end) {
    return Status::Error(where + ": offset " + u64s(t->offset) + " overlaps the previous tensor (which ends at " +
                         u64s(prev_end) + "); tensors must be stored in table order");
  }
  if (t->bytes > payload_size || t->offset > payload_size - t->bytes) {
    return Status::Error(where + ": bytes [" + u64s(t->offset) + ", " + u64s(t->offset) + " + " + u64s(t->bytes) +
                         ") lie outside the payload (" + u64s(payload_size) + " bytes)");
  }
  return Status::Ok();
}

}  // namespace

Status BlobReader::parse(const uint8_t* data, size_t size, BlobReader* out) {
  if (data == nullptr && size != 0) return Status::Error("blob buffer is null");
  const uint8_t* h = data;
  BlobReader r;
  r.data_ = data;
  r.size_ = size;
  uint32_t kind = 0;
  LW_RETURN_IF_ERROR(parse_header(h, size, &r.version_, &kind, &r.parts_, &r.arch_));
  r.kind_ = static_cast<BlobKind>(kind);
  Layout l;
  LW_RETURN_IF_ERROR(parse_layout(h, size, &l));
  // Checksums of the table and metadata before interpreting them.
  const uint8_t* table = data + l.table_offset;
  LW_RETURN_IF_ERROR(check_crc(h, kOffTableCrc, table, l.table_size, "tensor table"));
  LW_RETURN_IF_ERROR(check_crc(h, kOffMetaCrc, data + l.meta_offset, l.meta_size, "metadata"));
  LW_RETURN_IF_ERROR(parse_metadata(data + l.meta_offset, l.meta_size, &r.metadata_));
  // count <= 4096 and the table is inside the buffer, so this allocation is bounded by both.
  r.tensors_.reserve(l.count);
  uint64_t prev_end = 0;
  for (uint32_t i = 0; i < l.count; ++i) {
    TensorInfo t;
    LW_RETURN_IF_ERROR(parse_table_entry(table + static_cast<size_t>(i) * kBlobTableEntrySize, i, l.payload_size,
                                         prev_end, &t));
    prev_end = t.offset + t.bytes;
    if (!r.index_.emplace(t.name, r.tensors_.size()).second) {
      return Status::Error("tensor " + t.name + ": duplicate tensor name (entries " +
                           std::to_string(r.index_[t.name]) + " and " + std::to_string(i) + ")");
    }
    r.tensors_.push_back(std::move(t));
  }
  r.payload_ = data + l.payload_offset;
  LW_RETURN_IF_ERROR(check_crc(h, kOffPayloadCrc, r.payload_, l.payload_size, "payload"));
  *out = std::move(r);
  return Status::Ok();
}

const TensorInfo* BlobReader::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Status BlobReader::lookup(const std::string& name, const DType* allowed, int n_allowed,
                          const std::vector<uint32_t>& expected_shape, size_t dst_count,
                          const TensorInfo** info) const {
  const TensorInfo* t = find(name);
  if (t == nullptr) {
    return Status::Error("tensor " + name + " not found (the " + blob_kind_name(kind_) + " blob has " +
                         std::to_string(tensors_.size()) + " tensors)");
  }
  bool ok = false;
  std::string want;
  for (int i = 0; i < n_allowed; ++i) {
    ok = ok || t->dtype == allowed[i];
    want += (i ? " or " : "") + dtype_name(allowed[i]);
  }
  if (!ok) return Status::Error("tensor " + name + ": dtype " + want + " expected, found " + dtype_name(t->dtype));
  if (t->shape != expected_shape) {
    return Status::Error("tensor " + name + ": shape " + shape_string(expected_shape) + " expected, found " +
                         shape_string(t->shape));
  }
  if (t->count() != dst_count) {
    return Status::Error("tensor " + name + ": destination holds " + std::to_string(dst_count) +
                         " values, the tensor has " + u64s(t->count()));
  }
  *info = t;
  return Status::Ok();
}

namespace {

Status non_finite(const std::string& name, size_t index, float v) {
  return Status::Error("tensor " + name + ": non-finite value " + std::to_string(v) + " at element " +
                       std::to_string(index));
}

}  // namespace

Status BlobReader::read_f32(const std::string& name, const std::vector<uint32_t>& expected_shape, float* dst,
                            size_t dst_count, bool require_finite) const {
  static const DType kAllowed[] = {DType::kF32, DType::kF16, DType::kI8};
  const TensorInfo* t = nullptr;
  LW_RETURN_IF_ERROR(lookup(name, kAllowed, 3, expected_shape, dst_count, &t));
  const uint8_t* src = tensor_data(*t);
  const size_t n = dst_count;
  if (t->dtype == DType::kI8) {
    LW_RETURN_IF_ERROR(dequantize_i8(*t, dst));  // finite by construction: checked scales times bytes
  } else if (t->dtype == DType::kF32) {
    if (host_is_little_endian()) {
      if (n) std::memcpy(dst, src, n * sizeof(float));
    } else {
      for (size_t i = 0; i < n; ++i) dst[i] = f32_from_bits(load_u32(src + 4 * i));
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      dst[i] = f16_to_f32(static_cast<uint16_t>(src[2 * i] | src[2 * i + 1] << 8));
    }
  }
  if (require_finite && t->dtype != DType::kI8) {
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(dst[i])) return non_finite(name, i, dst[i]);
    }
  }
  return Status::Ok();
}

Status BlobReader::quant_scales(const TensorInfo& t, float* scales) const {
  if (t.shape.size() != 2) {
    return Status::Error("tensor " + t.name + ": an i8 tensor must be a matrix (rank 2), found shape " +
                         shape_string(t.shape));
  }
  const uint32_t rows = t.shape[0];
  const std::string scale_name = t.name + kQuantScaleSuffix;
  const TensorInfo* s = find(scale_name);
  if (s == nullptr) return Status::Error("tensor " + t.name + ": i8 storage needs the tensor " + scale_name + ", not found");
  if (s->dtype != DType::kF32 || s->shape != std::vector<uint32_t>{rows}) {
    return Status::Error("tensor " + scale_name + ": f32 [" + std::to_string(rows) + "] expected, found " +
                         dtype_name(s->dtype) + " " + shape_string(s->shape));
  }
  const uint8_t* bytes = tensor_data(*s);
  for (uint32_t r = 0; r < rows; ++r) {
    const float scale = f32_from_bits(load_u32(bytes + 4 * static_cast<size_t>(r)));
    if (!std::isfinite(scale) || scale < 0.0f || scale > kMaxQuantScale) {
      return Status::Error("tensor " + scale_name + ": scale " + std::to_string(scale) + " of row " +
                           std::to_string(r) + " is not a number in [0, 1e30]");
    }
    scales[r] = scale;
  }
  return Status::Ok();
}

Status BlobReader::dequantize_i8(const TensorInfo& t, float* dst) const {
  std::vector<float> scales(t.shape.size() == 2 ? t.shape[0] : 0);
  LW_RETURN_IF_ERROR(quant_scales(t, scales.data()));
  const uint32_t rows = t.shape[0], cols = t.shape[1];
  const auto* q = reinterpret_cast<const int8_t*>(tensor_data(t));
  for (uint32_t r = 0; r < rows; ++r) {
    const size_t base = static_cast<size_t>(r) * cols;
    for (uint32_t c = 0; c < cols; ++c) dst[base + c] = scales[r] * static_cast<float>(q[base + c]);
  }
  return Status::Ok();
}

Status BlobReader::lookup_shape(const std::string& name, const DType* allowed, int n_allowed,
                                const std::vector<uint32_t>& expected_shape, const TensorInfo** info) const {
  // An expected shape whose count overflows cannot match any parsed tensor,
  // so lookup() reports the shape mismatch before the count matters.
  uint64_t expected_count = 0;
  if (!shape_count(expected_shape, &expected_count)) expected_count = 0;
  return lookup(name, allowed, n_allowed, expected_shape, static_cast<size_t>(expected_count), info);
}

Status BlobReader::view_i8_matrix(const std::string& name, const std::vector<uint32_t>& expected_shape,
                                  const int8_t** q, std::vector<float>* scale) const {
  static const DType kAllowed[] = {DType::kI8};
  const TensorInfo* t = nullptr;
  LW_RETURN_IF_ERROR(lookup_shape(name, kAllowed, 1, expected_shape, &t));
  std::vector<float> scales(t->shape.size() == 2 ? t->shape[0] : 0);
  LW_RETURN_IF_ERROR(quant_scales(*t, scales.data()));
  *q = reinterpret_cast<const int8_t*>(tensor_data(*t));
  *scale = std::move(scales);
  return Status::Ok();
}

Status BlobReader::view_f32(const std::string& name, const std::vector<uint32_t>& expected_shape,
                            const float** out, std::vector<float>* scratch, bool require_finite) const {
  static const DType kAllowed[] = {DType::kF32, DType::kF16, DType::kI8};
  const TensorInfo* t = nullptr;
  LW_RETURN_IF_ERROR(lookup_shape(name, kAllowed, 3, expected_shape, &t));
  // count * element size <= buffer size, so it fits in size_t.
  const size_t n = static_cast<size_t>(t->count());
  const uint8_t* src = tensor_data(*t);
  if (t->dtype == DType::kF32 && host_is_little_endian() && reinterpret_cast<uintptr_t>(src) % 16 == 0) {
    const float* p = reinterpret_cast<const float*>(src);
    if (require_finite) {
      for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(p[i])) return non_finite(name, i, p[i]);
      }
    }
    *out = p;
    return Status::Ok();
  }
  scratch->resize(n);
  LW_RETURN_IF_ERROR(read_f32(name, expected_shape, scratch->data(), n, require_finite));
  *out = scratch->data();
  return Status::Ok();
}

template <typename T>
Status BlobReader::read_int(const std::string& name, DType dtype, const std::vector<uint32_t>& expected_shape,
                            T* dst, size_t dst_count) const {
  const TensorInfo* t = nullptr;
  LW_RETURN_IF_ERROR(lookup(name, &dtype, 1, expected_shape, dst_count, &t));
  const uint8_t* src = tensor_data(*t);
  if (host_is_little_endian()) {
    if (dst_count) std::memcpy(dst, src, dst_count * sizeof(T));
  } else {
    for (size_t i = 0; i < dst_count; ++i) {
      uint64_t v = 0;
      for (size_t b = 0; b < sizeof(T); ++b) v |= static_cast<uint64_t>(src[i * sizeof(T) + b]) << (8 * b);
      dst[i] = static_cast<T>(v);
    }
  }
  return Status::Ok();
}

Status BlobReader::read_u8(const std::string& name, const std::vector<uint32_t>& expected_shape, uint8_t* dst,
                           size_t dst_count) const {
  return read_int(name, DType::kU8, expected_shape, dst, dst_count);
}
Status BlobReader::read_i32(const std::string& name, const std::vector<uint32_t>& expected_shape, int32_t* dst,
                            size_t dst_count) const {
  return read_int(name, DType::kI32, expected_shape, dst, dst_count);
}
Status BlobReader::read_u32(const std::string& name, const std::vector<uint32_t>& expected_shape, uint32_t* dst,
                            size_t dst_count) const {
  return read_int(name, DType::kU32, expected_shape, dst, dst_count);
}
Status BlobReader::read_u64(const std::string& name, const std::vector<uint32_t>& expected_shape, uint64_t* dst,
                            size_t dst_count) const {
  return read_int(name, DType::kU64, expected_shape, dst, dst_count);
}

// ---- Writer -----------------------------------------------------------------

BlobWriter::BlobWriter(BlobKind kind, Architecture arch, uint32_t parts)
    : kind_(kind), arch_(std::move(arch)), parts_(parts) {}

Status BlobWriter::set_metadata(std::string json) {
  if (json.size() > kBlobMaxMetadataSize) {
    return Status::Error("metadata is " + std::to_string(json.size()) + " bytes, the limit is " +
                         std::to_string(kBlobMaxMetadataSize));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(json.data());
  const size_t bad = utf8_error_offset(p, json.size());
  if (bad != json.size()) return Status::Error("metadata is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  if (json.find('\0') != std::string::npos) return Status::Error("metadata contains a NUL byte");
  metadata_ = std::move(json);
  return Status::Ok();
}

Status BlobWriter::begin_tensor(const std::string& name, const std::vector<uint32_t>& shape, size_t count,
                                DType dtype, uint8_t** dst) {
  LW_RETURN_IF_ERROR(check_name_for_writer(name));
  const std::string where = "tensor " + name;
  if (index_.count(name)) return Status::Error(where + ": duplicate tensor name");
  if (tensors_.size() >= kBlobMaxTensors) {
    return Status::Error(where + ": a blob holds at most " + std::to_string(kBlobMaxTensors) + " tensors");
  }
  if (shape.size() > kBlobMaxRank) {
    return Status::Error(where + ": rank " + std::to_string(shape.size()) + " exceeds the maximum " +
                         std::to_string(kBlobMaxRank));
  }
  uint64_t n = 0;
  const uint64_t esize = dtype_size(dtype);
  if (!shape_count(shape, &n) || n > std::numeric_limits<uint64_t>::max() / esize) {
    return Status::Error(where + ": shape " + shape_string(shape) + " overflows 64 bits");
  }
  if (n != count) {
    return Status::Error(where + ": shape " + shape_string(shape) + " has " + u64s(n) + " elements, " +
                         std::to_string(count) + " given");
  }
  const uint64_t bytes = n * esize;
  const uint64_t offset = align_up(payload_.size());
  // The whole blob must fit in memory (size_t may be 32 bits in wasm).
  const uint64_t limit = std::numeric_limits<size_t>::max() / 2;
  if (bytes > limit || offset > limit - bytes) {
    return Status::Error(where + ": " + u64s(bytes) + " bytes do not fit in memory");
  }
  payload_.resize(static_cast<size_t>(offset + bytes), 0);
  TensorInfo t;
  t.name = name;
  t.dtype = dtype;
  t.shape = shape;
  t.offset = offset;
  t.bytes = bytes;
  index_.emplace(name, tensors_.size());
  tensors_.push_back(std::move(t));
  *dst = payload_.data() + offset;
  return Status::Ok();
}

Status BlobWriter::add_f32(const std::string& name, const std::vector<uint32_t>& shape, const float* data,
                           size_t count, DType storage) {
  if (storage == DType::kI8) return add_quantized_i8(name, shape, data, count);
  if (storage != DType::kF32 && storage != DType::kF16) {
    return Status::Error("tensor " + name + ": float storage must be f32, f16 or i8, not " + dtype_name(storage));
  }
  if (storage == DType::kF16) {
    // Check the range before reserving anything, so a failed add leaves the
    // writer unchanged.
    for (size_t i = 0; i < count; ++i) {
      if (std::isfinite(data[i]) && std::isinf(f16_to_f32(f32_to_f16(data[i])))) {
        return Status::Error("tensor " + name + ": element " + std::to_string(i) + " (" + std::to_string(data[i]) +
                             ") is outside the f16 range (max 65504)");
      }
    }
  }
  uint8_t* dst = nullptr;
  LW_RETURN_IF_ERROR(begin_tensor(name, shape, count, storage, &dst));
  if (storage == DType::kF32) {
    for (size_t i = 0; i < count; ++i) store_u32(dst + 4 * i, f32_bits(data[i]));
  } else {
    for (size_t i = 0; i < count; ++i) {
      const uint16_t hv = f32_to_f16(data[i]);
      dst[2 * i] = static_cast<uint8_t>(hv);
      dst[2 * i + 1] = static_cast<uint8_t>(hv >> 8);
    }
  }
  return Status::Ok();
}

// Symmetric per-row quantisation: each row keeps its own scale, so a row of small weights does not
// lose its precision to the largest weight of the matrix.
Status BlobWriter::add_quantized_i8(const std::string& name, const std::vector<uint32_t>& shape, const float* data,
                                    size_t count) {
  const std::string where = "tensor " + name;
  if (shape.size() != 2) return Status::Error(where + ": i8 storage is for matrices (rank 2), not shape " + shape_string(shape));
  const std::string scale_name = name + kQuantScaleSuffix;
  // Check everything the two tensors need before reserving either, so a failed add leaves the writer unchanged.
  LW_RETURN_IF_ERROR(check_name_for_writer(scale_name));
  if (index_.count(scale_name)) return Status::Error("tensor " + scale_name + ": duplicate tensor name");
  if (tensors_.size() + 2 > kBlobMaxTensors) {
    return Status::Error(where + ": a blob holds at most " + std::to_string(kBlobMaxTensors) + " tensors");
  }
  uint64_t n = 0;
  if (!shape_count(shape, &n) || n != count) {
    return Status::Error(where + ": shape " + shape_string(shape) + " does not hold the " + std::to_string(count) +
                         " elements given");
  }
  const size_t rows = shape[0], cols = shape[1];
  std::vector<float> scales(rows, 0.0f);
  for (size_t r = 0; r < rows; ++r) {
    float max_abs = 0.0f;
    for (size_t c = 0; c < cols; ++c) {
      const float v = data[r * cols + c];
      if (!std::isfinite(v)) {
        return Status::Error(where + ": element " + std::to_string(r * cols + c) + " (" + std::to_string(v) +
                             ") is not finite; i8 storage needs finite values");
      }
      max_abs = std::max(max_abs, std::fabs(v));
    }
    scales[r] = max_abs / 127.0f;
    if (scales[r] > kMaxQuantScale) {
      return Status::Error(where + ": row " + std::to_string(r) + " holds " + std::to_string(max_abs) +
                           ", beyond what i8 storage scales (1e30 * 127)");
    }
  }
  uint8_t* dst = nullptr;
  LW_RETURN_IF_ERROR(begin_tensor(name, shape, count, DType::kI8, &dst));
  for (size_t r = 0; r < rows; ++r) {
    // Divide rather than multiply by 1/scale: a subnormal scale has no finite inverse.
    const float scale = scales[r];
    for (size_t c = 0; c < cols; ++c) {
      const float q = scale > 0.0f ? std::nearbyint(data[r * cols + c] / scale) : 0.0f;
      dst[r * cols + c] = static_cast<uint8_t>(static_cast<int8_t>(std::max(-127.0f, std::min(127.0f, q))));
    }
  }
  return add_f32(scale_name, {static_cast<uint32_t>(rows)}, scales.data(), rows, DType::kF32);
}

template <typename T>
Status BlobWriter::add_int(const std::string& name, const std::vector<uint32_t>& shape, const T* data, size_t count,
                           DType dtype) {
  uint8_t* dst = nullptr;
  LW_RETURN_IF_ERROR(begin_tensor(name, shape, count, dtype, &dst));
  for (size_t i = 0; i < count; ++i) {
    const uint64_t v = static_cast<uint64_t>(data[i]);  // i32: two's complement bits
    for (size_t b = 0; b < sizeof(T); ++b) dst[i * sizeof(T) + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  return Status::Ok();
}

Status BlobWriter::add_u8(const std::string& name, const std::vector<uint32_t>& shape, const uint8_t* data,
                          size_t count) {
  return add_int(name, shape, data, count, DType::kU8);
}
Status BlobWriter::add_i32(const std::string& name, const std::vector<uint32_t>& shape, const int32_t* data,
                           size_t count) {
  return add_int(name, shape, data, count, DType::kI32);
}
Status BlobWriter::add_u32(const std::string& name, const std::vector<uint32_t>& shape, const uint32_t* data,
                           size_t count) {
  return add_int(name, shape, data, count, DType::kU32);
}
Status BlobWriter::add_u64(const std::string& name, const std::vector<uint32_t>& shape, const uint64_t* data,
                           size_t count) {
  return add_int(name, shape, data, count, DType::kU64);
}

Status BlobWriter::finish(std::vector<uint8_t>* out) const {
  LW_RETURN_IF_ERROR(check_kind_parts(static_cast<uint32_t>(kind_), parts_));
  LW_RETURN_IF_ERROR(check_arch(arch_));
  const uint64_t table_offset = kBlobHeaderSize;
  const uint64_t table_size = tensors_.size() * kBlobTableEntrySize;
  const uint64_t meta_offset = table_offset + table_size;
  const uint64_t payload_offset = align_up(meta_offset + metadata_.size());
  const uint64_t payload_size = align_up(payload_.size());  // pad so the file size is a multiple of 64
  std::vector<uint8_t> b(static_cast<size_t>(payload_offset + payload_size), 0);

  uint8_t* e = b.data() + table_offset;
  for (const TensorInfo& t : tensors_) {
    std::memcpy(e + kEntName, t.name.data(), t.name.size());  // checked <= 63; rest stays zero
    store_u32(e + kEntDType, static_cast<uint32_t>(t.dtype));
    store_u32(e + kEntRank, static_cast<uint32_t>(t.shape.size()));
    for (size_t d = 0; d < t.shape.size(); ++d) store_u32(e + kEntShape + 4 * d, t.shape[d]);
    store_u64(e + kEntOffset, t.offset);
    store_u64(e + kEntBytes, t.bytes);
    e += kBlobTableEntrySize;
  }
  if (!metadata_.empty()) std::memcpy(b.data() + meta_offset, metadata_.data(), metadata_.size());
  if (!payload_.empty()) std::memcpy(b.data() + payload_offset, payload_.data(), payload_.size());

  uint8_t* h = b.data();
  std::memcpy(h + kOffMagic, kBlobMagic, sizeof kBlobMagic);
  store_u32(h + kOffVersion, arch_.format_version());
  store_u32(h + kOffHeaderSize, kBlobHeaderSize);
  store_u32(h + kOffKind, static_cast<uint32_t>(kind_));
  store_u32(h + kOffParts, parts_);
  store_u32(h + kOffInputDim, arch_.input_dim);
  store_u32(h + kOffLatent, arch_.latent);
  store_u32(h + kOffNumHidden, static_cast<uint32_t>(arch_.hidden.size()));
  for (size_t i = 0; i < arch_.hidden.size(); ++i) store_u32(h + kOffHidden + 4 * i, arch_.hidden[i]);
  store_u32(h + kOffHiddenAct, arch_.hidden_activation);
  if (arch_.format_version() >= 2) {
    store_u32(h + kOffNumConv, static_cast<uint32_t>(arch_.conv.size()));
    for (size_t i = 0; i < arch_.conv.size(); ++i) {
      const ArchConv& c = arch_.conv[i];
      const uint32_t fields[4] = {c.channels, c.kernel, c.stride, c.padding};
      for (size_t f = 0; f < 4; ++f) store_u32(h + kOffConv + 16 * i + 4 * f, fields[f]);
    }
    store_u32(h + kOffNumDecHidden, static_cast<uint32_t>(arch_.decoder_hidden.size()));
    for (size_t i = 0; i < arch_.decoder_hidden.size(); ++i) store_u32(h + kOffDecHidden + 4 * i, arch_.decoder_hidden[i]);
  }
  store_u32(h + kOffOutputAct, arch_.output_activation);
  store_u32(h + kOffTensorCount, static_cast<uint32_t>(tensors_.size()));
  store_u64(h + kOffTableOffset, table_offset);
  store_u64(h + kOffTableSize, table_size);
  store_u64(h + kOffMetaOffset, meta_offset);
  store_u64(h + kOffMetaSize, metadata_.size());
  store_u64(h + kOffPayloadOffset, payload_offset);
  store_u64(h + kOffPayloadSize, payload_size);
  store_u32(h + kOffTableCrc, crc32(h + table_offset, static_cast<size_t>(table_size)));
  store_u32(h + kOffMetaCrc, crc32(h + meta_offset, metadata_.size()));
  store_u32(h + kOffPayloadCrc, crc32(h + payload_offset, static_cast<size_t>(payload_size)));
  store_u32(h + kOffHeaderCrc, crc32(h, kOffHeaderCrc));
  *out = std::move(b);
  return Status::Ok();
}

}  // namespace lw
