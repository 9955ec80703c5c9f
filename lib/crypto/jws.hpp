#pragma once
// RFC 7515 JWS in flattened JSON serialization, as RFC 8555 §6.2 requires.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crypto/private_key.hpp"

namespace certsmith::crypto {

/// Sign payload (already serialized; "" for POST-as-GET) under protected_header
/// (which must already hold "alg"). Returns {"protected","payload","signature"}.
/// ECDSA signatures are the fixed-size r||s form JWS requires, not DER.
nlohmann::json sign_jws(const PrivateKey& key, const nlohmann::json& protected_header,
                        std::string_view payload);

/// RFC 8555 §7.3.4 external account binding: an HS256 JWS over the account's
/// public JWK, keyed by the CA-issued MAC key (raw bytes).
nlohmann::json sign_eab(std::string_view mac_key, const std::string& key_id,
                        const std::string& url, const nlohmann::json& account_jwk);

} // namespace certsmith::crypto
