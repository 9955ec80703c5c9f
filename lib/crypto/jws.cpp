#include "crypto/jws.hpp"

#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "crypto/jwk.hpp"
#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>

namespace certsmith::crypto {

namespace {

using nlohmann::json;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, detail::Deleter<ECDSA_SIG_free>>;

std::string digest_sign(const PrivateKey& key, const EVP_MD* digest, std::string_view input) {
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  // RSA keys default to PKCS#1 v1.5 padding, which is what RS256 means.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest, nullptr, key.get()) != 1) {
    detail::throw_crypto_error("cannot start JWS signature");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()) != 1) {
    detail::throw_crypto_error("cannot size JWS signature");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     input.size()) != 1) {
    detail::throw_crypto_error("JWS signature failed");
  }
  signature.resize(length);
  return signature;
}

// RFC 7518 §3.4: JWS carries ECDSA signatures as r||s, each the curve's width,
// where OpenSSL produces a DER SEQUENCE of two INTEGERs.
std::string der_to_raw_ecdsa(const std::string& der, std::size_t width) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!signature) {
    detail::throw_crypto_error("cannot decode ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::string raw(2 * width, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, static_cast<int>(width)) < 0 ||
      BN_bn2binpad(s, out + width, static_cast<int>(width)) < 0) {
    detail::throw_crypto_error("ECDSA signature wider than its curve");
  }
  return raw;
}

// Header values come partly from the server (nonce, URLs); invalid UTF-8 there
// must surface as our error type, not as a JSON library exception.
std::string serialize(const json& value, const char* what) {
  try {
    return value.dump();
  } catch (const json::exception&) {
    throw CryptoError(std::string(what) + " is not valid UTF-8 JSON");
  }
}

// RFC 7518 §3.2: the HMAC algorithms a JWS may name, and their digests.
const char* eab_digest(std::string_view algorithm) {
  if (algorithm == "HS256") {
    return "SHA256";
  }
  if (algorithm == "HS384") {
    return "SHA384";
  }
  if (algorithm == "HS512") {
    return "SHA512";
  }
  throw CryptoError("external account binding algorithm must be HS256, HS384 or HS512");
}

} // namespace

json sign_jws(const PrivateKey& key, const json& protected_header, std::string_view payload) {
  const std::string algorithm = jws_algorithm(key);
  const auto alg =
      protected_header.is_object() ? protected_header.find("alg") : protected_header.end();
  if (alg == protected_header.end() || !alg->is_string() || *alg != algorithm) {
    throw CryptoError("JWS protected header must carry \"alg\":\"" + algorithm + "\" for this key");
  }
  const std::string encoded_header =
      base64url_encode(serialize(protected_header, "JWS protected header"));
  const std::string encoded_payload = base64url_encode(payload);
  const std::string signing_input = encoded_header + "." + encoded_payload;

  std::string signature;
  if (algorithm == "ES256") {
    signature = der_to_raw_ecdsa(digest_sign(key, EVP_sha256(), signing_input), 32);
  } else if (algorithm == "ES384") {
    signature = der_to_raw_ecdsa(digest_sign(key, EVP_sha384(), signing_input), 48);
  } else {
    signature = digest_sign(key, EVP_sha256(), signing_input);
  }
  return {{"protected", encoded_header},
          {"payload", encoded_payload},
          {"signature", base64url_encode(signature)}};
}

json sign_eab(std::string_view mac_key, const std::string& key_id, const std::string& url,
              const json& account_jwk, std::string_view algorithm) {
  if (mac_key.empty()) {
    throw CryptoError("external account binding MAC key is empty");
  }
  const char* digest = eab_digest(algorithm);
  const json header = {{"alg", std::string(algorithm)}, {"kid", key_id}, {"url", url}};
  const std::string encoded_header = base64url_encode(serialize(header, "EAB protected header"));
  const std::string encoded_payload = base64url_encode(serialize(account_jwk, "account JWK"));
  const std::string mac = hmac(digest, mac_key, encoded_header + "." + encoded_payload);
  return {{"protected", encoded_header},
          {"payload", encoded_payload},
          {"signature", base64url_encode(mac)}};
}

} // namespace certsmith::crypto
