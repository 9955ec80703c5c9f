#pragma once
// When a certificate is due for renewal: a pure function of its validity,
// the lineage's renew_before_expiry and the clock, so it is tested without time.

#include <chrono>
#include <optional>
#include <string_view>

namespace certsmith::renew {

using TimePoint = std::chrono::system_clock::time_point;

/// certbot's renew_before_expiry value ("30 days", "2 weeks", "12 hours", "30"
/// = days) as a duration; std::nullopt when it does not parse.
std::optional<std::chrono::seconds> parse_renew_before_expiry(std::string_view text);

/// The moment renewal becomes due: not_after - renew_before_expiry when given;
/// otherwise when a third of the lifetime is left (half of it for certificates
/// shorter than 10 days), as certbot 4+, lego and OpenBSD acme-client do.
TimePoint renewal_time(TimePoint not_before, TimePoint not_after,
                       std::optional<std::chrono::seconds> renew_before_expiry);

inline bool is_due(TimePoint not_before, TimePoint not_after,
                   std::optional<std::chrono::seconds> renew_before_expiry, TimePoint now) {
  return now >= renewal_time(not_before, not_after, renew_before_expiry);
}

} // namespace certsmith::renew
