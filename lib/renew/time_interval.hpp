#pragma once
// certbot's renew_before_expiry intervals ("30 days", "2 weeks", "1 month",
// "3 days 12 hours", a bare "10" meaning days), read the way certbot's
// storage.add_time_interval reads them through parsedatetime: a sequence of
// amounts with units summed, months and years counted on the calendar.

#include <chrono>
#include <optional>
#include <string_view>

namespace certsmith::renew {

struct TimeInterval {
  int months = 0;                // calendar months (a year is 12)
  std::chrono::seconds fixed{0}; // seconds, minutes, hours, days and weeks
  bool operator==(const TimeInterval&) const = default;
};

/// Parses `text`. Units as parsedatetime spells them, in any case: s sec secs
/// second(s), m min mins minute(s), h hr hour(s), d dy day(s), w wk week(s),
/// month(s), y yr year(s); amounts may have a fraction except for months and
/// years; items may be separated by blanks, "," or "and". nullopt for anything
/// else, including negative amounts, "ago" and spellings parsedatetime reads
/// as nothing ("2 hrs", "2 wks", "1mo"): certbot would then renew only once
/// the certificate has expired, which no one means.
std::optional<TimeInterval> parse_time_interval(std::string_view text);

/// base + interval: months first (the day clamped to the end of a shorter
/// month, 31 January + 1 month = 28 February, as parsedatetime does), then
/// the fixed part.
std::chrono::system_clock::time_point add_time_interval(std::chrono::system_clock::time_point base,
                                                        const TimeInterval& interval);

} // namespace certsmith::renew
