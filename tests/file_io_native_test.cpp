// Tests of model/native/file_io.h: whole-file reads, atomic replacement and
// the fail-fast writability check. Write failures are provoked without
// needing a full disk: RLIMIT_FSIZE makes write() fail with EFBIG part way,
// and a path whose parent is a regular file fails at creation (chmod would
// not block root, which these tests may run as).
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/runtime/blob.h"
#include "model/native/file_io.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// A fresh directory under /tmp, removed with its contents at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/lw_file_io_test_XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7 + (i >> 8));
  return b;
}

// Independent of read_file: std::ifstream.
Bytes slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Lowers the file size limit for the current scope; SIGXFSZ is ignored so an
// oversized write() fails with EFBIG instead of killing the test binary.
struct FileSizeLimit {
  rlimit old{};
  void (*old_handler)(int) = nullptr;
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    old_handler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim = old;
    lim.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lim) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
  }
};

}  // namespace

TEST_CASE("write_file_atomic then read_file round-trips bytes", "[file_io]") {
  TempDir dir;
  const std::string path = dir.file("blob.bin");
  const Bytes first = pattern(100000, 1);
  REQUIRE(lw::write_file_atomic(path, first.data(), first.size()).ok());
  CHECK(slurp(path) == first);
  Bytes got;
  REQUIRE(lw::read_file(path, &got).ok());
  CHECK(got == first);
  // Overwrite with something shorter: no stale tail from the old file.
  const Bytes second = pattern(10, 9);
  REQUIRE(lw::write_file_atomic(path, second.data(), second.size()).ok());
  REQUIRE(lw::read_file(path, &got).ok());
  CHECK(got == second);
  // Empty files work both ways.
  REQUIRE(lw::write_file_atomic(path, nullptr, 0).ok());
  REQUIRE(lw::read_file(path, &got).ok());
  CHECK(got.empty());
  CHECK(dir.entries() == std::vector<std::string>{"blob.bin"});  // no temp files left
}

TEST_CASE("read_file reports missing files and directories", "[file_io]") {
  TempDir dir;
  Bytes got = {1, 2, 3};
  lw::Status s = lw::read_file(dir.file("missing.bin"), &got);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("cannot open " + dir.file("missing.bin")));
  CHECK_THAT(s.message(), Catch::Contains("No such file or directory"));
  CHECK(got == Bytes{1, 2, 3});  // untouched on error
  s = lw::read_file(dir.path, &got);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("is a directory"));
  // Files whose stat size is 0 but have content (procfs) are read fully.
  REQUIRE(lw::read_file("/proc/self/status", &got).ok());
  CHECK(got.size() > 100);
  CHECK(std::string(got.begin(), got.begin() + 5) == "Name:");
}

TEST_CASE("a failed write leaves the existing file intact", "[file_io]") {
  TempDir dir;
  const std::string path = dir.file("model.bin");
  const Bytes old_bytes = pattern(1000, 3);
  REQUIRE(lw::write_file_atomic(path, old_bytes.data(), old_bytes.size()).ok());

  SECTION("write fails part way (file size limit, like a full disk)") {
    const Bytes big = pattern(1 << 20, 5);
    lw::Status s;
    {
      FileSizeLimit limit(64 * 1024);
      s = lw::write_file_atomic(path, big.data(), big.size());
    }
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("cannot write " + path));
    CHECK_THAT(s.message(), Catch::Contains("File too large"));
    CHECK_THAT(s.message(), Catch::Contains("unchanged"));
  }
  SECTION("target is a directory") {
    const std::string sub = dir.file("sub");
    REQUIRE(fs::create_directory(sub));
    const lw::Status s = lw::write_file_atomic(sub, old_bytes.data(), old_bytes.size());
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("is a directory"));
    CHECK(fs::is_directory(sub));
    REQUIRE(fs::remove(sub));
  }
  SECTION("non-root: directory without write permission") {
    if (::geteuid() != 0) {
      fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
      const lw::Status s = lw::write_file_atomic(path, old_bytes.data(), 5);
      fs::permissions(dir.path, fs::perms::owner_all);
      REQUIRE_FALSE(s.ok());
      CHECK_THAT(s.message(), Catch::Contains("Permission denied"));
    }
  }
  CHECK(slurp(path) == old_bytes);
  CHECK(dir.entries() == std::vector<std::string>{"model.bin"});  // temp file removed
}

TEST_CASE("writes under a path whose parent is a file fail cleanly", "[file_io]") {
  TempDir dir;
  const std::string not_dir = dir.file("plain");
  const Bytes x = pattern(10, 0);
  REQUIRE(lw::write_file_atomic(not_dir, x.data(), x.size()).ok());
  const std::string path = not_dir + "/out.bin";
  lw::Status s = lw::write_file_atomic(path, x.data(), x.size());
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("cannot write " + path));
  CHECK_THAT(s.message(), Catch::Contains("Not a directory"));
  s = lw::check_writable(path);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("Not a directory"));
  CHECK(slurp(not_dir) == x);
}

TEST_CASE("check_writable accepts good paths and rejects bad ones without side effects", "[file_io]") {
  TempDir dir;
  REQUIRE(lw::check_writable(dir.file("new.bin")).ok());
  CHECK(dir.entries().empty());  // neither the target nor a temp file was created
  const Bytes x = pattern(7, 0);
  REQUIRE(lw::write_file_atomic(dir.file("old.bin"), x.data(), x.size()).ok());
  REQUIRE(lw::check_writable(dir.file("old.bin")).ok());
  CHECK(slurp(dir.file("old.bin")) == x);
  lw::Status s = lw::check_writable(dir.file("no/such/dir/out.bin"));
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("No such file or directory"));
  s = lw::check_writable(dir.path);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("is a directory"));
  s = lw::check_writable("");
  REQUIRE_FALSE(s.ok());
  CHECK(dir.entries() == std::vector<std::string>{"old.bin"});
}

TEST_CASE("a blob survives a trip through a file", "[file_io][blob]") {
  TempDir dir;
  lw::Architecture arch;
  arch.input_dim = 784;
  arch.latent = 16;
  arch.hidden = {512, 256};
  lw::BlobWriter w(lw::BlobKind::kModelWeights, arch, lw::kPartDecoder);
  std::vector<float> v(784 * 3);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.25f - 100.0f;
  REQUIRE(w.add_f32("dec.2.weight", {784, 3}, v.data(), v.size()).ok());
  Bytes b;
  REQUIRE(w.finish(&b).ok());
  const std::string path = dir.file("decoder.bin");
  REQUIRE(lw::write_file_atomic(path, b.data(), b.size()).ok());
  Bytes back;
  REQUIRE(lw::read_file(path, &back).ok());
  lw::BlobReader r;
  REQUIRE(lw::BlobReader::parse(std::move(back), &r).ok());
  std::vector<float> got(v.size());
  REQUIRE(r.read_f32("dec.2.weight", {784, 3}, got.data(), got.size()).ok());
  CHECK(got == v);
}
