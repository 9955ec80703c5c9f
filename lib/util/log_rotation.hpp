#pragma once
// certbot's letsencrypt.log rotation: Python's RotatingFileHandler, which certbot
// rolls over at the start of every run (and again whenever the file would pass
// 1 MiB), keeping --max-log-backups older files: NAME.1 is the previous run.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::util {

/// certbot's maxBytes: a log about to pass this size is rolled over mid-run.
inline constexpr std::size_t k_log_rotate_bytes = 1024 * 1024;

struct LogRotation {
  bool rotated = false;              // false: nothing was moved (no backups, or lock held)
  std::vector<std::string> warnings; // one line per file that could not be moved
};

/// In the directory dir_fd: NAME.(N-1) -> NAME.N, ..., NAME.1 -> NAME.2, NAME ->
/// NAME.1, replacing what is there, for N = max_backups (0: nothing moves, the
/// log is appended to). Entries are renamed as they are: a symlink is moved as a
/// link, never followed; anything but a file or a link is left with a warning.
/// Never throws: a failed rename is a warning and the run goes on.
LogRotation rotate_log_files(int dir_fd, std::string_view name, int max_backups);

/// rotate_log_files while holding the directory's `.certbot.lock`, as certbot
/// locks its logs dir before it rotates: two runs never rotate at once. When
/// another process holds the lock nothing moves (that run's log stays in place;
/// this run will be refused by the tree lock and appends its lines).
LogRotation rotate_log_files_locked(int dir_fd, std::string_view name, int max_backups);

} // namespace certsmith::util
