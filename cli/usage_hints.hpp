#pragma once
// What turns a usage mistake into the next right command: examples at the end
// of each subcommand's --help, and "Did you mean ...?" for an unknown command
// or flag (the nearest by util::closest_match).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace certsmith::cli {

/// The --help footer of a subcommand: 1-3 example command lines, and where its flags are listed.
std::string help_footer(std::string_view command);

/// After CLI11 refused arguments it did not expect: one line for the first of them when
/// it is an unknown command (no command given yet) or an unknown long flag, with the
/// nearest of command_names or of app's flags when one is close; nullopt for anything
/// else (CLI11's own message then stands).
std::optional<std::string> unknown_argument_message(const CLI::App& app,
                                                    const std::vector<std::string>& command_names);

} // namespace certsmith::cli
