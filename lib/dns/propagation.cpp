#include "dns/propagation.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <set>
#include <utility>

namespace certsmith::dns {

namespace {

constexpr int k_max_cname_links = 8;
// A hostile or broken zone cannot make us poll hundreds of servers.
constexpr std::size_t k_max_ns_hosts = 16;
constexpr std::size_t k_max_addresses_per_host = 4;
constexpr int k_rcode_servfail = 2;

std::string shown(std::string_view text) {
  return util::escape_untrusted(text, 256);
}

std::string shown(const NameServer& server) {
  if (server.address.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", shown(server.address), server.port);
  }
  return fmt::format("{}:{}", shown(server.address), server.port);
}

std::string normalized(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return name;
}

// "a.b.c" -> "b.c"; "c" -> "".
std::string parent_of(const std::string& name) {
  const auto dot = name.find('.');
  return dot == std::string::npos ? std::string() : name.substr(dot + 1);
}

// True when name is zone or lies below it.
bool is_within(const std::string& name, const std::string& zone) {
  if (zone.empty() || name.size() < zone.size()) {
    return false;
  }
  if (name.size() == zone.size()) {
    return name == zone;
  }
  return name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.';
}

// Asks the resolvers in order until one answers; a resolver that times out,
// answers garbage or answers SERVFAIL (it could not resolve: a broken or
// unreachable zone, bogus DNSSEC) is skipped, as a stub resolver would. A
// SERVFAIL is never read as "no such record".
Answer ask_resolvers(DnsClient& client, const std::vector<NameServer>& resolvers,
                     const std::string& name, RecordType type) {
  if (resolvers.empty()) {
    throw ChallengeError(
        fmt::format("no DNS resolver to look up {} with (give --dns-resolvers)", shown(name)));
  }
  std::string failures;
  for (const auto& resolver : resolvers) {
    try {
      Answer answer = client.query(resolver, name, type, true);
      if (answer.rcode == k_rcode_servfail) {
        failures += fmt::format("{}{}: SERVFAIL", failures.empty() ? "" : "; ", shown(resolver));
        continue;
      }
      return answer;
    } catch (const NetworkError& error) {
      failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", shown(resolver),
                              shown(error.what()));
    }
  }
  throw ChallengeError(fmt::format("no DNS resolver answered for {} ({})", shown(name), failures));
}

// The target of a CNAME owned by name in answer, if any.
std::optional<std::string> cname_target(const Answer& answer, const std::string& name) {
  for (const auto& record : answer.answer) {
    if (record.type == RecordType::cname && normalized(record.owner) == name) {
      return normalized(record.data);
    }
  }
  return std::nullopt;
}

std::string follow_cnames(DnsClient& client, const std::vector<NameServer>& resolvers,
                          const std::string& start) {
  std::string current = start;
  std::set<std::string> seen{current};
  for (int links = 0;; ++links) {
    const auto target =
        cname_target(ask_resolvers(client, resolvers, current, RecordType::cname), current);
    if (!target) {
      return current;
    }
    if (target->empty()) {
      throw ChallengeError(fmt::format("{} is a CNAME to the root", shown(current)));
    }
    if (!seen.insert(*target).second) {
      throw ChallengeError(fmt::format("CNAME loop on {}: {} points back to {}", shown(start),
                                       shown(current), shown(*target)));
    }
    if (links + 1 > k_max_cname_links) {
      throw ChallengeError(fmt::format("CNAME chain on {} is longer than {} links", shown(start),
                                       k_max_cname_links));
    }
    util::log_debug("{} is a CNAME to {}", shown(current), shown(*target));
    current = *target;
  }
}

// The zone whose SOA is owned by candidate, or that an NXDOMAIN/NODATA answer
// for candidate names in its authority section.
std::optional<std::string> zone_from_soa_answer(const Answer& answer,
                                                const std::string& candidate) {
  for (const auto& record : answer.answer) {
    if (record.type == RecordType::soa && normalized(record.owner) == candidate) {
      return candidate;
    }
  }
  const bool nxdomain = answer.rcode == 3;
  const bool nodata = answer.rcode == 0 && answer.answer.empty();
  if (!nxdomain && !nodata) {
    return std::nullopt;
  }
  for (const auto& record : answer.authority) {
    // A server may only speak for a zone enclosing the name asked about.
    const std::string owner = normalized(record.owner);
    if (record.type == RecordType::soa && is_within(candidate, owner)) {
      return owner;
    }
  }
  return std::nullopt;
}

// Like certbot-dns-rfc2136: the server that takes the updates is asked first,
// without recursion, and only an authoritative (AA) answer counts. Nothing
// found there (or no answer) falls back to the resolvers.
std::optional<std::string> find_zone_on(DnsClient& client, const NameServer& server,
                                        const std::string& name) {
  for (std::string candidate = name; !candidate.empty(); candidate = parent_of(candidate)) {
    Answer answer;
    try {
      answer = client.query(server, candidate, RecordType::soa, false);
    } catch (const NetworkError& error) {
      util::log_warning("the DNS server {} did not answer for the zone of {} ({}); asking the "
                        "resolvers",
                        shown(server), shown(name), shown(error.what()));
      return std::nullopt;
    }
    if (!answer.authoritative) {
      continue; // REFUSED or a referral: not a zone it holds
    }
    if (auto zone = zone_from_soa_answer(answer, candidate)) {
      return zone;
    }
  }
  util::log_debug("the DNS server {} holds no zone above {}; asking the resolvers", shown(server),
                  shown(name));
  return std::nullopt;
}

std::string find_zone(DnsClient& client, const std::vector<NameServer>& resolvers,
                      const std::string& name) {
  for (std::string candidate = name; !candidate.empty(); candidate = parent_of(candidate)) {
    const Answer answer = ask_resolvers(client, resolvers, candidate, RecordType::soa);
    if (auto zone = zone_from_soa_answer(answer, candidate)) {
      return *zone;
    }
  }
  throw ChallengeError(fmt::format(
      "cannot find the DNS zone of {}: no SOA record at it or any parent", shown(name)));
}

// One NS host of the zone (or one --dns-resolvers server) and its addresses.
// The host serves the values as soon as any one of its addresses does.
struct Host {
  std::string name;
  std::vector<NameServer> addresses;
};

std::vector<Host> authoritative_hosts(DnsClient& client, const PropagationOptions& options,
                                      const std::string& zone) {
  std::vector<Host> hosts;
  const Answer ns = ask_resolvers(client, options.resolvers, zone, RecordType::ns);
  for (const auto& ns_record : ns.answer) {
    if (ns_record.type != RecordType::ns || normalized(ns_record.owner) != zone) {
      continue;
    }
    if (hosts.size() == k_max_ns_hosts) {
      util::log_warning("{} has more than {} name servers; checking the first {}", shown(zone),
                        k_max_ns_hosts, k_max_ns_hosts);
      break;
    }
    Host host{normalized(ns_record.data), {}};
    if (std::any_of(hosts.begin(), hosts.end(),
                    [&](const Host& h) { return h.name == host.name; })) {
      continue;
    }
    for (const RecordType type : {RecordType::a, RecordType::aaaa}) {
      const Answer addresses = ask_resolvers(client, options.resolvers, host.name, type);
      for (const auto& record : addresses.answer) {
        if (record.type != type || host.addresses.size() == k_max_addresses_per_host) {
          continue;
        }
        NameServer server{record.data, 53};
        if (std::find(host.addresses.begin(), host.addresses.end(), server) ==
            host.addresses.end()) {
          host.addresses.push_back(std::move(server));
        }
      }
    }
    if (!host.addresses.empty()) {
      hosts.push_back(std::move(host));
    }
  }
  if (hosts.empty()) {
    throw ChallengeError(fmt::format(
        "cannot find the authoritative servers of {}: no NS with an address", shown(zone)));
  }
  return hosts;
}

struct HostState {
  Host host;
  bool done = false;            // one of its addresses serves every value
  bool answered = false;        // one of its addresses has answered at all
  std::string last_seen;        // what each address served (or why not), for the error
  std::set<std::string> warned; // addresses already reported unreachable
};

bool serves_all(const Answer& answer, const std::string& record_name,
                const std::vector<std::string>& values, std::string& seen) {
  std::vector<std::string> served;
  for (const auto& record : answer.answer) {
    if (record.type == RecordType::txt && normalized(record.owner) == record_name) {
      served.push_back(record.data);
    }
  }
  seen.clear();
  for (const auto& value : served) {
    seen += fmt::format("{}\"{}\"", seen.empty() ? "" : " ", shown(value));
  }
  if (seen.empty()) {
    seen = answer.rcode == 0 ? "no TXT record" : fmt::format("rcode {}", answer.rcode);
  }
  return std::all_of(values.begin(), values.end(), [&](const std::string& value) {
    return std::find(served.begin(), served.end(), value) != served.end();
  });
}

// One poll of a host: its addresses in turn until one serves all values.
void poll(DnsClient& client, HostState& state, const std::string& owner,
          const std::vector<std::string>& values) {
  state.last_seen.clear();
  for (const auto& address : state.host.addresses) {
    std::string seen;
    try {
      // RD=0: these servers hold the zone. A recursive resolver asked with RD
      // would answer from the negative cache of a lookup made before the record
      // was written, until that entry expires.
      const Answer answer = client.query(address, owner, RecordType::txt, false);
      state.answered = true;
      state.done = serves_all(answer, owner, values, seen);
    } catch (const NetworkError& error) {
      seen = fmt::format("no answer: {}", shown(error.what()));
      if (state.warned.insert(shown(address)).second) {
        const std::string of = state.host.name == shown(address)
                                   ? std::string()
                                   : fmt::format(" of {}", shown(state.host.name));
        util::log_warning("DNS propagation: skipping {}{}: {}", shown(address), of,
                          shown(error.what()));
      }
    }
    state.last_seen +=
        fmt::format("{}{} has {}", state.last_seen.empty() ? "" : "; ", shown(address), seen);
    if (state.done) {
      return;
    }
  }
}

} // namespace

ChallengeLocation locate_challenge_record(DnsClient& client, const PropagationOptions& options,
                                          const std::string& name) {
  const std::string start = "_acme-challenge." + normalized(name);
  const std::string record_name = follow_cnames(client, options.resolvers, start);
  std::optional<std::string> zone;
  if (options.zone_server) {
    zone = find_zone_on(client, *options.zone_server, record_name);
  }
  if (!zone) {
    zone = find_zone(client, options.resolvers, record_name);
  }
  util::log_debug("TXT records for {} go to {} in zone {}", shown(name), shown(record_name),
                  shown(*zone));
  return {record_name, *zone};
}

void wait_for_txt(DnsClient& client, util::Clock& clock, const PropagationOptions& options,
                  const std::string& zone, const std::string& record_name,
                  const std::vector<std::string>& values) {
  if (options.fixed_wait) {
    clock.sleep_for(*options.fixed_wait);
    return;
  }
  const std::string owner = normalized(record_name);
  std::vector<HostState> states;
  if (options.check_resolvers_only) {
    for (const auto& server : options.resolvers) {
      states.push_back(HostState{Host{shown(server), {server}}, false, false, {}, {}});
    }
  } else {
    for (auto& host : authoritative_hosts(client, options, normalized(zone))) {
      states.push_back(HostState{std::move(host), false, false, {}, {}});
    }
  }
  if (states.empty()) {
    throw ChallengeError(fmt::format("no DNS server to check {} on", shown(owner)));
  }

  // Done when every host serves the values, except hosts none of whose
  // addresses has ever answered: those were skipped with a warning, as long as
  // some host answered.
  auto finished = [&] {
    return std::all_of(states.begin(), states.end(),
                       [](const HostState& s) { return s.done || !s.answered; });
  };
  const auto deadline = clock.now() + options.deadline;
  auto interval = options.first_interval;
  for (bool first = true;; first = false) {
    for (auto& state : states) {
      if (!state.done) {
        poll(client, state, owner, values);
      }
    }
    const bool any_answered =
        std::any_of(states.begin(), states.end(), [](const HostState& s) { return s.answered; });
    if (first && !any_answered) {
      std::string why;
      for (const auto& state : states) {
        why += fmt::format("{}{}", why.empty() ? "" : "; ", state.last_seen);
      }
      throw ChallengeError(fmt::format(
          "DNS propagation: no DNS server holding {} could be reached ({})", shown(owner), why));
    }
    if (finished()) {
      util::log_debug("every reachable server serves the TXT values of {}", shown(owner));
      return;
    }
    const auto now = clock.now();
    if (now >= deadline) {
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    clock.sleep_for(std::min(interval, left));
    interval = std::min(interval * 2, options.max_interval);
  }

  std::string missing;
  for (const auto& state : states) {
    if (!state.done && state.answered) {
      missing += fmt::format("{}{} ({})", missing.empty() ? "" : ", ", shown(state.host.name),
                             state.last_seen);
    }
  }
  throw ChallengeError(fmt::format(
      "DNS propagation: after {} s, {} of TXT {} not served by {}", options.deadline.count(),
      values.size() == 1 ? "the value" : "the values", shown(owner), missing));
}

} // namespace certsmith::dns
