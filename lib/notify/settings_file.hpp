#pragma once
// Where a lineage's notification settings are saved: config_dir/
// certsmith/notify/NAME.conf, mode 0600 in a 0700 directory. Not in the
// renewal conf, because a webhook URL (Slack, Teams) or an SMTP URL carries a
// secret, and renewal confs are world-readable 0644 files that renew,
// reconfigure and certonly rewrite at that mode. certbot never reads this
// directory. A file whose lineage is gone is removed by the next renew.

#include "notify/settings.hpp"
#include "store/tree_paths.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace certsmith::notify {

std::filesystem::path settings_dir(const store::TreePaths& paths);
/// Throws UsageError for a name that is not one safe path component.
std::filesystem::path settings_file(const store::TreePaths& paths, const std::string& lineage);

/// The saved settings; none when there is no file. Throws for an unreadable,
/// oversized, group/other-accessible or malformed file.
NotifySettings load_lineage_settings(const store::TreePaths& paths, const std::string& lineage);

/// Lays `flags` over the saved settings and saves the result (0600; paths made
/// absolute). Nothing is written when nothing changes; returns whether it changed.
bool save_lineage_settings(const store::TreePaths& paths, const std::string& lineage,
                           const NotifySettings& flags);

/// --no-notify: removes the lineage's saved settings (no file is fine); true if there were.
bool clear_lineage_settings(const store::TreePaths& paths, const std::string& lineage);

/// Removes the files of lineages not in `names` (deleted lineages).
void prune_lineage_settings(const store::TreePaths& paths, const std::vector<std::string>& names);

} // namespace certsmith::notify
