#pragma once
// Test-only: the client side of a tls-alpn-01 validation, written directly on
// OpenSSL (independent of lib/crypto), and what the served certificate says.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::testing {

struct TlsAlpnClientOptions {
  std::string server_name;                        // SNI; "" sends none
  std::vector<std::string> alpn = {"acme-tls/1"}; // empty offers no ALPN
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
};

/// What the handshake came to and, when it completed, what the server showed.
struct TlsAlpnClientResult {
  bool completed = false;
  std::string error;
  std::string negotiated_protocol;
  std::vector<std::string> dns_names;    // subjectAltName dNSName entries
  std::vector<std::string> ip_addresses; // subjectAltName iPAddress, raw bytes
  int subject_alt_name_entries = 0;      // every GeneralName, of any type
  bool has_acme_identifier = false;
  bool acme_identifier_critical = false;
  std::string acme_identifier_value; // extnValue bytes (DER of the inner OCTET STRING)
  std::string key_curve;             // "prime256v1" for P-256
  bool self_signed = false;          // signature verifies under its own key
};

/// Run a client handshake on an already connected socket (the caller closes it).
TlsAlpnClientResult tls_alpn_handshake(int socket, const TlsAlpnClientOptions& options);

/// Connect to address (IPv4 or IPv6 literal):port and run tls_alpn_handshake.
TlsAlpnClientResult tls_alpn_connect(const std::string& address, std::uint16_t port,
                                     const TlsAlpnClientOptions& options);

} // namespace certsmith::testing
