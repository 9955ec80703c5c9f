#pragma once
// `certsmith doctor`: every preflight check for a set of names, without asking
// the CA for anything but its directory. The quieter automatic preflight run
// before a first issuance is in preflight/auto_preflight.hpp.

#include "http/transport.hpp"
#include "preflight/finding.hpp"
#include "preflight/http_self_fetch.hpp"
#include "preflight/lookup.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "util/clock.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::preflight {

struct DoctorRequest {
  std::vector<std::string> domains;
  std::vector<std::string> ip_addresses; // RFC 8738 identifiers: no DNS or CAA, self-fetch only
  std::string email;                     // "" checks nothing
  std::string directory_url;             // its meta.caaIdentities judge CAA
  TokenSite* token_site = nullptr;       // nullptr: no http-01 rehearsal
  std::optional<Finding> site_problem;   // why the token site could not be opened
  std::uint16_t http01_port = 80;
  std::filesystem::path work_dir;   // its issuance ledger judges rate limits; "" skips that
  std::filesystem::path config_dir; // its lineages tell a renewal from a new order
  ratelimit::Policy rate_policy;
};

/// The CA's CAA identities, or nullopt (with why) when the directory cannot be read.
std::optional<std::vector<std::string>> caa_identities(http::Transport& transport,
                                                       util::Clock& clock,
                                                       const std::string& directory_url,
                                                       std::string& why_not);

/// dns, caa and (with a token site) http-01 per name, http-01 per IP
/// address, then the issuance ledger's rate limits and the email. `ca_transport`
/// reads the directory; `probe_transport` fetches the tokens (short timeouts).
std::vector<Finding> run_doctor(const DoctorRequest& request, Resolver& resolver,
                                http::Transport& ca_transport, http::Transport& probe_transport,
                                util::Clock& clock);

/// run_doctor's checks with `site` and `probe_transport` for the http-01
/// rehearsal (both may be null: none), for the automatic preflight too.
std::vector<Finding> collect_findings(const DoctorRequest& request, Resolver& resolver,
                                      http::Transport& ca_transport,
                                      http::Transport* probe_transport, util::Clock& clock);

} // namespace certsmith::preflight
