#include "crypto/jwk.hpp"

#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "crypto/openssl_handles.hpp"
#include "util/error.hpp"

#include <array>
#include <openssl/core_names.h>
#include <utility>
#include <vector>

namespace certsmith::crypto {

namespace {

using nlohmann::json;

struct CurveInfo {
  const char* jwk_name;     // RFC 7518 §6.2.1.1
  const char* openssl_name; // OSSL_PKEY_PARAM_GROUP_NAME
  std::size_t field_bytes;
};

constexpr CurveInfo k_p256{"P-256", "prime256v1", 32};
constexpr CurveInfo k_p384{"P-384", "secp384r1", 48};

const CurveInfo& curve_info(const PrivateKey& key) {
  return key.spec().curve == "secp384r1" ? k_p384 : k_p256;
}

bool is_ec(const PrivateKey& key) {
  return key.spec().algorithm == KeyAlgorithm::ecdsa;
}

detail::BignumPtr get_bignum(const PrivateKey& key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), name, &value) != 1) {
    detail::throw_crypto_error(std::string("cannot read key parameter ") + name);
  }
  return detail::BignumPtr(value);
}

// RFC 7518 §6.2.1.2/§6.2.2.1: EC members are the full field width, zero-padded.
std::string fixed_width(const BIGNUM* value, std::size_t width) {
  std::string out(width, '\0');
  if (BN_bn2binpad(value, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(width)) <
      0) {
    detail::throw_crypto_error("key parameter wider than its curve");
  }
  return base64url_encode(out);
}

// RFC 7518 §6.3.1: RSA members are minimal big-endian, no leading zero bytes.
std::string minimal(const BIGNUM* value) {
  std::string out(static_cast<std::size_t>(BN_num_bytes(value)), '\0');
  BN_bn2bin(value, reinterpret_cast<unsigned char*>(out.data()));
  return base64url_encode(out);
}

std::string member_bytes(const json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    throw CryptoError(std::string("JWK is missing string member \"") + name + "\"");
  }
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) {
    throw CryptoError(std::string("JWK member \"") + name + "\" is empty or not base64url");
  }
  return *bytes;
}

detail::BignumPtr to_bignum(const std::string& bytes) {
  detail::BignumPtr value(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                    static_cast<int>(bytes.size()), nullptr));
  if (!value) {
    detail::throw_crypto_error("cannot allocate bignum");
  }
  return value;
}

PrivateKey key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  detail::ParamsPtr params(OSSL_PARAM_BLD_to_param(builder));
  detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    detail::throw_crypto_error("cannot prepare JWK import");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    detail::throw_crypto_error("JWK does not describe a valid key");
  }
  detail::PkeyPtr key(raw);
  // fromdata takes the members as given; a JWK whose private and public halves
  // disagree would sign with one key while publishing another.
  detail::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
    detail::throw_crypto_error("JWK private and public members do not match");
  }
  return PrivateKey::adopt(key.release());
}

// RFC 7518 requires full-width EC members, but a writer that drops leading zero
// bytes would otherwise produce a key that fails to load once in 256 times.
std::string left_pad(const std::string& bytes, const CurveInfo& curve) {
  if (bytes.size() > curve.field_bytes) {
    throw CryptoError(std::string("EC JWK member is too long for ") + curve.jwk_name);
  }
  return std::string(curve.field_bytes - bytes.size(), '\0') + bytes;
}

PrivateKey ec_key_from_jwk(const json& jwk) {
  const auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) {
    throw CryptoError("EC JWK is missing \"crv\"");
  }
  const CurveInfo* curve = nullptr;
  if (*crv == k_p256.jwk_name) {
    curve = &k_p256;
  } else if (*crv == k_p384.jwk_name) {
    curve = &k_p384;
  } else {
    throw CryptoError("unsupported JWK curve: " + crv->get<std::string>());
  }
  const std::string x = left_pad(member_bytes(jwk, "x"), *curve);
  const std::string y = left_pad(member_bytes(jwk, "y"), *curve);
  const std::string d = left_pad(member_bytes(jwk, "d"), *curve);
  const std::string point = "\x04" + x + y; // SEC 1 uncompressed point
  auto private_value = to_bignum(d);
  detail::ParamBuildPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      curve->openssl_name, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, private_value.get()) != 1) {
    detail::throw_crypto_error("cannot build EC key parameters");
  }
  return key_from_params("EC", builder.get());
}

PrivateKey rsa_key_from_jwk(const json& jwk) {
  // certbot (josepy) always stores the CRT members, and OpenSSL needs them to
  // write a complete PKCS#1/PKCS#8 key, so they are required.
  constexpr std::array<std::pair<const char*, const char*>, 8> k_members{{
      {"n", OSSL_PKEY_PARAM_RSA_N},
      {"e", OSSL_PKEY_PARAM_RSA_E},
      {"d", OSSL_PKEY_PARAM_RSA_D},
      {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
      {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
      {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
  }};
  std::vector<detail::BignumPtr> values;
  detail::ParamBuildPtr builder(OSSL_PARAM_BLD_new());
  if (!builder) {
    detail::throw_crypto_error("cannot build RSA key parameters");
  }
  for (const auto& [member, param] : k_members) {
    values.push_back(to_bignum(member_bytes(jwk, member)));
    if (OSSL_PARAM_BLD_push_BN(builder.get(), param, values.back().get()) != 1) {
      detail::throw_crypto_error("cannot build RSA key parameters");
    }
  }
  return key_from_params("RSA", builder.get());
}

} // namespace

json public_jwk(const PrivateKey& key) {
  if (is_ec(key)) {
    const CurveInfo& curve = curve_info(key);
    auto x = get_bignum(key, OSSL_PKEY_PARAM_EC_PUB_X);
    auto y = get_bignum(key, OSSL_PKEY_PARAM_EC_PUB_Y);
    return {{"kty", "EC"},
            {"crv", curve.jwk_name},
            {"x", fixed_width(x.get(), curve.field_bytes)},
            {"y", fixed_width(y.get(), curve.field_bytes)}};
  }
  auto n = get_bignum(key, OSSL_PKEY_PARAM_RSA_N);
  auto e = get_bignum(key, OSSL_PKEY_PARAM_RSA_E);
  return {{"kty", "RSA"}, {"n", minimal(n.get())}, {"e", minimal(e.get())}};
}

json private_jwk(const PrivateKey& key) {
  json jwk = public_jwk(key);
  if (is_ec(key)) {
    auto d = get_bignum(key, OSSL_PKEY_PARAM_PRIV_KEY);
    jwk["d"] = fixed_width(d.get(), curve_info(key).field_bytes);
    return jwk;
  }
  jwk["d"] = minimal(get_bignum(key, OSSL_PKEY_PARAM_RSA_D).get());
  jwk["p"] = minimal(get_bignum(key, OSSL_PKEY_PARAM_RSA_FACTOR1).get());
  jwk["q"] = minimal(get_bignum(key, OSSL_PKEY_PARAM_RSA_FACTOR2).get());
  jwk["dp"] = minimal(get_bignum(key, OSSL_PKEY_PARAM_RSA_EXPONENT1).get());
  jwk["dq"] = minimal(get_bignum(key, OSSL_PKEY_PARAM_RSA_EXPONENT2).get());
  jwk["qi"] = minimal(get_bignum(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1).get());
  return jwk;
}

PrivateKey private_key_from_jwk(const json& jwk) {
  if (!jwk.is_object()) {
    throw CryptoError("JWK is not a JSON object");
  }
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) {
    throw CryptoError("JWK is missing \"kty\"");
  }
  if (*kty == "EC") {
    return ec_key_from_jwk(jwk);
  }
  if (*kty == "RSA") {
    return rsa_key_from_jwk(jwk);
  }
  throw CryptoError("unsupported JWK key type: " + kty->get<std::string>());
}

std::string jwk_thumbprint(const json& public_jwk) {
  if (!public_jwk.is_object()) {
    throw CryptoError("JWK is not a JSON object");
  }
  const auto kty = public_jwk.find("kty");
  if (kty == public_jwk.end() || !kty->is_string()) {
    throw CryptoError("JWK is missing \"kty\"");
  }
  // RFC 7638 §3.2: only the required members of the key type.
  std::vector<const char*> required;
  if (*kty == "EC") {
    required = {"crv", "kty", "x", "y"};
  } else if (*kty == "RSA") {
    required = {"e", "kty", "n"};
  } else if (*kty == "oct") {
    required = {"k", "kty"};
  } else {
    throw CryptoError("unsupported JWK key type: " + kty->get<std::string>());
  }
  json members = json::object();
  for (const char* name : required) {
    const auto it = public_jwk.find(name);
    if (it == public_jwk.end() || !it->is_string()) {
      throw CryptoError(std::string("JWK is missing string member \"") + name + "\"");
    }
    members[name] = *it;
  }
  // nlohmann::json objects iterate in sorted key order and dump() emits no
  // whitespace, which is exactly RFC 7638's canonical form.
  return base64url_encode(sha256(members.dump()));
}

std::string jwk_thumbprint(const PrivateKey& key) {
  return jwk_thumbprint(public_jwk(key));
}

std::string jws_algorithm(const PrivateKey& key) {
  if (!is_ec(key)) {
    return "RS256";
  }
  return &curve_info(key) == &k_p384 ? "ES384" : "ES256";
}

} // namespace certsmith::crypto
