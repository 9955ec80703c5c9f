#include "acme/retry_after.hpp"

#include <charconv>
#include <ctime>
#include <string>

namespace certsmith::acme {

namespace {
constexpr std::chrono::seconds k_max_retry_after{24 * 3600};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
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
      return k_max_retry_after;
    if (error != std::errc() || end != value.data() + value.size())
      return std::nullopt;
    return std::min(std::chrono::seconds(seconds), k_max_retry_after);
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
  return std::min(std::chrono::duration_cast<std::chrono::seconds>(when - now), k_max_retry_after);
}

} // namespace certsmith::acme
