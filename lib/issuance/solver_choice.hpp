#pragma once
// Which challenges a lineage is validated with, and the solvers that answer
// them: the authenticator recorded in the renewal conf, narrowed and ordered by
// --preferred-challenges, with certbot's rules (wildcards only over dns-01).

#include "acme/identifier.hpp"
#include "challenge/solver.hpp"
#include "issuance/run_context.hpp"
#include "store/renewal_conf.hpp"
#include "util/process_runner.hpp"

#include <memory>
#include <string>
#include <vector>

namespace certsmith::issuance {

/// certbot's --preferred-challenges spellings ("dns", "http", "tls-alpn" or the
/// full "dns-01", "http-01", "tls-alpn-01") as challenge types, duplicates
/// dropped, order kept. Throws UsageError for anything else.
std::vector<std::string> normalize_challenge_types(const std::vector<std::string>& names);

/// The challenge types the conf's authenticator will answer for these
/// identifiers, in the order they are tried: pref_challs' order, else the
/// authenticator's own (standalone: http-01, tls-alpn-01 only when preferred;
/// webroot: http-01; manual: http-01 then dns-01; dns-rfc2136: dns-01). Checks
/// without starting anything, so callers can refuse before any hook runs:
/// UsageError for an unknown authenticator, one that answers none of the
/// preferred challenges, a wildcard name without dns-01, or an IP address
/// without http-01 or tls-alpn-01.
std::vector<std::string> challenge_types_for(const store::RenewalParams& params,
                                             const std::vector<acme::Identifier>& identifiers);

/// One solver per type of challenge_types_for, in that order: http-01 on the
/// run's responder or in webroots, tls-alpn-01 on the run's TLS responder,
/// manual hooks run through process_runner, RFC 2136 updates with the conf's
/// credentials file. Throws what challenge_types_for throws, UsageError for a
/// domain without a webroot or missing manual hook / credentials, and
/// ChallengeError when a standalone port cannot be bound.
std::vector<std::unique_ptr<challenge::Solver>>
make_solvers(RunContext& context, const store::RenewalParams& params,
             const std::vector<acme::Identifier>& identifiers, util::ProcessRunner& process_runner);

} // namespace certsmith::issuance
