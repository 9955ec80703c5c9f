#pragma once
// One run at a time per tree: the `.certbot.lock` files certbot takes in the
// logs, config and work dirs, taken the same way (an exclusive, non-blocking
// fcntl write lock over the whole file), so certsmith and certbot exclude each
// other. We use open-file-description locks (F_OFD_SETLK): they conflict with
// certbot's lockf() locks, and unlike per-process locks they also make a second
// TreeLock in the same process fail and survive an unrelated close() of the file.

#include "store/tree_paths.hpp"

#include <filesystem>
#include <vector>

namespace certsmith::store {

class TreeLock {
public:
  /// The lock file certbot uses in `dir`: dir/.certbot.lock.
  static std::filesystem::path lock_file(const std::filesystem::path& dir);

  /// In certbot's order, create each of logs_dir (0700), config_dir (0755) and
  /// work_dir (0755) if missing (with missing parents, exact modes) and lock its
  /// `.certbot.lock` (created 0600, never through a symlink). A directory named
  /// twice is locked once. Throws StorageError "another instance of certsmith or
  /// certbot is already running (lock held on PATH)" when a lock is held
  /// elsewhere, or a one-line StorageError for I/O; locks already taken are released.
  static TreeLock acquire(const TreePaths& paths);

  TreeLock(TreeLock&& other) noexcept;
  TreeLock& operator=(TreeLock&& other) noexcept;
  TreeLock(const TreeLock&) = delete;
  TreeLock& operator=(const TreeLock&) = delete;
  /// release().
  ~TreeLock();

  /// As certbot does: remove each lock file, then close it (which drops the
  /// lock), in reverse order. Idempotent; never throws.
  void release() noexcept;

  /// The lock files held, in the order they were taken (empty once released).
  std::vector<std::filesystem::path> files() const;

private:
  struct Held {
    std::filesystem::path path;
    int fd = -1;
  };

  TreeLock() = default;

  std::vector<Held> m_held;
};

} // namespace certsmith::store
