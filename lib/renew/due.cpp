#include "renew/due.hpp"

#include <charconv>
#include <string>

namespace certsmith::renew {

std::optional<std::chrono::seconds> parse_renew_before_expiry(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  long long amount = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (error != std::errc() || amount < 0 || amount > 3650LL * 24)
    return std::nullopt;
  std::string unit(end, text.data() + text.size());
  while (!unit.empty() && unit.front() == ' ')
    unit.erase(0, 1);
  if (!unit.empty() && unit.back() == 's')
    unit.pop_back();
  long long seconds_per_unit = 0;
  if (unit.empty() || unit == "day" || unit == "d")
    seconds_per_unit = 86400;
  else if (unit == "week" || unit == "w")
    seconds_per_unit = 7 * 86400;
  else if (unit == "hour" || unit == "h")
    seconds_per_unit = 3600;
  else if (unit == "minute" || unit == "m")
    seconds_per_unit = 60;
  else if (unit == "second")
    seconds_per_unit = 1;
  else
    return std::nullopt;
  return std::chrono::seconds(amount * seconds_per_unit);
}

TimePoint renewal_time(TimePoint not_before, TimePoint not_after,
                       std::optional<std::chrono::seconds> renew_before_expiry) {
  if (renew_before_expiry)
    return not_after - *renew_before_expiry;
  auto lifetime = not_after - not_before;
  auto left_when_due = lifetime < std::chrono::hours(24 * 10) ? lifetime / 2 : lifetime / 3;
  return not_after - left_when_due;
}

} // namespace certsmith::renew
