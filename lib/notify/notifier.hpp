#pragma once
// The one entry point of a run: given what happened to each lineage and the
// settings that apply to it, decide (RateState) and send (senders.hpp) what a
// person should hear. Never throws for a notification that cannot be sent:
// that is a warning, the renewal's own result stands.

#include "notify/rate_state.hpp"
#include "notify/senders.hpp"
#include "notify/settings.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace certsmith::notify {

/// What a command passes down: the --notify-* flags and the seams.
struct NotifyOptions {
  NotifySettings command_line;
  bool clear = false;                 // --no-notify: saved settings removed, nothing sent
  MailSender* mail = nullptr;         // nullptr: libcurl SMTP
  http::Transport* webhook = nullptr; // nullptr: make_webhook_transport
  std::chrono::seconds budget{120};   // all sends of a run together; later ones are skipped
  std::string host;                   // "" = gethostname()
};

struct LineageResult {
  std::string name;
  RunResult result = RunResult::untouched;
  std::string error;
  std::vector<std::string> domains;
  std::optional<std::chrono::system_clock::time_point> not_after;
  NotifySettings settings; // command line over the lineage's saved settings
  /// Renewal was not attempted and will not be (autorenew = False): inside the
  /// expiry window this lineage is "not being renewed" as a failing one is.
  bool renewal_disabled = false;
};

/// Sends what `results` call for, each channel on its own (rate_state.hpp),
/// and updates `work_dir`/notify-state.json. `all_names` are the lineages that
/// exist (state for others is dropped). The send budget is measured on `clock`.
/// Returns the number of notices delivered (one per channel).
int notify_results(const NotifyOptions& options, const std::vector<LineageResult>& results,
                   const std::vector<std::string>& all_names, const std::filesystem::path& work_dir,
                   const util::Clock& clock);

} // namespace certsmith::notify
