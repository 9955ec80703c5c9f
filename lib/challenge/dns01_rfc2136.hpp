#pragma once
// dns-01 through RFC 2136 dynamic updates, as certbot-dns-rfc2136 does it: TXT
// records at _acme-challenge.<name> (or the target of its CNAME), written with
// a TSIG key, checked to have reached every authoritative server, and removed
// afterwards even when validation failed.

#include "challenge/solver.hpp"
#include "dns/dns_client.hpp"
#include "dns/propagation.hpp"
#include "util/clock.hpp"

#include <filesystem>
#include <memory>

namespace certsmith::challenge {

struct Rfc2136Credentials {
  dns::NameServer server; // dns_rfc2136_server (an address), dns_rfc2136_port (default 53)
  dns::TsigKey key;       // dns_rfc2136_name, _secret, _algorithm (default HMAC-MD5, as certbot)
};

/// Read certbot-dns-rfc2136's ini file. Throws UsageError naming the file and
/// the problem: missing, readable by group or other (it holds a secret), a
/// missing or malformed key, an unknown algorithm.
Rfc2136Credentials read_rfc2136_credentials(const std::filesystem::path& path);

std::unique_ptr<Solver> make_rfc2136_solver(Rfc2136Credentials credentials,
                                            std::unique_ptr<dns::DnsClient> client,
                                            util::Clock& clock,
                                            dns::PropagationOptions propagation);

} // namespace certsmith::challenge
