#pragma once
// Certificate (lineage) names: the NAME in live/NAME, archive/NAME and
// renewal/NAME.conf. They become path components, so they are checked first.

#include "store/tree_paths.hpp"

#include <string>
#include <string_view>

namespace certsmith::store {

/// Throws UsageError unless `name` is safe as one path component naming a
/// lineage, new or existing (certbot's too): not empty, not "." or "..", at most
/// 250 bytes (so that renewal/NAME.conf fits in 255), no '/', NUL or control
/// characters, valid UTF-8, not starting with '.' or '-', and not starting or
/// ending with a space or tab.
void validate_cert_name(std::string_view name);

/// validate_cert_name, and at most 220 bytes: the name of a lineage about to be
/// created, so that each of its files, the conf's temp file
/// ".NAME.conf.tmp.<hex>" the longest, fits in 255. Throws UsageError.
void validate_new_cert_name(std::string_view name);

/// Certbot's rule for a new lineage's name: the first domain, with a leading
/// "*." removed; when renewal/NAME.conf, live/NAME or archive/NAME already
/// exists, NAME-0001, NAME-0002, ... A first domain longer than 215 bytes
/// (certbot would fail on it) is cut to its first 206 bytes plus '-' and 8 hex
/// digits of its SHA-256, so the name and its "-NNNN" fit validate_new_cert_name.
/// Throws UsageError for an invalid name.
std::string choose_lineage_name(const TreePaths& paths, const std::string& first_domain);

} // namespace certsmith::store
