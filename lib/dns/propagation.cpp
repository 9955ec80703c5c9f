#include "dns/propagation.hpp"

#include "util/error.hpp"

namespace certsmith::dns {

ChallengeLocation locate_challenge_record(DnsClient&, const PropagationOptions&,
                                          const std::string&) {
  throw UsageError("DNS propagation checks are not implemented yet");
}

void wait_for_txt(DnsClient&, util::Clock&, const PropagationOptions&, const std::string&,
                  const std::string&, const std::vector<std::string>&) {
  throw UsageError("DNS propagation checks are not implemented yet");
}

} // namespace certsmith::dns
