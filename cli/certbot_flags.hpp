#pragma once
// certbot's flags that certsmith accepts only to ignore or refuse, registered
// on the command line from lib/compat/certbot_flags's table and judged after
// parsing.

#include "options.hpp"

#include <CLI/CLI.hpp>
#include <map>
#include <string>

namespace certsmith::cli {

/// Register every ignored or refused certbot flag and subcommand on app,
/// hidden from --help, so that CLI11 parses them instead of calling them unknown.
void add_certbot_flags(CLI::App& app);

/// After parsing: throws UsageError for a refused flag or subcommand (or for
/// none: certbot's run), logs one warning per ignored flag given, and merges
/// --webroot-map into the -w/-d pairs and the domains. origins (flag id ->
/// "FILE:LINE: KEY", from merge_config_files) names the flags a cli.ini set.
void apply_certbot_flags(const CLI::App& app, Options& options,
                         const std::map<std::string, std::string>& origins);

} // namespace certsmith::cli
