#pragma once
// tls-alpn-01 (RFC 8737) on the TLS side: the self-signed validation
// certificate and a server context that presents it only to a client asking
// for ALPN "acme-tls/1" under the certificate's server name. The sockets are
// the caller's (challenge/); this header keeps OpenSSL types out of sight.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

struct x509_st;
struct evp_pkey_st;

namespace certsmith::crypto {

/// RFC 8737 §6.2: the ALPN protocol name a validating CA offers.
inline constexpr std::string_view k_acme_tls_alpn_protocol = "acme-tls/1";

/// The TLS server name (SNI) a CA sends when validating identifier: the DNS name
/// in lower case, or for an IP address its reverse-DNS name (RFC 8738 §6:
/// "4.3.2.1.in-addr.arpa", nibbles ending in ".ip6.arpa"). Throws CryptoError
/// for anything that is neither a plain DNS name (no wildcard) nor an address.
std::string tls_alpn_server_name(std::string_view identifier);

/// RFC 8737 §3 validation certificate: self-signed with a fresh P-256 key, a
/// subjectAltName holding exactly the identifier (dNSName, or iPAddress for an
/// address) and the critical id-pe-acmeIdentifier extension whose value is an
/// OCTET STRING holding SHA-256(key_authorization). Copies share one certificate.
class TlsAlpnCertificate {
public:
  /// Throws CryptoError for an identifier tls_alpn_server_name refuses.
  static TlsAlpnCertificate create(std::string_view identifier, std::string_view key_authorization);

  /// The SNI under which the certificate is presented.
  const std::string& server_name() const;
  /// PEM of the certificate (for tests and debugging; the key never leaves).
  std::string certificate_pem() const;
  /// True when both are the same certificate (copies of one create()).
  bool operator==(const TlsAlpnCertificate& other) const { return m_parts == other.m_parts; }

  /// The OpenSSL objects (crypto/ internals); valid while a copy lives.
  x509_st* x509() const;
  evp_pkey_st* key() const;

  struct Parts;

private:
  explicit TlsAlpnCertificate(std::shared_ptr<const Parts> parts);
  std::shared_ptr<const Parts> m_parts;
};

/// What one handshake came to: completed, or why not (one line, for the log).
struct TlsAlpnHandshake {
  bool completed = false;
  std::string server_name; // as the client sent it, escaped
  std::string failure;
};

/// How long serve waits: for the ClientHello (a client that connects and stays
/// silent is let go early, so it cannot hold a slot for long), and for the whole
/// handshake once the ClientHello has arrived.
struct TlsAlpnServeLimits {
  std::chrono::milliseconds client_hello;
  std::chrono::milliseconds handshake;
};

/// A TLS 1.2+ server context answering tls-alpn-01 handshakes. A client that
/// offers no "acme-tls/1" or names no served server is refused during the
/// handshake (RFC 8737 §3: the validation certificate answers nothing else).
/// add/remove may be called from any thread while serve runs on others.
class TlsAlpnServer {
public:
  TlsAlpnServer();
  ~TlsAlpnServer();
  TlsAlpnServer(const TlsAlpnServer&) = delete;
  TlsAlpnServer& operator=(const TlsAlpnServer&) = delete;

  /// Present certificate for its server name. Several may be added for one name
  /// (parallel orders); the most recently added one still present is served.
  void add(const TlsAlpnCertificate& certificate);
  /// Withdraw one addition of exactly this certificate; the others for its name
  /// stay (another lineage's order may be using them). Unknown: no-op.
  void remove(const TlsAlpnCertificate& certificate);

  /// Run the server side of one handshake on a connected socket within timeout,
  /// then send close_notify. The socket is made non-blocking and left open: the
  /// caller closes it. Never throws for anything the peer does.
  TlsAlpnHandshake serve(int socket, std::chrono::milliseconds timeout) {
    return serve(socket, TlsAlpnServeLimits{timeout, timeout}, nullptr);
  }
  /// As above under limits; client_hello_seen, when given, is set once the
  /// ClientHello has arrived (the listener's sign that this is a real client).
  TlsAlpnHandshake serve(int socket, const TlsAlpnServeLimits& limits,
                         std::atomic<bool>* client_hello_seen);

  struct Impl;

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace certsmith::crypto
