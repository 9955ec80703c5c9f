#pragma once
// What issue_lineage asks before and tells after each order: the issuance
// ledger consulted against the CA's limits (a warning, or a refusal with
// --strict-rate-limits), and every issued certificate recorded in it.
//
// The policy comes from the command line once per process (set_policy), so
// that the issuance code needs no new parameter threaded through certonly,
// renew and reconfigure; calls are serialized, as renewal workers share the
// ledger file.

#include "ratelimit/issuance_ledger.hpp"
#include "util/error.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::ratelimit {

struct Policy {
  std::optional<int> per_registered_domain; // --rate-limit-per-domain
  std::optional<int> duplicate_certificate; // --rate-limit-duplicates
  bool strict = false;                      // --strict-rate-limits: refuse instead of warn
};

/// The ledger would pass a limit and the policy is strict.
class LimitReached : public Error {
public:
  using Error::Error;
};

void set_policy(Policy policy);

/// Let's Encrypt's published limits for its production server; for any
/// server, the numbers the policy sets (an unset one does not apply);
/// std::nullopt when nothing applies to this server.
std::optional<Limits> limits_for(const std::string& server, const Policy& policy);

/// Warn (or throw LimitReached when strict) when one more certificate for
/// names from server would reach a limit the ledger can see. renewal: the
/// order renews an existing lineage (exempt from the per-domain limit).
void before_order(const std::filesystem::path& work_dir, const std::string& server,
                  const std::vector<std::string>& names, std::chrono::system_clock::time_point now,
                  bool renewal);

/// Record an issued certificate. A ledger that cannot be written is a warning:
/// the certificate is already stored.
void after_issuance(const std::filesystem::path& work_dir, const std::string& server,
                    const std::vector<std::string>& names,
                    std::chrono::system_clock::time_point now);

} // namespace certsmith::ratelimit
