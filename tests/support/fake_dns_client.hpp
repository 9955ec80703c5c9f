#pragma once
// A DnsClient whose answers are scripted per (server, name, type) and which
// records every query and update. A "responder" can change the answer as polls
// go on (a server that is late, one that lies forever). Accepted updates are
// applied to a TXT store that answers TXT queries nobody scripted.

#include "dns/dns_client.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace certsmith::testing {

class FakeDnsClient : public dns::DnsClient {
public:
  struct Query {
    dns::NameServer server;
    std::string name;
    dns::RecordType type;
    bool recursion_desired;
  };
  struct Update {
    dns::NameServer server;
    std::string zone;
    std::vector<dns::UpdateChange> changes;
    dns::TsigKey key;
  };
  /// Called with the number of times this key was asked before (0 the first time).
  using Responder = std::function<dns::Answer(int asked_before)>;

  /// Any server: the key's server is matched only when set with a server.
  void answer(const std::string& name, dns::RecordType type, dns::Answer answer) {
    respond(std::nullopt, name, type, [answer](int) { return answer; });
  }
  void answer(const dns::NameServer& server, const std::string& name, dns::RecordType type,
              dns::Answer answer) {
    respond(server, name, type, [answer](int) { return answer; });
  }
  void respond(std::optional<dns::NameServer> server, const std::string& name, dns::RecordType type,
               Responder responder) {
    m_responders[key(server, name, type)] = std::move(responder);
  }
  /// Every update to a zone in this set throws this error (after being recorded).
  void refuse_updates(const std::string& zone, std::string reason) {
    m_refused[zone] = std::move(reason);
  }
  /// Updates to zone are applied, then NetworkError is thrown (the answer was lost).
  void lose_update_answers(const std::string& zone) { m_answers_lost.push_back(zone); }

  dns::Answer query(const dns::NameServer& server, const std::string& name, dns::RecordType type,
                    bool recursion_desired) override {
    m_queries.push_back({server, name, type, recursion_desired});
    for (const auto& candidate : {key(server, name, type), key(std::nullopt, name, type)}) {
      const auto found = m_responders.find(candidate);
      if (found != m_responders.end()) {
        return found->second(m_asked[candidate]++);
      }
    }
    dns::Answer result;
    const auto stored = m_txt.find(name);
    if (type == dns::RecordType::txt && stored != m_txt.end() && !stored->second.empty()) {
      for (const auto& value : stored->second) {
        result.answer.push_back(record(name, dns::RecordType::txt, value));
      }
      return result;
    }
    result.rcode = 3;
    return result;
  }

  void update(const dns::NameServer& server, const std::string& zone,
              const std::vector<dns::UpdateChange>& changes, const dns::TsigKey& key) override {
    m_updates.push_back({server, zone, changes, key});
    const auto refused = m_refused.find(zone);
    if (refused != m_refused.end()) {
      throw ChallengeError(refused->second);
    }
    for (const auto& change : changes) {
      auto& values = m_txt[change.owner];
      if (change.kind == dns::UpdateChange::Kind::add) {
        values.push_back(change.txt);
      } else {
        std::erase(values, change.txt);
      }
    }
    if (std::find(m_answers_lost.begin(), m_answers_lost.end(), zone) != m_answers_lost.end()) {
      throw NetworkError("no answer from the DNS server");
    }
  }

  /// TXT values currently stored at owner by accepted updates.
  std::vector<std::string> txt_at(const std::string& owner) const {
    const auto found = m_txt.find(owner);
    return found == m_txt.end() ? std::vector<std::string>{} : found->second;
  }

  const std::vector<Query>& queries() const { return m_queries; }
  const std::vector<Update>& updates() const { return m_updates; }

  static dns::Record record(std::string owner, dns::RecordType type, std::string data) {
    return dns::Record{std::move(owner), type, 60, std::move(data)};
  }
  static dns::Answer with(std::vector<dns::Record> answer, std::vector<dns::Record> authority = {},
                          int rcode = 0) {
    dns::Answer result;
    result.rcode = rcode;
    result.authoritative = true;
    result.answer = std::move(answer);
    result.authority = std::move(authority);
    return result;
  }

private:
  using Key = std::tuple<std::string, std::uint16_t, std::string, int>;
  static Key key(const std::optional<dns::NameServer>& server, const std::string& name,
                 dns::RecordType type) {
    return {server ? server->address : std::string("*"), server ? server->port : 0, name,
            static_cast<int>(type)};
  }

  std::map<Key, Responder> m_responders;
  std::map<Key, int> m_asked;
  std::map<std::string, std::string> m_refused;
  std::map<std::string, std::vector<std::string>> m_txt;
  std::vector<std::string> m_answers_lost;
  std::vector<Query> m_queries;
  std::vector<Update> m_updates;
};

} // namespace certsmith::testing
