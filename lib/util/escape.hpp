#pragma once
// Untrusted text (a CA's problem detail, a file's content) is escaped before it
// reaches a terminal or the log, so it cannot move the cursor or forge lines.

#include <string>
#include <string_view>

namespace certsmith::util {

/// Printable ASCII and valid UTF-8 pass; control bytes become \xNN, newline \n;
/// the result is cut to max_length bytes with "..." appended.
std::string escape_untrusted(std::string_view text, std::size_t max_length = 1024);

} // namespace certsmith::util
