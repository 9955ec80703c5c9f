#pragma once
// RFC 8555 §7.3.4 external account binding: what --eab-kid, --eab-hmac-key and
// --eab-hmac-alg add to a newAccount request, for CAs (ZeroSSL, Google) that
// tie ACME accounts to accounts of their own.

#include "acme/resources.hpp"
#include "crypto/private_key.hpp"
#include "issuance/account.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace certsmith::issuance {

/// The raw MAC key from its base64url text as CAs hand it out, with or without
/// '=' padding; standard base64 ('+', '/') is accepted too, as certbot does.
/// Throws UsageError naming --eab-hmac-key for anything else.
std::string decode_eab_hmac_key(std::string_view text);

/// Check the EAB flags before anything is sent: both of --eab-kid and
/// --eab-hmac-key or neither, a decodable key, a known algorithm. Throws UsageError.
void check_eab_flags(const AccountRequest& request);

/// The externalAccountBinding member for registering `account_key`, or nullopt
/// when no EAB flags were given. Throws UsageError when the directory says
/// externalAccountRequired and the flags are missing.
std::optional<nlohmann::json> external_account_binding(const AccountRequest& request,
                                                       const acme::Directory& directory,
                                                       const crypto::PrivateKey& account_key);

} // namespace certsmith::issuance
