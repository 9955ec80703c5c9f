#include "renew/ari_conf.hpp"
#include "store/config_obj.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>

using namespace certsmith;
using namespace certsmith::renew;
using namespace std::chrono;

namespace {

TimePoint utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
              int second = 0) {
  return sys_days(std::chrono::year(year) / month / day) + hours(hour) + minutes(minute) +
         seconds(second);
}

// Local wall-clock fields of `when`, computed independently of the code under test.
std::string local_text(TimePoint when) {
  std::time_t t = system_clock::to_time_t(when);
  std::tm local{};
  localtime_r(&t, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &local);
  return buffer;
}

const char* k_certbot_conf = R"(# renew_before_expiry = 30 days
version = 5.0.0
archive_dir = /etc/letsencrypt/archive/example.com
cert = /etc/letsencrypt/live/example.com/cert.pem
privkey = /etc/letsencrypt/live/example.com/privkey.pem
chain = /etc/letsencrypt/live/example.com/chain.pem
fullchain = /etc/letsencrypt/live/example.com/fullchain.pem

# Options used in the renewal process
[renewalparams]
account = 0123456789abcdef0123456789abcdef
authenticator = standalone
server = https://acme-v02.api.letsencrypt.org/directory
key_type = ecdsa
[acme_renewal_info]
ari_retry_after = 2025-07-01T14:03:22
)";

} // namespace

TEST_CASE("certbot 5's ari_retry_after is read as local time") {
  auto conf = store::ConfigObj::parse(k_certbot_conf, "renewal/example.com.conf");
  auto when = read_ari_retry_after(conf);
  REQUIRE(when);
  CHECK(local_text(*when) == "2025-07-01T14:03:22");
  CHECK(format_certbot_time(*when) == "2025-07-01T14:03:22");
}

TEST_CASE("certbot time forms that Python's fromisoformat writes") {
  CHECK(parse_certbot_time("2025-07-01T14:03:22+00:00") == utc(2025, 7, 1, 14, 3, 22));
  CHECK(parse_certbot_time("2025-07-01T14:03:22Z") == utc(2025, 7, 1, 14, 3, 22));
  CHECK(parse_certbot_time("2025-07-01 14:03:22+02:00") == utc(2025, 7, 1, 12, 3, 22));
  CHECK(parse_certbot_time("2025-07-01T14:03:22.250000+00:00") ==
        utc(2025, 7, 1, 14, 3, 22) + milliseconds(250));
  auto naive = parse_certbot_time("2025-07-01T14:03:22.5");
  REQUIRE(naive);
  CHECK(local_text(*naive) == "2025-07-01T14:03:22");
  for (const char* bad : {"", "tomorrow", "2025-07-01", "2025-13-01T00:00:00", "2025-07-01T14:03",
                          "None", "2025-07-01T14:03:22+99:00", "9999-01-01T00:00:00"}) {
    INFO(bad);
    CHECK_FALSE(parse_certbot_time(bad));
  }
}

TEST_CASE("ari_retry_after is written where certbot writes it, the rest untouched") {
  auto conf = store::ConfigObj::parse(k_certbot_conf, "renewal/example.com.conf");
  auto when = utc(2026, 1, 2, 3, 4, 5);
  write_ari_retry_after(conf, when);
  std::string text = conf.to_string();
  std::string expected = k_certbot_conf;
  expected.replace(expected.find("2025-07-01T14:03:22"), 19, local_text(when));
  CHECK(text == expected);
  CHECK(read_ari_retry_after(store::ConfigObj::parse(text, "x")) == when);
}

TEST_CASE("a conf without the section gets it at the end") {
  auto conf =
      store::ConfigObj::parse("version = 2.1.0\n[renewalparams]\nserver = https://ca/dir\n", "x");
  CHECK_FALSE(read_ari_retry_after(conf));
  write_ari_retry_after(conf, utc(2026, 1, 2, 3, 4, 5));
  std::string text = conf.to_string();
  CHECK(text.starts_with("version = 2.1.0\n[renewalparams]\nserver = https://ca/dir\n"));
  CHECK(text.find("[acme_renewal_info]\nari_retry_after = " +
                  local_text(utc(2026, 1, 2, 3, 4, 5))) != std::string::npos);
  auto reparsed = store::ConfigObj::parse(text, "x");
  CHECK(reparsed.root().section("renewalparams")->get("server") == "https://ca/dir");
}

TEST_CASE("a malformed ari_retry_after is ignored") {
  auto conf = store::ConfigObj::parse("[acme_renewal_info]\nari_retry_after = soon\n", "x");
  CHECK_FALSE(read_ari_retry_after(conf));
}
