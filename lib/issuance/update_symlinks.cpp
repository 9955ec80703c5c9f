#include "issuance/update_symlinks.hpp"

#include "store/lineage.hpp"
#include "store/lineage_delete.hpp"
#include "store/live_repair.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

std::vector<SymlinkUpdate> update_symlinks(const store::TreePaths& paths,
                                           const std::optional<std::string>& cert_name) {
  std::vector<std::string> names;
  if (cert_name) {
    store::require_lineage_conf(paths, *cert_name);
    names.push_back(*cert_name);
  } else {
    names = store::Lineage::list_names(paths);
  }
  std::vector<SymlinkUpdate> updates;
  for (const auto& name : names) {
    SymlinkUpdate update;
    update.name = name;
    try {
      store::LiveRepair repair = store::repair_live_links(paths, name);
      update.changed = repair.changed;
      update.version = repair.version;
    } catch (const Error& error) {
      update.failed = true;
      update.reason = error.what();
    }
    util::log_debug("update_symlinks: {}", describe_symlink_update(update));
    updates.push_back(std::move(update));
  }
  return updates;
}

std::string describe_symlink_update(const SymlinkUpdate& update) {
  if (update.failed)
    return fmt::format("{}: not repaired: {}", update.name, update.reason);
  return fmt::format("{}: live links point at version {}{}", update.name, update.version,
                     update.changed ? " (rewritten)" : " (unchanged)");
}

} // namespace certsmith::issuance
