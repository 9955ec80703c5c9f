#include "util/log.hpp"

#include "util/error.hpp"
#include "util/log_rotation.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace certsmith::util {

namespace {

std::atomic<LogLevel> g_terminal_level{LogLevel::info};
std::mutex g_mutex;
int g_log_fd = -1;
int g_dir_fd = -1;                        // the logs dir, for mid-run rotation
std::string g_log_name;                   // the log's name in it
int g_max_backups = 0;                    // 0: never rotate
std::size_t g_log_bytes = 0;              // the open log's size
bool g_roll_over_failed = false;          // a mid-run rotation failed: no other is tried this run
bool g_keep_early = false;                // keep_early_records() until open_log_file
std::vector<std::string> g_early_records; // timestamped, waiting for the log file

const char* level_name(LogLevel level) {
  switch (level) {
  case LogLevel::debug:
    return "DEBUG";
  case LogLevel::info:
    return "INFO";
  case LogLevel::warning:
    return "WARNING";
  default:
    return "ERROR";
  }
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0)
      return; // logging must never take the program down
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// certbot makes the logs dir 0700: logs name domains and accounts.
void make_missing_dirs_private(const std::filesystem::path& dir) {
  if (dir.empty() || std::filesystem::exists(dir))
    return;
  make_missing_dirs_private(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw StorageError(fmt::format("cannot create {}: {}", dir.string(), std::strerror(errno)));
}

// Opens name in dir_fd for appending, never through a symlink.
int open_in_dir(int dir_fd, const std::string& name, const std::filesystem::path& path) {
  int fd = ::openat(dir_fd, name.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0)
    throw StorageError(
        fmt::format("cannot open log file {}: {}", path.string(), std::strerror(errno)));
  return fd;
}

std::size_t size_of(int fd) {
  struct stat info {};
  return ::fstat(fd, &info) == 0 ? static_cast<std::size_t>(info.st_size) : 0;
}

std::string timestamped(LogLevel level, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} {} {}\n", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ms.count(),
                     level_name(level), message);
}

// certbot's handler also rolls over mid-run before the file passes 1 MiB. This
// run holds the tree lock by then, so no lock is taken here. A failure keeps
// the current file, and is not retried: a retry on every later record would
// fail again (the cause stays for the run) and fill the log with warnings.
void roll_over_locked() {
  LogRotation rotation = rotate_log_files(g_dir_fd, g_log_name, g_max_backups);
  int fd = ::openat(g_dir_fd, g_log_name.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  std::string notes;
  for (const auto& warning : rotation.warnings)
    notes += timestamped(LogLevel::warning, warning);
  if (fd >= 0) {
    ::close(g_log_fd);
    g_log_fd = fd;
    g_log_bytes = size_of(fd);
  }
  if (g_log_bytes > 0) { // still the full file: it was not moved aside
    g_roll_over_failed = true;
    notes += timestamped(LogLevel::warning,
                         fmt::format("log rotation failed: {} grows past {} bytes for the rest "
                                     "of this run",
                                     g_log_name, k_log_rotate_bytes));
  }
  write_all(g_log_fd, notes);
  g_log_bytes += notes.size();
}

void close_locked() {
  if (g_log_fd >= 0)
    ::close(g_log_fd);
  if (g_dir_fd >= 0)
    ::close(g_dir_fd);
  g_log_fd = g_dir_fd = -1;
}

} // namespace

void set_terminal_level(LogLevel level) {
  g_terminal_level = level;
}
LogLevel terminal_level() {
  return g_terminal_level;
}

void open_log_file(const std::filesystem::path& path, int max_backups) {
  std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  make_missing_dirs_private(dir);
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    throw StorageError(
        fmt::format("cannot open logs dir {}: {}", dir.string(), std::strerror(errno)));
  std::string name = path.filename().string();
  LogRotation rotation = rotate_log_files_locked(dir_fd, name, max_backups);
  int fd = -1;
  try {
    fd = open_in_dir(dir_fd, name, path);
  } catch (...) {
    ::close(dir_fd);
    throw;
  }
  {
    std::lock_guard lock(g_mutex);
    close_locked();
    g_log_fd = fd;
    g_dir_fd = dir_fd;
    g_log_name = name;
    g_max_backups = max_backups;
    g_log_bytes = size_of(fd);
    g_roll_over_failed = false;
    g_keep_early = false;
    for (const auto& record : g_early_records) {
      write_all(g_log_fd, record);
      g_log_bytes += record.size();
    }
    g_early_records.clear();
  }
  for (const auto& warning : rotation.warnings)
    log_message(LogLevel::warning, warning);
}

void close_log_file() {
  std::lock_guard lock(g_mutex);
  close_locked();
}

void keep_early_records() {
  std::lock_guard lock(g_mutex);
  g_keep_early = true;
}

void log_message(LogLevel level, std::string_view message) {
  Tone tone = level >= LogLevel::error     ? Tone::error
              : level == LogLevel::warning ? Tone::warning
                                           : Tone::plain;
  log_message(level, message, tone);
}

void log_message(LogLevel level, std::string_view message, Tone tone) {
  std::lock_guard lock(g_mutex);
  if (g_log_fd < 0 && g_keep_early && g_early_records.size() < k_max_early_records)
    g_early_records.push_back(timestamped(level, message));
  if (g_log_fd >= 0) {
    std::string record = timestamped(level, message);
    if (g_max_backups > 0 && !g_roll_over_failed && g_log_bytes > 0 &&
        g_log_bytes + record.size() >= k_log_rotate_bytes)
      roll_over_locked();
    write_all(g_log_fd, record);
    g_log_bytes += record.size();
  }
  if (level < g_terminal_level.load())
    return;
  write_terminal_line(level == LogLevel::info ? STDOUT_FILENO : STDERR_FILENO, message, tone);
}

} // namespace certsmith::util
