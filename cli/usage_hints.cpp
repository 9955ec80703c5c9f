#include "usage_hints.hpp"

#include "util/escape.hpp"
#include "util/suggest.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <map>

namespace certsmith::cli {

namespace {

// Flags are shared by every command, so a subcommand's --help lists none of its own.
const std::map<std::string_view, std::vector<std::string_view>>& examples() {
  static const std::map<std::string_view, std::vector<std::string_view>> by_command = {
      {"certonly",
       {"certsmith certonly --standalone -d example.com -m admin@example.com --agree-tos",
        "certsmith certonly --webroot -w /var/www/html -d example.com -d www.example.com",
        "certsmith certonly --dns-rfc2136 --dns-rfc2136-credentials /etc/letsencrypt/rfc2136.ini "
        "-d '*.example.com'"}},
      {"certificates",
       {"certsmith certificates", "certsmith certificates --cert-name example.com",
        "certsmith certificates --json"}},
      {"renew",
       {"certsmith renew -q", "certsmith renew --dry-run",
        "certsmith renew --cert-name example.com --force-renewal --json"}},
      {"revoke",
       {"certsmith revoke --cert-name example.com --reason keycompromise",
        "certsmith revoke --cert-path /etc/letsencrypt/live/example.com/cert.pem"}},
      {"delete",
       {"certsmith delete --cert-name example.com",
        "certsmith delete --cert-name example.com --purge"}},
      {"register",
       {"certsmith register -m admin@example.com --agree-tos",
        "certsmith register --server https://ca.example/directory --eab-kid KID --eab-hmac-key "
        "KEY -m admin@example.com --agree-tos"}},
      {"update_account", {"certsmith update_account -m new-admin@example.com"}},
      {"show_account", {"certsmith show_account", "certsmith show_account --server URL"}},
      {"unregister", {"certsmith unregister", "certsmith unregister --account ACCOUNT_ID"}},
      {"rollover-account-key", {"certsmith rollover-account-key"}},
      {"reconfigure",
       {"certsmith reconfigure --cert-name example.com --webroot -w /var/www/html",
        "certsmith reconfigure --cert-name example.com --deploy-hook 'systemctl reload nginx'"}},
      {"update_symlinks",
       {"certsmith update_symlinks", "certsmith update_symlinks --cert-name example.com"}},
      {"serve", {"certsmith serve", "certsmith serve --http-01-port 8080 --redirect-https"}},
      {"doctor",
       {"certsmith doctor -d example.com",
        "certsmith doctor --webroot -w /var/www/html -d example.com -d www.example.com"}},
      {"certbot-flags", {"certsmith certbot-flags", "certsmith certbot-flags | grep -- --nginx"}},
  };
  return by_command;
}

std::vector<std::string> long_flags(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options())
    for (const auto& name : option->get_lnames())
      names.push_back("--" + name);
  return names;
}

} // namespace

std::string help_footer(std::string_view command) {
  std::string footer = "Examples:\n";
  auto found = examples().find(command);
  if (found != examples().end())
    for (auto line : found->second)
      footer += fmt::format("  {}\n", line);
  footer += "\nFlags may stand before or after the command; 'certsmith --help' lists them all.\n";
  return footer;
}

std::optional<std::string> unknown_argument_message(const CLI::App& app,
                                                    const std::vector<std::string>& command_names) {
  std::vector<std::string> left = app.remaining(false);
  std::vector<CLI::App*> commands_given = app.get_subcommands();
  for (const CLI::App* command : commands_given) {
    auto more = command->remaining(false);
    left.insert(left.end(), more.begin(), more.end());
  }
  if (left.empty())
    return std::nullopt;
  const std::string& first = left.front();
  std::optional<std::string> match;
  std::string message;
  if (!first.starts_with('-')) {
    if (!commands_given.empty()) // an argument after a command: not a command typed wrong
      return std::nullopt;
    match = util::closest_match(first, command_names);
    message = fmt::format("unknown command '{}'", util::escape_untrusted(first, 100));
  } else if (first.starts_with("--") && first.size() > 2) {
    std::string flag = first.substr(0, first.find('='));
    match = util::closest_match(flag, long_flags(app));
    message = fmt::format("unknown flag '{}'", util::escape_untrusted(flag, 100));
  } else {
    return std::nullopt; // a short flag is too short to guess from
  }
  if (match)
    return message + fmt::format(". Did you mean '{}'?", *match);
  return message + "; 'certsmith --help' lists the commands and flags";
}

} // namespace certsmith::cli
