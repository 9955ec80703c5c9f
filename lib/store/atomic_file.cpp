#include "store/atomic_file.hpp"

#include "store/file_batch.hpp"
#include "util/error.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::store {

namespace {

std::string reason(int error) {
  return std::strerror(error);
}

class Fd {
public:
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  int get() const { return m_fd; }

private:
  int m_fd;
};

} // namespace

std::filesystem::path temp_sibling(const std::filesystem::path& path, std::string_view suffix) {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Keep the temp name within NAME_MAX (255) however long the target's name
  // is (certbot allows lineage names whose "<name>.conf" is 255 bytes): such a
  // target's name is shortened in its temp file, which then only stale_temps'
  // clean-up does not recognise.
  constexpr std::size_t k_name_max = 255;
  std::string tail = fmt::format(".{}.{:x}{:x}{:x}", suffix, ::getpid(), counter.fetch_add(1),
                                 rng() & 0xffffffffu);
  std::string target = path.filename().string();
  if (1 + target.size() + tail.size() > k_name_max)
    target.resize(k_name_max - 1 - tail.size());
  return path.parent_path() / ("." + target + tail);
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode,
                       std::optional<gid_t> group) {
  FileBatch batch;
  batch.stage(path, content, mode, group);
  batch.publish();
}

void make_private_dirs(const std::filesystem::path& dir, mode_t mode) {
  if (dir.empty()) {
    return;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      throw StorageError(fmt::format("{}: exists and is not a directory", dir.string()));
    }
    return;
  }
  // ENOTDIR: a parent is a file; the recursion below names it.
  if (errno != ENOENT && errno != ENOTDIR) {
    throw StorageError(fmt::format("{}: cannot inspect ({})", dir.string(), reason(errno)));
  }
  auto parent = dir.parent_path();
  if (parent != dir && !parent.empty()) {
    make_private_dirs(parent, mode);
  }
  if (::mkdir(dir.c_str(), mode) != 0) {
    if (errno == EEXIST) {
      // Lost a race with another creator: fine if it is a directory.
      if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return;
      }
    }
    throw StorageError(
        fmt::format("{}: cannot create directory ({})", dir.string(), reason(errno)));
  }
  // mkdir applied the umask; the tree's modes are part of its contract.
  if (::chmod(dir.c_str(), mode) != 0) {
    throw StorageError(fmt::format("{}: cannot set mode ({})", dir.string(), reason(errno)));
  }
}

std::string read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw_fd < 0) {
    if (errno == ENOENT) {
      throw StorageError(fmt::format("{}: no such file", path.string()));
    }
    throw StorageError(fmt::format("{}: cannot read ({})", path.string(), reason(errno)));
  }
  Fd fd(raw_fd);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw StorageError(fmt::format("{}: cannot read ({})", path.string(), reason(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    throw StorageError(fmt::format("{}: not a regular file", path.string()));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    throw StorageError(fmt::format("{}: larger than {} bytes", path.string(), max_bytes));
  }
  std::string content;
  char buffer[8192];
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw StorageError(fmt::format("{}: cannot read ({})", path.string(), reason(errno)));
    }
    if (got == 0) {
      break;
    }
    content.append(buffer, static_cast<std::size_t>(got));
    // The file may grow between fstat and read.
    if (content.size() > max_bytes) {
      throw StorageError(fmt::format("{}: larger than {} bytes", path.string(), max_bytes));
    }
  }
  return content;
}

void fsync_dir(const std::filesystem::path& dir) {
  int raw_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw_fd < 0) {
    throw StorageError(fmt::format("{}: cannot open directory ({})", dir.string(), reason(errno)));
  }
  Fd fd(raw_fd);
  if (::fsync(fd.get()) != 0 && errno != EINVAL) {
    throw StorageError(fmt::format("{}: cannot sync directory ({})", dir.string(), reason(errno)));
  }
}

} // namespace certsmith::store
