#pragma once
// certonly's side of `delete` keeping certificates (store/kept_lineage.hpp):
// a new lineage for exactly the names of a kept certificate that is still
// valid and not yet due starts from it, without an order at the CA.

#include "acme/identifier.hpp"
#include "issuance/certonly.hpp"
#include "util/clock.hpp"

#include <optional>
#include <vector>

namespace certsmith::issuance {

/// When a kept entry holds a certificate from this request's server (its ACME
/// directory URL: never staging's for production) for exactly these identifiers
/// that has not expired, is not due (its conf's renew_before_expiry, else the
/// default window), is not a fallback placeholder, whose key matches it and
/// whose key type is the one asked for (when --key-type was given): create
/// the new lineage (--cert-name, else certbot's choice of name) with those
/// files as version 1 and this command line's settings over the kept conf's,
/// remove the kept entry, say so in one line and return the result
/// (Outcome::reused, no request to the CA). Otherwise nullopt: expired kept
/// entries (and unreadable ones' warnings) are dealt with on the way, every
/// other problem only skips the entry with a warning. Callers hold the tree
/// lock and have found no lineage for the names; a forced renewal, a dry run
/// or a CSR never get here.
std::optional<CertonlyResult>
reuse_kept_certificate(const CertonlyRequest& request,
                       const std::vector<acme::Identifier>& identifiers, util::Clock& clock);

} // namespace certsmith::issuance
