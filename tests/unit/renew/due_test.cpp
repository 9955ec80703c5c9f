#include <catch2/catch.hpp>

#include "renew/due.hpp"

using namespace certsmith::renew;
using namespace std::chrono;

namespace {
const TimePoint k_start = system_clock::from_time_t(1'800'000'000);
constexpr auto k_day = hours(24);
} // namespace

TEST_CASE("renew_before_expiry in certbot's spellings") {
  CHECK(parse_renew_before_expiry("30 days") == seconds(30 * 86400));
  CHECK(parse_renew_before_expiry("1 day") == seconds(86400));
  CHECK(parse_renew_before_expiry("2 weeks") == seconds(14 * 86400));
  CHECK(parse_renew_before_expiry("12 hours") == seconds(12 * 3600));
  CHECK(parse_renew_before_expiry("10") == seconds(10 * 86400));
  CHECK(parse_renew_before_expiry(" 7d ") == seconds(7 * 86400));
}

TEST_CASE("malformed renew_before_expiry values are rejected") {
  for (const char* bad : {"", "days", "-3 days", "3 fortnights", "3 days ago", "1e9 days",
                          "99999999999999999999 days"}) {
    INFO(bad);
    CHECK_FALSE(parse_renew_before_expiry(bad));
  }
}

TEST_CASE("a 90-day certificate is due with 30 days left") {
  TimePoint not_after = k_start + 90 * k_day;
  CHECK_FALSE(is_due(k_start, not_after, std::nullopt, not_after - 31 * k_day));
  CHECK(is_due(k_start, not_after, std::nullopt, not_after - 30 * k_day));
}

TEST_CASE("short-lived certificates renew at half their lifetime") {
  TimePoint not_after = k_start + 6 * k_day;
  CHECK(renewal_time(k_start, not_after, std::nullopt) == k_start + 3 * k_day);
  TimePoint hour_cert = k_start + hours(1);
  CHECK(renewal_time(k_start, hour_cert, std::nullopt) == k_start + minutes(30));
}

TEST_CASE("renew_before_expiry from the renewal conf wins") {
  TimePoint not_after = k_start + 90 * k_day;
  CHECK(renewal_time(k_start, not_after, seconds(10 * 86400)) == not_after - 10 * k_day);
}
