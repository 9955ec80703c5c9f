#pragma once
// RFC 8555 §7.2: anti-replay nonces. Every response's Replay-Nonce is kept for
// the next request, so newNonce is asked only when the pool is empty.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::acme {

class NoncePool {
public:
  /// Keep nonce if it is valid base64url (RFC 8555 §6.5.1); ignore it otherwise.
  void add(const std::string& nonce);
  /// The most recent unused nonce, or nullopt when empty.
  std::optional<std::string> take();
  std::size_t size() const;

private:
  static constexpr std::size_t k_capacity = 64;
  mutable std::mutex m_mutex;
  std::vector<std::string> m_nonces;
};

} // namespace certsmith::acme
