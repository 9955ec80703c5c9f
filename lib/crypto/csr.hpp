#pragma once
// PKCS#10 certificate signing requests.

#include "crypto/private_key.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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

/// What a CSR from the user holds (certonly --csr), read but not trusted.
struct CsrContents {
  std::string der;                       // the request as DER, as RFC 8555 §7.4 finalize sends it
  std::string common_name;               // subject CN; "" when absent
  std::vector<std::string> dns_names;    // subjectAltName dNSName entries, in order
  std::vector<std::string> ip_addresses; // subjectAltName iPAddress entries as text
};

/// The largest CSR file read_csr accepts; real ones are a few kilobytes.
constexpr std::size_t k_max_csr_bytes = 64 * 1024;

/// Read a PKCS#10 request given as PEM ("CERTIFICATE REQUEST") or DER, and
/// verify its self-signature. Throws CryptoError for anything larger than
/// k_max_csr_bytes, that does not parse, whose signature does not verify, or
/// whose names hold bytes no host name or address has.
CsrContents read_csr(std::string_view pem_or_der);

/// True when the certificate (PEM) carries the public key the CSR was signed
/// with. Throws CryptoError when either does not parse.
bool certificate_matches_csr(std::string_view cert_pem, const CsrContents& csr);

} // namespace certsmith::crypto
