#pragma once
// certbot's --webroot-map: a JSON object from comma-separated names to a
// document root, '{"example.com,www.example.com": "/var/www/example"}',
// merged with -w/-d and taking precedence over them.

#include "issuance/webroot_map.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certsmith::issuance {

/// (normalized domain, absolute document root) for each name of the object,
/// in the object's order. Throws UsageError with one line for anything else:
/// text over 64 KiB, not JSON, not a flat object, a value that is not a
/// non-empty path without control characters, an empty or invalid name.
std::vector<std::pair<std::string, std::string>> parse_webroot_map_json(std::string_view json);

/// flags (-w/-d in command-line order) with entries merged in: every domain
/// right after its own -w, entries first, so build_webroot_map gives the
/// entries' roots precedence and still pairs the other -d with their -w as
/// before (a -d with no -w at all is still refused there). A name the entries
/// hold twice keeps its first place and its last root, as certbot's
/// dict.update leaves it.
std::vector<DomainOrWebroot>
merge_webroot_map(const std::vector<DomainOrWebroot>& flags,
                  const std::vector<std::pair<std::string, std::string>>& entries);

/// certbot's --webroot-map on a command line: json read by
/// parse_webroot_map_json and merged into order by merge_webroot_map, and each
/// of its names appended to domains unless already there (compared normalized),
/// as certbot's map implies -d for each name. Throws UsageError as those do.
void apply_webroot_map_json(std::string_view json, std::vector<DomainOrWebroot>& order,
                            std::vector<std::string>& domains);

} // namespace certsmith::issuance
