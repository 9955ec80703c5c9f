#include "issuance/account.hpp"

#include "acme/contact.hpp"
#include "issuance/account_eab.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::issuance {

std::optional<store::StoredAccount> select_account(const store::TreePaths& paths,
                                                   const std::string& server,
                                                   const AccountRequest& request) {
  if (!request.account_id.empty()) {
    // account_dir refuses anything but 32 hex digits, so no id reaches a path.
    store::account_dir(paths, server, request.account_id);
    auto account = store::load_account(paths, server, request.account_id);
    if (!account)
      throw UsageError(fmt::format("--account {}: no such account is stored for {}",
                                   request.account_id, util::escape_untrusted(server, 200)));
    return account;
  }
  auto accounts = store::load_accounts(paths, server);
  if (accounts.empty())
    return std::nullopt;
  if (accounts.size() > 1)
    util::log_info("{} accounts are stored for {}; using {}, the first by id (choose another with "
                   "--account)",
                   accounts.size(), util::escape_untrusted(server, 200), accounts.front().id);
  return std::move(accounts.front());
}

store::StoredAccount register_account(const store::TreePaths& paths, acme::Client& client,
                                      const AccountRequest& request) {
  // Everything the command line decides is checked before the CA is asked.
  check_eab_flags(request);
  std::vector<std::string> contacts = acme::contacts_from_email(request.email);
  if (contacts.empty() && !request.register_unsafely_without_email)
    throw UsageError("registering an account needs an email for important notices: pass "
                     "-m admin@example.com, or --register-unsafely-without-email");
  const acme::Directory& directory = client.directory();
  if (!request.agree_tos)
    throw UsageError(fmt::format(
        "registering an account means agreeing to the CA's terms of service{}: pass --agree-tos",
        directory.terms_of_service.empty()
            ? ""
            : " (" + util::escape_untrusted(directory.terms_of_service, 200) + ")"));

  crypto::PrivateKey key = crypto::PrivateKey::generate({});
  auto binding = external_account_binding(request, directory, key);
  acme::Account created = client.new_account(key, {contacts, true, binding});
  // Empty creation_dt and creation_host: save_account writes now and this host.
  store::StoredAccount account{"", client.directory_url(), created.url, key, created.body, "", ""};
  account.id = store::save_account(paths, account);
  util::log_info("Account registered.");
  return account;
}

namespace {

// Only when two stored accounts share a URL (rare) is the CA asked anything:
// an ordinary run costs no extra request.
store::StoredAccount prefer_key_the_ca_holds(const store::TreePaths& paths, acme::Client& client,
                                             store::StoredAccount account) {
  std::vector<store::StoredAccount> candidates;
  try {
    candidates = accounts_sharing_url(paths, account);
  } catch (const StorageError& error) {
    // The server's accounts directory itself cannot be listed.
    util::log_debug("not comparing account {} with the others: {}", account.id, error.what());
  }
  if (candidates.empty())
    return account;
  candidates.insert(candidates.begin(), std::move(account));
  std::optional<std::size_t> held;
  std::string unclear;
  try {
    held = key_the_ca_holds(client, candidates);
  } catch (const Error& error) {
    unclear = error.what();
  }
  store::StoredAccount& chosen = candidates[held.value_or(0)];
  util::log_warning(
      "{} stored accounts for {} share the account URL {}, left by an interrupted key rollover; "
      "using {}{}. Run `certsmith rollover-account-key --account {}` to settle it (it keeps the "
      "key the CA holds, points the renewal confs at it and removes the others).",
      candidates.size(), util::escape_untrusted(chosen.server, 200),
      util::escape_untrusted(chosen.uri, 200), chosen.id,
      held              ? ", the key the CA holds"
      : unclear.empty() ? " although the CA knows none of their keys"
                        : " although the CA could not say which key it holds (" + unclear + ")",
      chosen.id);
  return std::move(chosen);
}

} // namespace

std::vector<store::StoredAccount> accounts_sharing_url(const store::TreePaths& paths,
                                                       const store::StoredAccount& account) {
  // An account that cannot be read cannot be compared, and must not hide the
  // twins that can (its own lineages fail on their own).
  std::vector<std::string> unreadable;
  auto stored = store::load_readable_accounts(paths, account.server, unreadable);
  for (const auto& reason : unreadable)
    util::log_debug("not comparing account {} with an account that cannot be read: {}", account.id,
                    reason);
  std::vector<store::StoredAccount> twins;
  for (auto& other : stored)
    if (other.id != account.id && other.uri == account.uri)
      twins.push_back(std::move(other));
  return twins;
}

std::optional<std::size_t> key_the_ca_holds(acme::Client& client,
                                            const std::vector<store::StoredAccount>& candidates) {
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    auto found = client.find_account(candidates[i].key);
    if (found && found->url == candidates[i].uri)
      return i;
  }
  return std::nullopt;
}

store::StoredAccount ensure_account(const store::TreePaths& paths, acme::Client& client,
                                    const AccountRequest& request) {
  if (auto account = select_account(paths, client.directory_url(), request)) {
    *account = prefer_key_the_ca_holds(paths, client, std::move(*account));
    util::log_debug("using account {} ({})", account->id, account->uri);
    client.use_account(account->key, account->uri);
    return std::move(*account);
  }
  return register_account(paths, client, request);
}

} // namespace certsmith::issuance
