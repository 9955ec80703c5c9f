#pragma once
// certbot's `delete`: remove every file of one lineage. Callers hold the tree
// lock (tree_lock.hpp).

#include "store/tree_paths.hpp"
#include "util/error.hpp"

#include <string>

namespace certsmith::store {

/// No renewal conf for the name (certbot's "No certificate found with name X").
class LineageNotFound : public Error {
public:
  using Error::Error;
};

/// Throws UsageError for an invalid name and LineageNotFound ("No certificate
/// found with name NAME (expected renewal/NAME.conf).") when renewal/NAME.conf
/// does not exist.
void require_lineage_conf(const TreePaths& paths, const std::string& name);

/// Delete lineage `name`: renewal/NAME.conf first (and renewal/ synced), so
/// that a crash never leaves a conf naming missing files; then live/NAME, then
/// archive/NAME. Symbolic links are never followed: a live/NAME or
/// archive/NAME that is a link is removed as a link, and nothing below those
/// directories is reached through one. Only the tree's own live/NAME and
/// archive/NAME are removed; an archive_dir the conf names elsewhere is left
/// alone with a warning. Throws UsageError for an invalid name and
/// LineageNotFound when renewal/NAME.conf does not exist, both before anything
/// is touched; StorageError naming the path for I/O failures. Fault points
/// (fault_injection.hpp): "delete:conf-removed", "delete:live-removed".
void delete_lineage(const TreePaths& paths, const std::string& name);

} // namespace certsmith::store
