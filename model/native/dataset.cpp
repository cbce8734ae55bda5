#include "model/native/dataset.h"

#include <zlib.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "model/native/file_io.h"

namespace lw {

const char* const kClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string resolve_data_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("FASHION_MNIST_DIR");
  if (env != nullptr && env[0] != '\0') return env;
  return "data/fashion-mnist";
}

Status gunzip(const std::vector<uint8_t>& compressed, size_t max_bytes, std::vector<uint8_t>* out) {
  out->clear();
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Error("zlib initialisation failed");
  zs.next_in = const_cast<Bytef*>(compressed.data());
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::vector<uint8_t> chunk(1 << 20);
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      const std::string why = rc == Z_BUF_ERROR ? "gzip stream truncated"
                                                : std::string("corrupt gzip data (") + (zs.msg ? zs.msg : "zlib error") + ")";
      inflateEnd(&zs);
      return Status::Error(why);
    }
    const size_t produced = chunk.size() - zs.avail_out;
    if (out->size() + produced > max_bytes) {
      inflateEnd(&zs);
      return Status::Error("decompressed data exceeds " + std::to_string(max_bytes) + " bytes");
    }
    out->insert(out->end(), chunk.begin(), chunk.begin() + static_cast<long>(produced));
    if (rc == Z_OK && produced == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return Status::Error("gzip stream truncated");
    }
  }
  inflateEnd(&zs);
  return Status::Ok();
}

bool is_gzip(const std::vector<uint8_t>& bytes) { return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b; }

namespace {

constexpr size_t kMaxIdxBytes = size_t(256) << 20;

// The IDX bytes of a file's contents: gunzipped if they are gzip'd (by the
// magic, whatever the name says), checked to hold the wanted IDX type, parsed.
// Errors carry no path (the callers add it).
Status decode_idx(const std::vector<uint8_t>& bytes, bool images, ImageSet* image_out,
                  std::vector<uint8_t>* label_out) {
  std::vector<uint8_t> gunzipped;
  if (is_gzip(bytes)) LW_RETURN_IF_ERROR(gunzip(bytes, kMaxIdxBytes, &gunzipped));
  const std::vector<uint8_t>& raw = is_gzip(bytes) ? gunzipped : bytes;
  const std::string kind = describe_idx(raw.data(), raw.size());
  const char* wanted = images ? "IDX images" : "IDX labels";
  if (kind != wanted) {
    return Status::Error(std::string(is_gzip(bytes) ? "gzip of " : "") + kind + ", expected " + wanted);
  }
  return images ? parse_idx_images(raw.data(), raw.size(), image_out)
                : parse_idx_labels(raw.data(), raw.size(), label_out);
}

Status load_idx(const std::string& path, bool images, ImageSet* image_out, std::vector<uint8_t>* label_out) {
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(read_file(path, &bytes));
  return decode_idx(bytes, images, image_out, label_out).with_context(path);
}

}  // namespace

Status load_idx_images(const std::string& path, ImageSet* out) { return load_idx(path, true, out, nullptr); }

Status load_idx_labels(const std::string& path, std::vector<uint8_t>* out) {
  return load_idx(path, false, nullptr, out);
}

namespace {

Status check_split(const std::string& name, const ImageSet& images, const std::vector<uint8_t>& labels) {
  if (images.rows != 28 || images.cols != 28) {
    return Status::Error(name + " images are " + std::to_string(images.rows) + "x" + std::to_string(images.cols) +
                         ", expected 28x28");
  }
  if (static_cast<size_t>(images.count) != labels.size()) {
    return Status::Error(name + ": " + std::to_string(images.count) + " images but " + std::to_string(labels.size()) +
                         " labels");
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 9) return Status::Error(name + " label " + std::to_string(i) + " is " + std::to_string(labels[i]) + ", expected 0-9");
  }
  return Status::Ok();
}

}  // namespace

namespace {

// One of the four files and the names it may have, in the order tried.
struct IdxFileSpec {
  const char* what;      // for messages
  const char* names[4];  // official name, with .gz, and the dotted form of some mirrors
  bool images;
};

const IdxFileSpec kIdxFiles[4] = {
    {"training images",
     {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte", "train-images.idx3-ubyte.gz"},
     true},
    {"training labels",
     {"train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz", "train-labels.idx1-ubyte", "train-labels.idx1-ubyte.gz"},
     false},
    {"test images",
     {"t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz", "t10k-images.idx3-ubyte", "t10k-images.idx3-ubyte.gz"},
     true},
    {"test labels",
     {"t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz", "t10k-labels.idx1-ubyte", "t10k-labels.idx1-ubyte.gz"},
     false},
};

// Tries each name of one file in dir; true once one parses. *report gets
// "what: name: what was found; ..." for the error message.
bool find_idx_file(const std::string& dir, const IdxFileSpec& spec, ImageSet* images, std::vector<uint8_t>* labels,
                   std::string* report) {
  std::vector<std::string> notes, missing;
  bool found = false;
  for (const char* name : spec.names) {
    const std::string path = dir + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT) {
        missing.push_back(name);
      } else {
        notes.push_back(std::string(name) + ": " + std::strerror(err));
      }
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      notes.push_back(std::string(name) + ": a folder");
      continue;
    }
    std::vector<uint8_t> bytes;
    const Status read = read_file(path, &bytes);
    Status s = read.ok() ? decode_idx(bytes, spec.images, images, labels) : read;
    if (s.ok()) {
      notes.push_back(std::string(name) + ": ok (" + (is_gzip(bytes) ? "gzip" : "plain") + ")");
      found = true;
      break;
    }
    notes.push_back(std::string(name) + ": " + s.message());
  }
  std::string line = std::string(spec.what) + ": ";
  for (size_t i = 0; i < notes.size(); ++i) line += (i ? ", " : "") + notes[i];
  if (!found && !missing.empty()) {
    line += notes.empty() ? "" : ", ";
    // "name[.gz]" when a name is missing with and without .gz.
    for (size_t i = 0; i < missing.size(); ++i) {
      const bool pair = i + 1 < missing.size() && missing[i + 1] == missing[i] + ".gz";
      line += (i ? ", " : "") + missing[i] + (pair ? "[.gz]" : "");
      if (pair) ++i;
    }
    line += ": missing";
  }
  *report += (report->empty() ? "" : "; ") + line;
  return found;
}

constexpr const char* kDataHint =
    " (the folder is --data, else $FASHION_MNIST_DIR, else data/fashion-mnist; it must hold the four Fashion-MNIST"
    " files, gzip'd or not; `npm run fetch-data` downloads them)";

}  // namespace

Status load_fashion_mnist(const std::string& dir, Dataset* out) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    const int err = errno;
    return Status::Error("Fashion-MNIST not found: " + dir + ": " + std::strerror(err) + kDataHint);
  }
  if (!S_ISDIR(st.st_mode)) return Status::Error("Fashion-MNIST not found: " + dir + " is not a folder" + kDataHint);
  ImageSet* images[4] = {&out->train_images, nullptr, &out->test_images, nullptr};
  std::vector<uint8_t>* labels[4] = {nullptr, &out->train_labels, nullptr, &out->test_labels};
  std::string report;
  bool all = true;
  for (int f = 0; f < 4; ++f) all = find_idx_file(dir, kIdxFiles[f], images[f], labels[f], &report) && all;
  if (!all) return Status::Error("Fashion-MNIST not found in " + dir + ": " + report + kDataHint);
  LW_RETURN_IF_ERROR(check_split("training set", out->train_images, out->train_labels));
  return check_split("test set", out->test_images, out->test_labels);
}

Status first_images(int n, const ImageSet& images, const std::string& flag, const std::string& what,
                    std::vector<int>* ids) {
  if (images.count < 1) return Status::Error("the dataset has no " + what);
  if (n < 1) return Status::Error(flag + " must be at least 1, got " + std::to_string(n));
  if (n > images.count) {
    return Status::Error(flag + " " + std::to_string(n) + " exceeds the " + std::to_string(images.count) + " " + what +
                         " in the dataset");
  }
  ids->resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) (*ids)[static_cast<size_t>(i)] = i;
  return Status::Ok();
}

}  // namespace lw
