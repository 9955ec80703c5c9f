#include "compat/config_args.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <map>

namespace certsmith::compat {

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

UsageError setting_error(const CliIniSetting& setting, std::string_view what) {
  return UsageError(fmt::format("{}:{}: {}: {}", setting.file.string(), setting.line,
                                util::escape_untrusted(setting.key, 80), what));
}

// ConfigArgParse's words for a flag's value (on and off are certsmith's own
// leniency); nullopt for any other word.
std::optional<bool> flag_value(std::string_view word) {
  std::string lower = lowercase(word);
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1")
    return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0")
    return false;
  return std::nullopt;
}

// "verbose = 2": ConfigArgParse repeats a count flag int(value) times.
std::optional<int> count_value(std::string_view word) {
  if (word.empty() || word.size() > 2 || word.find_first_not_of("0123456789") != word.npos)
    return std::nullopt;
  int count = std::stoi(std::string(word));
  return count <= k_max_flag_count ? std::optional(count) : std::nullopt;
}

std::vector<std::string> flag_arguments(const CliIniSetting& setting, const FlagInfo& flag) {
  std::string name = "--" + setting.key;
  if (setting.bare)
    return {name};
  bool single = !setting.list && setting.values.size() == 1;
  if (std::optional<bool> on = single ? flag_value(setting.values[0]) : std::nullopt)
    return *on ? std::vector<std::string>{name} : std::vector<std::string>{};
  if (std::optional<int> count =
          single && flag.counts ? count_value(setting.values[0]) : std::nullopt)
    return std::vector<std::string>(static_cast<std::size_t>(*count), name);
  throw setting_error(
      setting, flag.counts
                   ? fmt::format("a count: expected 0 to {}, true or false", k_max_flag_count)
                   : "a flag: expected true, false, yes, no, on, off, 1 or 0");
}

std::vector<std::string> arguments_for(const CliIniSetting& setting, const FlagInfo& flag) {
  if (!flag.takes_value)
    return flag_arguments(setting, flag);
  std::string name = "--" + setting.key;
  if (setting.bare)
    throw setting_error(setting, "needs a value (KEY = VALUE)");
  if (setting.values.size() > 1 && !flag.takes_many)
    throw setting_error(setting, "takes one value, not a list");
  std::vector<std::string> args;
  for (const auto& value : setting.values)
    args.push_back(name + "=" + value); // one token: a value starting with '-' stays a value
  return args;
}

struct FileResult {
  std::vector<std::pair<FlagInfo, const CliIniSetting*>> settings; // the winner per flag
  std::vector<std::string> warnings;
};

// One file's settings: unknown keys warned, the last setting of each flag kept
// (at the place of the first, as ConfigArgParse's ordered dict keeps it).
FileResult settings_of_file(const std::vector<CliIniSetting>& file, const FlagLookup& lookup,
                            const ConfigArgsRules& rules) {
  FileResult result;
  std::map<std::string, std::size_t> index_of;
  for (const auto& setting : file) {
    std::optional<FlagInfo> flag;
    if (!setting.key.empty() && setting.key.front() != '-')
      flag = lookup("--" + setting.key);
    if (!flag) {
      result.warnings.push_back(fmt::format(
          "{}:{}: ignoring unknown setting '{}' (not a certsmith flag)", setting.file.string(),
          setting.line, util::escape_untrusted(setting.key, 80)));
      continue;
    }
    if (rules.refused.contains(flag->id)) {
      result.warnings.push_back(fmt::format("{}:{}: '{}' cannot be set in a cli.ini; ignored",
                                            setting.file.string(), setting.line, setting.key));
      continue;
    }
    if (rules.dropped.contains(flag->id))
      continue;
    auto [it, inserted] = index_of.emplace(flag->id, result.settings.size());
    if (inserted)
      result.settings.emplace_back(*flag, &setting);
    else
      result.settings[it->second].second = &setting;
  }
  return result;
}

} // namespace

CommandLineScan scan_command_line(const std::vector<std::string>& args, const FlagLookup& lookup,
                                  std::string_view config_id) {
  CommandLineScan scan;
  auto record = [&](std::string_view name, std::optional<std::string> value,
                    std::size_t& i) -> void {
    std::optional<FlagInfo> flag = lookup(name);
    if (!flag) {
      scan.given.insert(std::string(name));
      return;
    }
    scan.given.insert(flag->id);
    if (!flag->takes_value)
      return;
    if (!value && i + 1 < args.size())
      value = args[++i];
    if (flag->id == config_id && value)
      scan.config_file = *value;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--")
      break;
    if (arg.starts_with("--")) {
      auto equals = arg.find('=');
      std::optional<std::string> value;
      if (equals != std::string_view::npos)
        value = std::string(arg.substr(equals + 1));
      record(arg.substr(0, equals), value, i);
    } else if (arg.size() >= 2 && arg.front() == '-') {
      // "-nq": flags; "-dexample.com" or "-nd example.com": the first valued flag ends it.
      for (std::size_t k = 1; k < arg.size(); ++k) {
        std::string name = {'-', arg[k]};
        std::optional<FlagInfo> flag = lookup(name);
        if (flag && flag->takes_value) {
          std::optional<std::string> value;
          if (k + 1 < arg.size())
            value = std::string(arg.substr(k + 1));
          record(name, value, i);
          break;
        }
        record(name, std::nullopt, i);
      }
    } else if (scan.verb.empty()) {
      scan.verb = std::string(arg);
    }
  }
  return scan;
}

ConfigArgs config_file_args(const std::vector<std::vector<CliIniSetting>>& files,
                            const FlagLookup& lookup, const std::set<std::string>& given,
                            const ConfigArgsRules& rules) {
  std::vector<FileResult> results;
  for (const auto& file : files)
    results.push_back(settings_of_file(file, lookup, rules));

  // Highest precedence first: a flag set there (or on the command line) is
  // skipped in every file below it.
  ConfigArgs out;
  std::set<std::string> set_already = given;
  std::vector<std::vector<std::string>> args_per_file(results.size());
  for (std::size_t f = results.size(); f-- > 0;) {
    for (const auto& [flag, setting] : results[f].settings) {
      if (set_already.contains(flag.id))
        continue;
      auto args = arguments_for(*setting, flag);
      args_per_file[f].insert(args_per_file[f].end(), args.begin(), args.end());
      // As ConfigArgParse, which looks for the flag among the arguments so far:
      // "flag = false" adds none, so a lower file's "flag = true" still applies.
      if (!args.empty()) {
        set_already.insert(flag.id);
        out.origins[flag.id] = fmt::format("{}:{}: {}", setting->file.string(), setting->line,
                                           util::escape_untrusted(setting->key, 80));
      }
    }
  }

  for (std::size_t f = 0; f < results.size(); ++f) {
    out.args.insert(out.args.end(), args_per_file[f].begin(), args_per_file[f].end());
    out.warnings.insert(out.warnings.end(), results[f].warnings.begin(), results[f].warnings.end());
  }
  return out;
}

ConfigArgsRules certbot_config_rules(std::string_view verb) {
  ConfigArgsRules rules;
  rules.refused = {std::string(k_config_flag), "--help", "--version"};
  if (verb == "renew")
    rules.dropped.insert("--domains");
  return rules;
}

std::vector<std::filesystem::path>
default_cli_ini_files(const char* system_cli_ini, const char* xdg_config_home, const char* home) {
  std::vector<std::filesystem::path> files;
  if (!system_cli_ini)
    files.emplace_back("/etc/letsencrypt/cli.ini");
  else if (*system_cli_ini)
    files.emplace_back(system_cli_ini);
  std::filesystem::path user_dir = xdg_config_home && *xdg_config_home
                                       ? std::filesystem::path(xdg_config_home)
                                       : expand_user("~/.config", home);
  files.push_back(user_dir / "letsencrypt" / "cli.ini");
  return files;
}

std::filesystem::path expand_user(std::string_view path, const char* home) {
  if (!home || !*home || !(path == "~" || path.starts_with("~/")))
    return std::filesystem::path(path);
  std::string expanded(home);
  while (!expanded.empty() && expanded.back() == '/')
    expanded.pop_back();
  expanded += path.substr(1);
  return expanded.empty() ? std::filesystem::path("/") : std::filesystem::path(expanded);
}

} // namespace certsmith::compat
