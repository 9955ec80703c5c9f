#pragma once
// What renew does for a lineage whose placeholder or fallback matters
// (fallback.hpp): the names to order while one is live, and the switch to a
// fallback once the live certificate has expired and renewal failed.

#include "acme/identifier.hpp"
#include "store/lineage.hpp"
#include "store/renewal_conf.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::issuance {

/// The identifiers a renewal asks for: those the conf recorded while a
/// placeholder is live (a user's wildcard names other things), else `live`.
std::vector<acme::Identifier> identifiers_to_renew(const store::RenewalParams& params,
                                                   std::vector<acme::Identifier> live);

/// After a failed renewal: when the live certificate has expired
/// (live_not_after <= now) and the lineage has a fallback, store it as the
/// next version: the user's when set and still usable, else a fresh
/// self-signed one when --fallback-self-signed. A live bootstrap certificate
/// counts as having a self-signed fallback and is refreshed as a bootstrap:
/// live/ never serves an expired placeholder while issuance fails. Returns one
/// line saying what was done, or nullopt when nothing was. Throws
/// StorageError/UsageError when the switch itself fails (the lineage is left
/// as it was).
std::optional<std::string>
switch_to_fallback_if_expired(store::Lineage& lineage,
                              const std::vector<acme::Identifier>& identifiers,
                              std::chrono::system_clock::time_point live_not_after,
                              std::chrono::system_clock::time_point now);

} // namespace certsmith::issuance
