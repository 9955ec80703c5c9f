#include "store/tree_lock.hpp"

#include "store/atomic_file.hpp"
#include "util/error.hpp"
#include "util/file_lock.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace certsmith::store {

namespace {

constexpr mode_t k_lock_file_mode = 0600;
constexpr mode_t k_core_dir_mode = 0755; // certbot's CONFIG_DIRS_MODE, for config and work
constexpr mode_t k_logs_dir_mode = 0700;
// A holder that removes the file between our open() and our lock makes us retry;
// a bound keeps a hostile loop of such swaps from holding us forever.
constexpr int k_max_attempts = 64;

std::string reason(int error) {
  return std::strerror(error);
}

// certbot's _lock_success: the locked file must still be the one at `path`,
// or a holder removed it in between and we locked an orphan.
bool still_at_path(int fd, const std::filesystem::path& path) {
  struct stat at_path {};
  struct stat locked {};
  if (::stat(path.c_str(), &at_path) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    throw StorageError(
        fmt::format("{}: cannot inspect lock file ({})", path.string(), reason(errno)));
  }
  if (::fstat(fd, &locked) != 0) {
    throw StorageError(
        fmt::format("{}: cannot inspect lock file ({})", path.string(), reason(errno)));
  }
  return at_path.st_dev == locked.st_dev && at_path.st_ino == locked.st_ino;
}

int lock_one(const std::filesystem::path& path) {
  for (int attempt = 0; attempt < k_max_attempts; ++attempt) {
    // O_NOFOLLOW: a planted symlink must not make us create or lock a file elsewhere.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                    k_lock_file_mode);
    if (fd < 0) {
      throw StorageError(
          fmt::format("{}: cannot open lock file ({})", path.string(), reason(errno)));
    }
    int error = util::try_write_lock(fd);
    if (error != 0) {
      ::close(fd);
      if (error == EAGAIN || error == EACCES) {
        throw StorageError(fmt::format(
            "another instance of certsmith or certbot is already running (lock held on {})",
            path.string()));
      }
      throw StorageError(fmt::format("{}: cannot lock ({})", path.string(), reason(error)));
    }
    try {
      if (still_at_path(fd, path)) {
        return fd;
      }
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
  throw StorageError(fmt::format("{}: cannot lock (the file keeps being replaced)", path.string()));
}

} // namespace

std::filesystem::path TreeLock::lock_file(const std::filesystem::path& dir) {
  return dir / ".certbot.lock";
}

TreeLock TreeLock::acquire(const TreePaths& paths) {
  // certbot sets up the logs dir first (log.post_arg_parse_setup), then config and work.
  const std::pair<const std::filesystem::path*, mode_t> dirs[] = {
      {&paths.logs_dir, k_logs_dir_mode},
      {&paths.config_dir, k_core_dir_mode},
      {&paths.work_dir, k_core_dir_mode}};
  TreeLock lock;
  std::vector<std::pair<dev_t, ino_t>> locked_dirs;
  for (const auto& [dir, mode] : dirs) {
    make_private_dirs(*dir, mode);
    struct stat st {};
    if (::stat(dir->c_str(), &st) != 0) {
      throw StorageError(fmt::format("{}: cannot inspect ({})", dir->string(), reason(errno)));
    }
    // Two fds on one file would conflict with each other under OFD locks.
    std::pair<dev_t, ino_t> identity{st.st_dev, st.st_ino};
    if (std::find(locked_dirs.begin(), locked_dirs.end(), identity) != locked_dirs.end()) {
      continue;
    }
    auto path = lock_file(*dir);
    lock.m_held.push_back(Held{path, lock_one(path)});
    locked_dirs.push_back(identity);
  }
  return lock;
}

TreeLock::TreeLock(TreeLock&& other) noexcept : m_held(std::exchange(other.m_held, {})) {}

TreeLock& TreeLock::operator=(TreeLock&& other) noexcept {
  if (this != &other) {
    release();
    m_held = std::exchange(other.m_held, {});
  }
  return *this;
}

TreeLock::~TreeLock() {
  release();
}

void TreeLock::release() noexcept {
  // Remove before unlocking, as certbot does: otherwise a waiter could lock the
  // file we are about to remove while a third process creates a new one.
  for (auto it = m_held.rbegin(); it != m_held.rend(); ++it) {
    ::unlink(it->path.c_str());
    ::close(it->fd);
  }
  m_held.clear();
}

std::vector<std::filesystem::path> TreeLock::files() const {
  std::vector<std::filesystem::path> result;
  for (const auto& held : m_held) {
    result.push_back(held.path);
  }
  return result;
}

} // namespace certsmith::store
