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

// Asks the resolvers in order until one answers; a resolver that times out or
// answers garbage is skipped, as a stub resolver would.
Answer ask_resolvers(DnsClient& client, const std::vector<NameServer>& resolvers,
                     const std::string& name, RecordType type) {
  if (resolvers.empty()) {
    throw ChallengeError(
        fmt::format("no DNS resolver to look up {} with (give --dns-resolvers)", shown(name)));
  }
  std::string failures;
  for (const auto& resolver : resolvers) {
    try {
      return client.query(resolver, name, type, true);
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

std::vector<NameServer> authoritative_servers(DnsClient& client, const PropagationOptions& options,
                                              const std::string& zone) {
  std::vector<NameServer> servers;
  const Answer ns = ask_resolvers(client, options.resolvers, zone, RecordType::ns);
  for (const auto& ns_record : ns.answer) {
    if (ns_record.type != RecordType::ns || normalized(ns_record.owner) != zone) {
      continue;
    }
    const std::string host = normalized(ns_record.data);
    for (const RecordType type : {RecordType::a, RecordType::aaaa}) {
      const Answer addresses = ask_resolvers(client, options.resolvers, host, type);
      for (const auto& record : addresses.answer) {
        if (record.type != type) {
          continue;
        }
        NameServer server{record.data, 53};
        if (std::find(servers.begin(), servers.end(), server) == servers.end()) {
          servers.push_back(std::move(server));
        }
      }
    }
  }
  if (servers.empty()) {
    throw ChallengeError(fmt::format(
        "cannot find the authoritative servers of {}: no NS with an address", shown(zone)));
  }
  return servers;
}

struct ServerState {
  NameServer server;
  bool done = false;
  std::string last_seen; // what it served (or why it did not answer), for the error
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

} // namespace

ChallengeLocation locate_challenge_record(DnsClient& client, const PropagationOptions& options,
                                          const std::string& name) {
  const std::string start = "_acme-challenge." + normalized(name);
  const std::string record_name = follow_cnames(client, options.resolvers, start);
  const std::string zone = find_zone(client, options.resolvers, record_name);
  util::log_debug("TXT records for {} go to {} in zone {}", shown(name), shown(record_name),
                  shown(zone));
  return {record_name, zone};
}

void wait_for_txt(DnsClient& client, util::Clock& clock, const PropagationOptions& options,
                  const std::string& zone, const std::string& record_name,
                  const std::vector<std::string>& values) {
  if (options.fixed_wait) {
    clock.sleep_for(*options.fixed_wait);
    return;
  }
  const std::string owner = normalized(record_name);
  // Recursive resolvers must recurse; authoritative servers answer from their
  // own data only, which is exactly what we want to see.
  const bool recursion = options.check_resolvers_only;
  const std::vector<NameServer> servers =
      options.check_resolvers_only ? options.resolvers
                                   : authoritative_servers(client, options, normalized(zone));
  std::vector<ServerState> states;
  for (const auto& server : servers) {
    states.push_back({server, false, {}});
  }
  if (states.empty()) {
    throw ChallengeError(fmt::format("no DNS server to check {} on", shown(owner)));
  }

  const auto deadline = clock.now() + options.deadline;
  auto interval = options.first_interval;
  for (;;) {
    for (auto& state : states) {
      if (state.done) {
        continue;
      }
      try {
        state.done = serves_all(client.query(state.server, owner, RecordType::txt, recursion),
                                owner, values, state.last_seen);
      } catch (const NetworkError& error) {
        state.last_seen = fmt::format("no answer: {}", shown(error.what()));
      }
    }
    if (std::all_of(states.begin(), states.end(), [](const auto& s) { return s.done; })) {
      util::log_debug("every server serves the TXT values of {}", shown(owner));
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
    if (!state.done) {
      missing += fmt::format("{}{} (has {})", missing.empty() ? "" : ", ", shown(state.server),
                             state.last_seen);
    }
  }
  throw ChallengeError(fmt::format(
      "DNS propagation: after {} s, {} of TXT {} not served by {}", options.deadline.count(),
      values.size() == 1 ? "the value" : "the values", shown(owner), missing));
}

} // namespace certsmith::dns
