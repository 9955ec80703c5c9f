#include "notify/settings.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace certsmith::notify;

TEST_CASE("notify settings: a plain address, smtp URL and https webhook pass") {
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:2525";
  settings.webhook = "https://hooks.example.com/certs";
  CHECK_NOTHROW(validate(settings));
}

TEST_CASE("notify settings: header injection in an address is refused") {
  for (std::string address : {"ops@example.com\r\nBcc: victim@example.com", "ops@example.com\n",
                              "a@b.c>\r\nRCPT TO:<x@y.z", "no-at-sign", "a b@c.d", "a@b,c@d"}) {
    NotifySettings settings;
    settings.smtp_url = "smtp://127.0.0.1:25";
    settings.emails = {address};
    CHECK_THROWS_AS(validate(settings), UsageError);
    settings.emails = {"ok@example.com"};
    settings.from = address;
    CHECK_THROWS_AS(validate(settings), UsageError);
  }
}

TEST_CASE("notify settings: webhook schemes other than http and https are refused") {
  for (std::string url : {"file:///etc/passwd", "gopher://x/", "ftp://x/", "smtp://x/",
                          "https://x/\r\nHost: y", "https://x/ y", "http:/x", "dict://x"}) {
    NotifySettings settings;
    settings.webhook = url;
    CHECK_THROWS_AS(validate(settings), UsageError);
  }
}

TEST_CASE("notify settings: an SMTP URL must be smtp or smtps, and mail needs one") {
  NotifySettings settings;
  settings.emails = {"ops@example.com"};
  CHECK_THROWS_AS(validate(settings), UsageError);
  settings.smtp_url = "http://127.0.0.1:25";
  CHECK_THROWS_AS(validate(settings), UsageError);
  settings.smtp_url = "SMTPS://mail.example.com:465";
  CHECK_NOTHROW(validate(settings));
}

TEST_CASE("notify settings: expiry days out of range are refused") {
  NotifySettings settings;
  settings.expiry_days = 0;
  CHECK_THROWS_AS(validate(settings), UsageError);
  settings.expiry_days = 30;
  CHECK_NOTHROW(validate(settings));
}

TEST_CASE("notify settings: intervals") {
  CHECK(parse_interval("24h") == std::chrono::hours(24));
  CHECK(parse_interval("90m") == std::chrono::minutes(90));
  CHECK(parse_interval("2d") == std::chrono::hours(48));
  CHECK(parse_interval("3600") == std::chrono::seconds(3600));
  CHECK(parse_interval("0s") == std::chrono::seconds(0));
  CHECK_FALSE(parse_interval(""));
  CHECK_FALSE(parse_interval("h"));
  CHECK_FALSE(parse_interval("-1h"));
  CHECK_FALSE(parse_interval("1w"));
  CHECK_FALSE(parse_interval("99999999999999999999"));
}

TEST_CASE("notify settings: written to and read back from a conf, other keys kept") {
  auto conf = store::ConfigObj::parse("version = 2.1.0\n[renewalparams]\nauthenticator = "
                                      "standalone\n",
                                      "x.conf");
  NotifySettings settings;
  settings.emails = {"a@example.com", "b@example.com"};
  settings.smtp_url = "smtp://127.0.0.1:25";
  settings.webhook = "http://127.0.0.1:8080/hook";
  settings.ca_bundle = "/etc/notify ca.pem";
  settings.on_success = true;
  settings.expiry_days = 10;
  settings.interval = std::chrono::hours(6);
  write_settings(conf, settings);
  auto text = conf.to_string();
  CHECK(text.find("authenticator = standalone") != std::string::npos);
  CHECK(text.find("certsmith_notify_webhook = http://127.0.0.1:8080/hook") != std::string::npos);
  auto reread = read_settings(store::ConfigObj::parse(text, "x.conf"));
  CHECK(reread == settings);
}

TEST_CASE("notify settings: the command line wins field by field") {
  NotifySettings flags, conf;
  flags.webhook = "http://new/";
  conf.webhook = "http://old/";
  conf.emails = {"ops@example.com"};
  auto merged = overlay(flags, conf);
  CHECK(merged.webhook == "http://new/");
  CHECK(merged.emails == std::vector<std::string>{"ops@example.com"});
}

TEST_CASE("notify settings: each value alone, completeness after the overlay") {
  NotifySettings flags;
  flags.emails = {"ops@example.com"};
  CHECK_NOTHROW(validate_values(flags));
  CHECK_THROWS_AS(validate(flags), UsageError);
  NotifySettings saved;
  saved.smtp_url = "smtp://127.0.0.1:25";
  CHECK_NOTHROW(validate(overlay(flags, saved)));
  flags.ca_bundle = "/tmp/ca.pem\nx";
  CHECK_THROWS_AS(validate_values(flags), UsageError);
}
