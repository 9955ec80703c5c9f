#pragma once
// certbot's cli.ini: the settings file ConfigArgParse reads for certbot, in its
// default dialect ("key = value", "key: value", "key value", "--key value", a
// bare "key" for a flag, "[a, b]" lists, '#'/';' comments, "[section]" lines
// ignored). Keys are long flag names without the leading dashes.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::compat {

struct CliIniSetting {
  std::string key;                 // "rsa-key-size", never with leading dashes
  std::vector<std::string> values; // one value, several for "[a, b]", none for a bare flag
  bool bare = false;               // "key" or "--key" alone: set the flag
  std::filesystem::path file;      // where it was read, for messages
  int line = 0;
};

/// The settings of one file's text, in order. Throws UsageError "FILE:LINE: ..."
/// for a line that is not a setting.
std::vector<CliIniSetting> parse_cli_ini(std::string_view text, const std::filesystem::path& file);

} // namespace certsmith::compat
