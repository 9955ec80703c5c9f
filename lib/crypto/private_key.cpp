#include "crypto/private_key.hpp"

#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"

#include <array>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace certsmith::crypto {

namespace {

constexpr int k_min_rsa_bits = 2048;
// Generation is capped so a typo in a config cannot start an hour-long keygen.
constexpr int k_max_rsa_bits = 8192;

// OpenSSL names P-256 "prime256v1"; certbot and KeySpec say "secp256r1".
std::string curve_of(EVP_PKEY* key) {
  std::array<char, 64> name{};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(key, name.data(), name.size(), &length) != 1) {
    return {};
  }
  const std::string group(name.data(), length);
  if (group == "prime256v1" || group == "P-256") {
    return "secp256r1";
  }
  if (group == "secp384r1" || group == "P-384") {
    return "secp384r1";
  }
  return group;
}

std::string openssl_curve_name(const std::string& curve) {
  if (curve == "secp256r1") {
    return "P-256";
  }
  if (curve == "secp384r1") {
    return "P-384";
  }
  throw CryptoError("unsupported elliptic curve: " + curve + " (use secp256r1 or secp384r1)");
}

} // namespace

PrivateKey::PrivateKey(evp_pkey_st* key) : m_key(key, EVP_PKEY_free) {}

PrivateKey PrivateKey::adopt(evp_pkey_st* key) {
  detail::PkeyPtr owned(key);
  if (!owned) {
    throw CryptoError("no private key");
  }
  switch (EVP_PKEY_get_base_id(key)) {
  case EVP_PKEY_EC: {
    const std::string curve = curve_of(key);
    if (curve != "secp256r1" && curve != "secp384r1") {
      throw CryptoError("unsupported EC key: curve " + (curve.empty() ? "unknown" : curve) +
                        " (only P-256 and P-384)");
    }
    break;
  }
  case EVP_PKEY_RSA:
    if (EVP_PKEY_get_bits(key) < k_min_rsa_bits) {
      throw CryptoError("RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) +
                        " bits is too small (minimum 2048)");
    }
    break;
  default:
    throw CryptoError("unsupported key type (only ECDSA P-256/P-384 and RSA)");
  }
  return PrivateKey(owned.release());
}

PrivateKey PrivateKey::generate(const KeySpec& spec) {
  EVP_PKEY* key = nullptr;
  if (spec.algorithm == KeyAlgorithm::ecdsa) {
    const std::string curve = openssl_curve_name(spec.curve);
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.c_str());
  } else {
    if (spec.rsa_bits < k_min_rsa_bits || spec.rsa_bits > k_max_rsa_bits) {
      throw CryptoError("unsupported RSA key size " + std::to_string(spec.rsa_bits) +
                        " (2048 to 8192 bits)");
    }
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(spec.rsa_bits));
  }
  if (key == nullptr) {
    detail::throw_crypto_error("key generation failed");
  }
  return adopt(key);
}

PrivateKey PrivateKey::from_pem(std::string_view pem) {
  auto bio = detail::memory_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, detail::refuse_password, nullptr);
  if (key == nullptr) {
    detail::throw_crypto_error("cannot parse PEM private key");
  }
  return adopt(key);
}

std::string PrivateKey::to_pem() const {
  auto bio = detail::output_bio();
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  if (PEM_write_bio_PrivateKey(bio.get(), m_key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
      1) {
    detail::throw_crypto_error("cannot write private key PEM");
  }
  return detail::bio_contents(bio.get());
}

std::string PrivateKey::public_key_der() const {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(m_key.get(), &der);
  if (length <= 0) {
    detail::throw_crypto_error("cannot encode public key");
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

KeySpec PrivateKey::spec() const {
  KeySpec spec;
  if (EVP_PKEY_get_base_id(m_key.get()) == EVP_PKEY_EC) {
    spec.algorithm = KeyAlgorithm::ecdsa;
    spec.curve = curve_of(m_key.get());
  } else {
    spec.algorithm = KeyAlgorithm::rsa;
    spec.rsa_bits = EVP_PKEY_get_bits(m_key.get());
  }
  return spec;
}

} // namespace certsmith::crypto
