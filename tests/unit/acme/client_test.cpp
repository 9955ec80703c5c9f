#include "acme/client.hpp"
#include "crypto/base64url.hpp"
#include "support/fake_clock.hpp"
#include "support/scripted_transport.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using nlohmann::json;
using testing::json_response;

namespace {

const std::string k_dir = "https://ca.test/dir";

std::string directory_body() {
  return json{{"newNonce", "https://ca.test/nonce"},
              {"newAccount", "https://ca.test/acct"},
              {"newOrder", "https://ca.test/order"}}
      .dump();
}

json protected_header(const http::Request& request) {
  auto body = json::parse(request.body);
  return json::parse(*crypto::base64url_decode(body["protected"].get<std::string>()));
}

std::string payload(const http::Request& request) {
  auto body = json::parse(request.body);
  return *crypto::base64url_decode(body["payload"].get<std::string>());
}

http::Response bad_nonce(const std::string& fresh_nonce) {
  return json_response(400, R"({"type":"urn:ietf:params:acme:error:badNonce","detail":"stale"})",
                       {{"replay-nonce", fresh_nonce}});
}

struct Fixture {
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  crypto::PrivateKey key = crypto::PrivateKey::generate({});
  acme::Client client{transport, clock, k_dir};

  void expect_directory_and_nonce() {
    transport.expect(json_response(200, directory_body()), false);
    transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  }
};

} // namespace

TEST_CASE_METHOD(Fixture, "new account signs with the jwk, then requests use the kid") {
  expect_directory_and_nonce();
  transport.expect(
      json_response(201, R"({"status":"valid"})", {{"location", "https://ca.test/acct/7"}}));
  auto account = client.new_account(key, {{"mailto:a@example.com"}, true, std::nullopt});
  CHECK(account.url == "https://ca.test/acct/7");

  const auto& requests = transport.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].method == "HEAD");
  auto header = protected_header(requests[2]);
  CHECK(header["nonce"] == "first");
  CHECK(header["url"] == "https://ca.test/acct");
  CHECK(header.contains("jwk"));
  CHECK_FALSE(header.contains("kid"));
  CHECK(json::parse(payload(requests[2]))["contact"][0] == "mailto:a@example.com");

  transport.expect(json_response(200, R"({"status":"valid"})"));
  client.post("https://ca.test/acct/7", std::nullopt);
  auto get_header = protected_header(transport.requests()[3]);
  CHECK(get_header["kid"] == "https://ca.test/acct/7");
  CHECK_FALSE(get_header.contains("jwk"));
  CHECK(payload(transport.requests()[3]).empty()); // POST-as-GET
  CHECK(get_header["nonce"] == "nonce1");          // reused from the previous response
  CHECK(client.request_count() == 4);
}

TEST_CASE_METHOD(Fixture, "a badNonce is retried with the nonce that came with it") {
  expect_directory_and_nonce();
  transport.expect(bad_nonce("fresh1"), false);
  transport.expect(bad_nonce("fresh2"), false);
  transport.expect(json_response(201, "{}", {{"location", "https://ca.test/acct/1"}}));
  client.new_account(key, {});
  const auto& requests = transport.requests();
  REQUIRE(requests.size() == 5);
  CHECK(protected_header(requests[3])["nonce"] == "fresh1");
  CHECK(protected_header(requests[4])["nonce"] == "fresh2");
}

TEST_CASE_METHOD(Fixture, "badNonce retries stop at the deadline with the CA's error") {
  expect_directory_and_nonce();
  for (int i = 0; i < 100; ++i) {
    transport.expect([this, i](const http::Request&) {
      clock.advance(std::chrono::seconds(1));
      return bad_nonce("n" + std::to_string(i));
    });
  }
  CHECK_THROWS_WITH(client.new_account(key, {}), Catch::Contains("badNonce"));
  CHECK(transport.requests().size() < 70);
}

TEST_CASE_METHOD(Fixture, "other errors are not retried") {
  expect_directory_and_nonce();
  transport.expect(
      json_response(403, R"({"type":"urn:ietf:params:acme:error:unauthorized","detail":"no"})"));
  try {
    client.new_account(key, {});
    FAIL("no error");
  } catch (const acme::AcmeError& error) {
    CHECK(error.problem().short_type() == "unauthorized");
    CHECK(error.exit_code() == ExitCode::acme);
  }
  CHECK(transport.remaining() == 0);
  CHECK(transport.requests().size() == 3);
}

TEST_CASE_METHOD(Fixture, "newAccount without a Location is a protocol error") {
  expect_directory_and_nonce();
  transport.expect(json_response(201, "{}"));
  CHECK_THROWS_AS(client.new_account(key, {}), acme::ProtocolError);
}

TEST_CASE_METHOD(Fixture, "a newNonce answer without a valid nonce is an error, not a loop") {
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "bad nonce!"}}, "", {}}, false);
  CHECK_THROWS_WITH(client.new_account(key, {}), Catch::Contains("Replay-Nonce"));
}

TEST_CASE_METHOD(Fixture, "polling honours Retry-After and stops when decided") {
  client.use_account(key, "https://ca.test/acct/1");
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  auto authz = [](const char* status) {
    return json{{"identifier", {{"type", "dns"}, {"value", "a.example.com"}}},
                {"status", status},
                {"challenges", json::array()}}
        .dump();
  };
  transport.expect(json_response(200, authz("pending"), {{"retry-after", "3"}}));
  transport.expect(json_response(200, authz("pending")));
  transport.expect(json_response(200, authz("valid")));
  auto result = client.poll_authorization("https://ca.test/authz/1");
  CHECK(result.status == "valid");
  REQUIRE(clock.sleeps().size() == 3);
  CHECK(clock.sleeps()[0] == std::chrono::milliseconds(10)); // first look, quickly
  CHECK(clock.sleeps()[1] == std::chrono::seconds(3));       // the CA asked for 3 s
  CHECK(clock.sleeps()[2] == std::chrono::milliseconds(20)); // then our own backoff, doubled
}

TEST_CASE_METHOD(Fixture, "polling gives up at its deadline") {
  client.use_account(key, "https://ca.test/acct/1");
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  for (int i = 0; i < 200; ++i)
    transport.expect(json_response(
        200, R"({"status":"processing","finalize":"https://ca.test/f","authorizations":[]})",
        {{"retry-after", "30"}}));
  CHECK_THROWS_WITH(client.poll_order("https://ca.test/order/1"),
                    Catch::Contains("did not finish"));
}

namespace {

// An order the CA keeps "processing", asking to be polled again in 30 s.
void script_processing_order(testing::ScriptedTransport& transport, int polls) {
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  for (int i = 0; i < polls; ++i)
    transport.expect(json_response(
        200, R"({"status":"processing","finalize":"https://ca.test/f","authorizations":[]})",
        {{"retry-after", "30"}}));
}

std::chrono::milliseconds slept(const testing::FakeClock& clock) {
  std::chrono::milliseconds total{0};
  for (auto sleep : clock.sleeps())
    total += sleep;
  return total;
}

} // namespace

TEST_CASE_METHOD(Fixture, "the order is polled for certbot's default issuance timeout, 90 s") {
  client.use_account(key, "https://ca.test/acct/1");
  script_processing_order(transport, 10);
  CHECK_THROWS_WITH(client.poll_order("https://ca.test/order/1"),
                    Catch::Contains("within 90 s (--issuance-timeout)"));
  // 10 ms, then 30 s twice: a third wait of 30 s would end past 90 s.
  CHECK(slept(clock) == std::chrono::milliseconds(60'010));
  CHECK(transport.requests().size() == 2 + 3);
}

TEST_CASE("issuance timeout (--issuance-timeout) sets how long the finalized order is polled") {
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  acme::ClientOptions options;
  options.issuance_timeout = std::chrono::seconds(300);
  acme::Client client{transport, clock, k_dir, options};
  client.use_account(crypto::PrivateKey::generate({}), "https://ca.test/acct/1");
  script_processing_order(transport, 20);
  CHECK_THROWS_WITH(client.poll_order("https://ca.test/order/1"),
                    Catch::Contains("within 300 s (--issuance-timeout)"));
  CHECK(slept(clock) == std::chrono::milliseconds(270'010)); // 10 ms + 9 x 30 s
  CHECK(transport.requests().size() == 2 + 10);
}

TEST_CASE("issuance timeout (--issuance-timeout) does not shorten the wait for an authorization") {
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  acme::ClientOptions options;
  options.issuance_timeout = std::chrono::seconds(1);
  acme::Client client{transport, clock, k_dir, options};
  client.use_account(crypto::PrivateKey::generate({}), "https://ca.test/acct/1");
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  auto authz = [](const char* status) {
    return json{{"identifier", {{"type", "dns"}, {"value", "a.example.com"}}},
                {"status", status},
                {"challenges", json::array()}}
        .dump();
  };
  transport.expect(json_response(200, authz("pending"), {{"retry-after", "5"}}));
  transport.expect(json_response(200, authz("valid")));
  CHECK(client.poll_authorization("https://ca.test/authz/1").status == "valid");
}

TEST_CASE_METHOD(Fixture, "certificate download collects alternate chains on the same scheme") {
  client.use_account(key, "https://ca.test/acct/1");
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  transport.expect(http::Response{200,
                                  {{"link", "<https://ca.test/cert/1/1>;rel=\"alternate\""},
                                   {"link", "<https://ca.test/dir>;rel=\"index\""}},
                                  "PEM",
                                  {}});
  auto chain = client.download_certificate("https://ca.test/cert/1");
  CHECK(chain.pem == "PEM");
  CHECK(chain.alternate_urls == std::vector<std::string>{"https://ca.test/cert/1/1"});
}

TEST_CASE_METHOD(Fixture, "a directory that is not JSON is a clear protocol error") {
  transport.expect(json_response(200, "<html>"), false);
  CHECK_THROWS_WITH(client.directory(), "the directory from the CA is not valid JSON");
}

TEST_CASE_METHOD(Fixture, "alternate chains off the certificate's host or scheme are dropped") {
  client.use_account(key, "https://ca.test/acct/1");
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  transport.expect(
      http::Response{200,
                     {{"link", "<https://evil.test/cert/1/1>;rel=\"alternate\""},
                      {"link", "<http://ca.test/cert/1/2>;rel=\"alternate\""},
                      {"link", "<https://ca.test@evil.test/cert/1/3>;rel=\"alternate\""},
                      {"link", "<https://ca.test:8443/cert/1/4>;rel=\"alternate\""},
                      {"link", "<file:///etc/passwd>;rel=\"alternate\""},
                      {"link", "<https://CA.test/cert/1/5>; rel=alternate"}},
                     "PEM",
                     {}});
  auto chain = client.download_certificate("https://ca.test/cert/1");
  CHECK(chain.alternate_urls == std::vector<std::string>{"https://CA.test/cert/1/5"});
}

TEST_CASE_METHOD(Fixture, "alternate chains at the default port or relative links are followed") {
  client.use_account(key, "https://ca.test/acct/1");
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  transport.expect(http::Response{200,
                                  {{"link", "<https://ca.test:443/cert/1/1>;rel=\"alternate\""},
                                   {"link", "</cert/1/2>;rel=\"alternate\""},
                                   {"link", "<1/3>;rel=\"alternate\""},
                                   {"link", "<../alt/4>;rel=\"alternate\""},
                                   {"link", "<//evil.test/cert/1/5>;rel=\"alternate\""},
                                   {"link", "<https://ca.test:80/cert/1/6>;rel=\"alternate\""}},
                                  "PEM",
                                  {}});
  auto chain = client.download_certificate("https://ca.test/cert/1");
  CHECK(chain.alternate_urls ==
        std::vector<std::string>{"https://ca.test:443/cert/1/1", "https://ca.test/cert/1/2",
                                 "https://ca.test/cert/1/3", "https://ca.test/alt/4"});
}

TEST_CASE_METHOD(Fixture, "a flood of alternate links is cut short") {
  client.use_account(key, "https://ca.test/acct/1");
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  http::Response response{200, {}, "PEM", {}};
  for (int i = 0; i < 1000; ++i)
    response.headers.emplace_back("link", "<https://ca.test/cert/1/" + std::to_string(i) +
                                              ">;rel=alternate");
  transport.expect(response);
  auto chain = client.download_certificate("https://ca.test/cert/1");
  CHECK(chain.alternate_urls.size() == 20);
  CHECK(chain.alternate_urls.front() == "https://ca.test/cert/1/0");
}

TEST_CASE_METHOD(Fixture, "newOrder names a profile only when one is chosen") {
  client.use_account(key, "https://ca.test/acct/1");
  expect_directory_and_nonce();
  const std::string order_body =
      R"({"status":"pending","finalize":"https://ca.test/f","authorizations":[]})";
  transport.expect(json_response(201, order_body, {{"location", "https://ca.test/order/1"}}));
  transport.expect(json_response(201, order_body, {{"location", "https://ca.test/order/2"}}));
  transport.expect(json_response(201, order_body, {{"location", "https://ca.test/order/3"}}));
  const std::vector<acme::Identifier> names{{"dns", "a.example.com"}};
  client.new_order(names);
  client.new_order(names, {}, "shortlived");
  client.new_order(names, "AKI.SERIAL", "classic");

  const auto& requests = transport.requests();
  REQUIRE(requests.size() == 5);
  auto plain = json::parse(payload(requests[2]));
  CHECK_FALSE(plain.contains("profile"));
  CHECK_FALSE(plain.contains("replaces"));
  auto with_profile = json::parse(payload(requests[3]));
  CHECK(with_profile["profile"] == "shortlived");
  CHECK(with_profile["identifiers"][0]["value"] == "a.example.com");
  auto both = json::parse(payload(requests[4]));
  CHECK(both["profile"] == "classic");
  CHECK(both["replaces"] == "AKI.SERIAL");
}
