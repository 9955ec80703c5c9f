#pragma once
// What every lineage of one run shares: the transport and clock, one account
// per ACME server (registered at most once), and one standalone http-01
// responder per address and port (one port, many tokens). Thread-safe, so
// parallel renewal workers can share it.

#include "acme/client.hpp"
#include "challenge/http01_responder.hpp"
#include "challenge/tls_alpn01.hpp"
#include "issuance/account.hpp"
#include "ratelimit/rate_limit_guard.hpp"
#include "store/tree_paths.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace certsmith::issuance {

/// A client bound to the run's account for its server.
struct AccountClient {
  std::unique_ptr<acme::Client> client;
  std::string account_id;
  std::string thumbprint; // RFC 7638, for key authorizations
};

class RunContext {
public:
  /// issuance_timeout (--issuance-timeout) applies to every order of the run.
  RunContext(store::TreePaths paths, http::Transport& transport, util::Clock& clock,
             AccountRequest account_request,
             std::chrono::seconds issuance_timeout = acme::k_default_issuance_timeout);

  const store::TreePaths& paths() const { return m_paths; }
  util::Clock& clock() { return m_clock; }

  /// --rate-limit-per-domain, --rate-limit-duplicates, --strict-rate-limits for every order.
  void set_rate_limit_policy(ratelimit::Policy policy) { m_rate_limit_policy = policy; }
  const ratelimit::Policy& rate_limit_policy() const { return m_rate_limit_policy; }

  /// A new client for server (each worker its own: nonce pools are not shared)
  /// using the account stored for that server, registered on first need.
  /// recorded_account is the account a renewal conf names: used, as certbot
  /// renews, when no --account was given and it is still stored for server.
  AccountClient client_for(const std::string& server, const std::string& recorded_account = {});

  /// The tls-alpn-01 responder listening on address:port, started on first use.
  std::shared_ptr<challenge::TlsAlpnResponder> tls_alpn_responder(const std::string& address,
                                                                  std::uint16_t port);

  /// The responder listening on address:port, started on first use.
  std::shared_ptr<challenge::Http01Responder> responder(const std::string& address,
                                                        std::uint16_t port);

private:
  AccountRequest request_for(const std::string& server, const std::string& recorded_account) const;

  struct ServerAccount {
    store::StoredAccount account;
    std::string thumbprint;
  };

  store::TreePaths m_paths;
  http::Transport& m_transport;
  util::Clock& m_clock;
  AccountRequest m_account_request;
  ratelimit::Policy m_rate_limit_policy;
  acme::ClientOptions m_client_options;
  std::mutex m_mutex;
  std::map<std::pair<std::string, std::string>, ServerAccount> m_accounts; // (server, --account)
  std::map<std::pair<std::string, std::uint16_t>, std::shared_ptr<challenge::Http01Responder>>
      m_responders;
  std::map<std::pair<std::string, std::uint16_t>, std::shared_ptr<challenge::TlsAlpnResponder>>
      m_tls_alpn_responders;
};

} // namespace certsmith::issuance
