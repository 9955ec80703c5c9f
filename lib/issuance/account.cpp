#include "issuance/account.hpp"

#include "acme/contact.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <unistd.h>

namespace certsmith::issuance {

namespace {

std::string utc_now_iso8601() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0)
    return "localhost";
  return name;
}

} // namespace

store::StoredAccount ensure_account(const store::TreePaths& paths, acme::Client& client,
                                    const AccountRequest& request) {
  auto accounts = store::load_accounts(paths, client.directory_url());
  if (!accounts.empty()) {
    store::StoredAccount& account = accounts.front();
    util::log_debug("using account {} ({})", account.id, account.uri);
    client.use_account(account.key, account.uri);
    return std::move(account);
  }

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
  if (directory.external_account_required)
    throw UsageError("this CA requires external account binding, which is not supported yet");

  crypto::PrivateKey key = crypto::PrivateKey::generate({});
  acme::Account created = client.new_account(key, {contacts, true, std::nullopt});
  store::StoredAccount account{store::account_id_for_key(key),
                               client.directory_url(),
                               created.url,
                               key,
                               created.body,
                               utc_now_iso8601(),
                               host_name()};
  store::save_account(paths, account);
  util::log_info("Account registered.");
  return account;
}

} // namespace certsmith::issuance
