#include "issuance/run_context.hpp"

#include "crypto/jwk.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

RunContext::RunContext(store::TreePaths paths, http::Transport& transport, util::Clock& clock,
                       AccountRequest account_request, std::chrono::seconds issuance_timeout)
    : m_paths(std::move(paths)), m_transport(transport), m_clock(clock),
      m_account_request(std::move(account_request)) {
  m_client_options.issuance_timeout = issuance_timeout;
}

AccountRequest RunContext::request_for(const std::string& server,
                                       const std::string& recorded_account) const {
  AccountRequest request = m_account_request;
  if (!request.account_id.empty() || recorded_account.empty())
    return request;
  try {
    if (store::load_account(m_paths, server, recorded_account))
      request.account_id = recorded_account;
    else
      util::log_debug("account {} of the renewal conf is not stored for {}: using another",
                      util::escape_untrusted(recorded_account, 64), server);
  } catch (const Error& error) {
    // As certbot: a lineage whose account is stored but broken fails, rather than
    // quietly moving to another account.
    throw StorageError(fmt::format("account {} of the renewal conf cannot be read: {}",
                                   util::escape_untrusted(recorded_account, 64), error.what()));
  }
  return request;
}

AccountClient RunContext::client_for(const std::string& server,
                                     const std::string& recorded_account) {
  AccountClient result;
  result.client = std::make_unique<acme::Client>(m_transport, m_clock, server, m_client_options);
  // Held across registration: two workers must not register two accounts.
  std::lock_guard lock(m_mutex);
  AccountRequest request = request_for(server, recorded_account);
  auto key = std::make_pair(server, request.account_id);
  auto it = m_accounts.find(key);
  if (it == m_accounts.end()) {
    store::StoredAccount account = ensure_account(m_paths, *result.client, request);
    std::string thumbprint = crypto::jwk_thumbprint(account.key);
    it = m_accounts.emplace(key, ServerAccount{std::move(account), std::move(thumbprint)}).first;
  } else {
    result.client->use_account(it->second.account.key, it->second.account.uri);
  }
  result.account_id = it->second.account.id;
  result.thumbprint = it->second.thumbprint;
  return result;
}

std::shared_ptr<challenge::Http01Responder> RunContext::responder(const std::string& address,
                                                                  std::uint16_t port) {
  std::lock_guard lock(m_mutex);
  auto& responder = m_responders[{address, port}];
  if (!responder)
    responder = std::make_shared<challenge::Http01Responder>(address, port);
  return responder;
}

std::shared_ptr<challenge::TlsAlpnResponder>
RunContext::tls_alpn_responder(const std::string& address, std::uint16_t port) {
  std::lock_guard lock(m_mutex);
  auto& responder = m_tls_alpn_responders[{address, port}];
  if (!responder)
    responder = challenge::make_tls_alpn_responder(address, port);
  return responder;
}

} // namespace certsmith::issuance
