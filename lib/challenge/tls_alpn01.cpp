#include "challenge/tls_alpn01.hpp"

#include "challenge/tls_alpn_responder.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <map>
#include <mutex>
#include <utility>

namespace certsmith::challenge {

namespace {

// Publishes one validation certificate per task on the shared responder and
// withdraws exactly those on cleanup.
class TlsAlpn01Solver : public Solver {
public:
  explicit TlsAlpn01Solver(std::shared_ptr<TlsAlpnResponder> responder)
      : m_responder(std::move(responder)) {
    if (!m_responder) {
      throw ChallengeError("tls-alpn-01 solver needs a responder");
    }
  }

  std::string type() const override { return "tls-alpn-01"; }

  void perform(const std::vector<Task>& tasks) override {
    // All or nothing: every certificate is made before any is presented.
    std::vector<std::pair<Key, crypto::TlsAlpnCertificate>> made;
    for (const Task& task : tasks) {
      made.emplace_back(Key{task.identifier, task.key_authorization}, certificate_for(task));
    }
    std::lock_guard lock(m_mutex);
    for (auto& [key, certificate] : made) {
      m_responder->add(certificate);
      m_published.emplace(key, certificate);
    }
  }

  void cleanup(const std::vector<Task>& tasks) noexcept override {
    std::lock_guard lock(m_mutex);
    for (const Task& task : tasks) {
      // The oldest publication of this task: a second perform's stays for its cleanup.
      const Key key{task.identifier, task.key_authorization};
      const auto found = m_published.lower_bound(key);
      if (found == m_published.end() || found->first != key) {
        continue;
      }
      try {
        m_responder->remove(found->second);
      } catch (const std::exception& error) {
        try {
          util::log_warning("cannot withdraw the tls-alpn-01 certificate for {}: {}",
                            util::escape_untrusted(task.identifier, 256), error.what());
        } catch (...) {
        }
      }
      m_published.erase(found);
    }
  }

private:
  using Key = std::pair<std::string, std::string>; // identifier, key authorization

  static crypto::TlsAlpnCertificate certificate_for(const Task& task) {
    const std::string identifier = util::escape_untrusted(task.identifier, 256);
    if (task.type != "tls-alpn-01") {
      throw ChallengeError(fmt::format("tls-alpn-01 solver cannot answer a {} challenge for {}",
                                       util::escape_untrusted(task.type, 40), identifier));
    }
    // RFC 8737 §3: a wildcard name cannot be validated with tls-alpn-01.
    if (task.identifier.find('*') != std::string::npos) {
      throw ChallengeError(
          fmt::format("tls-alpn-01 cannot validate the wildcard name {}: use dns-01", identifier));
    }
    if (task.key_authorization.empty()) {
      throw ChallengeError(fmt::format("empty tls-alpn-01 key authorization for {}", identifier));
    }
    try {
      return crypto::TlsAlpnCertificate::create(task.identifier, task.key_authorization);
    } catch (const CryptoError& error) {
      throw ChallengeError(error.what());
    }
  }

  std::shared_ptr<TlsAlpnResponder> m_responder;
  std::mutex m_mutex;
  // A multimap: two orders in one run may send the same task (same name and
  // key authorization); each perform publishes its own certificate and each
  // cleanup withdraws one, so none is left presented.
  std::multimap<Key, crypto::TlsAlpnCertificate> m_published;
};

} // namespace

std::shared_ptr<TlsAlpnResponder> make_tls_alpn_responder(const std::string& address,
                                                          std::uint16_t port) {
  return std::make_shared<TlsAlpnResponder>(address, port);
}

std::unique_ptr<Solver> make_tls_alpn01_solver(std::shared_ptr<TlsAlpnResponder> responder) {
  return std::make_unique<TlsAlpn01Solver>(std::move(responder));
}

} // namespace certsmith::challenge
