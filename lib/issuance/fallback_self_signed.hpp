#pragma once
// Self-signed placeholders (fallback.hpp): the bootstrap certificate a new
// lineage starts with, and the self-signed fallback of an expired one.

#include "acme/identifier.hpp"
#include "store/lineage.hpp"
#include "store/renewal_conf.hpp"
#include "store/tree_paths.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace certsmith::issuance {

/// How long a self-signed placeholder is valid: long enough for a weekly
/// timer to replace it, short enough that nobody mistakes it for the real thing.
inline constexpr std::chrono::hours k_self_signed_validity{7 * 24};

/// A fresh key of the kind params asks for and a certificate for the
/// identifiers (subjectAltName), O=organization, valid from an hour before
/// `now` for k_self_signed_validity; chain.pem is the certificate itself.
store::CertificateFiles self_signed_files(const std::vector<acme::Identifier>& identifiers,
                                          const store::RenewalParams& params,
                                          std::string organization,
                                          std::chrono::system_clock::time_point now);

/// Create lineage `name` with a self-signed certificate for the identifiers
/// as version 1, recorded as self-signed-bootstrap. Throws like store::create_lineage.
store::Lineage create_bootstrap_lineage(const store::TreePaths& paths, const std::string& name,
                                        const std::vector<acme::Identifier>& identifiers,
                                        store::RenewalParams params,
                                        std::chrono::system_clock::time_point now);

/// The identifiers' values, as certsmith_names records them.
std::vector<std::string> identifier_values(const std::vector<acme::Identifier>& identifiers);

} // namespace certsmith::issuance
