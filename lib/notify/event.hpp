#pragma once
// One thing worth telling a person about one lineage, as the email and the
// webhook document (docs/notifications.md) both describe it.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::notify {

enum class EventKind {
  renewal_failed,    // first failure, or a reminder once the interval has passed
  renewal_recovered, // renewed after failing
  renewal_succeeded, // renewed (only with --notify-on-success)
  expiring, // expires within --notify-expiry-days and its last renewal failed or renewal is off
};

/// The webhook's "event" value: "renewal_failed", ...
std::string_view event_name(EventKind kind);

struct Event {
  EventKind kind = EventKind::renewal_failed;
  std::string lineage;
  std::vector<std::string> domains;
  std::string error; // why it failed (renewal_failed, expiring of a failing lineage; the last
                     // failure for renewal_recovered)
  std::optional<std::chrono::system_clock::time_point> not_after; // of the live certificate
  std::string host;
  std::chrono::system_clock::time_point time;
  int failures = 0; // failed runs in a row so far (renewal_failed, expiring); 0 otherwise
};

} // namespace certsmith::notify
