#include "challenge/tls_alpn01.hpp"

#include "util/error.hpp"

namespace certsmith::challenge {

std::shared_ptr<TlsAlpnResponder> make_tls_alpn_responder(const std::string&, std::uint16_t) {
  throw UsageError("tls-alpn-01 is not implemented yet");
}

std::unique_ptr<Solver> make_tls_alpn01_solver(std::shared_ptr<TlsAlpnResponder>) {
  throw UsageError("tls-alpn-01 is not implemented yet");
}

} // namespace certsmith::challenge
