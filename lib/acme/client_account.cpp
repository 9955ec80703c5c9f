// RFC 8555 §7.3: what a client does with its account after creating it:
// look it up by key, read it, change its contacts, deactivate it, roll its key.
#include "acme/client.hpp"
#include "acme/json_body.hpp"
#include "crypto/jwk.hpp"
#include "crypto/jws.hpp"

#include <fmt/format.h>

namespace certsmith::acme {

namespace {

// The account URL is the kid of every later request: it must be on the CA's scheme.
std::string account_location(const http::Response& response, std::string_view what,
                             const std::string& directory_url) {
  auto location = response.header("location");
  if (!location)
    throw ProtocolError(fmt::format("the CA's answer to {} has no Location header", what));
  check_server_url(*location, directory_url);
  return *location;
}

nlohmann::json account_body(const http::Response& response) {
  nlohmann::json body = parse_json_body(response.body, "the account");
  if (!body.is_object())
    throw ProtocolError("the CA's account is not a JSON object");
  if (body.contains("status") && !body["status"].is_string())
    throw ProtocolError("the CA's account has a status that is not a string");
  return body;
}

} // namespace

std::optional<Account> Client::find_account(const crypto::PrivateKey& key) {
  // onlyReturnExisting: the CA answers 200 with the account or accountDoesNotExist.
  const nlohmann::json payload = {{"onlyReturnExisting", true}};
  try {
    http::Response response = signed_post(directory().new_account, payload.dump(), key, "");
    return Account{account_location(response, "newAccount", m_directory_url),
                   account_body(response)};
  } catch (const AcmeError& error) {
    if (error.problem().short_type() == "accountDoesNotExist")
      return std::nullopt;
    throw;
  }
}

Account Client::fetch_account() {
  http::Response response = post(m_account_url, std::nullopt);
  return Account{m_account_url, account_body(response)};
}

Account Client::update_account(const nlohmann::json& changes) {
  http::Response response = post(m_account_url, changes);
  return Account{m_account_url, account_body(response)};
}

Account Client::deactivate_account() {
  http::Response response = post(m_account_url, nlohmann::json{{"status", "deactivated"}});
  Account account{m_account_url, account_body(response)};
  // A CA that answers 200 but keeps the account active has not done what we asked.
  if (account.body.value("status", "") != "deactivated")
    throw ProtocolError("the CA answered the deactivation but did not report the account as "
                        "deactivated");
  return account;
}

void Client::change_account_key(const crypto::PrivateKey& new_key) {
  if (!m_account_key)
    throw Error("internal: a key change was asked for before an account was chosen");
  const std::string& key_change = directory().key_change;
  if (key_change.empty())
    throw ProtocolError("the CA does not offer account key rollover (no keyChange in its "
                        "directory)");
  // RFC 8555 §7.3.5: the inner JWS is signed by the new key, names it by jwk,
  // carries the outer request's url and no nonce; its payload ties the account
  // URL to the old key. The outer JWS is an ordinary request by the old key.
  const nlohmann::json inner_header = {{"alg", crypto::jws_algorithm(new_key)},
                                       {"jwk", crypto::public_jwk(new_key)},
                                       {"url", key_change}};
  const nlohmann::json inner_payload = {{"account", m_account_url},
                                        {"oldKey", crypto::public_jwk(*m_account_key)}};
  const nlohmann::json inner = crypto::sign_jws(new_key, inner_header, inner_payload.dump());
  post(key_change, inner);
  m_account_key = new_key;
}

} // namespace certsmith::acme
