#include "notify/settings.hpp"

#include "util/error.hpp"
#include "util/escape.hpp"

#include <cctype>
#include <charconv>
#include <fmt/format.h>

namespace certsmith::notify {

namespace {

bool starts_with_scheme(const std::string& url, std::string_view scheme) {
  if (url.size() <= scheme.size() + 3)
    return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i])
      return false;
  }
  return url.compare(scheme.size(), 3, "://") == 0;
}

// A URL goes to libcurl as one line: no control bytes or spaces.
bool plain_url(const std::string& url) {
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f)
      return false;
  }
  return url.size() <= 2048;
}

// A file path saved as one conf value: no control bytes (a newline would end it).
bool plain_path(const std::string& path) {
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f)
      return false;
  }
  return path.size() <= 4096;
}

// An address goes into the envelope (MAIL FROM / RCPT TO) and the From/To
// headers: anything that could end a header or a command is refused, so a
// hostile value cannot add a recipient or a header.
bool plain_address(const std::string& address) {
  if (address.empty() || address.size() > 254)
    return false;
  auto at = address.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == address.size())
    return false;
  for (unsigned char c : address) {
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  }
  return true;
}

std::optional<int> parse_int(const std::string& text) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return value;
}

} // namespace

void validate(const NotifySettings& settings) {
  validate_values(settings);
  if (!settings.emails.empty() && settings.smtp_url.empty())
    throw UsageError("--notify-email needs --notify-smtp-url (the server that sends the mail)");
}

void validate_values(const NotifySettings& settings) {
  for (const auto& address : settings.emails) {
    if (!plain_address(address))
      throw UsageError(fmt::format("--notify-email '{}' is not a plain address (local@domain)",
                                   util::escape_untrusted(address, 120)));
  }
  if (!settings.from.empty() && !plain_address(settings.from))
    throw UsageError(fmt::format("--notify-from '{}' is not a plain address (local@domain)",
                                 util::escape_untrusted(settings.from, 120)));
  if (!settings.smtp_url.empty() &&
      (!plain_url(settings.smtp_url) || !(starts_with_scheme(settings.smtp_url, "smtp") ||
                                          starts_with_scheme(settings.smtp_url, "smtps"))))
    throw UsageError(fmt::format("--notify-smtp-url '{}' must be smtp://host[:port] or "
                                 "smtps://host[:port]",
                                 util::escape_untrusted(settings.smtp_url, 120)));
  if (!settings.webhook.empty() &&
      (!plain_url(settings.webhook) || !(starts_with_scheme(settings.webhook, "http") ||
                                         starts_with_scheme(settings.webhook, "https"))))
    throw UsageError(fmt::format("--notify-webhook '{}' must be an http:// or https:// URL",
                                 util::escape_untrusted(settings.webhook, 120)));
  if (!settings.ca_bundle.empty() && !plain_path(settings.ca_bundle))
    throw UsageError(fmt::format("--notify-ca-bundle '{}' is not a plain file path",
                                 util::escape_untrusted(settings.ca_bundle, 120)));
  if (settings.expiry_days && (*settings.expiry_days < 1 || *settings.expiry_days > 3650))
    throw UsageError(
        fmt::format("--notify-expiry-days must be 1 to 3650, not {}", *settings.expiry_days));
}

std::optional<std::chrono::seconds> parse_interval(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  long long unit = 1;
  std::string digits = text;
  switch (text.back()) {
  case 's':
    digits.pop_back();
    break;
  case 'm':
    unit = 60;
    digits.pop_back();
    break;
  case 'h':
    unit = 3600;
    digits.pop_back();
    break;
  case 'd':
    unit = 86400;
    digits.pop_back();
    break;
  default:
    break;
  }
  long long value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || value < 0 ||
      value > 3650LL * 86400 / unit)
    return std::nullopt;
  return std::chrono::seconds(value * unit);
}

NotifySettings overlay(const NotifySettings& top, const NotifySettings& base) {
  NotifySettings merged = top;
  if (merged.emails.empty())
    merged.emails = base.emails;
  if (merged.smtp_url.empty())
    merged.smtp_url = base.smtp_url;
  if (merged.smtp_credentials.empty())
    merged.smtp_credentials = base.smtp_credentials;
  if (merged.from.empty())
    merged.from = base.from;
  if (merged.webhook.empty())
    merged.webhook = base.webhook;
  if (merged.ca_bundle.empty())
    merged.ca_bundle = base.ca_bundle;
  if (!merged.on_success)
    merged.on_success = base.on_success;
  if (!merged.expiry_days)
    merged.expiry_days = base.expiry_days;
  if (!merged.interval)
    merged.interval = base.interval;
  return merged;
}

NotifySettings read_settings(const store::ConfigObj& conf) {
  NotifySettings settings;
  const store::Section* section = &conf.root();
  settings.emails = section->get_list("certsmith_notify_email");
  settings.smtp_url = section->get("certsmith_notify_smtp_url").value_or("");
  settings.smtp_credentials = section->get("certsmith_notify_smtp_credentials").value_or("");
  settings.from = section->get("certsmith_notify_from").value_or("");
  settings.webhook = section->get("certsmith_notify_webhook").value_or("");
  settings.ca_bundle = section->get("certsmith_notify_ca_bundle").value_or("");
  if (auto value = section->get("certsmith_notify_on_success"))
    settings.on_success = *value == "True";
  if (auto value = section->get("certsmith_notify_expiry_days"))
    settings.expiry_days = parse_int(*value);
  if (auto value = section->get("certsmith_notify_interval"))
    settings.interval = parse_interval(*value);
  return settings;
}

void write_settings(store::ConfigObj& conf, const NotifySettings& settings) {
  store::Section& section = conf.root();
  if (!settings.emails.empty())
    section.set_list("certsmith_notify_email", settings.emails);
  if (!settings.smtp_url.empty())
    section.set("certsmith_notify_smtp_url", settings.smtp_url);
  if (!settings.smtp_credentials.empty())
    section.set("certsmith_notify_smtp_credentials", settings.smtp_credentials);
  if (!settings.from.empty())
    section.set("certsmith_notify_from", settings.from);
  if (!settings.webhook.empty())
    section.set("certsmith_notify_webhook", settings.webhook);
  if (!settings.ca_bundle.empty())
    section.set("certsmith_notify_ca_bundle", settings.ca_bundle);
  if (settings.on_success)
    section.set("certsmith_notify_on_success", *settings.on_success ? "True" : "False");
  if (settings.expiry_days)
    section.set("certsmith_notify_expiry_days", std::to_string(*settings.expiry_days));
  if (settings.interval)
    section.set("certsmith_notify_interval", fmt::format("{}s", settings.interval->count()));
}

} // namespace certsmith::notify
