#pragma once
// Unix times read back from files certsmith wrote (the issuance ledger, the
// renewal attempts): a damaged or hostile file may hold any number, and
// system_clock counts nanoseconds in 64 bits, so a time_point made from more
// than ~292 years of seconds overflows (undefined behaviour). Such a value is
// refused here instead.

#include <chrono>
#include <optional>

namespace certsmith::util {

/// 1970 .. 2200: every time certsmith stores (issuances, rate-limit ends, attempts) lies in it.
inline constexpr long long k_max_stored_unix_seconds = 7258118400LL; // 2200-01-01

inline std::optional<std::chrono::system_clock::time_point> time_from_unix(long long seconds) {
  if (seconds < 0 || seconds > k_max_stored_unix_seconds)
    return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

inline long long unix_seconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

} // namespace certsmith::util
