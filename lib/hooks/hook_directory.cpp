#include "hooks/hook_directory.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <system_error>
#include <unistd.h>

namespace certsmith::hooks {

namespace fs = std::filesystem;

namespace {

bool is_executable_file(const fs::path& path) {
  std::error_code ec;
  // Follows symlinks, as certbot's os.path.isfile + os.access do.
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view k_space = " \t\r\n";
  auto first = text.find_first_not_of(k_space);
  if (first == std::string_view::npos)
    return {};
  return text.substr(first, text.find_last_not_of(k_space) - first + 1);
}

} // namespace

std::vector<fs::path> list_directory_hooks(const fs::path& dir) {
  std::error_code ec;
  fs::path absolute_dir = fs::absolute(dir, ec);
  if (ec)
    absolute_dir = dir;
  if (!fs::exists(absolute_dir, ec)) {
    util::log_debug("hook directory {} does not exist",
                    util::escape_untrusted(absolute_dir.string()));
    return {};
  }
  fs::directory_iterator it(absolute_dir, ec);
  if (ec)
    throw StorageError(fmt::format("cannot list hook directory {}: {}",
                                   util::escape_untrusted(absolute_dir.string()), ec.message()));
  std::vector<fs::path> hooks;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    std::string name = path.filename().string();
    if (!name.empty() && name.back() == '~') {
      util::log_debug("skipping backup file {} in hook directory",
                      util::escape_untrusted(path.string()));
    } else if (!is_executable_file(path)) {
      util::log_debug("skipping {}: not an executable file", util::escape_untrusted(path.string()));
    } else {
      hooks.push_back(path);
    }
  }
  if (ec)
    throw StorageError(fmt::format("cannot list hook directory {}: {}",
                                   util::escape_untrusted(absolute_dir.string()), ec.message()));
  std::sort(hooks.begin(), hooks.end(),
            [](const fs::path& a, const fs::path& b) { return a.native() < b.native(); });
  return hooks;
}

bool command_names_file(std::string_view command, const fs::path& file) {
  if (command == file.native())
    return true;
  std::string_view word = trim(command);
  // Anything the shell would interpret (arguments, quotes, variables, globs)
  // makes it a different command, even when it starts with the same program.
  constexpr std::string_view k_shell_syntax = " \t\r\n'\"\\$`;&|<>()*?[]{}~#=!";
  if (word.empty() || word.find_first_of(k_shell_syntax) != std::string_view::npos ||
      word.find('/') == std::string_view::npos)
    return false;
  std::error_code ec;
  return fs::equivalent(fs::path(word), file, ec) && !ec;
}

} // namespace certsmith::hooks
