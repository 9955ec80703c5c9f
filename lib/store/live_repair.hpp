#pragma once
// certbot's `update_symlinks` for one lineage: the live links rewritten to
// point into the conf's archive_dir, relative, and repaired where certbot
// would crash. Callers hold the tree lock (tree_lock.hpp).

#include "store/tree_paths.hpp"

#include <string>

namespace certsmith::store {

/// What repair_live_links did.
struct LiveRepair {
  bool changed = false; // false: the links already were what they would be rewritten to
  int version = 0;      // the archive version the live links point at now
};

/// Point the four live links of lineage `name` at version N of its archive_dir
/// (choose_repair_version in lineage_check.hpp: the version the links name, or,
/// when they are missing, dangling or disagree, the newest consistent one, but
/// never one older than a link names), as relative links named as the conf
/// names them. The new set is built beside live/NAME and switched in one step
/// (as save_successor switches a renewal's; link by link where the filesystem
/// cannot exchange directories), keeping other files of live/NAME; a missing
/// live/NAME is created.
///
/// Refused before anything changes, with a one-line StorageError: a conf that
/// cannot be read, links or an archive_dir the conf names anywhere but directly
/// inside config/live and config/archive (repair_placement_problem), an entry
/// in a link's place that is not a symlink, no usable version.
/// Throws UsageError for an invalid name.
LiveRepair repair_live_links(const TreePaths& paths, const std::string& name);

} // namespace certsmith::store
