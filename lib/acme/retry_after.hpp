#pragma once
// RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date.

#include <chrono>
#include <optional>
#include <string_view>

namespace certsmith::acme {

/// Seconds to wait from now; std::nullopt when value is neither form.
/// A date in the past gives 0 s. Values are capped at one day.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

/// The moment the server named, for telling a person when to come back (a
/// rate limit's end may be days away): capped at 400 days, never before now.
std::optional<std::chrono::system_clock::time_point>
parse_retry_at(std::string_view value, std::chrono::system_clock::time_point now);

} // namespace certsmith::acme
