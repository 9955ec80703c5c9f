#pragma once
// What issue_lineage asks before and tells after each order: the issuance
// ledger consulted against the CA's limits (a warning, or a refusal with
// --strict-rate-limits) and against the CA's own "rateLimited until T"
// answers (always a refusal: the CA would refuse too), every issued
// certificate and every rateLimited answer recorded in it.
//
// The policy comes from the command line through the RunContext; calls are
// serialized, as renewal workers share the ledger file.

#include "ratelimit/issuance_ledger.hpp"
#include "util/error.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::ratelimit {

struct Policy {
  std::optional<int> per_registered_domain; // --rate-limit-per-domain
  std::optional<int> duplicate_certificate; // --rate-limit-duplicates
  bool strict = false;                      // --strict-rate-limits: refuse instead of warn
  bool ignore_ca_backoff = false;           // --ignore-rate-limit-backoff: warn, order anyway
};

/// The ledger would pass a limit and the policy is strict.
class LimitReached : public Error {
public:
  using Error::Error;
};

/// The CA said rateLimited with a time to come back that has not passed: the
/// order is not sent. ExitCode::acme, as the CA's own refusal would be.
class RateLimitedByCa : public Error {
public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::acme; }
};

/// Let's Encrypt's published limits for its production server; for any
/// server, the numbers the policy sets (an unset one does not apply);
/// std::nullopt when nothing applies to this server.
std::optional<Limits> limits_for(const std::string& server, const Policy& policy);

/// Throw RateLimitedByCa ("skipped: rate limited by the CA until T") while a
/// rateLimited answer from server covers a registered domain of names
/// (--force-renewal does not bypass it; policy.ignore_ca_backoff makes it a
/// warning). Then warn
/// (or throw LimitReached when strict) when one more certificate for names
/// would reach a limit the ledger can see. renewal: counts_as_renewal
/// (exempt from the per-domain limit).
void before_order(const std::filesystem::path& work_dir, const Policy& policy,
                  const std::string& server, const std::vector<std::string>& names,
                  std::chrono::system_clock::time_point now, bool renewal);

/// Remember that server refused an order for names with rateLimited until
/// `until` (from Retry-After), at most 7 days (the limits' window) after now.
/// problem_detail (the CA's untrusted text) naming the duplicate-certificate
/// limit holds back only this exact set of names; any other holds back their
/// registered domains. A ledger that cannot be written is a warning.
void after_rate_limited(const std::filesystem::path& work_dir, const std::string& server,
                        const std::vector<std::string>& names,
                        std::chrono::system_clock::time_point until,
                        std::chrono::system_clock::time_point now,
                        const std::string& problem_detail = "");

/// Whether a rateLimited problem detail names the duplicate-certificate limit
/// (Let's Encrypt: "too many certificates (5) already issued for this exact
/// set of identifiers ...", or the word "duplicate").
bool is_duplicate_certificate_limit(std::string_view problem_detail);

/// Record an issued certificate, right after the CA issued it and before it
/// is stored (the CA counts it even if storing fails). A ledger that cannot
/// be written is a warning.
void after_issuance(const std::filesystem::path& work_dir, const std::string& server,
                    const std::vector<std::string>& names,
                    std::chrono::system_clock::time_point now);

} // namespace certsmith::ratelimit
