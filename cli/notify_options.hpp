#pragma once
// The --notify-* flags (certsmith's own, not certbot's), kept apart from
// options.cpp: registered on the app, then turned into notify::NotifyOptions.

#include "notify/notifier.hpp"

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace certsmith::cli {

struct NotifyFlags {
  std::vector<std::string> emails;
  std::string smtp_url, smtp_credentials, from, webhook, interval;
  bool on_success = false;
  std::optional<int> expiry_days;
};

void add_notify_options(CLI::App& app, NotifyFlags& flags);

/// Checked settings; throws UsageError for a hostile or malformed value.
notify::NotifyOptions notify_options(const NotifyFlags& flags, const std::string& ca_bundle);

} // namespace certsmith::cli
