#pragma once
// certbot's account commands (register, show_account, update_account,
// unregister) plus RFC 8555 §7.3.5 key rollover, which certbot lacks. Each
// works on the account select_account picks for the client's server.

#include "acme/client.hpp"
#include "issuance/account.hpp"
#include "store/account_store.hpp"
#include "store/tree_paths.hpp"

#include <string>
#include <vector>

namespace certsmith::issuance {

/// certbot's register: refused with certbot's message (UsageError) when an
/// account is already stored for the server, else register_account.
store::StoredAccount register_new_account(const store::TreePaths& paths, acme::Client& client,
                                          const AccountRequest& request);

/// The account a command acts on; UsageError "Could not find an existing
/// account for server X." when none is stored (certbot's message).
store::StoredAccount existing_account(const store::TreePaths& paths, const std::string& server,
                                      const AccountRequest& request);

/// What show_account prints, as the CA reports it now (POST-as-GET).
struct AccountDetails {
  std::string server;
  std::string id;
  std::string url;
  std::string thumbprint; // RFC 7638, base64url, as certbot shows it
  std::string status;
  std::vector<std::string> emails;         // mailto: contacts without the scheme
  std::vector<std::string> other_contacts; // anything else the CA lists
};
AccountDetails show_account(acme::Client& client, const store::StoredAccount& account);

/// certbot's update_account: send only the new contact list (-m, comma
/// separated; none with --register-unsafely-without-email) and save the
/// account object the CA answers with. Throws UsageError when neither is given.
store::StoredAccount update_account_contacts(const store::TreePaths& paths, acme::Client& client,
                                             store::StoredAccount account,
                                             const AccountRequest& request);

/// certbot's unregister after its question: deactivate the account at the CA
/// (RFC 8555 §7.3.6), then remove its local directory.
void deactivate_account(const store::TreePaths& paths, acme::Client& client,
                        const store::StoredAccount& account);

struct RolloverResult {
  std::string old_id;
  std::string new_id;
  std::vector<std::string> lineages; // renewal confs now naming new_id
};

/// Replace the account's key (RFC 8555 §7.3.5). Certbot's account id is a
/// hash of the key, so the account moves to a new directory and the renewal
/// confs that named the old id are pointed at the new one. The steps and what
/// a crash between them leaves are described in account_commands.cpp.
RolloverResult rollover_account_key(const store::TreePaths& paths, acme::Client& client,
                                    store::StoredAccount account);

} // namespace certsmith::issuance
