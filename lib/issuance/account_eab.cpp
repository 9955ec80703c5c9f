#include "issuance/account_eab.hpp"

#include "crypto/base64url.hpp"
#include "crypto/jwk.hpp"
#include "crypto/jws.hpp"
#include "util/error.hpp"

namespace certsmith::issuance {

std::string decode_eab_hmac_key(std::string_view given) {
  // Some CAs hand the key out in standard base64 ('+' and '/'), which certbot
  // (josepy) accepts too: the two alphabets differ only in those two letters.
  std::string text(given);
  for (char& c : text) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  // Some CAs print the key padded; base64url proper (RFC 7515 §2) has no padding.
  std::string_view unpadded = text;
  while (unpadded.ends_with('='))
    unpadded.remove_suffix(1);
  const std::size_t padding = text.size() - unpadded.size();
  const bool padding_fits = padding == 0 || (padding <= 2 && text.size() % 4 == 0);
  std::optional<std::string> key;
  if (padding_fits && crypto::is_base64url(unpadded))
    key = crypto::base64url_decode(unpadded);
  if (!key || key->empty())
    throw UsageError("--eab-hmac-key is not a base64 key as the CA hands it out (letters, "
                     "digits, '-' and '_' or '+' and '/', perhaps '=' padded)");
  return *key;
}

void check_eab_flags(const AccountRequest& request) {
  if (request.eab_kid.empty() != request.eab_hmac_key.empty())
    throw UsageError("--eab-kid and --eab-hmac-key go together: pass both, as your CA gave them");
  if (request.eab_kid.empty())
    return;
  decode_eab_hmac_key(request.eab_hmac_key);
  if (request.eab_hmac_alg != "HS256" && request.eab_hmac_alg != "HS384" &&
      request.eab_hmac_alg != "HS512")
    throw UsageError("--eab-hmac-alg must be HS256, HS384 or HS512");
}

std::optional<nlohmann::json> external_account_binding(const AccountRequest& request,
                                                       const acme::Directory& directory,
                                                       const crypto::PrivateKey& account_key) {
  check_eab_flags(request);
  if (request.eab_kid.empty()) {
    if (directory.external_account_required)
      throw UsageError("this CA requires external account binding: pass --eab-kid and "
                       "--eab-hmac-key with the values from your account at the CA");
    return std::nullopt;
  }
  // Sent even when the CA does not require it, as certbot does: the CA may
  // use it to link the accounts.
  return crypto::sign_eab(decode_eab_hmac_key(request.eab_hmac_key), request.eab_kid,
                          directory.new_account, crypto::public_jwk(account_key),
                          request.eab_hmac_alg);
}

} // namespace certsmith::issuance
