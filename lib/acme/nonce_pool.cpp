#include "acme/nonce_pool.hpp"

#include "crypto/base64url.hpp"

namespace certsmith::acme {

void NoncePool::add(const std::string& nonce) {
  if (nonce.size() > 256 || !crypto::is_base64url(nonce))
    return;
  std::lock_guard lock(m_mutex);
  if (m_nonces.size() == k_capacity)
    m_nonces.erase(m_nonces.begin()); // the oldest is the likeliest to have expired
  m_nonces.push_back(nonce);
}

std::optional<std::string> NoncePool::take() {
  std::lock_guard lock(m_mutex);
  if (m_nonces.empty())
    return std::nullopt;
  std::string nonce = std::move(m_nonces.back());
  m_nonces.pop_back();
  return nonce;
}

std::size_t NoncePool::size() const {
  std::lock_guard lock(m_mutex);
  return m_nonces.size();
}

} // namespace certsmith::acme
