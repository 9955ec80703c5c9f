#pragma once
// cli.ini settings turned into command-line arguments, the way ConfigArgParse
// does it for certbot: a setting becomes "--key=value" (or "--key" for a flag)
// inserted before the command line's own arguments, unless the command line (or
// a file of higher precedence) already sets that flag under any of its names.

#include "compat/cli_ini.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::compat {

/// What the program knows of one flag.
struct FlagInfo {
  std::string id;           // the same for every spelling of the flag, e.g. "--domains"
  bool takes_value = false; // false: a flag set by its presence
  bool takes_many = false;  // may be given several times (a cli.ini list sets it once per item)
  bool counts = false;      // a flag counted when repeated (-v): "verbose = 2" gives it twice
};

/// The id of certbot's -c/--config, which names a file and so cannot be set in one.
inline constexpr std::string_view k_config_flag = "--config";

/// Finds a flag by one spelling with its dashes ("--email", "-m"); nullopt when unknown.
using FlagLookup = std::function<std::optional<FlagInfo>(std::string_view name)>;

/// What the command line says before any file is read.
struct CommandLineScan {
  std::set<std::string> given;            // ids of the flags it sets
  std::optional<std::string> config_file; // the last value of the flag whose id is config_id
  std::string verb;                       // the first word that is not a flag or a flag's value
};

/// Reads args (argv without the program name) as the parser will: "--name=value",
/// "--name value", "-xVALUE", "-x value", clusters of short flags ("-nq"), all
/// up to "--". Unknown names are recorded as written and assumed to take no value.
CommandLineScan scan_command_line(const std::vector<std::string>& args, const FlagLookup& lookup,
                                  std::string_view config_id);

/// Which flags a file may not set.
struct ConfigArgsRules {
  std::set<std::string> refused; // ids a file cannot set (--config, --help): warned, ignored
  std::set<std::string> dropped; // ids silently ignored (certbot: renew ignores cli.ini domains)
};

/// certbot's rules for the command verb ("renew", "" when none): --config,
/// --help and --version are refused in a file, and renew drops a file's
/// domains (certbot #4096: they would rename every lineage).
ConfigArgsRules certbot_config_rules(std::string_view verb);

struct ConfigArgs {
  std::vector<std::string> args;     // to insert before the command line's own arguments
  std::vector<std::string> warnings; // one line each, "FILE:LINE: ..."
  /// Flag id -> "FILE:LINE: KEY" of the setting that gave it its arguments, so
  /// that a message about a flag the user never typed names where it was set.
  std::map<std::string, std::string> origins;
};

/// The largest count a file may give a count flag ("verbose = 2").
inline constexpr int k_max_flag_count = 10;

/// files holds each file's settings, lowest precedence first (certbot reads
/// /etc/letsencrypt/cli.ini, then the XDG one, then -c; a later file wins).
/// Within a file the last setting of a flag wins. given holds the ids set on the
/// command line, which beats every file. Flag values: true/yes/1 set it,
/// false/no/0 leave it unset (any case; on and off too, which ConfigArgParse
/// lacks); a count flag also takes a number of repetitions, 0 to
/// k_max_flag_count. Unknown keys are warnings.
/// Throws UsageError "FILE:LINE: ..." for a value the flag cannot take (a flag
/// with another word, a list for a single-valued flag, a valued flag left bare).
ConfigArgs config_file_args(const std::vector<std::vector<CliIniSetting>>& files,
                            const FlagLookup& lookup, const std::set<std::string>& given,
                            const ConfigArgsRules& rules);

/// certbot's default cli.ini files, lowest precedence first: the system file
/// (/etc/letsencrypt/cli.ini; system_cli_ini, $CERTSMITH_SYSTEM_CLI_INI, names
/// another for tests and packagers, and "" none), then
/// $XDG_CONFIG_HOME/letsencrypt/cli.ini (~/.config when XDG_CONFIG_HOME is
/// unset or empty). Null arguments are unset.
std::vector<std::filesystem::path>
default_cli_ini_files(const char* system_cli_ini, const char* xdg_config_home, const char* home);

/// A leading "~" or "~/" becomes home, as Python's os.path.expanduser (which
/// certbot applies to -c and to the default files); anything else is unchanged.
std::filesystem::path expand_user(std::string_view path, const char* home);

} // namespace certsmith::compat
