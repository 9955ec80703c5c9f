#include "challenge/dns01_rfc2136.hpp"

#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <string_view>
#include <utility>

namespace certsmith::challenge {

namespace {

// certbot-dns-rfc2136's TTL for the records it adds.
constexpr std::uint32_t k_record_ttl = 120;

std::string shown(std::string_view text) {
  return util::escape_untrusted(text, 256);
}

std::string shown(const dns::NameServer& server) {
  if (server.address.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", shown(server.address), server.port);
  }
  return fmt::format("{}:{}", shown(server.address), server.port);
}

// RFC 8555 §8.4: the TXT value is base64url(SHA-256(key authorization)).
std::string txt_value(const Task& task) {
  return crypto::base64url_encode(crypto::sha256(task.key_authorization));
}

// True when the update's answer refused it outright (NOTAUTH, REFUSED,
// NOTZONE, or a TSIG BADSIG/BADKEY/BADTIME), so nothing was applied. The DNS
// client says which only in its message, whose reason comes last
// (dns::wire::update_failure).
bool is_explicit_refusal(std::string_view message) {
  constexpr std::string_view k_refusals[] = {"(NOTAUTH)",
                                             "(REFUSED)",
                                             "(NOTZONE)",
                                             "(BADSIG)",
                                             "(BADKEY)",
                                             "(BADTIME)",
                                             "(BADSIG: wrong secret or algorithm)"};
  return std::any_of(std::begin(k_refusals), std::end(k_refusals), [&](std::string_view refusal) {
    return message.size() >= refusal.size() &&
           message.substr(message.size() - refusal.size()) == refusal;
  });
}

// One TXT value this solver wrote (or may have written: an update whose answer
// was lost), so cleanup removes exactly these and nothing else.
struct WrittenValue {
  std::string zone;
  std::string record_name;
  std::string value;
};

// The TXT values that go to one record name; a wildcard and its base share one.
struct RecordPlan {
  std::string zone;
  std::vector<std::string> values;
};

class Rfc2136Solver : public Solver {
public:
  Rfc2136Solver(Rfc2136Credentials credentials, std::unique_ptr<dns::DnsClient> client,
                util::Clock& clock, dns::PropagationOptions propagation)
      : m_credentials(std::move(credentials)), m_client(std::move(client)), m_clock(clock),
        m_propagation(std::move(propagation)) {}

  std::string type() const override { return "dns-01"; }

  void perform(const std::vector<Task>& tasks) override {
    const auto plans = plan(tasks);
    write(plans);
    wait(plans);
  }

  void cleanup(const std::vector<Task>& tasks) noexcept override {
    try {
      remove_written(tasks);
    } catch (const std::exception& error) {
      util::log_warning("could not remove the dns-01 TXT records: {}", shown(error.what()));
    } catch (...) {
      util::log_warning("could not remove the dns-01 TXT records");
    }
  }

private:
  std::map<std::string, RecordPlan> plan(const std::vector<Task>& tasks) {
    std::map<std::string, dns::ChallengeLocation> located; // by identifier
    std::map<std::string, RecordPlan> plans;               // by record name
    for (const auto& task : tasks) {
      if (task.type != "dns-01") {
        throw ChallengeError(fmt::format("the dns-rfc2136 authenticator cannot answer {} for {}",
                                         shown(task.type), shown(task.identifier)));
      }
      auto found = located.find(task.identifier);
      if (found == located.end()) {
        found = located
                    .emplace(task.identifier, dns::locate_challenge_record(*m_client, m_propagation,
                                                                           task.identifier))
                    .first;
      }
      RecordPlan& record = plans[found->second.record_name];
      record.zone = found->second.zone;
      const std::string value = txt_value(task);
      if (std::find(record.values.begin(), record.values.end(), value) == record.values.end()) {
        record.values.push_back(value);
      }
    }
    return plans;
  }

  // One signed update per zone, holding every value of that zone.
  void write(const std::map<std::string, RecordPlan>& plans) {
    std::map<std::string, std::vector<WrittenValue>> by_zone;
    for (const auto& [record_name, record] : plans) {
      for (const auto& value : record.values) {
        by_zone[record.zone].push_back({record.zone, record_name, value});
      }
    }
    for (const auto& [zone, values] : by_zone) {
      std::vector<dns::UpdateChange> changes;
      for (const auto& value : values) {
        changes.push_back(
            {dns::UpdateChange::Kind::add, value.record_name, value.value, k_record_ttl});
      }
      util::log_debug("adding {} TXT value(s) to zone {} at {}", changes.size(), shown(zone),
                      shown(m_credentials.server));
      try {
        m_client->update(m_credentials.server, zone, changes, m_credentials.key);
      } catch (const NetworkError& error) {
        // The server may have applied an update whose answer we lost.
        m_written.insert(m_written.end(), values.begin(), values.end());
        throw ChallengeError(fmt::format("RFC 2136 update of zone {} at {} failed: {}", shown(zone),
                                         shown(m_credentials.server), shown(error.what())));
      } catch (const std::exception& error) {
        // Anything but an explicit refusal may have been applied (a NOERROR
        // answer whose TSIG does not verify was): its values are removed at
        // cleanup, and deleting an absent value is a no-op (RFC 2136 §3.4.2.4).
        // The error already names server, zone and reason: it passes as is.
        if (!is_explicit_refusal(error.what())) {
          m_written.insert(m_written.end(), values.begin(), values.end());
        }
        throw;
      }
      m_written.insert(m_written.end(), values.begin(), values.end());
    }
  }

  void wait(const std::map<std::string, RecordPlan>& plans) {
    if (m_propagation.fixed_wait) {
      util::log_info("waiting {} seconds for DNS changes to propagate",
                     m_propagation.fixed_wait->count());
      m_clock.sleep_for(*m_propagation.fixed_wait);
      return;
    }
    // One deadline for all records: they were written together.
    const auto deadline = m_clock.now() + m_propagation.deadline;
    for (const auto& [record_name, record] : plans) {
      dns::PropagationOptions options = m_propagation;
      const auto left = deadline - m_clock.now();
      options.deadline =
          std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(left));
      dns::wait_for_txt(*m_client, m_clock, options, record.zone, record_name, record.values);
    }
  }

  void remove_written(const std::vector<Task>& tasks) {
    std::vector<std::string> task_values;
    for (const auto& task : tasks) {
      task_values.push_back(txt_value(task));
    }
    std::map<std::string, std::vector<dns::UpdateChange>> by_zone;
    std::vector<WrittenValue> kept;
    for (auto& written : m_written) {
      if (std::find(task_values.begin(), task_values.end(), written.value) == task_values.end()) {
        kept.push_back(std::move(written));
        continue;
      }
      auto& changes = by_zone[written.zone];
      const dns::UpdateChange change{dns::UpdateChange::Kind::remove, written.record_name,
                                     written.value, k_record_ttl};
      const bool duplicate =
          std::any_of(changes.begin(), changes.end(), [&](const dns::UpdateChange& other) {
            return other.owner == change.owner && other.txt == change.txt;
          });
      if (!duplicate) {
        changes.push_back(change);
      }
    }
    m_written = std::move(kept);
    for (const auto& [zone, changes] : by_zone) {
      try {
        m_client->update(m_credentials.server, zone, changes, m_credentials.key);
        util::log_debug("removed {} TXT value(s) from zone {}", changes.size(), shown(zone));
      } catch (const std::exception& error) {
        util::log_warning("could not remove the dns-01 TXT records from zone {} at {}: {}",
                          shown(zone), shown(m_credentials.server), shown(error.what()));
      }
    }
  }

  Rfc2136Credentials m_credentials;
  std::unique_ptr<dns::DnsClient> m_client;
  util::Clock& m_clock;
  dns::PropagationOptions m_propagation;
  std::vector<WrittenValue> m_written;
};

} // namespace

std::unique_ptr<Solver> make_rfc2136_solver(Rfc2136Credentials credentials,
                                            std::unique_ptr<dns::DnsClient> client,
                                            util::Clock& clock,
                                            dns::PropagationOptions propagation) {
  return std::make_unique<Rfc2136Solver>(std::move(credentials), std::move(client), clock,
                                         std::move(propagation));
}

} // namespace certsmith::challenge
