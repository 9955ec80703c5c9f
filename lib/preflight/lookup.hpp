#pragma once
// Recursive DNS lookups for the preflight checks, through the dns::DnsClient
// seam: the first resolver that answers wins, as a stub resolver does (one
// that answers SERVFAIL or REFUSED passes the question to the next).

#include "dns/dns_client.hpp"

#include <optional>
#include <string>
#include <vector>

namespace certsmith::preflight {

struct Lookup {
  bool answered = false;           // false: no resolver answered (timeouts, garbage)
  int rcode = 0;                   // 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...
  std::vector<std::string> values; // data of the records of the asked type
  std::string error;               // why nobody answered
};

class Resolver {
public:
  Resolver(dns::DnsClient& client, std::vector<dns::NameServer> servers);
  /// Ask each server in turn, recursion desired, until one answers with
  /// anything but SERVFAIL or REFUSED; when none does, the last such answer.
  Lookup lookup(const std::string& name, dns::RecordType type);
  const std::vector<dns::NameServer>& servers() const { return m_servers; }

private:
  dns::DnsClient& m_client;
  std::vector<dns::NameServer> m_servers;
};

/// "NXDOMAIN", "SERVFAIL", "REFUSED", or "rcode N".
std::string rcode_name(int rcode);

} // namespace certsmith::preflight
