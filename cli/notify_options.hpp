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
  std::string smtp_url, smtp_credentials, from, webhook, interval, ca_bundle;
  bool on_success = false;
  bool no_notify = false;
  std::optional<int> expiry_days;
};

void add_notify_options(CLI::App& app, NotifyFlags& flags);

/// Each value checked alone; throws UsageError for a hostile or malformed one.
/// Whether they are complete (mail needs an SMTP URL) is checked once they are
/// laid over a lineage's saved settings (renew_notify.hpp).
notify::NotifyOptions notify_options(const NotifyFlags& flags);

} // namespace certsmith::cli
