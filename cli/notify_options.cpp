#include "notify_options.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fmt/format.h>

namespace certsmith::cli {

void add_notify_options(CLI::App& app, NotifyFlags& flags) {
  app.add_option("--notify-email", flags.emails,
                 "Mail this address when a renewal fails (repeatable; needs --notify-smtp-url)");
  app.add_option("--notify-smtp-url", flags.smtp_url,
                 "SMTP server for notifications: smtp://host:port or smtps://host:port");
  app.add_option("--notify-smtp-credentials", flags.smtp_credentials,
                 "0600 file with smtp_username = and smtp_password =");
  app.add_option("--notify-from", flags.from, "Sender of notification mail");
  app.add_option("--notify-webhook", flags.webhook,
                 "POST a JSON document (docs/notifications.md) to this http(s) URL");
  app.add_flag("--notify-on-success", flags.on_success, "Also notify when a renewal succeeds");
  app.add_option("--notify-expiry-days", flags.expiry_days,
                 "Also notify when a certificate not being renewed expires within N days");
  app.add_option("--notify-interval", flags.interval,
                 "Repeat a lasting failure's notification at most this often (default 24h)");
  app.add_option("--notify-ca-bundle", flags.ca_bundle,
                 "PEM file of CAs trusted for the SMTP server and webhook (default: the system "
                 "store; --ca-bundle is for the ACME server only)");
  app.add_flag("--no-notify", flags.no_notify,
               "Remove the saved --notify-* settings of the lineage(s); nothing is sent");
}

notify::NotifyOptions notify_options(const NotifyFlags& flags) {
  notify::NotifyOptions options;
  notify::NotifySettings& settings = options.command_line;
  settings.emails = flags.emails;
  settings.smtp_url = flags.smtp_url;
  settings.smtp_credentials = flags.smtp_credentials;
  settings.from = flags.from;
  settings.webhook = flags.webhook;
  settings.ca_bundle = flags.ca_bundle;
  if (flags.on_success)
    settings.on_success = true;
  settings.expiry_days = flags.expiry_days;
  if (!flags.interval.empty()) {
    settings.interval = notify::parse_interval(flags.interval);
    if (!settings.interval)
      throw UsageError(fmt::format("--notify-interval '{}' is not a duration such as 24h, 90m, "
                                   "2d or 3600",
                                   util::escape_untrusted(flags.interval, 60)));
  }
  if (flags.no_notify && settings != notify::NotifySettings{})
    throw UsageError("--no-notify removes the saved notification settings: give it without "
                     "other --notify-* flags");
  options.clear = flags.no_notify;
  notify::validate_values(settings);
  // A credentials file others can read is refused now, not at the first failure.
  if (!settings.smtp_credentials.empty())
    notify::read_smtp_credentials(settings.smtp_credentials);
  if (!settings.ca_bundle.empty() && !std::filesystem::is_regular_file(settings.ca_bundle))
    throw UsageError(fmt::format("--notify-ca-bundle '{}' is not a readable file",
                                 util::escape_untrusted(settings.ca_bundle, 200)));
  return options;
}

} // namespace certsmith::cli
