#pragma once
// certbot's flags that certsmith accepts only to ignore or refuse, registered
// on the command line from lib/compat/certbot_flags's table and judged after
// parsing.

#include "options.hpp"

#include <CLI/CLI.hpp>

namespace certsmith::cli {

/// Register every ignored or refused certbot flag and subcommand on app,
/// hidden from --help, so that CLI11 parses them instead of calling them unknown.
void add_certbot_flags(CLI::App& app);

/// After parsing: throws UsageError for a refused flag or subcommand (or for
/// none: certbot's run), prints one warning per ignored flag given (not with
/// -q), and merges --webroot-map into the -w/-d pairs and the domains.
void apply_certbot_flags(const CLI::App& app, Options& options);

} // namespace certsmith::cli
