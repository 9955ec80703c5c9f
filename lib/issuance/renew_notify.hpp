#pragma once
// renew's hook into notify/: each lineage's outcome with the notification
// settings that apply to it (the --notify-* flags over its renewal conf's
// certsmith_notify_* keys), and the flags saved into the confs of the
// lineages this run renewed, as certbot saves a renewal's other settings.

#include "issuance/renew_all.hpp"
#include "util/clock.hpp"

#include <string>
#include <vector>

namespace certsmith::issuance {

/// Nothing is sent for a dry run. Never throws: problems are warnings.
void notify_renewal_outcomes(const RenewOptions& options,
                             const std::vector<LineageOutcome>& outcomes,
                             const util::Clock& clock) noexcept;

} // namespace certsmith::issuance
