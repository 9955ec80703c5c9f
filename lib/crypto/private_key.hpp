#pragma once
// Private keys (ECDSA P-256/P-384, RSA) over OpenSSL 3 EVP_PKEY.

#include <memory>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace certsmith::crypto {

enum class KeyAlgorithm { ecdsa, rsa };

/// What kind of key to make or what a key is. `curve` is "secp256r1" or
/// "secp384r1" for ECDSA (certbot's spelling); `rsa_bits` is 2048/3072/4096.
struct KeySpec {
  KeyAlgorithm algorithm = KeyAlgorithm::ecdsa;
  std::string curve = "secp256r1";
  int rsa_bits = 2048;
  bool operator==(const KeySpec&) const = default;
};

class PrivateKey {
public:
  /// Generate a fresh key. Throws CryptoError for an unsupported spec.
  static PrivateKey generate(const KeySpec& spec);
  /// Parse a PEM private key (PKCS#8, or traditional "EC/RSA PRIVATE KEY").
  /// Throws CryptoError with a one-line reason on anything else.
  static PrivateKey from_pem(std::string_view pem);
  /// Take ownership of an OpenSSL key (crypto/ internals). Frees it and throws
  /// CryptoError unless it is ECDSA P-256/P-384 or RSA of at least 2048 bits.
  static PrivateKey adopt(evp_pkey_st* key);

  /// PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), as certbot writes privkey.pem.
  std::string to_pem() const;
  /// DER SubjectPublicKeyInfo of the public half.
  std::string public_key_der() const;
  KeySpec spec() const;

  evp_pkey_st* get() const { return m_key.get(); }

private:
  explicit PrivateKey(evp_pkey_st* key);
  std::shared_ptr<evp_pkey_st> m_key;
};

} // namespace certsmith::crypto
