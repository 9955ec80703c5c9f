#pragma once
// Whether a lineage exists, asked without std::filesystem's throwing
// overloads: an unreadable tree (a non-root user against /etc/letsencrypt) is
// a StorageError naming the path, not an "internal error".

#include "store/tree_paths.hpp"

#include <string>

namespace certsmith::issuance {

/// Whether renewal/NAME.conf exists. `name` must already be a valid cert name
/// (store::validate_cert_name). Throws StorageError naming the path when the
/// answer cannot be known (EACCES, ELOOP, ...).
bool lineage_exists(const store::TreePaths& paths, const std::string& name);

} // namespace certsmith::issuance
