#pragma once
// RFC 8288 Link header values, as RFC 8555 uses them (rel="alternate",
// rel="up", rel="index"): parsed by their grammar, not by string search, so
// that several links joined by commas in one header line, spaces around ';'
// and '=', and quoted or bare rel lists all read the same.

#include <string>
#include <string_view>
#include <vector>

namespace certsmith::acme {

struct Link {
  std::string target;            // the URI reference between < and >, unresolved
  std::vector<std::string> rels; // lower-case relation types of the rel parameter
};

/// Every well-formed link-value of one header line; malformed ones (no <...>,
/// an unterminated quote) are skipped, never guessed at.
std::vector<Link> parse_link_header(std::string_view value);

/// Targets of the links among `header_values` whose rel includes `rel`.
std::vector<std::string> link_targets(const std::vector<std::string>& header_values,
                                      std::string_view rel);

} // namespace certsmith::acme
