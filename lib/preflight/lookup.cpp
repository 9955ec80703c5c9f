#include "preflight/lookup.hpp"

#include "dns/resolv_conf.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace certsmith::preflight {

Resolver::Resolver(dns::DnsClient& client, std::vector<dns::NameServer> servers)
    : m_client(client), m_servers(std::move(servers)) {}

Lookup Resolver::lookup(const std::string& name, dns::RecordType type) {
  Lookup result;
  if (m_servers.empty()) {
    result.error = "no DNS resolver configured";
    return result;
  }
  for (const auto& server : m_servers) {
    try {
      dns::Answer answer = m_client.query(server, name, type, true);
      result.answered = true;
      result.rcode = answer.rcode;
      result.values.clear();
      for (const auto& record : answer.answer) {
        if (record.type == type) {
          result.values.push_back(record.data);
        }
      }
      result.error.clear();
      // A stub resolver moves on when a server fails or refuses (SERVFAIL,
      // REFUSED); NXDOMAIN and NODATA are answers.
      if (answer.rcode != 2 && answer.rcode != 5) {
        return result;
      }
    } catch (const NetworkError& error) {
      if (!result.answered) {
        result.error = fmt::format("{}: {}", dns::describe(server), error.what());
      }
    }
  }
  return result;
}

std::string rcode_name(int rcode) {
  switch (rcode) {
  case 0:
    return "NOERROR";
  case 2:
    return "SERVFAIL";
  case 3:
    return "NXDOMAIN";
  case 5:
    return "REFUSED";
  default:
    return fmt::format("rcode {}", rcode);
  }
}

} // namespace certsmith::preflight
