#include "renew/due.hpp"

#include "renew/time_interval.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fmt/format.h>
#include <string>
#include <vector>

namespace certsmith::renew {

std::optional<std::chrono::seconds> parse_renew_before_expiry(std::string_view text,
                                                              TimePoint now) {
  std::optional<TimeInterval> interval = parse_time_interval(text);
  if (!interval)
    return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(add_time_interval(now, *interval) - now);
}

TimePoint renewal_time(TimePoint not_before, TimePoint not_after,
                       std::optional<std::chrono::seconds> renew_before_expiry) {
  if (renew_before_expiry)
    return not_after - *renew_before_expiry;
  auto lifetime = not_after - not_before;
  auto left_when_due = lifetime < std::chrono::hours(24 * 10) ? lifetime / 2 : lifetime / 3;
  return not_after - left_when_due;
}

namespace {

constexpr auto k_day = std::chrono::hours(24);

std::string format_utc_minute(TimePoint when) {
  auto day = std::chrono::floor<std::chrono::days>(when);
  auto time = std::chrono::hh_mm_ss(std::chrono::floor<std::chrono::minutes>(when - day));
  return fmt::format("{} {:02d}:{:02d}", format_utc_date(when), time.hours().count(),
                     time.minutes().count());
}

std::string describe_window(const AriWindow& window) {
  // A window of a day or two reads better with its hours.
  if (window.end - window.start >= 2 * k_day)
    return fmt::format("ARI window {}..{}", format_utc_date(window.start),
                       format_utc_date(window.end));
  return fmt::format("ARI window {}..{} UTC", format_utc_minute(window.start),
                     format_utc_minute(window.end));
}

std::string describe_interval(std::chrono::seconds interval) {
  auto plural = [](long long count, const char* unit) {
    return fmt::format("{} {}{}", count, unit, count == 1 ? "" : "s");
  };
  long long seconds = interval.count();
  if (seconds % 86400 == 0)
    return plural(seconds / 86400, "day");
  if (seconds % 3600 == 0)
    return plural(seconds / 3600, "hour");
  if (seconds % 60 == 0)
    return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

struct Candidate {
  TimePoint when;
  std::string reason;
};

} // namespace

std::string format_utc_date(TimePoint when) {
  std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(when)};
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

DueDecision decide_due(const DueInputs& inputs, TimePoint now) {
  if (inputs.not_after <= inputs.not_before)
    return {true, inputs.not_after, "the certificate's validity period is empty"};
  if (now >= inputs.not_after)
    return {true, inputs.not_after,
            fmt::format("expired on {}", format_utc_date(inputs.not_after))};

  std::vector<Candidate> candidates;
  if (inputs.ari_window && inputs.ari_window->end > inputs.ari_window->start) {
    const AriWindow& window = *inputs.ari_window;
    double fraction = std::isnan(inputs.ari_fraction) ? 0.0 : inputs.ari_fraction;
    fraction = std::clamp(fraction, 0.0, 1.0);
    auto offset = std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::duration<double, TimePoint::period>(
            static_cast<double>((window.end - window.start).count()) * fraction));
    candidates.push_back({window.start + offset, describe_window(window)});
  }
  if (inputs.renew_before_expiry) {
    candidates.push_back({inputs.not_after - *inputs.renew_before_expiry,
                          fmt::format("{} before expiry (renew_before_expiry)",
                                      describe_interval(*inputs.renew_before_expiry))});
  }
  if (candidates.empty()) {
    auto lifetime = inputs.not_after - inputs.not_before;
    bool short_lived = lifetime < 10 * k_day;
    candidates.push_back(
        {inputs.not_after - (short_lived ? lifetime / 2 : lifetime / 3),
         short_lived ? "1/2 of lifetime left (short-lived certificate)" : "1/3 of lifetime left"});
  }
  // ARI comes first when several rules already say "due"; otherwise the earliest wins.
  for (auto& candidate : candidates) {
    if (now >= candidate.when)
      return {true, candidate.when, std::move(candidate.reason)};
  }
  auto earliest = std::min_element(candidates.begin(), candidates.end(),
                                   [](const auto& a, const auto& b) { return a.when < b.when; });
  return {false, earliest->when, std::move(earliest->reason)};
}

double ari_fraction(std::string_view seed) {
  // FNV-1a, then a finalizer so that similar seeds land far apart.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : seed) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  hash ^= hash >> 33;
  return static_cast<double>(hash >> 11) / static_cast<double>(1ULL << 53);
}

} // namespace certsmith::renew
