#include "acme/resources.hpp"

#include "acme/url.hpp"
#include "crypto/base64url.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace certsmith::acme {

namespace {

constexpr std::size_t k_max_url_length = 2048;
constexpr std::size_t k_max_list_length = 1000;
constexpr std::size_t k_max_profile_name_length = 100;
constexpr std::size_t k_max_profile_description_length = 1000;

std::string scheme_of(std::string_view url) {
  auto colon = url.find("://");
  return colon == std::string_view::npos ? std::string() : std::string(url.substr(0, colon));
}

const nlohmann::json* member(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string required_string(const nlohmann::json& object, const char* name, std::string_view what) {
  const auto* value = member(object, name);
  if (value == nullptr || !value->is_string())
    throw ProtocolError(fmt::format("{} from the CA has no string \"{}\"", what, name));
  return value->get<std::string>();
}

std::string optional_string(const nlohmann::json& object, const char* name, std::string_view what) {
  const auto* value = member(object, name);
  if (value == nullptr)
    return {};
  if (!value->is_string())
    throw ProtocolError(fmt::format("{} from the CA has a non-string \"{}\"", what, name));
  return value->get<std::string>();
}

std::string required_url(const nlohmann::json& object, const char* name, std::string_view what,
                         std::string_view directory_url) {
  std::string url = required_string(object, name, what);
  check_server_url(url, directory_url);
  return url;
}

std::string optional_url(const nlohmann::json& object, const char* name, std::string_view what,
                         std::string_view directory_url) {
  std::string url = optional_string(object, name, what);
  if (!url.empty())
    check_server_url(url, directory_url);
  return url;
}

void require_object(const nlohmann::json& body, std::string_view what) {
  if (!body.is_object())
    throw ProtocolError(fmt::format("{} from the CA is not a JSON object", what));
}

std::optional<Problem> optional_problem(const nlohmann::json& object) {
  const auto* error = member(object, "error");
  if (error == nullptr || !error->is_object())
    return std::nullopt;
  http::Response synthetic;
  synthetic.body = error->dump();
  return problem_from_response(synthetic);
}

Identifier parse_identifier(const nlohmann::json& body, std::string_view what) {
  if (!body.is_object())
    throw ProtocolError(fmt::format("{} from the CA has a malformed identifier", what));
  Identifier identifier{required_string(body, "type", what), required_string(body, "value", what)};
  if (identifier.value.size() > 253)
    throw ProtocolError(fmt::format("{} from the CA has an identifier that is too long", what));
  return identifier;
}

bool is_printable_ascii(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c > 0x20 && c < 0x7F; });
}

// A name is sent back to the CA and printed, so only short printable names
// are kept; a hostile directory cannot make the map large.
std::map<std::string, std::string> parse_profiles(const nlohmann::json& profiles) {
  std::map<std::string, std::string> out;
  if (!profiles.is_object())
    return out;
  for (const auto& [name, description] : profiles.items()) {
    if (out.size() == k_max_profiles)
      break;
    if (!description.is_string() || name.empty() || name.size() > k_max_profile_name_length ||
        !is_printable_ascii(name))
      continue;
    out.emplace(name, util::escape_untrusted(description.get<std::string>(),
                                             k_max_profile_description_length));
  }
  return out;
}

} // namespace

bool is_same_origin(std::string_view url, std::string_view reference) {
  std::string origin = origin_of(url);
  return !origin.empty() && origin == origin_of(reference);
}

void check_server_url(std::string_view url, std::string_view directory_url) {
  bool clean =
      std::none_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7F; });
  std::string scheme = scheme_of(url);
  if (!clean || url.size() > k_max_url_length || scheme.empty() ||
      scheme != scheme_of(directory_url) || url.size() <= scheme.size() + 3)
    throw ProtocolError(fmt::format("the CA sent a URL that is not on {}:// : '{}'",
                                    scheme_of(directory_url), util::escape_untrusted(url, 200)));
}

Directory parse_directory(const nlohmann::json& body, std::string_view directory_url) {
  constexpr std::string_view what = "the directory";
  require_object(body, what);
  Directory directory;
  directory.new_nonce = required_url(body, "newNonce", what, directory_url);
  directory.new_account = required_url(body, "newAccount", what, directory_url);
  directory.new_order = required_url(body, "newOrder", what, directory_url);
  directory.revoke_cert = optional_url(body, "revokeCert", what, directory_url);
  directory.key_change = optional_url(body, "keyChange", what, directory_url);
  directory.renewal_info = optional_url(body, "renewalInfo", what, directory_url);
  if (const auto* meta = member(body, "meta"); meta != nullptr && meta->is_object()) {
    directory.terms_of_service = optional_string(*meta, "termsOfService", what);
    directory.website = optional_string(*meta, "website", what);
    if (const auto* caa = member(*meta, "caaIdentities"); caa != nullptr && caa->is_array()) {
      for (const auto& entry : *caa) {
        if (entry.is_string())
          directory.caa_identities.push_back(entry.get<std::string>());
      }
    }
    if (const auto* eab = member(*meta, "externalAccountRequired"); eab != nullptr)
      directory.external_account_required = eab->is_boolean() && eab->get<bool>();
    if (const auto* profiles = member(*meta, "profiles"); profiles != nullptr)
      directory.profiles = parse_profiles(*profiles);
  }
  return directory;
}

Challenge parse_challenge(const nlohmann::json& body, std::string_view directory_url) {
  constexpr std::string_view what = "a challenge";
  require_object(body, what);
  Challenge challenge;
  challenge.type = required_string(body, "type", what);
  challenge.url = required_url(body, "url", what, directory_url);
  challenge.status = required_string(body, "status", what);
  challenge.token = optional_string(body, "token", what);
  // RFC 8555 §8.3: the token is base64url; anything else could name a path.
  if (!challenge.token.empty() &&
      (challenge.token.size() > 256 || !crypto::is_base64url(challenge.token)))
    throw ProtocolError(fmt::format("the CA sent a {} challenge token that is not base64url: '{}'",
                                    util::escape_untrusted(challenge.type, 40),
                                    util::escape_untrusted(challenge.token, 80)));
  challenge.error = optional_problem(body);
  return challenge;
}

Authorization parse_authorization(const nlohmann::json& body, std::string url,
                                  std::string_view directory_url) {
  constexpr std::string_view what = "an authorization";
  require_object(body, what);
  Authorization authorization;
  authorization.url = std::move(url);
  const auto* identifier = member(body, "identifier");
  if (identifier == nullptr)
    throw ProtocolError("an authorization from the CA has no identifier");
  authorization.identifier = parse_identifier(*identifier, what);
  authorization.status = required_string(body, "status", what);
  if (const auto* wildcard = member(body, "wildcard"); wildcard != nullptr)
    authorization.wildcard = wildcard->is_boolean() && wildcard->get<bool>();
  const auto* challenges = member(body, "challenges");
  if (challenges == nullptr || !challenges->is_array() || challenges->size() > k_max_list_length)
    throw ProtocolError("an authorization from the CA has no list of challenges");
  for (const auto& entry : *challenges)
    authorization.challenges.push_back(parse_challenge(entry, directory_url));
  return authorization;
}

Order parse_order(const nlohmann::json& body, std::string url, std::string_view directory_url) {
  constexpr std::string_view what = "an order";
  require_object(body, what);
  Order order;
  order.url = std::move(url);
  order.status = required_string(body, "status", what);
  order.finalize = required_url(body, "finalize", what, directory_url);
  order.certificate = optional_url(body, "certificate", what, directory_url);
  const auto* identifiers = member(body, "identifiers");
  if (identifiers != nullptr && identifiers->is_array() &&
      identifiers->size() <= k_max_list_length) {
    for (const auto& entry : *identifiers)
      order.identifiers.push_back(parse_identifier(entry, what));
  }
  const auto* authorizations = member(body, "authorizations");
  if (authorizations == nullptr || !authorizations->is_array() ||
      authorizations->size() > k_max_list_length)
    throw ProtocolError("an order from the CA has no list of authorizations");
  for (const auto& entry : *authorizations) {
    if (!entry.is_string())
      throw ProtocolError("an order from the CA lists an authorization that is not a URL");
    check_server_url(entry.get<std::string>(), directory_url);
    order.authorizations.push_back(entry.get<std::string>());
  }
  order.error = optional_problem(body);
  return order;
}

} // namespace certsmith::acme
