#include "issuance/run_context.hpp"

#include "crypto/jwk.hpp"

namespace certsmith::issuance {

RunContext::RunContext(store::TreePaths paths, http::Transport& transport, util::Clock& clock,
                       AccountRequest account_request)
    : m_paths(std::move(paths)), m_transport(transport), m_clock(clock),
      m_account_request(std::move(account_request)) {}

AccountClient RunContext::client_for(const std::string& server) {
  AccountClient result;
  result.client = std::make_unique<acme::Client>(m_transport, m_clock, server);
  // Held across registration: two workers must not register two accounts.
  std::lock_guard lock(m_mutex);
  auto it = m_accounts.find(server);
  if (it == m_accounts.end()) {
    store::StoredAccount account = ensure_account(m_paths, *result.client, m_account_request);
    std::string thumbprint = crypto::jwk_thumbprint(account.key);
    it = m_accounts.emplace(server, ServerAccount{std::move(account), std::move(thumbprint)}).first;
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

} // namespace certsmith::issuance
