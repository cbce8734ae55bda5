// POSIX implementation of file_io.h. Uses raw file descriptors (not stdio)
// because atomic replacement needs fsync on both the file and its directory,
// and every error must be reported with errno rather than lost in a buffer.
#include "model/native/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lw {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Not retried on EINTR: on Linux the descriptor is released even then, and a
// retry could close a descriptor another thread just opened.
int close_fd(int fd) { return ::close(fd); }

std::string temp_path_for(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Opens `path` for a new temporary file; fails if it exists (O_EXCL), so a
// stale or foreign file with that name is never clobbered or followed.
Status create_temp(const std::string& path, const std::string& tmp, int* fd) {
  if (path.empty()) return Status::Error("output path is empty");
  if (path.back() == '/') return Status::Error(path + " is a directory path, expected a file path");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Error(path + " is a directory");
  // A temp file left by a crashed run of a process with our pid is stale.
  ::unlink(tmp.c_str());
  do {
    *fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  } while (*fd < 0 && errno == EINTR);
  if (*fd < 0) {
    const int err = errno;
    return Status::Error("cannot write " + path + ": cannot create " + tmp + ": " + errno_text(err));
  }
  return Status::Ok();
}

}  // namespace

Status read_file(const std::string& path, std::vector<uint8_t>* out) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    return Status::Error("cannot open " + path + ": " + errno_text(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    close_fd(fd);
    return Status::Error("cannot stat " + path + ": " + errno_text(err));
  }
  if (S_ISDIR(st.st_mode)) {
    close_fd(fd);
    return Status::Error("cannot read " + path + ": it is a directory");
  }
  std::vector<uint8_t> bytes;
  // st_size is a hint only (0 for /proc files, stale if the file grows).
  if (S_ISREG(st.st_mode) && st.st_size > 0) bytes.reserve(static_cast<size_t>(st.st_size));
  size_t used = 0;
  for (;;) {
    if (bytes.size() - used < 65536) bytes.resize(used + std::max<size_t>(65536, used / 2));
    const ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close_fd(fd);
      return Status::Error("read error on " + path + " after " + std::to_string(used) + " bytes: " + errno_text(err));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  close_fd(fd);
  bytes.resize(used);
  *out = std::move(bytes);
  return Status::Ok();
}

Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size) {
  const std::string tmp = temp_path_for(path);
  int fd = -1;
  LW_RETURN_IF_ERROR(create_temp(path, tmp, &fd));
  // Any failure from here on: close, remove the temp file, report one message.
  auto fail = [&](const std::string& what, int err) {
    if (fd >= 0) close_fd(fd);
    ::unlink(tmp.c_str());
    return Status::Error("cannot write " + path + ": " + what + ": " + errno_text(err) +
                         " (the existing file, if any, is unchanged)");
  };
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write failed after " + std::to_string(done) + " of " + std::to_string(size) + " bytes", errno);
    }
    if (n == 0) return fail("write made no progress", EIO);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync failed", errno);
  const int close_result = close_fd(fd);
  const int close_err = errno;
  fd = -1;
  if (close_result != 0) return fail("close failed", close_err);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename of " + tmp + " failed", errno);

  // The rename is only durable once the directory entry is on disk.
  const std::string dir = parent_dir(path);
  int dfd;
  do {
    dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (dfd < 0 && errno == EINTR);
  if (dfd < 0) {
    const int err = errno;
    return Status::Error("wrote " + path + " but cannot open its directory " + dir + " to sync it: " +
                         errno_text(err));
  }
  // Some file systems do not support fsync on directories (EINVAL); the
  // rename has still happened, so that is not an error.
  if (::fsync(dfd) != 0 && errno != EINVAL && errno != ENOTSUP) {
    const int err = errno;
    close_fd(dfd);
    return Status::Error("wrote " + path + " but fsync of its directory " + dir + " failed: " + errno_text(err));
  }
  close_fd(dfd);
  return Status::Ok();
}

namespace {

// Why `dir` cannot serve as a folder, or "" if it is one (or does not exist).
std::string not_a_folder(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return "";
  return dir + " is a file, not a folder";
}

}  // namespace

Status prepare_output_dir(const std::string& dir_arg) {
  if (dir_arg.empty()) return Status::Error("output folder path is empty");
  std::string dir = dir_arg;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  // Create each missing component from the root down (mkdir -p), so an
  // error can name the component that failed.
  for (size_t end = dir.find('/', 1);; end = dir.find('/', end + 1)) {
    const std::string part = end == std::string::npos ? dir : dir.substr(0, end);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      const int err = errno;
      const std::string why = not_a_folder(part);
      return Status::Error("cannot create output folder " + dir_arg + ": " +
                           (why.empty() ? "cannot create " + part + ": " + errno_text(err) : why));
    }
    const std::string why = not_a_folder(part);
    if (!why.empty()) return Status::Error("cannot create output folder " + dir_arg + ": " + why);
    if (end == std::string::npos) break;
  }
  // A probe file shows the folder takes new files (permissions, read-only
  // file systems); O_EXCL so nothing existing is touched.
  const std::string probe = dir + "/.lw-write-probe." + std::to_string(::getpid());
  ::unlink(probe.c_str());
  int fd;
  do {
    fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    return Status::Error("cannot write into output folder " + dir_arg + ": " + errno_text(err));
  }
  close_fd(fd);
  ::unlink(probe.c_str());
  return Status::Ok();
}

Status prepare_output_file(const std::string& path) {
  if (path.empty()) return Status::Error("output path is empty");
  LW_RETURN_IF_ERROR(prepare_output_dir(parent_dir(path)));
  return check_writable(path);
}

Status check_writable(const std::string& path) {
  const std::string tmp = temp_path_for(path);
  int fd = -1;
  LW_RETURN_IF_ERROR(create_temp(path, tmp, &fd));
  close_fd(fd);
  ::unlink(tmp.c_str());
  return Status::Ok();
}

}  // namespace lw
