#include "harness/corpus_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace synfin::harness {
namespace {

namespace fs = std::filesystem;

absl::Status errno_error(const std::string& what, int err) {
  return absl::PermissionDeniedError(absl::StrCat(what, ": ", std::strerror(err)));
}

// Writes all of `bytes` to `fd`, retrying short writes.
bool write_all(int fd, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string content_name(std::span<const uint8_t> bytes) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a 64-bit offset basis
  for (uint8_t b : bytes) h = (h ^ b) * 1099511628211ULL;
  return absl::StrFormat("%016x", h);
}

absl::StatusOr<bool> write_corpus_file(const std::string& dir, const std::string& name,
                                       std::span<const uint8_t> bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": cannot create: ", ec.message()));
  const fs::path target = fs::path(dir) / name;
  if (fs::exists(target, ec)) return false;
  // mkstemp's unique name: two writers of the same input do not share a file.
  std::string tmp = (fs::path(dir) / ("." + name + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return errno_error(absl::StrCat(target.string(), ": cannot create a temporary file"), errno);
  int err = write_all(fd, bytes) ? 0 : errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    fs::remove(tmp, ec);
    return errno_error(absl::StrCat(target.string(), ": write failed"), err);
  }
  // mkstemp creates the file 0600; corpus files are ordinary files.
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                           fs::perms::others_read, ec);
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return absl::PermissionDeniedError(
        absl::StrCat(target.string(), ": cannot rename into place: ", ec.message()));
  }
  return true;
}

}  // namespace synfin::harness
