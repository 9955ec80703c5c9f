#pragma once
// Process-wide logging: everything goes to the log file (when one is open);
// the terminal sees only what the verbosity allows. Thread-safe.

#include "util/terminal.hpp"

#include <cstddef>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <string_view>

namespace certsmith::util {

enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3, quiet = 4 };

/// Messages at or above level reach stderr/stdout (info to stdout, the rest to stderr).
void set_terminal_level(LogLevel level);
LogLevel terminal_level();

/// Append every message, with a timestamp, to path (created 0600 with its dir 0700,
/// never through a symlink). With max_backups > 0 the logs are first rotated as
/// certbot rotates letsencrypt.log (util/log_rotation.hpp), under the dir's
/// .certbot.lock, and again mid-run before the file would pass 1 MiB; with 0 the
/// file is appended to (for logrotate). Rotation problems are logged warnings;
/// after a mid-run rotation that fails, the file grows for the rest of the run.
/// Throws StorageError when the file cannot be opened.
void open_log_file(const std::filesystem::path& path, int max_backups = 0);
void close_log_file();

/// From now until open_log_file, keep what is logged (the first
/// k_max_early_records messages) to write into the log file first thing, so
/// that what is said before the file may be opened (a cli.ini warning, before
/// the input is checked) is in the log too. Never opened: nothing is written.
void keep_early_records();
inline constexpr std::size_t k_max_early_records = 1000;

/// On the terminal, errors are red and warnings yellow where colour is on (util/terminal.hpp).
void log_message(LogLevel level, std::string_view message);
/// The same in tone on the terminal; the log file gets the plain text.
void log_message(LogLevel level, std::string_view message, Tone tone);

template <typename... Args> void log_debug(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::debug, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args> void log_info(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::info, fmt::format(format, std::forward<Args>(args)...));
}
/// An info line that reports something done (green where colour is on).
template <typename... Args> void log_success(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::info, fmt::format(format, std::forward<Args>(args)...), Tone::success);
}
template <typename... Args> void log_warning(fmt::format_string<Args...> format, Args&&... args) {
  log_message(LogLevel::warning, fmt::format(format, std::forward<Args>(args)...));
}

} // namespace certsmith::util
