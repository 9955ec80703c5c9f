#include "renew/due.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using namespace certsmith::renew;
using namespace std::chrono;

namespace {
const TimePoint k_start = system_clock::from_time_t(1'800'000'000);
constexpr auto k_day = hours(24);
} // namespace

TEST_CASE("renew_before_expiry in certbot's spellings") {
  CHECK(parse_renew_before_expiry("30 days", k_start) == seconds(30 * 86400));
  CHECK(parse_renew_before_expiry("1 day", k_start) == seconds(86400));
  CHECK(parse_renew_before_expiry("2 weeks", k_start) == seconds(14 * 86400));
  CHECK(parse_renew_before_expiry("12 hours", k_start) == seconds(12 * 3600));
  CHECK(parse_renew_before_expiry("10", k_start) == seconds(10 * 86400));
  CHECK(parse_renew_before_expiry(" 7d ", k_start) == seconds(7 * 86400));
}

TEST_CASE("renew_before_expiry in months counts calendar months from now, as certbot") {
  // certbot: notAfter < add_time_interval(now, "1 month"), parsedatetime's month.
  auto at = [](int y, unsigned m, unsigned d) {
    return sys_days(year(y) / month(m) / day(d)) + hours(12);
  };
  CHECK(parse_renew_before_expiry("1 month", at(2027, 1, 31)) == seconds(28 * 86400));
  CHECK(parse_renew_before_expiry("1 month", at(2027, 3, 31)) == seconds(30 * 86400));
  CHECK(parse_renew_before_expiry("3 months", at(2027, 1, 31)) == seconds(89 * 86400));
  CHECK(parse_renew_before_expiry("1 year", at(2028, 2, 29)) == seconds(365 * 86400));
  CHECK(parse_renew_before_expiry("1 month 1 day", at(2027, 1, 31)) == seconds(29 * 86400));
}

TEST_CASE("malformed renew_before_expiry values are rejected") {
  for (const char* bad : {"", "days", "-3 days", "3 fortnights", "3 days ago", "1e9 days",
                          "99999999999999999999 days"}) {
    INFO(bad);
    CHECK_FALSE(parse_renew_before_expiry(bad, k_start));
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

namespace {

// A 90-day certificate and ARI windows around it, for the due-ness table.
const TimePoint k_not_after = k_start + 90 * k_day;

DueInputs inputs_90_days() {
  return DueInputs{k_start, k_not_after, std::nullopt, std::nullopt, 0.5};
}

} // namespace

TEST_CASE("due-ness table") {
  struct Row {
    const char* what;
    DueInputs inputs;
    TimePoint now;
    bool due;
    TimePoint when;
    const char* reason;
  };
  const AriWindow future_window{k_start + 60 * k_day, k_start + 62 * k_day};
  const AriWindow past_window{k_start + 10 * k_day, k_start + 12 * k_day};
  auto with = [](DueInputs in, auto change) {
    change(in);
    return in;
  };
  const std::vector<Row> rows = {
      {"no ARI, 1/3 left not reached", inputs_90_days(), k_start + 59 * k_day, false,
       k_start + 60 * k_day, "1/3 of lifetime left"},
      {"no ARI, 1/3 left reached", inputs_90_days(), k_start + 60 * k_day, true,
       k_start + 60 * k_day, "1/3 of lifetime left"},
      {"renew_before_expiry not reached",
       with(inputs_90_days(), [](DueInputs& in) { in.renew_before_expiry = seconds(20 * 86400); }),
       k_start + 60 * k_day, false, k_not_after - 20 * k_day,
       "20 days before expiry (renew_before_expiry)"},
      {"renew_before_expiry reached",
       with(inputs_90_days(), [](DueInputs& in) { in.renew_before_expiry = seconds(86400); }),
       k_not_after - hours(1), true, k_not_after - k_day,
       "1 day before expiry (renew_before_expiry)"},
      {"renew_before_expiry in hours",
       with(inputs_90_days(), [](DueInputs& in) { in.renew_before_expiry = seconds(12 * 3600); }),
       k_start, false, k_not_after - hours(12), "12 hours before expiry (renew_before_expiry)"},
      {"ARI window in the future: the lifetime rule no longer applies",
       with(inputs_90_days(), [&](DueInputs& in) { in.ari_window = future_window; }),
       k_start + 60 * k_day + hours(12), false, k_start + 61 * k_day,
       "ARI window 2027-03-16..2027-03-18"},
      {"ARI window, random time reached",
       with(inputs_90_days(), [&](DueInputs& in) { in.ari_window = future_window; }),
       k_start + 61 * k_day, true, k_start + 61 * k_day, "ARI window 2027-03-16..2027-03-18"},
      {"ARI window in the past",
       with(inputs_90_days(), [&](DueInputs& in) { in.ari_window = past_window; }),
       k_start + 20 * k_day, true, k_start + 11 * k_day, "ARI window 2027-01-25..2027-01-27"},
      {"ARI fraction 0 is the window's start",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = future_window;
              in.ari_fraction = 0.0;
            }),
       k_start + 60 * k_day, true, k_start + 60 * k_day, "ARI window 2027-03-16..2027-03-18"},
      {"ARI fraction out of range is clamped",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = future_window;
              in.ari_fraction = 7.0;
            }),
       k_start + 61 * k_day, false, k_start + 62 * k_day, "ARI window 2027-03-16..2027-03-18"},
      {"ARI fraction NaN counts as 0",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = future_window;
              in.ari_fraction = std::nan("");
            }),
       k_start, false, k_start + 60 * k_day, "ARI window 2027-03-16..2027-03-18"},
      {"renew_before_expiry still renews earlier than ARI (as certbot 5)",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = future_window;
              in.renew_before_expiry = seconds(45 * 86400);
            }),
       k_start + 50 * k_day, true, k_not_after - 45 * k_day,
       "45 days before expiry (renew_before_expiry)"},
      {"ARI earlier than renew_before_expiry",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = past_window;
              in.renew_before_expiry = seconds(30 * 86400);
            }),
       k_start + 11 * k_day, true, k_start + 11 * k_day, "ARI window 2027-01-25..2027-01-27"},
      {"not due with both: the earlier of the two is reported",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = future_window;
              in.renew_before_expiry = seconds(35 * 86400);
            }),
       k_start, false, k_not_after - 35 * k_day, "35 days before expiry (renew_before_expiry)"},
      {"a short window shows its hours",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = AriWindow{k_start + 60 * k_day, k_start + 60 * k_day + hours(6)};
            }),
       k_start, false, k_start + 60 * k_day + hours(3),
       "ARI window 2027-03-16 08:00..2027-03-16 14:00 UTC"},
      {"an ARI window that ends before it starts is ignored",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = AriWindow{future_window.end, future_window.start};
            }),
       k_start, false, k_start + 60 * k_day, "1/3 of lifetime left"},
      {"short-lived certificate: half its lifetime",
       DueInputs{k_start, k_start + 6 * k_day, std::nullopt, std::nullopt, 0.0},
       k_start + 3 * k_day, true, k_start + 3 * k_day,
       "1/2 of lifetime left (short-lived certificate)"},
      {"clock skew: not_before in the future is simply not due", inputs_90_days(),
       k_start - 2 * k_day, false, k_start + 60 * k_day, "1/3 of lifetime left"},
      {"expired is always due, whatever ARI says",
       with(inputs_90_days(),
            [&](DueInputs& in) {
              in.ari_window = AriWindow{k_not_after + k_day, k_not_after + 2 * k_day};
            }),
       k_not_after, true, k_not_after, "expired on 2027-04-15"},
      {"an empty validity period is due",
       DueInputs{k_start, k_start, std::nullopt, std::nullopt, 0.0}, k_start - k_day, true, k_start,
       "the certificate's validity period is empty"},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    auto decision = decide_due(row.inputs, row.now);
    CHECK(decision.due == row.due);
    CHECK(decision.when == row.when);
    CHECK(decision.reason == row.reason);
  }
}

TEST_CASE("decide_due agrees with renewal_time when there is no ARI") {
  for (auto lifetime : {hours(1), 6 * k_day, 10 * k_day, 45 * k_day, 90 * k_day, 397 * k_day}) {
    DueInputs in{k_start, k_start + lifetime, std::nullopt, std::nullopt, 0.0};
    CHECK(decide_due(in, k_start).when == renewal_time(k_start, k_start + lifetime, std::nullopt));
  }
}

TEST_CASE("ari_fraction is stable, in [0, 1) and spread out") {
  CHECK(ari_fraction("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE") ==
        ari_fraction("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"));
  int buckets[10] = {};
  for (int i = 0; i < 10000; ++i) {
    double fraction = ari_fraction("AAAA." + std::to_string(i));
    REQUIRE(fraction >= 0.0);
    REQUIRE(fraction < 1.0);
    ++buckets[static_cast<int>(fraction * 10)];
  }
  for (int count : buckets)
    CHECK((count > 900 && count < 1100));
}
