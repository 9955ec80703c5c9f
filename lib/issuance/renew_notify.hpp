#pragma once
// renew's hook into notify/: each lineage's outcome with the notification
// settings that apply to it (the --notify-* flags over the lineage's saved
// settings, notify/settings_file.hpp). The flags are saved for every lineage
// the run examined, renewed or not; --no-notify removes the saved settings.

#include "issuance/renew_all.hpp"
#include "util/clock.hpp"

#include <string>
#include <vector>

namespace certsmith::issuance {

/// Nothing is sent or saved for a dry run. Never throws: problems are warnings.
void notify_renewal_outcomes(const RenewOptions& options,
                             const std::vector<LineageOutcome>& outcomes,
                             const util::Clock& clock) noexcept;

/// renew, before anything is renewed: the flags laid over the saved settings of
/// each lineage the run examines (the flags alone when there is none) are
/// complete. Throws UsageError, e.g. for mail with no SMTP URL anywhere.
void check_renew_notify_flags(const RenewOptions& options);

/// certonly and reconfigure: save the --notify-* flags for `lineage` (or
/// remove its saved settings for --no-notify). Throws UsageError when the
/// flags over the saved settings are incomplete (mail without an SMTP URL).
/// Returns whether the saved settings changed.
bool save_notify_flags(const store::TreePaths& paths, const std::string& lineage,
                       const notify::NotifyOptions& notify);

/// The same check alone, before anything is written (certonly before its order).
void check_notify_flags(const store::TreePaths& paths, const std::string& lineage,
                        const notify::NotifyOptions& notify);

} // namespace certsmith::issuance
