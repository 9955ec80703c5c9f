#pragma once
// `renew --json`: what one renew run did, as the one JSON document on stdout,
// for automation. The schema is documented in README.md ("Terminal output"):
// keys may be added; removing a key or changing its meaning raises
// k_renew_json_schema_version.

#include "issuance/renew_all.hpp"

#include <nlohmann/json.hpp>

namespace certsmith::issuance {

inline constexpr int k_renew_json_schema_version = 1;

/// {"schema_version", "dry_run", "renewed", "not_due", "failed", "lineages": [{"name",
/// "action" (renewed, not_due or failed), "reason", "domains", "not_after"?, "version"?}],
/// "hook_failures": [{"stage", "hook", "reason"}]}, lineages in the summary's order.
nlohmann::json renew_summary_json(const RenewSummary& summary, bool dry_run);

} // namespace certsmith::issuance
