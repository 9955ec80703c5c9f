#pragma once
// PKCS#10 certificate signing requests.

#include <string>
#include <vector>

#include "crypto/private_key.hpp"

namespace certsmith::crypto {

struct CsrOptions {
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses; // RFC 8738 identifiers
  bool must_staple = false;              // TLS Feature extension, status_request
};

/// DER CSR signed by key, with every name in subjectAltName and the first DNS
/// name (if it fits in 64 bytes) as CN, as certbot does.
std::string make_csr_der(const PrivateKey& key, const CsrOptions& options);

/// Same CSR as PEM ("-----BEGIN CERTIFICATE REQUEST-----").
std::string make_csr_pem(const PrivateKey& key, const CsrOptions& options);

} // namespace certsmith::crypto
