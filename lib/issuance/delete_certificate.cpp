#include "issuance/delete_certificate.hpp"

#include "issuance/fallback.hpp"
#include "renew/expiry_index.hpp"
#include "store/kept_lineage.hpp"
#include "store/lineage.hpp"
#include "store/lineage_delete.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

namespace {

// Why the lineage holds nothing worth keeping, or "" when it does. A conf that
// cannot be read is such a reason: certbot's delete still removes that
// lineage (the default layout), and so must ours.
std::string nothing_to_keep(const store::TreePaths& paths, const std::string& name) {
  try {
    auto lineage = store::Lineage::load_for_check(paths, name);
    if (placeholder_is_live(lineage.params()))
      return "its live certificate is a placeholder, not the CA's";
    if (lineage.current_version() == 0 && lineage.latest_version() == 0)
      return "it has no complete certificate version";
  } catch (const StorageError& error) {
    return fmt::format("its renewal conf cannot be read ({})", error.what());
  }
  return {};
}

} // namespace

bool delete_certificate(const store::TreePaths& paths, const std::string& name, DeleteMode mode) {
  bool kept = false;
  if (mode == DeleteMode::keep) {
    store::require_lineage_conf(paths, name);
    std::string reason = nothing_to_keep(paths, name);
    if (reason.empty()) {
      store::keep_lineage(paths, name);
      kept = true;
    } else {
      util::log_info("Nothing of {} is kept for reuse: {}.", name, reason);
    }
  }
  if (!kept)
    store::delete_lineage(paths, name);
  try {
    auto index = renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths));
    index.retain(store::Lineage::list_names(paths));
    index.save();
  } catch (const Error& error) {
    util::log_debug("expiry index not updated: {}", error.what());
  }
  return kept;
}

} // namespace certsmith::issuance
