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
  /// Where lookups (CNAME, SOA, NS and addresses, with recursion) start:
  /// --dns-resolvers, else the system resolvers. When `check_resolvers_only` is
  /// true these same servers are the ones that must serve the values (no NS
  /// walk): they must be servers that hold the zone (authoritative), because
  /// the values are asked for without recursion — a recursive resolver would
  /// answer from its negative cache. For split-horizon setups and the tests.
  std::vector<NameServer> resolvers;
  bool check_resolvers_only = false;
  /// The server that takes the updates (the RFC 2136 server of the
  /// credentials): asked first, without recursion, for the zone's SOA, as
  /// certbot-dns-rfc2136 does; an authoritative answer only.
  std::optional<NameServer> zone_server;
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

/// Wait until every authoritative name server host of `zone` (at most 16, each
/// with at most 4 addresses; or every resolver when check_resolvers_only)
/// answers `record_name` TXT with all of `values` from one of its addresses,
/// asked without recursion. An address that does not answer is skipped with a
/// warning; a host none of whose addresses ever answers is not waited for.
/// Throws ChallengeError naming the hosts still missing a value at the
/// deadline, or at once when no server answered at all.
void wait_for_txt(DnsClient& client, util::Clock& clock, const PropagationOptions& options,
                  const std::string& zone, const std::string& record_name,
                  const std::vector<std::string>& values);

} // namespace certsmith::dns
