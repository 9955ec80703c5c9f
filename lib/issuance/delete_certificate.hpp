#pragma once
// `delete`: a lineage's files go, and so does its entry in the expiry index.

#include "store/tree_paths.hpp"

#include <string>

namespace certsmith::issuance {

/// store::delete_lineage (same errors), then drop the lineage from the expiry
/// index; an index that cannot be saved is only logged (it is a cache, and an
/// entry for a missing lineage is never consulted). Callers hold the tree lock.
void delete_certificate(const store::TreePaths& paths, const std::string& name);

} // namespace certsmith::issuance
