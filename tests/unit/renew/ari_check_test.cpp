#include "renew/ari_check.hpp"
#include "renew/ari_conf.hpp"
#include "renew_fixtures.hpp"
#include "support/fake_clock.hpp"
#include "support/scripted_transport.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace certsmith;
using namespace certsmith::renew;
using namespace std::chrono;
using testing::json_response;

namespace {

const std::string k_dir = "https://ca.test/dir";
const std::string k_id = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";

std::string directory_body(bool with_ari = true) {
  nlohmann::json body = {{"newNonce", "https://ca.test/nonce"},
                         {"newAccount", "https://ca.test/acct"},
                         {"newOrder", "https://ca.test/order"}};
  if (with_ari)
    body["renewalInfo"] = "https://ca.test/ari";
  return body.dump();
}

// 2027-01-15T08:00:00Z is the fake clock's start.
const char* k_window = R"({"suggestedWindow":{"start":"2027-03-01T00:00:00Z",
                                             "end":"2027-03-03T00:00:00Z"}})";

struct Fixture {
  renew::test::TempTree tree;
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  acme::Client client{transport, clock, k_dir};
  AriCache cache = AriCache::load(AriCache::default_path(tree.paths()));
  store::ConfigObj conf = store::ConfigObj::parse("version = 2.1.0\n", "renewal/x.conf");
  TimePoint not_after = clock.now() + hours(24 * 90);

  AriCheck check() { return check_renewal_info(client, cache, conf, k_id, not_after, clock.now()); }
};

} // namespace

TEST_CASE_METHOD(Fixture, "the window is fetched, cached, and not asked for again too soon") {
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(json_response(200, k_window, {{"retry-after", "3600"}}), false);
  auto first = check();
  CHECK(first.asked_ca);
  CHECK(first.warning.empty());
  REQUIRE(first.window);
  CHECK(first.window->start == sys_days(year(2027) / 3 / 1));
  CHECK(first.conf_changed);
  CHECK(read_ari_retry_after(conf) == floor<seconds>(clock.now() + hours(1)));

  clock.advance(minutes(30));
  auto second = check(); // no request scripted: it must come from the cache
  CHECK_FALSE(second.asked_ca);
  CHECK_FALSE(second.conf_changed);
  REQUIRE(second.window);
  CHECK(second.window->end == sys_days(year(2027) / 3 / 3));

  clock.advance(minutes(31));
  transport.expect(json_response(200, k_window), false);
  CHECK(check().asked_ca);
  CHECK(transport.requests().size() == 3);
}

TEST_CASE_METHOD(Fixture, "certbot's ari_retry_after in the conf is honoured") {
  write_ari_retry_after(conf, clock.now() + hours(2));
  auto result = check();
  CHECK_FALSE(result.asked_ca);
  CHECK_FALSE(result.window);
  CHECK(transport.requests().empty());

  SECTION("but not when it lies more than a day ahead") {
    write_ari_retry_after(conf, clock.now() + hours(24 * 40));
    transport.expect(json_response(200, directory_body()), false);
    transport.expect(json_response(200, k_window), false);
    CHECK(check().asked_ca);
  }
}

TEST_CASE_METHOD(Fixture, "a CA without renewalInfo costs one request per six hours") {
  transport.expect(json_response(200, directory_body(false)), false);
  auto result = check();
  CHECK_FALSE(result.asked_ca);
  CHECK_FALSE(result.window);
  CHECK_FALSE(result.conf_changed);
  acme::Client next_run{transport, clock, k_dir}; // a new run has a new client
  CHECK_FALSE(
      check_renewal_info(next_run, cache, conf, "AAAA.BB", not_after, clock.now()).asked_ca);
  CHECK(transport.requests().size() == 1);
}

TEST_CASE_METHOD(Fixture, "an unreachable CA is not asked once per lineage") {
  transport.expect(
      [](const http::Request&) -> http::Response { throw NetworkError("connection refused"); });
  auto result = check();
  CHECK_FALSE(result.window);
  CHECK(result.warning.find("connection refused") != std::string::npos);
  CHECK_FALSE(check_renewal_info(client, cache, conf, "AAAA.BB", not_after, clock.now()).asked_ca);
  CHECK(transport.requests().size() == 1);
}

TEST_CASE_METHOD(Fixture, "a failed fetch keeps the cached window and is retried after six hours") {
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(json_response(200, k_window, {{"retry-after", "60"}}), false);
  check();
  clock.advance(minutes(2));
  transport.expect(json_response(200, R"({"suggestedWindow":{"start":"x","end":"y"}})"), false);
  auto failed = check();
  CHECK(failed.asked_ca);
  CHECK_FALSE(failed.warning.empty());
  REQUIRE(failed.window);
  CHECK(failed.window->start == sys_days(year(2027) / 3 / 1));
  CHECK(failed.conf_changed);
  CHECK(read_ari_retry_after(conf) == floor<seconds>(clock.now() + hours(6)));
  clock.advance(hours(5));
  CHECK_FALSE(check().asked_ca);
}

TEST_CASE_METHOD(Fixture, "an expired certificate is never asked about") {
  not_after = clock.now();
  auto result = check();
  CHECK_FALSE(result.asked_ca);
  CHECK(transport.requests().empty());
}
