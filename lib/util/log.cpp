#include "util/log.hpp"

#include "util/error.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::util {

namespace {

std::atomic<LogLevel> g_terminal_level{LogLevel::info};
std::mutex g_mutex;
int g_log_fd = -1;

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

} // namespace

void set_terminal_level(LogLevel level) {
  g_terminal_level = level;
}
LogLevel terminal_level() {
  return g_terminal_level;
}

void open_log_file(const std::filesystem::path& path) {
  make_missing_dirs_private(path.parent_path());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    throw StorageError(
        fmt::format("cannot open log file {}: {}", path.string(), std::strerror(errno)));
  std::lock_guard lock(g_mutex);
  if (g_log_fd >= 0)
    ::close(g_log_fd);
  g_log_fd = fd;
}

void close_log_file() {
  std::lock_guard lock(g_mutex);
  if (g_log_fd >= 0)
    ::close(g_log_fd);
  g_log_fd = -1;
}

void log_message(LogLevel level, std::string_view message) {
  std::lock_guard lock(g_mutex);
  if (g_log_fd >= 0) {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    write_all(g_log_fd,
              fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} {} {}\n", utc.tm_year + 1900,
                          utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                          ms.count(), level_name(level), message));
  }
  if (level < g_terminal_level.load())
    return;
  std::string line(message);
  line += '\n';
  write_all(level == LogLevel::info ? STDOUT_FILENO : STDERR_FILENO, line);
}

} // namespace certsmith::util
