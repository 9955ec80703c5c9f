#pragma once
// The tls-alpn-01 listener (RFC 8737 §3): sockets on one port, a thread that
// accepts connections and one short-lived thread per connection that runs the
// TLS handshake under a deadline and closes. Shared by every lineage of a run;
// add/remove may be called from any thread while it runs.

#include "crypto/tls_alpn.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace certsmith::challenge {

class TlsAlpnResponder {
public:
  /// Listen on port. address "" means every address, IPv6 and IPv4 (dual stack,
  /// falling back to IPv4 only where IPv6 is unavailable); otherwise the literal
  /// IPv4 or IPv6 address given; port 0 picks a free port. Throws ChallengeError
  /// naming address, port and reason ("cannot listen on [::]:443 for tls-alpn-01: ...").
  /// handshake_timeout bounds how long one client may hold a connection, and
  /// client_hello_timeout how long it may before sending its ClientHello. One
  /// source holds at most a few connections; when all slots are taken the
  /// oldest connection that has not sent a ClientHello is dropped for the new.
  TlsAlpnResponder(const std::string& address, std::uint16_t port,
                   std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10),
                   std::chrono::milliseconds client_hello_timeout = std::chrono::seconds(2));
  /// Stops accepting, cuts connections still in their handshake and waits for them.
  ~TlsAlpnResponder();
  TlsAlpnResponder(const TlsAlpnResponder&) = delete;
  TlsAlpnResponder& operator=(const TlsAlpnResponder&) = delete;

  /// Present certificate to clients asking for its server name with acme-tls/1
  /// (the newest added for a name while several are present).
  void add(const crypto::TlsAlpnCertificate& certificate);
  /// Withdraw certificate only; others for its name stay (no-op when unknown).
  void remove(const crypto::TlsAlpnCertificate& certificate);
  /// The port actually bound (useful after port 0).
  std::uint16_t port() const;

  struct Impl;

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace certsmith::challenge
