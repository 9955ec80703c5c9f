#pragma once
// Self-signed certificates a lineage can serve while it has no CA-issued one:
// certsmith's bootstrap and fallback placeholders (issuance/fallback.hpp).

#include "crypto/private_key.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace certsmith::crypto {

struct SelfSignedRequest {
  std::vector<std::string> dns_names;    // subjectAltName dNSName entries
  std::vector<std::string> ip_addresses; // subjectAltName iPAddress entries
  /// Subject and issuer organizationName: says who made it and why, so a person
  /// looking at the certificate in a browser knows it is a placeholder.
  std::string organization;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

/// A v3 certificate signed by its own key: subject = issuer = CN (the first
/// name, cut to 64 bytes) and O (request.organization), the names as
/// subjectAltName, basicConstraints CA:FALSE, serverAuth. PEM. Throws
/// CryptoError for a name that cannot go into subjectAltName or no name at all.
std::string make_self_signed_certificate(const PrivateKey& key, const SelfSignedRequest& request);

} // namespace certsmith::crypto
