#pragma once
// RFC 7515 JWS in flattened JSON serialization, as RFC 8555 §6.2 requires.

#include "crypto/private_key.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace certsmith::crypto {

/// Sign payload (already serialized; "" for POST-as-GET) under protected_header
/// (which must already hold "alg"). Returns {"protected","payload","signature"}.
/// ECDSA signatures are the fixed-size r||s form JWS requires, not DER.
nlohmann::json sign_jws(const PrivateKey& key, const nlohmann::json& protected_header,
                        std::string_view payload);

/// RFC 8555 §7.3.4 external account binding: a JWS over the account's public
/// JWK, MACed with the CA-issued key (raw bytes) under `algorithm` ("HS256",
/// "HS384" or "HS512"; RFC 7518 §3.2). Throws CryptoError for an empty key or
/// another algorithm.
nlohmann::json sign_eab(std::string_view mac_key, const std::string& key_id, const std::string& url,
                        const nlohmann::json& account_jwk, std::string_view algorithm = "HS256");

} // namespace certsmith::crypto
