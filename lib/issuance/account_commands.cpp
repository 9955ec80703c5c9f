#include "issuance/account_commands.hpp"

#include "acme/contact.hpp"
#include "crypto/jwk.hpp"
#include "store/account_renewal_refs.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

namespace {

std::string printable_server(const std::string& server) {
  return util::escape_untrusted(server, 200);
}

// The stored accounts that share `account`'s URL but not its key: what an
// interrupted rollover leaves (see rollover_account_key).
std::vector<store::StoredAccount> rollover_leftovers(const store::TreePaths& paths,
                                                     const store::StoredAccount& account) {
  std::vector<store::StoredAccount> leftovers;
  for (auto& other : store::load_accounts(paths, account.server))
    if (other.id != account.id && other.uri == account.uri)
      leftovers.push_back(std::move(other));
  return leftovers;
}

// After an interrupted rollover two directories hold the same account URL
// with different keys. Ask the CA which key it knows (onlyReturnExisting),
// keep that directory, point renewal confs at it and remove the others.
store::StoredAccount settle_interrupted_rollover(const store::TreePaths& paths,
                                                 acme::Client& client,
                                                 store::StoredAccount account) {
  std::vector<store::StoredAccount> candidates = rollover_leftovers(paths, account);
  if (candidates.empty())
    return account;
  util::log_info("Found {} account directories for {} left by an interrupted key rollover; "
                 "asking the CA which key is current.",
                 candidates.size() + 1, util::escape_untrusted(account.uri, 200));
  candidates.push_back(std::move(account));
  const store::StoredAccount* current = nullptr;
  for (const auto& candidate : candidates) {
    auto found = client.find_account(candidate.key);
    if (found && found->url == candidate.uri) {
      current = &candidate;
      break;
    }
  }
  if (current == nullptr)
    throw Error(fmt::format("the CA knows none of the {} keys stored for account {}",
                            candidates.size(),
                            util::escape_untrusted(candidates.front().uri, 200)));
  for (const auto& candidate : candidates) {
    if (candidate.id == current->id)
      continue;
    store::repoint_renewal_confs(paths, candidate.server, candidate.id, current->id);
    store::delete_account(paths, candidate.server, candidate.id);
  }
  return *current;
}

} // namespace

store::StoredAccount register_new_account(const store::TreePaths& paths, acme::Client& client,
                                          const AccountRequest& request) {
  if (!store::load_accounts(paths, client.directory_url()).empty())
    throw UsageError("There is an existing account; registration of a duplicate account with this "
                     "command is currently unsupported.");
  return register_account(paths, client, request);
}

store::StoredAccount existing_account(const store::TreePaths& paths, const std::string& server,
                                      const AccountRequest& request) {
  auto account = select_account(paths, server, request);
  if (!account)
    throw UsageError(
        fmt::format("Could not find an existing account for server {}.", printable_server(server)));
  return std::move(*account);
}

AccountDetails show_account(acme::Client& client, const store::StoredAccount& account) {
  client.use_account(account.key, account.uri);
  acme::Account current = client.fetch_account();
  AccountDetails details{client.directory_url(),
                         account.id,
                         current.url,
                         crypto::jwk_thumbprint(account.key),
                         current.body.value("status", ""),
                         {},
                         {}};
  auto contacts = current.body.find("contact");
  if (contacts != current.body.end() && contacts->is_array()) {
    for (const auto& contact : *contacts) {
      if (!contact.is_string())
        continue;
      const std::string text = contact.get<std::string>();
      if (text.starts_with("mailto:"))
        details.emails.push_back(text.substr(7));
      else
        details.other_contacts.push_back(text);
    }
  }
  return details;
}

store::StoredAccount update_account_contacts(const store::TreePaths& paths, acme::Client& client,
                                             store::StoredAccount account,
                                             const AccountRequest& request) {
  std::vector<std::string> contacts = acme::contacts_from_email(request.email);
  if (contacts.empty() && !request.register_unsafely_without_email)
    throw UsageError("update_account needs the new address: pass -m admin@example.com (several "
                     "comma-separated), or --register-unsafely-without-email to remove them all");
  client.use_account(account.key, account.uri);
  acme::Account updated = client.update_account({{"contact", contacts}});
  account.regr_body = updated.body;
  store::save_account(paths, account);
  return account;
}

void deactivate_account(const store::TreePaths& paths, acme::Client& client,
                        const store::StoredAccount& account) {
  client.use_account(account.key, account.uri);
  client.deactivate_account();
  store::delete_account(paths, account.server, account.id);
}

// The steps, each durable before the next:
//  1. write the new account directory (new key, same URL) under its own id;
//  2. POST keyChange: from now on the CA accepts only the new key;
//  3. point every renewal conf of this server from the old id to the new one;
//  4. remove the old account directory.
// If the CA refuses step 2, the new directory is removed and nothing changed.
// If step 2 ends without a clear answer (network error, garbled reply), both
// directories are kept: only the CA knows which key it now holds.
// After a crash (or such an unclear answer) between any two steps, two stored
// directories share one account URL. Until this is settled, commands that
// pick the first account by id may pick the key the CA does not know and fail
// with the CA's error; running rollover-account-key again settles it first
// (settle_interrupted_rollover asks the CA which key it knows, keeps that
// directory, repoints the confs and removes the other), then rolls over again.
RolloverResult rollover_account_key(const store::TreePaths& paths, acme::Client& client,
                                    store::StoredAccount account) {
  account = settle_interrupted_rollover(paths, client, std::move(account));
  client.use_account(account.key, account.uri);

  store::StoredAccount next = account;
  next.key = crypto::PrivateKey::generate({});
  next.id.clear();
  next.id = store::save_account(paths, next);
  try {
    client.change_account_key(next.key);
  } catch (const acme::AcmeError&) {
    try {
      store::delete_account(paths, next.server, next.id);
    } catch (const Error& error) {
      util::log_warning("could not remove the unused new account directory: {}", error.what());
    }
    throw;
  } catch (const Error&) {
    util::log_warning("The key change may or may not have reached the CA, so both keys are kept; "
                      "run rollover-account-key again to settle which one the CA holds.");
    throw;
  }
  RolloverResult result{account.id, next.id, {}};
  result.lineages = store::repoint_renewal_confs(paths, account.server, account.id, next.id);
  store::delete_account(paths, account.server, account.id);
  return result;
}

} // namespace certsmith::issuance
