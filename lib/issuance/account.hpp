#pragma once
// The account a run uses: the one already stored for this server (as certbot
// stores it), or a new registration when there is none.

#include "acme/client.hpp"
#include "store/account_store.hpp"
#include "store/tree_paths.hpp"

#include <optional>
#include <string>
#include <vector>

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

/// The stored account of `server` a command uses: the one --account names
/// (UsageError for an id that is malformed or not stored for this server),
/// else the first by id (certbot's sort; logged when there are several), else
/// nullopt when none is stored.
std::optional<store::StoredAccount> select_account(const store::TreePaths& paths,
                                                   const std::string& server,
                                                   const AccountRequest& request);

/// Register a new account (RFC 8555 §7.3, with external account binding when
/// asked or required) with a fresh key, save it in certbot's layout and make
/// client use it. Throws UsageError when an email, --agree-tos or the EAB
/// flags the CA needs were not given, or the EAB flags are malformed.
store::StoredAccount register_account(const store::TreePaths& paths, acme::Client& client,
                                      const AccountRequest& request);

/// The other stored accounts of account.server with account.uri: what an
/// interrupted key rollover leaves (one account at the CA, two keys stored).
/// Stored accounts that cannot be read are skipped (logged at debug level).
std::vector<store::StoredAccount> accounts_sharing_url(const store::TreePaths& paths,
                                                       const store::StoredAccount& account);

/// Of candidates (stored accounts sharing one account URL), the index of the
/// one whose key the CA holds for that URL, asked by onlyReturnExisting;
/// nullopt when the CA knows none of them. A CA that answers unclearly (an
/// error, a garbled reply) throws what the client throws: nothing can be
/// concluded then.
std::optional<std::size_t> key_the_ca_holds(acme::Client& client,
                                            const std::vector<store::StoredAccount>& candidates);

/// Make client use the stored account for its server (select_account),
/// registering and saving a new one when none exists (register_account).
/// When another stored account shares its account URL (an interrupted key
/// rollover), the one whose key the CA holds is used instead, with a warning
/// that names the command which settles it.
store::StoredAccount ensure_account(const store::TreePaths& paths, acme::Client& client,
                                    const AccountRequest& request);

} // namespace certsmith::issuance
