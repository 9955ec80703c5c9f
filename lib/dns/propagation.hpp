#pragma once
// Waiting until the world sees a TXT record: find the zone of a name (SOA),
// its authoritative servers (NS, then their A/AAAA), follow a CNAME on
// _acme-challenge.<name> (delegated validation, acme-dns style), and poll every
// authoritative server until each serves all expected values, within a deadline.

#include "dns/dns_client.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::dns {

struct PropagationOptions {
  /// Where lookups start: --dns-resolvers, else the system resolvers. When
  /// `check_resolvers_only` is true these same servers are the ones that must
  /// serve the values (no NS walk) — for split-horizon setups and the tests.
  std::vector<NameServer> resolvers;
  bool check_resolvers_only = false;
  std::chrono::seconds deadline{120};
  std::chrono::milliseconds first_interval{250};
  std::chrono::milliseconds max_interval{5000};
  /// certbot plugins' --dns-*-propagation-seconds: skip checking, sleep this long.
  std::optional<std::chrono::seconds> fixed_wait;
};

/// Where the TXT records for `name` (no "*.") must be written: the final
/// target of any CNAME chain on "_acme-challenge.<name>" (at most 8 links) and
/// the zone holding it (from the SOA). Throws ChallengeError when no zone is found.
struct ChallengeLocation {
  std::string record_name; // e.g. "_acme-challenge.example.com" or the CNAME target
  std::string zone;        // e.g. "example.com"
};
ChallengeLocation locate_challenge_record(DnsClient& client, const PropagationOptions& options,
                                          const std::string& name);

/// Wait until every authoritative server of `zone` (or every resolver when
/// check_resolvers_only) answers `record_name` TXT with all of `values`.
/// Throws ChallengeError naming the server(s) still missing a value at the deadline.
void wait_for_txt(DnsClient& client, util::Clock& clock, const PropagationOptions& options,
                  const std::string& zone, const std::string& record_name,
                  const std::vector<std::string>& values);

} // namespace certsmith::dns
