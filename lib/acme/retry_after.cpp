#include "acme/retry_after.hpp"

#include <charconv>
#include <ctime>
#include <string>

namespace certsmith::acme {

namespace {
constexpr std::chrono::seconds k_max_retry_after{24 * 3600};
constexpr std::chrono::seconds k_max_retry_at{400LL * 24 * 3600};

/// Seconds from now, capped at `cap`; std::nullopt when value is neither form.
std::optional<std::chrono::seconds> seconds_until(std::string_view value,
                                                  std::chrono::system_clock::time_point now,
                                                  std::chrono::seconds cap) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty())
    return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    long long seconds = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc::result_out_of_range)
      return cap;
    if (error != std::errc() || end != value.data() + value.size())
      return std::nullopt;
    return std::min(std::chrono::seconds(seconds), cap);
  }
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm parsed{};
  std::string text(value);
  const char* rest = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parsed);
  if (rest == nullptr || *rest != '\0')
    return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&parsed));
  if (when <= now)
    return std::chrono::seconds(0);
  return std::min(std::chrono::duration_cast<std::chrono::seconds>(when - now), cap);
}

} // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  return seconds_until(value, now, k_max_retry_after);
}

std::optional<std::chrono::system_clock::time_point>
parse_retry_at(std::string_view value, std::chrono::system_clock::time_point now) {
  auto seconds = seconds_until(value, now, k_max_retry_at);
  if (!seconds)
    return std::nullopt;
  return now + *seconds;
}

} // namespace certsmith::acme
