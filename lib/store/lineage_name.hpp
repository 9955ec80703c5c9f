#pragma once
// Certificate (lineage) names: the NAME in live/NAME, archive/NAME and
// renewal/NAME.conf. They become path components, so they are checked first.

#include "store/tree_paths.hpp"

#include <string>
#include <string_view>

namespace certsmith::store {

/// Throws UsageError unless `name` is safe as one path component: not empty,
/// not "." or "..", at most 215 bytes (so that NAME-0001.conf and its temp file
/// fit in 255), no '/', NUL or control characters, valid UTF-8, not starting
/// with '.' or '-', and not starting or ending with a space or tab.
void validate_cert_name(std::string_view name);

/// Certbot's rule for a new lineage's name: the first domain, with a leading
/// "*." removed; when renewal/NAME.conf, live/NAME or archive/NAME already
/// exists, NAME-0001, NAME-0002, ... Throws UsageError for an invalid name.
std::string choose_lineage_name(const TreePaths& paths, const std::string& first_domain);

} // namespace certsmith::store
