#include "compat/cli_ini.hpp"

namespace certsmith::compat {

std::vector<CliIniSetting> parse_cli_ini(std::string_view, const std::filesystem::path&) {
  return {}; // written by H1
}

} // namespace certsmith::compat
