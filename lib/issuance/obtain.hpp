#pragma once
// The spine of one issuance (RFC 8555 §7.4 - §7.5): new order, one challenge
// per pending authorization answered by a Solver, poll, finalize, download.

#include "acme/client.hpp"
#include "challenge/solver.hpp"

#include <string>
#include <vector>

namespace certsmith::issuance {

struct IssuedCertificate {
  std::string cert_pem;      // the leaf
  std::string chain_pem;     // the issuers, leaf excluded
  std::string fullchain_pem; // leaf + issuers
};

/// What the order asks of the CA beyond the names (all optional).
struct OrderPreferences {
  std::string replaces;          // RFC 9773 §5 ARI certificate ID of the certificate replaced
  std::string preferred_chain;   // issuer CN of the topmost certificate of the chain wanted
  std::string preferred_profile; // sent when the directory's meta.profiles offers it
  std::string required_profile;  // sent; fail before ordering when the CA does not offer it
};

/// The first challenge of authorization whose type has a solver, taking the
/// solvers in the caller's order of preference; nullptr when none fits.
const acme::Challenge* choose_challenge(const acme::Authorization& authorization,
                                        const std::vector<challenge::Solver*>& solvers,
                                        challenge::Solver** chosen_solver);

/// Obtain a certificate for identifiers with csr_der. The client must already
/// use an account; account_thumbprint is its RFC 7638 thumbprint. Solvers are
/// cleaned up whatever happens. Throws ChallengeError listing each failed
/// identifier (one line each), AcmeError, ProtocolError or NetworkError.
/// preferences.replaces is sent only to a CA with renewalInfo; the profile is
/// chosen by choose_profile (UsageError before newOrder when a required one is
/// missing) and the chain by choose_chain.
IssuedCertificate obtain_certificate(acme::Client& client, const std::string& account_thumbprint,
                                     const std::vector<acme::Identifier>& identifiers,
                                     const std::string& csr_der,
                                     const std::vector<challenge::Solver*>& solvers,
                                     const OrderPreferences& preferences = {});

} // namespace certsmith::issuance
