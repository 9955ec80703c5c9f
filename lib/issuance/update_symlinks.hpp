#pragma once
// `update_symlinks`: certbot's command that rewrites every lineage's live
// links to point into its archive_dir, here also repairing links that are
// missing, dangling or disagree (store/live_repair.hpp). One lineage that
// cannot be repaired never stops the others.

#include "store/tree_paths.hpp"

#include <optional>
#include <string>
#include <vector>

namespace certsmith::issuance {

struct SymlinkUpdate {
  std::string name;
  bool failed = false;
  bool changed = false; // the live links were rewritten
  int version = 0;      // the archive version live/ points at (when not failed)
  std::string reason;   // why it failed: one line
};

/// Every lineage (or only `cert_name`), in name order. Throws UsageError for an
/// invalid name and store::LineageNotFound when `cert_name` has no renewal conf;
/// every per-lineage problem becomes a failed entry. Callers hold the tree lock.
std::vector<SymlinkUpdate> update_symlinks(const store::TreePaths& paths,
                                           const std::optional<std::string>& cert_name);

/// One line per lineage: "NAME: live links point at version N (rewritten)"
/// (or "(unchanged)"), or "NAME: not repaired: REASON".
std::string describe_symlink_update(const SymlinkUpdate& update);

} // namespace certsmith::issuance
