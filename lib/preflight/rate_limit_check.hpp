#pragma once
// The "rate limit reached" finding: what the local issuance ledger
// (ratelimit/issuance_ledger.hpp) says one more certificate for the names
// would meet at this CA, with when to try again.

#include "preflight/finding.hpp"
#include "ratelimit/rate_limit_guard.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace certsmith::preflight {

/// FAIL when the CA's remembered rateLimited answer still covers the names,
/// or one more certificate would reach a limit (the policy's numbers, or
/// Let's Encrypt's for its production server), counted as the real run
/// counts it: a renewal (exempt from the per-domain limit) when a lineage
/// under config_dir holds a certificate from the CA for exactly these names
/// ("" = look for none: a new order); PASS otherwise, also when no limit is
/// known for this CA. An unreadable ledger warns.
Finding check_rate_limits(const std::filesystem::path& work_dir, const std::string& server,
                          const ratelimit::Policy& policy, const std::vector<std::string>& names,
                          std::chrono::system_clock::time_point now,
                          const std::filesystem::path& config_dir = "");

/// Whether a lineage under config_dir holds a certificate from the CA (not a
/// placeholder) for exactly `names`: ratelimit::counts_as_renewal, as
/// issuance/issue_lineage.cpp applies it. Unreadable lineages are skipped.
bool renews_a_lineage(const std::filesystem::path& config_dir,
                      const std::vector<std::string>& names);

} // namespace certsmith::preflight
