#include "config_files.hpp"

#include "compat/cli_ini.hpp"
#include "compat/config_args.hpp"
#include "util/log.hpp"

#include <cstdlib>
#include <map>
#include <pwd.h>
#include <system_error>
#include <unistd.h>

namespace certsmith::cli {

namespace {

// Every spelling of every option of app ("--email", "-m") to what it is.
std::map<std::string, compat::FlagInfo, std::less<>> flags_of(const CLI::App& app) {
  std::map<std::string, compat::FlagInfo, std::less<>> flags;
  for (const CLI::Option* option : app.get_options()) {
    compat::FlagInfo info;
    info.id = !option->get_lnames().empty()   ? "--" + option->get_lnames().front()
              : !option->get_snames().empty() ? "-" + option->get_snames().front()
                                              : std::string();
    if (info.id.empty())
      continue;                                              // a positional
    info.takes_value = option->get_items_expected_max() > 0; // a flag expects none
    info.takes_many = option->get_items_expected_max() > 1;
    // CLI11 sums a flag bound to an integer (-v), and keeps all its occurrences.
    info.counts =
        !info.takes_value && option->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
    for (const auto& name : option->get_lnames())
      flags.emplace("--" + name, info);
    for (const auto& name : option->get_snames())
      flags.emplace("-" + name, info);
  }
  return flags;
}

const char* home_directory() {
  if (const char* home = std::getenv("HOME"); home && *home)
    return home;
  const passwd* entry = ::getpwuid(::getuid());
  return entry ? entry->pw_dir : nullptr;
}

// A default file that is not there is skipped; one that is there must be read.
bool is_present(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::exists(path, error);
}

} // namespace

std::vector<char*> MergedCommandLine::argv() {
  std::vector<char*> pointers;
  for (auto& argument : arguments)
    pointers.push_back(argument.data());
  pointers.push_back(nullptr);
  return pointers;
}

MergedCommandLine merge_config_files(const CLI::App& app, int argc, char** argv) {
  MergedCommandLine merged;
  std::vector<std::string> user_args(argv + std::min(argc, 1), argv + argc);
  merged.arguments.push_back(argc > 0 ? argv[0] : "certsmith");

  auto flags = flags_of(app);
  compat::FlagLookup lookup = [&flags](std::string_view name) -> std::optional<compat::FlagInfo> {
    auto found = flags.find(name);
    return found == flags.end() ? std::nullopt : std::optional(found->second);
  };
  compat::CommandLineScan scan =
      compat::scan_command_line(user_args, lookup, compat::k_config_flag);

  if (!scan.given.contains("--help") && !scan.given.contains("--version")) {
    const char* home = home_directory();
    std::vector<std::vector<compat::CliIniSetting>> files;
    for (const auto& path : compat::default_cli_ini_files(std::getenv("CERTSMITH_SYSTEM_CLI_INI"),
                                                          std::getenv("XDG_CONFIG_HOME"), home))
      if (is_present(path))
        files.push_back(compat::read_cli_ini(path));
    if (scan.config_file)
      files.push_back(compat::read_cli_ini(compat::expand_user(*scan.config_file, home)));

    compat::ConfigArgs config = compat::config_file_args(files, lookup, scan.given,
                                                         compat::certbot_config_rules(scan.verb));
    merged.arguments.insert(merged.arguments.end(), config.args.begin(), config.args.end());
    merged.warnings = std::move(config.warnings);
    merged.origins = std::move(config.origins);
  }
  merged.arguments.insert(merged.arguments.end(), user_args.begin(), user_args.end());
  return merged;
}

void report_config_warnings(const MergedCommandLine& command_line) {
  for (const auto& warning : command_line.warnings)
    util::log_warning("{}", warning);
}

} // namespace certsmith::cli
