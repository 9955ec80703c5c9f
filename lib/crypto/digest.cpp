#include "crypto/digest.hpp"

#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"

#include <array>
#include <openssl/evp.h>

namespace certsmith::crypto {

std::string sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr) != 1) {
    detail::throw_crypto_error("SHA-256 failed");
  }
  return {reinterpret_cast<const char*>(out.data()), length};
}

std::string to_hex(std::string_view bytes) {
  constexpr std::string_view k_digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += k_digits[byte >> 4];
    out += k_digits[byte & 0x0f];
  }
  return out;
}

std::string hmac(std::string_view algorithm, std::string_view key, std::string_view data) {
  if (algorithm != "SHA256" && algorithm != "SHA384" && algorithm != "SHA512") {
    throw CryptoError("unsupported HMAC algorithm: " + std::string(algorithm));
  }
  const std::string digest_name(algorithm);
  // A zero-length key is legal HMAC, but OpenSSL wants a non-null pointer.
  static const unsigned char k_empty_key = 0;
  const auto* key_bytes =
      key.empty() ? &k_empty_key : reinterpret_cast<const unsigned char*>(key.data());
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest_name.c_str(), nullptr, key_bytes, key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                out.size(), &length) == nullptr) {
    detail::throw_crypto_error("HMAC-" + digest_name + " failed");
  }
  return {reinterpret_cast<const char*>(out.data()), length};
}

} // namespace certsmith::crypto
