#pragma once
// The one place certsmith asks the person at the terminal something.

#include "options.hpp"

#include <string_view>

namespace certsmith::cli {

/// Ask `question` as a yes/no question on the terminal and return the answer.
/// With -n the question is not asked and `non_interactive_answer` is returned
/// (certbot's default for that question). Without -n and without a terminal on
/// stdin, throws UsageError naming `flag_hint` (the flags that answer it).
bool confirm(const Options& options, std::string_view question, bool non_interactive_answer,
             std::string_view flag_hint);

} // namespace certsmith::cli
