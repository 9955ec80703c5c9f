#pragma once
// `certificates --json`: the listing as one JSON document for monitoring
// scripts. The schema is documented in docs/certificates-json.md: keys may be
// added; removing a key or changing its meaning raises
// k_certificates_json_schema_version.

#include "issuance/certificates_report.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

namespace certsmith::issuance {

inline constexpr int k_certificates_json_schema_version = 1;

/// {"schema_version": 1, "certificates": [...]}: one entry per lineage with
/// status "valid", "expired" (as of now) or "invalid" (with "problem", and
/// "fix" when a command repairs it); every
/// key is present in every entry, null when an invalid lineage could not tell it.
nlohmann::json certificates_json(const std::vector<LineageSummary>& lineages,
                                 std::chrono::system_clock::time_point now);

} // namespace certsmith::issuance
