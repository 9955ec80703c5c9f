#pragma once
// certbot's cli.ini files read into the command line: their settings become
// arguments placed before the user's own, so the command line wins, then -c
// FILE, then ~/.config/letsencrypt/cli.ini, then /etc/letsencrypt/cli.ini.

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

namespace certsmith::cli {

struct MergedCommandLine {
  std::vector<std::string> arguments; // the program name first, as argv
  std::vector<std::string> warnings;  // unknown keys, one line each
  /// Flag id ("--installer") -> "FILE:LINE: KEY" for each flag a file set.
  std::map<std::string, std::string> origins;

  int argc() const { return static_cast<int>(arguments.size()); }
  /// Pointers into arguments, for parsers that take argv (valid while this lives).
  std::vector<char*> argv();
};

/// The flags of app (every option must already be registered) tell which keys
/// exist, which take values and which the command line sets. With -h/--help or
/// --version no file is read. Throws UsageError for a missing -c file, an
/// unreadable default file, or a malformed line (naming FILE:LINE).
MergedCommandLine merge_config_files(const CLI::App& app, int argc, char** argv);

/// Logs the warnings of the merge (util::log_warning: the terminal now, the log
/// file once open_log_file runs after util::keep_early_records).
void report_config_warnings(const MergedCommandLine& command_line);

} // namespace certsmith::cli
