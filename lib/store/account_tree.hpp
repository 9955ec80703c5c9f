#pragma once
// Where account files may be read, written and removed (internal to store/):
// shared by account_store and account_delete.

#include "store/tree_paths.hpp"

#include <filesystem>

namespace certsmith::store {

/// A directory under accounts/ that is a symlink (certbot links ACME v2 server
/// directories to v1 ones) is followed only while it stays inside accounts/:
/// nothing there may make certsmith read, write or remove keys elsewhere.
/// `dir` need not exist yet (what does exist of it is resolved). Throws
/// StorageError naming `dir` and where it leads.
void require_inside_accounts(const TreePaths& paths, const std::filesystem::path& dir);

} // namespace certsmith::store
