#include "util/log_rotation.hpp"

#include "util/file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::util {

namespace {

constexpr const char* k_lock_name = ".certbot.lock";
constexpr int k_lock_attempts = 8;

enum class Entry { missing, movable, other };

Entry entry_at(int dir_fd, const std::string& name) {
  struct stat info {};
  if (::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
    return Entry::missing;
  return S_ISREG(info.st_mode) || S_ISLNK(info.st_mode) ? Entry::movable : Entry::other;
}

void move(int dir_fd, const std::string& from, const std::string& to, LogRotation& result) {
  switch (entry_at(dir_fd, from)) {
  case Entry::missing:
    return;
  case Entry::other:
    result.warnings.push_back(fmt::format("log rotation: {} is not a file; left in place", from));
    return;
  case Entry::movable:
    break;
  }
  // renameat replaces `to` in one step (Python removes it first, then renames).
  if (::renameat(dir_fd, from.c_str(), dir_fd, to.c_str()) != 0)
    result.warnings.push_back(
        fmt::format("log rotation: cannot rename {} to {}: {}", from, to, std::strerror(errno)));
}

// certbot's lock protocol (lockf on the file, then check that the path still
// names the file locked); -1 with held set when another process has it.
int lock_directory(int dir_fd, bool& held, LogRotation& result) {
  int last_error = 0;
  for (int attempt = 0; attempt < k_lock_attempts; ++attempt) {
    int fd =
        ::openat(dir_fd, k_lock_name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
      last_error = errno;
      break;
    }
    if (int status = try_write_lock(fd); status != 0) {
      last_error = status;
      ::close(fd);
      held = last_error == EAGAIN || last_error == EACCES;
      if (!held)
        break;
      return -1;
    }
    struct stat at_path {};
    struct stat locked {};
    if (::fstatat(dir_fd, k_lock_name, &at_path, AT_SYMLINK_NOFOLLOW) == 0 &&
        ::fstat(fd, &locked) == 0 && at_path.st_dev == locked.st_dev &&
        at_path.st_ino == locked.st_ino)
      return fd;
    last_error = EAGAIN;
    ::close(fd); // its holder removed it between our open and our lock: again
  }
  result.warnings.push_back(fmt::format("log rotation skipped: cannot lock {} ({})", k_lock_name,
                                        std::strerror(last_error)));
  return -1;
}

} // namespace

LogRotation rotate_log_files(int dir_fd, std::string_view name, int max_backups) {
  LogRotation result;
  if (max_backups <= 0)
    return result;
  std::string base(name);
  for (int i = max_backups - 1; i >= 1; --i)
    move(dir_fd, fmt::format("{}.{}", base, i), fmt::format("{}.{}", base, i + 1), result);
  move(dir_fd, base, base + ".1", result);
  result.rotated = true;
  return result;
}

LogRotation rotate_log_files_locked(int dir_fd, std::string_view name, int max_backups) {
  if (max_backups <= 0)
    return {};
  LogRotation result;
  bool held = false;
  int lock_fd = lock_directory(dir_fd, held, result);
  if (lock_fd < 0)
    return result;
  LogRotation rotation = rotate_log_files(dir_fd, name, max_backups);
  // certbot's release order: remove the file, then close it (dropping the lock).
  ::unlinkat(dir_fd, k_lock_name, 0);
  ::close(lock_fd);
  return rotation;
}

} // namespace certsmith::util
