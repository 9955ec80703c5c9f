#include "issuance/delete_certificate.hpp"

#include "renew/expiry_index.hpp"
#include "store/kept_lineage.hpp"
#include "store/lineage.hpp"
#include "store/lineage_delete.hpp"
#include "util/log.hpp"

namespace certsmith::issuance {

void delete_certificate(const store::TreePaths& paths, const std::string& name, DeleteMode mode) {
  if (mode == DeleteMode::keep)
    store::keep_lineage(paths, name);
  else
    store::delete_lineage(paths, name);
  try {
    auto index = renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths));
    index.retain(store::Lineage::list_names(paths));
    index.save();
  } catch (const Error& error) {
    util::log_debug("expiry index not updated: {}", error.what());
  }
}

} // namespace certsmith::issuance
