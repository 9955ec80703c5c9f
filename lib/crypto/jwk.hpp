#pragma once
// RFC 7517 JSON Web Keys and the RFC 7638 thumbprint.

#include <nlohmann/json.hpp>
#include <string>

#include "crypto/private_key.hpp"

namespace certsmith::crypto {

/// Public JWK of key: {"crv","kty","x","y"} for EC, {"e","kty","n"} for RSA.
nlohmann::json public_jwk(const PrivateKey& key);

/// Private JWK (public members plus "d", and p,q,dp,dq,qi for RSA), the form
/// certbot stores in accounts/.../private_key.json.
nlohmann::json private_jwk(const PrivateKey& key);

/// Load a private JWK (EC P-256/P-384 or RSA). Throws CryptoError.
PrivateKey private_key_from_jwk(const nlohmann::json& jwk);

/// RFC 7638 thumbprint: base64url(SHA-256(required members, sorted, no spaces)).
std::string jwk_thumbprint(const nlohmann::json& public_jwk);
std::string jwk_thumbprint(const PrivateKey& key);

/// JWS "alg" for the key: ES256 (P-256), ES384 (P-384), RS256 (RSA).
std::string jws_algorithm(const PrivateKey& key);

} // namespace certsmith::crypto
