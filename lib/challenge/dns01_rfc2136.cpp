#include "challenge/dns01_rfc2136.hpp"

#include "util/error.hpp"

namespace certsmith::challenge {

Rfc2136Credentials read_rfc2136_credentials(const std::filesystem::path&) {
  throw UsageError("the dns-rfc2136 authenticator is not implemented yet");
}

std::unique_ptr<Solver> make_rfc2136_solver(Rfc2136Credentials, std::unique_ptr<dns::DnsClient>,
                                            util::Clock&, dns::PropagationOptions) {
  throw UsageError("the dns-rfc2136 authenticator is not implemented yet");
}

} // namespace certsmith::challenge
