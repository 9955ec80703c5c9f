#pragma once
// Python's idea of whitespace, which certbot's cli.ini (ConfigArgParse's
// str.strip() and regex \s) and its -d lists (add_domains' str.strip()) rely
// on: the ASCII spaces plus U+001C..U+001F and Unicode's White_Space
// characters such as U+00A0 NO-BREAK SPACE, here read from UTF-8 text.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::compat {

/// The length in bytes of the whitespace character starting at text[i]
/// (what Python's str.isspace() accepts), or 0 when there is none there.
std::size_t space_at(std::string_view text, std::size_t i);

/// text without leading and trailing whitespace, as Python's str.strip().
std::string_view python_strip(std::string_view text);

/// certbot's comma lists (-d, --ip-address): text split on ',' and each item
/// stripped; empty items are kept for the caller to refuse or skip.
std::vector<std::string> split_comma_list(std::string_view text);

} // namespace certsmith::compat
