#pragma once
// RFC 8555 §7.1 resources as the client uses them, parsed defensively: every
// field is type-checked, every URL must stay on the directory's scheme, every
// token must be base64url. Violations throw ProtocolError.

#include "acme/identifier.hpp"
#include "acme/problem.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::acme {

/// RFC 8555 §7.1.1.
struct Directory {
  std::string new_nonce, new_account, new_order, revoke_cert, key_change;
  std::string renewal_info; // RFC 9773 ARI, "" when absent
  std::string terms_of_service;
  std::string website;
  std::vector<std::string> caa_identities;
  bool external_account_required = false;
  // draft-aaron-acme-profiles §3: meta.profiles, name -> description. Entries
  // that are not name -> string are dropped, and at most k_max_profiles kept.
  std::map<std::string, std::string> profiles;
};

inline constexpr std::size_t k_max_profiles = 64;

/// RFC 8555 §7.1.5.
struct Challenge {
  std::string type;
  std::string url;
  std::string status; // pending, processing, valid, invalid
  std::string token;  // "" for types without one; otherwise base64url
  std::optional<Problem> error;
};

/// RFC 8555 §7.1.4.
struct Authorization {
  std::string url;
  Identifier identifier;
  std::string status; // pending, valid, invalid, deactivated, expired, revoked
  bool wildcard = false;
  std::vector<Challenge> challenges;
};

/// RFC 8555 §7.1.3.
struct Order {
  std::string url;
  std::string status; // pending, ready, processing, valid, invalid
  std::vector<Identifier> identifiers;
  std::vector<std::string> authorizations;
  std::string finalize;
  std::string certificate; // "" until valid
  std::optional<Problem> error;
};

/// Throws ProtocolError unless url is absolute, has the same scheme and is free
/// of whitespace and control characters.
void check_server_url(std::string_view url, std::string_view directory_url);

/// True when url has the same scheme, host and port as reference, compared
/// as origin_of (url.hpp) normalises them: case aside, and "https://ca" is
/// "https://ca:443". False when either has no origin (relative, userinfo,
/// bad port).
bool is_same_origin(std::string_view url, std::string_view reference);

Directory parse_directory(const nlohmann::json& body, std::string_view directory_url);
Challenge parse_challenge(const nlohmann::json& body, std::string_view directory_url);
Authorization parse_authorization(const nlohmann::json& body, std::string url,
                                  std::string_view directory_url);
Order parse_order(const nlohmann::json& body, std::string url, std::string_view directory_url);

} // namespace certsmith::acme
