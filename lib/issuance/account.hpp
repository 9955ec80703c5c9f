#pragma once
// The account a run uses: the one already stored for this server (as certbot
// stores it), or a new registration when there is none.

#include "acme/client.hpp"
#include "store/account_store.hpp"
#include "store/tree_paths.hpp"

#include <string>

namespace certsmith::issuance {

struct AccountRequest {
  std::string email; // comma-separated like certbot's -m; "" for none
  bool register_unsafely_without_email = false;
  bool agree_tos = false;
  std::string account_id; // --account: use this stored account; "" = the only/first one
  // RFC 8555 §7.3.4 external account binding, for CAs that require it.
  std::string eab_kid;
  std::string eab_hmac_key; // base64url as the CA hands it out
  std::string eab_hmac_alg = "HS256";
};

/// Make client use the stored account for its server, registering (RFC 8555
/// §7.3) and saving a new one when none exists. Throws UsageError when
/// registration needs an email or --agree-tos that was not given.
store::StoredAccount ensure_account(const store::TreePaths& paths, acme::Client& client,
                                    const AccountRequest& request);

} // namespace certsmith::issuance
