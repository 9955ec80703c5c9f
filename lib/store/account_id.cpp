#include "store/account_store.hpp"
#include "util/error.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

namespace certsmith::store {

namespace {

// The PEM "PUBLIC KEY" text exactly as OpenSSL (and so Python's cryptography)
// writes it: base64 in 64-column lines.
std::string public_key_pem(const std::string& der) {
  std::string base64(4 * ((der.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()),
                               reinterpret_cast<const unsigned char*>(der.data()),
                               static_cast<int>(der.size()));
  base64.resize(static_cast<std::size_t>(length));
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t at = 0; at < base64.size(); at += 64) {
    pem += base64.substr(at, 64);
    pem += '\n';
  }
  pem += "-----END PUBLIC KEY-----\n";
  return pem;
}

} // namespace

std::string account_id_for_key(const crypto::PrivateKey& key) {
  std::string pem = public_key_pem(key.public_key_der());
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  // The id is a name, not a security property; MD5 is what certbot chose.
  if (EVP_Q_digest(nullptr, "MD5", nullptr, pem.data(), pem.size(), digest, &length) != 1) {
    throw StorageError("cannot compute the account id: MD5 is not available");
  }
  std::string hex;
  for (std::size_t i = 0; i < length; ++i) {
    hex += fmt::format("{:02x}", digest[i]);
  }
  return hex;
}

} // namespace certsmith::store
