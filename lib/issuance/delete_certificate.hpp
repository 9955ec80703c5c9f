#pragma once
// `delete`: a lineage's files go (or, by default, its current certificate is
// kept for reuse first: store/kept_lineage.hpp), and so does its entry in the
// expiry index.

#include "store/tree_paths.hpp"

#include <string>

namespace certsmith::issuance {

/// What delete does with the lineage's current certificate and key.
enum class DeleteMode {
  purge, // certbot's delete (and --purge, and revoke --delete-after-revoke): all gone
  keep,  // kept under CONFIG_DIR/certsmith/kept/NAME for a later certonly of the same names
};

/// store::delete_lineage, or store::keep_lineage for DeleteMode::keep (same
/// errors, plus KeptDirUnsafe), then drop the lineage from the expiry index;
/// an index that cannot be saved is only logged (it is a cache, and an entry
/// for a missing lineage is never consulted). A lineage with nothing worth
/// keeping (a conf that cannot be read, a fallback placeholder live, no complete
/// version) is deleted as with purge, with an info line. Returns whether
/// something was kept. Callers hold the tree lock.
bool delete_certificate(const store::TreePaths& paths, const std::string& name,
                        DeleteMode mode = DeleteMode::purge);

} // namespace certsmith::issuance
