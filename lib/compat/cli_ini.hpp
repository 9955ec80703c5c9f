#pragma once
// certbot's cli.ini: the settings file ConfigArgParse reads for certbot, in its
// default dialect ("key = value", "key: value", "key value", "--key value", a
// bare "key" for a flag, "[a, b]" lists, '#'/';' comments, "[section]" lines
// ignored). Keys are long flag names without the leading dashes.
//
// The rules are those of ConfigArgParse's DefaultConfigFileParser (one regular
// expression per line), spelled out in cli_ini.cpp. Nothing in a value is
// expanded: "$(...)", "~" and "%" stay plain text.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::compat {

/// A cli.ini larger than this is refused (certbot's are a few lines).
inline constexpr std::size_t k_cli_ini_max_bytes = 1024 * 1024;
/// A line longer than this is refused.
inline constexpr std::size_t k_cli_ini_max_line = 64 * 1024;

struct CliIniSetting {
  std::string key;                 // "rsa-key-size": a leading "--" is removed
  std::vector<std::string> values; // one value, several for "[a, b]", none for a bare flag
  bool bare = false;               // "key" or "--key" alone: set the flag
  bool list = false;               // written as "[...]" (values may then hold 0..n items)
  std::filesystem::path file;      // where it was read, for messages
  int line = 0;                    // 1-based
};

/// The settings of one file's text, in order. Throws UsageError "FILE:LINE: ..."
/// for a line that is not a setting, a NUL byte or a line over k_cli_ini_max_line.
std::vector<CliIniSetting> parse_cli_ini(std::string_view text, const std::filesystem::path& file);

/// Reads and parses the file at path (symlinks followed: it is the user's own
/// file). Throws UsageError "cannot read cli.ini FILE: REASON" when it cannot be
/// opened or is not a regular file, and for a file over k_cli_ini_max_bytes.
std::vector<CliIniSetting> read_cli_ini(const std::filesystem::path& path);

} // namespace certsmith::compat
