#include "dns/dns_client.hpp"
#include "util/error.hpp"

namespace certsmith::dns {

std::unique_ptr<DnsClient> make_ldns_client(std::chrono::milliseconds) {
  throw UsageError("DNS is not implemented yet");
}

std::vector<NameServer> system_resolvers() {
  return {};
}

NameServer parse_name_server(const std::string&, std::uint16_t) {
  throw UsageError("DNS is not implemented yet");
}

} // namespace certsmith::dns
