#include "acme/retry_after.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace std::chrono;

TEST_CASE("Retry-After in seconds") {
  auto now = system_clock::now();
  CHECK(acme::parse_retry_after("120", now) == seconds(120));
  CHECK(acme::parse_retry_after(" 0 ", now) == seconds(0));
  CHECK(acme::parse_retry_after("99999999999999999999999", now) == seconds(86400));
}

TEST_CASE("Retry-After as an HTTP date") {
  auto now = system_clock::from_time_t(784111777); // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(acme::parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now) == seconds(60));
  CHECK(acme::parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now) == seconds(0));
}

TEST_CASE("garbage Retry-After values are ignored") {
  auto now = system_clock::now();
  CHECK_FALSE(acme::parse_retry_after("", now));
  CHECK_FALSE(acme::parse_retry_after("-5", now));
  CHECK_FALSE(acme::parse_retry_after("soon", now));
  CHECK_FALSE(acme::parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT trailing", now));
}

TEST_CASE("Retry-After as a moment is not capped at a day, but at 400 days") {
  auto now = system_clock::from_time_t(784111777); // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(acme::parse_retry_at("604800", now) == now + hours(24 * 7));
  CHECK(acme::parse_retry_at("Sun, 13 Nov 1994 08:49:37 GMT", now) == now + hours(24 * 7));
  CHECK(acme::parse_retry_at("Sun, 06 Nov 1994 08:00:00 GMT", now) == now);
  CHECK(acme::parse_retry_at("99999999999999999999999", now) == now + hours(24 * 400));
  CHECK_FALSE(acme::parse_retry_at("soon", now));
}
