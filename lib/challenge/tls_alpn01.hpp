#pragma once
// tls-alpn-01 (RFC 8737) standalone: one TLS listener per address and port that
// answers ALPN "acme-tls/1" with, per SNI name, a self-signed certificate that
// carries the critical acmeIdentifier extension (SHA-256 of the key
// authorization). Shared by every lineage of a run, like the http-01 responder.

#include "challenge/solver.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace certsmith::challenge {

class TlsAlpnResponder;

/// Start listening on address:port ("" = every address, IPv4 and IPv6).
/// Throws ChallengeError when the port cannot be bound.
std::shared_ptr<TlsAlpnResponder> make_tls_alpn_responder(const std::string& address,
                                                          std::uint16_t port);

std::unique_ptr<Solver> make_tls_alpn01_solver(std::shared_ptr<TlsAlpnResponder> responder);

} // namespace certsmith::challenge
