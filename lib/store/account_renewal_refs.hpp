#pragma once
// Renewal confs name the account that renews them (`account = <id>` in
// [renewalparams]); when an account's id changes (key rollover), they follow.

#include "store/tree_paths.hpp"

#include <string>
#include <vector>

namespace certsmith::store {

/// Rewrite `account = old_id` to `account = new_id` in every renewal conf whose
/// [renewalparams] server is `server_url` (or names no server), each file
/// replaced atomically with its mode kept and every other byte unchanged.
/// Confs that cannot be read or parsed are skipped with a warning (they cannot
/// renew anyway). Returns the names of the lineages rewritten. Throws
/// StorageError when a conf that needs the change cannot be written.
std::vector<std::string> repoint_renewal_confs(const TreePaths& paths,
                                               const std::string& server_url,
                                               const std::string& old_id,
                                               const std::string& new_id);

} // namespace certsmith::store
