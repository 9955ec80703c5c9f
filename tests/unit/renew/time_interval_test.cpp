#include "renew/time_interval.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

using namespace certsmith::renew;
using namespace std::chrono;

namespace {

// 31 January 2027, 12:00 UTC: month arithmetic is most visible at a month's end.
const system_clock::time_point k_base = sys_days(year(2027) / January / 31) + hours(12);

seconds added(std::string_view text) {
  auto interval = parse_time_interval(text);
  REQUIRE(interval);
  return duration_cast<seconds>(add_time_interval(k_base, *interval) - k_base);
}

constexpr long long k_day = 86400;

} // namespace

// Expected values measured with certbot 2.1's storage.add_time_interval
// (parsedatetime 2.6) from the same base time.
TEST_CASE("time intervals add up as certbot's add_time_interval does", "[renew][interval]") {
  const std::vector<std::pair<std::string, long long>> table{
      {"30 days", 30 * k_day},
      {"30", 30 * k_day},
      {" 10 ", 10 * k_day},
      {"30 Days", 30 * k_day},
      {"30days", 30 * k_day},
      {"2 weeks", 14 * k_day},
      {"1 W", 7 * k_day},
      {"2 wk", 14 * k_day},
      {"1 month", 28 * k_day},
      {"1 Month", 28 * k_day},
      {"3 months", 89 * k_day},
      {"13 months", 394 * k_day},
      {"1 year", 365 * k_day},
      {"1 yr", 365 * k_day},
      {"1 y", 365 * k_day},
      {"6 months 1 week", 188 * k_day},
      {"1 month 1 day", 29 * k_day},
      {"1 year 1 month", 394 * k_day},
      {"3 days 12 hours", 3 * k_day + 12 * 3600},
      {"2 weeks, 3 days", 17 * k_day},
      {"2 weeks and 3 days", 17 * k_day},
      {"1d 12h", k_day + 12 * 3600},
      {"1.5 days", k_day + 12 * 3600},
      {"1.5 weeks", 10 * k_day + 12 * 3600},
      {"12 hours", 12 * 3600},
      {"1 hr", 3600},
      {"90 minutes", 90 * 60},
      {"10 mins", 600},
      {"10m", 600},
      {"30 secs", 30},
      {"10s", 10},
      {"1 dy", k_day},
      {"0", 0},
  };
  for (const auto& [text, expected] : table) {
    INFO(text);
    CHECK(added(text) == seconds(expected));
  }
}

TEST_CASE("a month from the end of a month ends on the last day of the next", "[renew][interval]") {
  auto from = [](year_month_day day) { return sys_days(day) + hours(12); };
  TimeInterval month{1, seconds(0)};
  CHECK(add_time_interval(from(year(2027) / March / 31), month) == from(year(2027) / April / 30));
  CHECK(add_time_interval(from(year(2028) / January / 31), month) ==
        from(year(2028) / February / 29));
  CHECK(add_time_interval(from(year(2028) / February / 29), TimeInterval{12, seconds(0)}) ==
        from(year(2029) / February / 28));
  CHECK(add_time_interval(from(year(2027) / December / 15), month) ==
        from(year(2028) / January / 15));
}

TEST_CASE("intervals certbot would read as nothing or as the past are refused",
          "[renew][interval]") {
  // parsedatetime gives 0 (or a negative span) for these: certbot would renew
  // only after expiry. certsmith refuses them so the caller can warn.
  for (const char* bad : {"",
                          "   ",
                          "days",
                          "foo",
                          "-3 days",
                          "3 days ago",
                          "1 month ago",
                          "1 fortnight",
                          "2 hrs",
                          "2 wks",
                          "2 dys",
                          "1mo",
                          "2 mths",
                          "2 yrs",
                          "1e9 days",
                          "99999999999999999999 days",
                          "0.5 months",
                          "1.2.3 days",
                          "3days2",
                          "3 daysx",
                          "a day",
                          "one week",
                          "next week",
                          "tomorrow",
                          "30 days # comment",
                          "121 months",
                          "3651 days"}) {
    INFO(bad);
    CHECK_FALSE(parse_time_interval(bad));
  }
}
