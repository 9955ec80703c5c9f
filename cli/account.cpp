// register, show_account, update_account, unregister, rollover-account-key:
// flags to issuance/account_commands.hpp calls, outcomes in certbot's words.
#include "commands.hpp"
#include "issuance/account_commands.hpp"
#include "prompt.hpp"
#include "store/tree_lock.hpp"
#include "util/clock.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>

namespace certsmith::cli {

namespace {

// What every account command needs: the tree, the CA's client, the account flags.
struct AccountCommand {
  explicit AccountCommand(const Options& options)
      : paths{options.config_dir, options.work_dir, options.logs_dir}, server(options.server_url()),
        request(account_request(options)), transport(make_transport(options)),
        client(*transport, clock, server) {}

  store::TreePaths paths;
  std::string server;
  issuance::AccountRequest request;
  std::unique_ptr<http::Transport> transport;
  util::SystemClock clock;
  acme::Client client;
};

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : ", ") + util::escape_untrusted(item, 320);
  return text;
}

} // namespace

int run_register(const Options& options) {
  AccountCommand command(options);
  auto lock = store::TreeLock::acquire(command.paths);
  issuance::register_new_account(command.paths, command.client, command.request);
  return 0;
}

int run_show_account(const Options& options) {
  AccountCommand command(options);
  auto account = issuance::existing_account(command.paths, command.server, command.request);
  issuance::AccountDetails details = issuance::show_account(command.client, account);
  std::string text = fmt::format("Account details for server {}:\n"
                                 "  Account URL: {}\n"
                                 "  Account Thumbprint: {}\n"
                                 "  Email contact{}: {}",
                                 util::escape_untrusted(details.server, 200),
                                 util::escape_untrusted(details.url, 200), details.thumbprint,
                                 details.emails.size() > 1 ? "s" : "",
                                 details.emails.empty() ? "none" : joined(details.emails));
  // certsmith adds what certbot leaves out: other contacts, status and local id.
  if (!details.other_contacts.empty())
    text += "\n  Other contacts: " + joined(details.other_contacts);
  text += fmt::format("\n  Status: {}\n  Account ID: {}",
                      util::escape_untrusted(details.status, 40), details.id);
  util::log_info("{}", text);
  return 0;
}

int run_update_account(const Options& options) {
  AccountCommand command(options);
  auto lock = store::TreeLock::acquire(command.paths);
  auto account = issuance::existing_account(command.paths, command.server, command.request);
  issuance::update_account_contacts(command.paths, command.client, std::move(account),
                                    command.request);
  if (options.email.empty())
    util::log_info("Any contact information associated with this account has been removed.");
  else
    util::log_info("Your e-mail address was updated to {}.",
                   util::escape_untrusted(options.email, 320));
  return 0;
}

int run_unregister(const Options& options) {
  AccountCommand command(options);
  auto lock = store::TreeLock::acquire(command.paths);
  auto account = issuance::existing_account(command.paths, command.server, command.request);
  // certbot's question; its default (and so the -n answer) is to deactivate.
  if (!confirm(options, "Are you sure you would like to irrevocably deactivate your account?", true,
               "")) {
    util::log_info("Deactivation aborted.");
    return 0;
  }
  issuance::deactivate_account(command.paths, command.client, account);
  util::log_info("Account deactivated.");
  return 0;
}

int run_rollover_account_key(const Options& options) {
  AccountCommand command(options);
  auto lock = store::TreeLock::acquire(command.paths);
  auto account = issuance::existing_account(command.paths, command.server, command.request);
  issuance::RolloverResult result =
      issuance::rollover_account_key(command.paths, command.client, std::move(account));
  util::log_info("The account key was replaced. The account ID is now {} (was {}); {} renewal "
                 "configuration{} updated.",
                 result.new_id, result.old_id, result.lineages.size(),
                 result.lineages.size() == 1 ? "" : "s");
  return 0;
}

} // namespace certsmith::cli
