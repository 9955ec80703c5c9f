#pragma once
// `certsmith doctor`: every preflight check for a set of names, without asking
// the CA for anything but its directory; and the quieter automatic preflight
// run before a first issuance.

#include "http/transport.hpp"
#include "preflight/finding.hpp"
#include "preflight/http_self_fetch.hpp"
#include "preflight/lookup.hpp"
#include "util/clock.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::preflight {

struct DoctorRequest {
  std::vector<std::string> domains;
  std::string email;               // "" checks nothing
  std::string directory_url;       // its meta.caaIdentities judge CAA
  TokenSite* token_site = nullptr; // nullptr: no http-01 rehearsal
  std::uint16_t http01_port = 80;
};

/// The CA's CAA identities, or nullopt (with why) when the directory cannot be read.
std::optional<std::vector<std::string>> caa_identities(http::Transport& transport,
                                                       util::Clock& clock,
                                                       const std::string& directory_url,
                                                       std::string& why_not);

/// dns, caa and (with a token site) http-01 per name, then email. `ca_transport`
/// reads the directory; `probe_transport` fetches the tokens (short timeouts).
std::vector<Finding> run_doctor(const DoctorRequest& request, Resolver& resolver,
                                http::Transport& ca_transport, http::Transport& probe_transport,
                                util::Clock& clock);

/// The automatic preflight: the DNS checks of run_doctor only (no token is
/// placed, no connection made but to the CA's directory). Writes every finding
/// to the log file (not the terminal) and throws UsageError naming the
/// blockers (CAA forbids the CA, a malformed email), which the CA would refuse too.
void run_automatic_preflight(const DoctorRequest& request, Resolver& resolver,
                             http::Transport& ca_transport, util::Clock& clock);

} // namespace certsmith::preflight
