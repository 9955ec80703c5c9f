#pragma once
// When a certificate is due for renewal: a pure function of its validity,
// the lineage's renew_before_expiry, the CA's ARI window and the clock, so it
// is tested without time.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace certsmith::renew {

using TimePoint = std::chrono::system_clock::time_point;

/// certbot's renew_before_expiry value ("30 days", "2 weeks", "1 month", "12 hours",
/// "30" = days; see time_interval.hpp) as the span from `now` to now + interval:
/// certbot renews once not_after < now + interval, and a month's length depends
/// on when it is counted from. std::nullopt when it does not parse.
std::optional<std::chrono::seconds> parse_renew_before_expiry(std::string_view text, TimePoint now);

/// The moment renewal becomes due: not_after - renew_before_expiry when given;
/// otherwise when a third of the lifetime is left (half of it for certificates
/// shorter than 10 days), as certbot 4+, lego and OpenBSD acme-client do.
TimePoint renewal_time(TimePoint not_before, TimePoint not_after,
                       std::optional<std::chrono::seconds> renew_before_expiry);

inline bool is_due(TimePoint not_before, TimePoint not_after,
                   std::optional<std::chrono::seconds> renew_before_expiry, TimePoint now) {
  return now >= renewal_time(not_before, not_after, renew_before_expiry);
}

/// RFC 9773 §4.2 suggestedWindow (start < end).
struct AriWindow {
  TimePoint start;
  TimePoint end;
};

struct DueInputs {
  TimePoint not_before;
  TimePoint not_after;
  std::optional<std::chrono::seconds> renew_before_expiry; // from the renewal conf
  std::optional<AriWindow> ari_window;                     // from the CA or the ARI cache
  /// Where in the ARI window this lineage renews, in [0, 1) (see ari_fraction);
  /// out-of-range values are clamped, NaN counts as 0.
  double ari_fraction = 0.0;
};

struct DueDecision {
  bool due = false;
  TimePoint when;     // when it is (or became) due
  std::string reason; // "ARI window 2027-01-01..2027-01-03", "1/3 of lifetime left", ...
};

/// Whether to renew now, as certbot 5 decides (should_autorenew): an expired
/// certificate is always due. With an ARI window, the time start + fraction *
/// (end - start) (RFC 9773 §4.2 steps 2-3: a uniform time in the window, due
/// once it is past) makes it due; renew_before_expiry, when set, can make it due
/// earlier; the lifetime rule (1/3 left, 1/2 under 10 days) applies only when
/// there is neither an ARI window nor renew_before_expiry.
DueDecision decide_due(const DueInputs& inputs, TimePoint now);

/// A stable fraction in [0, 1) derived from seed (the certificate's ARI ID),
/// so one certificate keeps its place in the window across runs while
/// certificates spread uniformly over it.
double ari_fraction(std::string_view seed);

/// "2027-01-01" (UTC) for reasons and summaries.
std::string format_utc_date(TimePoint when);

} // namespace certsmith::renew
