#pragma once
// Where and when failure notifications go: the --notify-* flags, and the same
// settings as a lineage's notify file records them (settings_file.hpp) under
// certsmith_notify_* keys. The command line wins, field by field.

#include "store/config_obj.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::notify {

/// Re-notification of a lasting failure at most this often (--notify-interval).
inline constexpr std::chrono::seconds k_default_interval{24 * 3600};

struct NotifySettings {
  std::vector<std::string> emails;              // --notify-email, repeatable
  std::string smtp_url;                         // smtp://host:port or smtps://host:port
  std::string smtp_credentials;                 // a 0600 file with smtp_username / smtp_password
  std::string from;                             // "" = certsmith@<host name>
  std::string webhook;                          // http:// or https:// URL
  std::string ca_bundle;                        // trusted for SMTP/webhook TLS; "" = system store
  std::optional<bool> on_success;               // --notify-on-success
  std::optional<int> expiry_days;               // --notify-expiry-days N
  std::optional<std::chrono::seconds> interval; // --notify-interval

  /// Nothing to send to.
  bool empty() const { return emails.empty() && webhook.empty(); }
  bool operator==(const NotifySettings&) const = default;
};

/// Throws UsageError naming the first unacceptable value: an address with
/// CR/LF or other characters that could start a new header, a webhook not
/// http(s), an SMTP URL not smtp(s), a day count out of 1..3650. Each value
/// alone: the command line is checked with this before it is laid over a
/// lineage's saved settings.
void validate_values(const NotifySettings& settings);

/// validate_values, and the settings are complete: emails need an SMTP URL.
void validate(const NotifySettings& settings);

/// "24h", "90m", "2d", "3600s" or "3600" (seconds); nullopt when malformed.
std::optional<std::chrono::seconds> parse_interval(const std::string& text);

/// `top` with every unset field taken from `base` (command line over conf).
NotifySettings overlay(const NotifySettings& top, const NotifySettings& base);

/// The settings recorded at the top of `conf`; absent keys stay unset.
NotifySettings read_settings(const store::ConfigObj& conf);

/// Record the set fields at the top of `conf`; other keys are left as they are.
void write_settings(store::ConfigObj& conf, const NotifySettings& settings);

} // namespace certsmith::notify
