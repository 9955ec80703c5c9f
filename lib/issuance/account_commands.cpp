#include "issuance/account_commands.hpp"

#include "acme/contact.hpp"
#include "crypto/jwk.hpp"
#include "store/account_renewal_refs.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <exception>
#include <fmt/format.h>
#include <optional>

namespace certsmith::issuance {

namespace {

std::string printable_server(const std::string& server) {
  return util::escape_untrusted(server, 200);
}

std::string account_path(const store::TreePaths& paths, const store::StoredAccount& account) {
  return store::account_dir(paths, account.server, account.id).string();
}

// Point the renewal confs naming `old` at new_id, then remove old's
// directory, unless a conf naming it cannot be rewritten (a symlink, a file
// that does not parse): its directory then stays, so that conf keeps an
// account to renew with (ensure_account prefers the key the CA holds).
void retire_account(const store::TreePaths& paths, const store::StoredAccount& old,
                    const std::string& new_id, std::vector<std::string>& lineages) {
  store::RenewalRefs refs = store::repoint_renewal_confs(paths, old.server, old.id, new_id);
  lineages.insert(lineages.end(), refs.lineages.begin(), refs.lineages.end());
  if (!refs.stuck.empty()) {
    util::log_warning("Keeping the old account directory {}: {} renewal conf{} naming it could "
                      "not be updated (see above). Set `account = {}` in them, then run "
                      "rollover-account-key again to remove it.",
                      account_path(paths, old), refs.stuck.size(),
                      refs.stuck.size() == 1 ? "" : "s", new_id);
    return;
  }
  store::delete_account(paths, old.server, old.id);
}

struct Settled {
  store::StoredAccount current;
  std::vector<std::string> lineages; // renewal confs now naming current
};

// After an interrupted rollover two directories hold the same account URL
// with different keys. Ask the CA which key it knows (onlyReturnExisting),
// keep that directory, point renewal confs at it and retire the others.
// Throws, removing nothing, when the CA gives no clear answer.
Settled settle_interrupted_rollover(const store::TreePaths& paths, acme::Client& client,
                                    store::StoredAccount account) {
  std::vector<store::StoredAccount> candidates = accounts_sharing_url(paths, account);
  if (candidates.empty())
    return {std::move(account), {}};
  util::log_info("Found {} account directories for {} left by an interrupted key rollover; "
                 "asking the CA which key is current.",
                 candidates.size() + 1, util::escape_untrusted(account.uri, 200));
  candidates.push_back(std::move(account));
  auto held = key_the_ca_holds(client, candidates);
  if (!held)
    throw Error(fmt::format("the CA knows none of the {} keys stored for account {}",
                            candidates.size(),
                            util::escape_untrusted(candidates.front().uri, 200)));
  Settled settled{candidates[*held], {}};
  for (const auto& candidate : candidates)
    if (candidate.id != settled.current.id)
      retire_account(paths, candidate, settled.current.id, settled.lineages);
  return settled;
}

// Whatever made the key change fail (a refusal, a 5xx, a dropped connection,
// a garbled reply) the CA may have switched keys all the same: only the CA
// can say which key it holds, so it is asked before either directory goes.
RolloverResult finish_failed_key_change(const store::TreePaths& paths, acme::Client& client,
                                        const store::StoredAccount& account,
                                        const store::StoredAccount& next,
                                        const std::exception_ptr& failure) {
  std::optional<Settled> settled;
  try {
    settled.emplace(settle_interrupted_rollover(paths, client, account));
  } catch (const Error& error) {
    util::log_warning(
        "The key change failed and the CA could not say which key it holds now ({}), so both "
        "account directories are kept: {} (old key) and {} (new key). Until this is settled "
        "certsmith uses whichever key the CA holds; run rollover-account-key again to settle it.",
        error.what(), account_path(paths, account), account_path(paths, next));
    std::rethrow_exception(failure);
  }
  if (settled->current.id != next.id)
    std::rethrow_exception(failure); // the CA holds the old key; the new directory is gone
  util::log_warning("The CA reported an error for the key change but holds the new key now: the "
                    "rollover is complete.");
  return RolloverResult{account.id, next.id, std::move(settled->lineages)};
}

// What the CA holds for account's key: its status ("valid", "deactivated"),
// "unknown" when it knows no account for the key, nullopt when it cannot say.
std::optional<std::string> account_status_at_ca(acme::Client& client,
                                                const store::StoredAccount& account) {
  try {
    auto found = client.find_account(account.key);
    if (!found)
      return "unknown";
    if (found->url != account.uri)
      return std::nullopt;
    return found->body.value("status", "");
  } catch (const acme::AcmeError& error) {
    // Pebble and Boulder answer onlyReturnExisting for a deactivated
    // account's key with unauthorized "... exists but is deactivated".
    if (error.problem().short_type() == "unauthorized" &&
        error.problem().detail.find("deactivated") != std::string::npos)
      return "deactivated";
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The deactivation was refused or answered oddly. An earlier attempt may
// have deactivated the account and lost its answer (the CA then refuses the
// deactivated account): ask the CA, and remove the local directory when the
// account is gone there, since it can never be used again.
void settle_failed_deactivation(const store::TreePaths& paths, acme::Client& client,
                                const store::StoredAccount& account,
                                const std::exception_ptr& failure) {
  const std::optional<std::string> status = account_status_at_ca(client, account);
  if (status == "deactivated" || status == "unknown") {
    util::log_info("The CA reports the account as {}; removing its local directory {}.",
                   *status == "unknown" ? "unknown" : "deactivated", account_path(paths, account));
    store::delete_account(paths, account.server, account.id);
    return;
  }
  if (!status)
    util::log_warning("The CA could not confirm whether account {} is deactivated. If "
                      "show_account reports it deactivated, remove {} by hand.",
                      account.id, account_path(paths, account));
  std::rethrow_exception(failure);
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
  try {
    client.deactivate_account();
  } catch (const acme::AcmeError& error) {
    const std::string type = error.problem().short_type();
    if (type != "unauthorized" && type != "accountDoesNotExist")
      throw;
    settle_failed_deactivation(paths, client, account, std::current_exception());
    return;
  } catch (const acme::ProtocolError&) {
    settle_failed_deactivation(paths, client, account, std::current_exception());
    return;
  }
  store::delete_account(paths, account.server, account.id);
}

// The steps, each durable before the next:
//  1. write the new account directory (new key, same URL) under its own id;
//  2. POST keyChange: from now on the CA accepts only the new key;
//  3. point every renewal conf of this server from the old id to the new one;
//  4. remove the old account directory (kept when a conf naming it could not
//     be rewritten in step 3, so no conf names a missing account).
// If step 2 fails in any way (refusal, 5xx, network, garbled reply) the CA is
// asked which key it holds before anything is removed: the new directory
// goes only when the CA clearly still holds the old key; when it holds the
// new one the rollover is finished; when it cannot say, both stay.
// After a crash (or such an unclear answer) between any two steps, two stored
// directories share one account URL. ensure_account then uses the key the CA
// holds, with a warning; running rollover-account-key again settles it first
// (settle_interrupted_rollover keeps the directory whose key the CA holds,
// repoints the confs and removes the other), then rolls over again.
RolloverResult rollover_account_key(const store::TreePaths& paths, acme::Client& client,
                                    store::StoredAccount account) {
  account = settle_interrupted_rollover(paths, client, std::move(account)).current;
  client.use_account(account.key, account.uri);
  // Said before the CA is asked, so the user knows what the rollover leaves.
  store::RenewalRefs refs = store::find_renewal_refs(paths, account.server, account.id);
  for (const auto& stuck : refs.stuck)
    util::log_warning("{}: names account {} but cannot be updated; the old account directory will "
                      "be kept for it",
                      stuck, account.id);

  store::StoredAccount next = account;
  next.key = crypto::PrivateKey::generate({});
  next.id.clear();
  next.id = store::save_account(paths, next);
  try {
    client.change_account_key(next.key);
  } catch (const Error&) {
    return finish_failed_key_change(paths, client, account, next, std::current_exception());
  }
  RolloverResult result{account.id, next.id, {}};
  retire_account(paths, account, next.id, result.lineages);
  return result;
}

} // namespace certsmith::issuance
