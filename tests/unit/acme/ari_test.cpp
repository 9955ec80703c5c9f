#include "acme/ari.hpp"
#include "acme/client.hpp"
#include "acme/json_body.hpp"
#include "crypto/base64url.hpp"
#include "crypto/certificate.hpp"
#include "support/fake_clock.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/scripted_transport.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using namespace std::chrono;
using nlohmann::json;
using testing::json_response;

namespace {

const std::string k_dir = "https://ca.test/dir";
// RFC 9773 §4.1 example (Appendix A certificate).
const std::string k_rfc_aki("\x69\x88\x5B\x6B\x87\x46\x40\x41\xE1\xB3\x7B\x84\x7B\xA0\xAE\x2C"
                            "\xDE\x01\xC8\xD4",
                            20);
const std::string k_rfc_serial_der("\x00\x87\x65\x43\x21", 5);
const std::string k_rfc_cert_id = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";

system_clock::time_point utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                             int second = 0) {
  return sys_days(std::chrono::year(year) / month / day) + hours(hour) + minutes(minute) +
         seconds(second);
}

std::string directory_body(bool with_ari = true) {
  json body = {{"newNonce", "https://ca.test/nonce"},
               {"newAccount", "https://ca.test/acct"},
               {"newOrder", "https://ca.test/order"}};
  if (with_ari)
    body["renewalInfo"] = "https://ca.test/renewal-info";
  return body.dump();
}

std::string window_body(const std::string& start, const std::string& end) {
  return json{{"suggestedWindow", {{"start", start}, {"end", end}}}}.dump();
}

struct Fixture {
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  acme::Client client{transport, clock, k_dir};
};

} // namespace

TEST_CASE("ARI certificate ID: the RFC 9773 §4.1 example") {
  CHECK(acme::ari_certificate_id(k_rfc_aki, k_rfc_serial_der) == k_rfc_cert_id);
  CHECK(acme::is_ari_certificate_id(k_rfc_cert_id));
}

TEST_CASE("ARI certificate ID from a certificate keeps the serial's leading zero byte") {
  auto issuer = crypto::PrivateKey::generate({});
  auto subject = crypto::PrivateKey::generate({});
  crypto::test::CertificateSpec spec;
  spec.serial_hex = "87654321"; // high bit set: DER needs a leading 0x00
  spec.authority_key_id = k_rfc_aki;
  spec.not_before = utc(2025, 1, 1);
  spec.not_after = utc(2025, 4, 1);
  auto facts = crypto::read_certificate(crypto::test::make_certificate_pem(spec, subject, issuer));
  CHECK(acme::ari_certificate_id(facts) == k_rfc_cert_id);

  spec.serial_hex = "7F01"; // no leading zero needed
  facts = crypto::read_certificate(crypto::test::make_certificate_pem(spec, subject, issuer));
  CHECK(acme::ari_certificate_id(facts) == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.fwE");
}

TEST_CASE("ARI certificate ID needs an AKI keyIdentifier") {
  CHECK_THROWS_AS(acme::ari_certificate_id("", k_rfc_serial_der), CryptoError);
  CHECK_THROWS_AS(acme::ari_certificate_id(k_rfc_aki, ""), CryptoError);
  for (const char* bad : {"", ".", "abc", "abc.", ".abc", "a b.c", "a.b.c", "a=.b", "../x.y"})
    CHECK_FALSE(acme::is_ari_certificate_id(bad));
}

TEST_CASE("RFC 3339 times with fractions and offsets") {
  CHECK(acme::parse_rfc3339("2021-01-03T00:00:00Z") == utc(2021, 1, 3));
  CHECK(acme::parse_rfc3339("2021-01-03t00:00:00z") == utc(2021, 1, 3));
  CHECK(acme::parse_rfc3339("2021-01-03T01:30:00+01:30") == utc(2021, 1, 3));
  CHECK(acme::parse_rfc3339("2021-01-02T20:00:00-04:00") == utc(2021, 1, 3));
  CHECK(acme::parse_rfc3339("2021-01-03T00:00:00.5Z") == utc(2021, 1, 3) + milliseconds(500));
  CHECK(acme::parse_rfc3339("2021-01-03T00:00:00.123456789123Z") ==
        utc(2021, 1, 3) + nanoseconds(123456789));
  CHECK(acme::parse_rfc3339("2024-02-29T12:00:00Z") == utc(2024, 2, 29, 12));
  CHECK(acme::parse_rfc3339("2016-12-31T23:59:60Z") == utc(2017, 1, 1)); // leap second
}

TEST_CASE("malformed RFC 3339 times are refused") {
  for (const char* bad : {"",
                          "2021-01-03",
                          "2021-01-03T00:00:00",
                          "2021-01-03 00:00:00Z",
                          "2021-13-03T00:00:00Z",
                          "2021-02-29T00:00:00Z",
                          "2021-01-32T00:00:00Z",
                          "2021-01-03T24:00:00Z",
                          "2021-01-03T00:60:00Z",
                          "2021-01-03T00:00:61Z",
                          "2021-01-03T00:00:00.Z",
                          "2021-01-03T00:00:00+0100",
                          "2021-01-03T00:00:00+24:00",
                          "2021-01-03T00:00:00Z ",
                          " 2021-01-03T00:00:00Z",
                          "+2021-01-03T00:00:00Z",
                          "2021-1-03T00:00:00Z",
                          "0001-01-01T00:00:00Z",
                          "9999-12-31T23:59:59Z",
                          "99999-01-01T00:00:00Z",
                          "1e3-01-03T00:00:00Z",
                          "2021-01-03T00:00:00ZZ"}) {
    INFO(bad);
    CHECK_FALSE(acme::parse_rfc3339(bad));
  }
  CHECK_FALSE(acme::parse_rfc3339(std::string("2021-01-03T00:00:00\0Z", 21)));
  CHECK_FALSE(acme::parse_rfc3339(std::string("2021-01-03T00:00:00.\0Z", 22)));
}

TEST_CASE("renewalInfo objects are parsed") {
  auto info = acme::parse_renewal_info(json::parse(
      R"({"suggestedWindow":{"start":"2021-01-03T00:00:00Z","end":"2021-01-07T00:00:00Z"},
          "explanationURL":"https://example.com/docs/ari"})"));
  CHECK(info.window_start == utc(2021, 1, 3));
  CHECK(info.window_end == utc(2021, 1, 7));
  CHECK(info.explanation_url == "https://example.com/docs/ari");
  CHECK_FALSE(info.retry_after);
}

TEST_CASE("hostile renewalInfo objects are protocol errors") {
  for (
      const char* bad : {
          R"([])",
          R"("x")",
          R"({})",
          R"({"suggestedWindow":null})",
          R"({"suggestedWindow":[]})",
          R"({"suggestedWindow":{"start":"2021-01-03T00:00:00Z"}})",
          R"({"suggestedWindow":{"end":"2021-01-03T00:00:00Z"}})",
          R"({"suggestedWindow":{"start":1609632000,"end":1609977600}})",
          R"({"suggestedWindow":{"start":"2021-01-07T00:00:00Z","end":"2021-01-03T00:00:00Z"}})",
          R"({"suggestedWindow":{"start":"2021-01-03T00:00:00Z","end":"2021-01-03T00:00:00Z"}})",
          R"({"suggestedWindow":{"start":"yesterday","end":"2021-01-03T00:00:00Z"}})",
          R"({"suggestedWindow":{"start":"2021-01-03T00:00:00Z","end":"99999999999-01-01T00:00:00Z"}})",
          R"({"suggestedWindow":{"start":"2021-01-03T00:00:00Z","end":"2021-01-07T00:00:00.99999999999999999999999999999+00:00x"}})",
      }) {
    INFO(bad);
    CHECK_THROWS_AS(acme::parse_renewal_info(json::parse(bad)), acme::ProtocolError);
  }
}

TEST_CASE("an unusable explanationURL is dropped, not fatal") {
  for (const char* explanation :
       {R"j(42)j", R"j("javascript:alert(1)")j", R"j("https://x/\u001b[31mred")j",
        R"j("https://a b")j", R"j(null)j"}) {
    INFO(explanation);
    auto info = acme::parse_renewal_info(
        json::parse(std::string(R"({"suggestedWindow":{"start":"2021-01-03T00:00:00Z",)") +
                    R"("end":"2021-01-07T00:00:00Z"},"explanationURL":)" + explanation + "}"));
    CHECK(info.explanation_url.empty());
  }
}

TEST_CASE("Retry-After for ARI is clamped to [1 minute, 1 day]") {
  CHECK(acme::clamp_ari_retry_after(seconds(0)) == seconds(60));
  CHECK(acme::clamp_ari_retry_after(seconds(59)) == seconds(60));
  CHECK(acme::clamp_ari_retry_after(seconds(21600)) == seconds(21600));
  CHECK(acme::clamp_ari_retry_after(seconds(86401)) == seconds(86400));
}

TEST_CASE_METHOD(Fixture, "fetch_renewal_info is an unauthenticated GET under renewalInfo") {
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(json_response(200, window_body("2021-01-03T00:00:00Z", "2021-01-07T00:00:00Z"),
                                 {{"retry-after", "21600"}}),
                   false);
  auto info = client.fetch_renewal_info(k_rfc_cert_id);
  CHECK(info.window_start == utc(2021, 1, 3));
  CHECK(info.window_end == utc(2021, 1, 7));
  CHECK(info.retry_after == seconds(21600));
  const auto& requests = transport.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].method == "GET");
  CHECK(requests[1].url == "https://ca.test/renewal-info/" + k_rfc_cert_id);
  CHECK(requests[1].body.empty());
  CHECK_FALSE(client.has_account());
}

TEST_CASE_METHOD(Fixture, "Retry-After on a renewalInfo answer is clamped or ignored") {
  transport.expect(json_response(200, directory_body()), false);
  struct Case {
    const char* header;
    std::optional<seconds> expected;
  };
  for (Case c : {Case{"1", seconds(60)}, Case{"9999999", seconds(86400)},
                 Case{"99999999999999999999999", seconds(86400)}, Case{"soon", std::nullopt},
                 Case{"-5", std::nullopt}, Case{"Sun, 06 Nov 1994 08:49:37 GMT", seconds(60)}}) {
    INFO(c.header);
    transport.expect(json_response(200, window_body("2021-01-03T00:00:00Z", "2021-01-07T00:00:00Z"),
                                   {{"retry-after", c.header}}),
                     false);
    CHECK(client.fetch_renewal_info(k_rfc_cert_id).retry_after == c.expected);
  }
}

TEST_CASE_METHOD(Fixture, "fetch_renewal_info refuses what it cannot use") {
  SECTION("no renewalInfo in the directory") {
    transport.expect(json_response(200, directory_body(false)), false);
    CHECK_THROWS_AS(client.fetch_renewal_info(k_rfc_cert_id), acme::ProtocolError);
    CHECK(transport.requests().size() == 1);
  }
  SECTION("a malformed certificate ID never reaches the URL") {
    transport.expect(json_response(200, directory_body()), false);
    CHECK_THROWS_AS(client.fetch_renewal_info("../../acct/1"), acme::ProtocolError);
    CHECK(transport.requests().size() == 1);
  }
  SECTION("an error status is the CA's problem") {
    transport.expect(json_response(200, directory_body()), false);
    transport.expect(
        json_response(404, R"({"type":"urn:ietf:params:acme:error:malformed","detail":"no"})"),
        false);
    CHECK_THROWS_AS(client.fetch_renewal_info(k_rfc_cert_id), acme::AcmeError);
  }
  SECTION("a body that is not JSON") {
    transport.expect(json_response(200, directory_body()), false);
    transport.expect(json_response(200, "<html>"), false);
    CHECK_THROWS_AS(client.fetch_renewal_info(k_rfc_cert_id), acme::ProtocolError);
  }
  SECTION("deeply nested JSON") {
    transport.expect(json_response(200, directory_body()), false);
    transport.expect(json_response(200, std::string(100000, '[') + std::string(100000, ']')),
                     false);
    CHECK_THROWS_AS(client.fetch_renewal_info(k_rfc_cert_id), acme::ProtocolError);
  }
  SECTION("a window that ends before it starts") {
    transport.expect(json_response(200, directory_body()), false);
    transport.expect(
        json_response(200, window_body("2021-01-07T00:00:00Z", "2021-01-03T00:00:00Z")), false);
    CHECK_THROWS_AS(client.fetch_renewal_info(k_rfc_cert_id), acme::ProtocolError);
  }
  SECTION("a redirect is not followed") {
    transport.expect(json_response(200, directory_body()), false);
    transport.expect(http::Response{302, {{"location", "https://evil.test/"}}, "", {}}, false);
    CHECK_THROWS_AS(client.fetch_renewal_info(k_rfc_cert_id), acme::ProtocolError);
  }
}

TEST_CASE_METHOD(Fixture, "new_order sends replaces only when given (RFC 9773 §5)") {
  crypto::PrivateKey key = crypto::PrivateKey::generate({});
  transport.expect(json_response(200, directory_body()), false);
  transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  client.use_account(key, "https://ca.test/acct/1");
  const std::string order_body =
      R"({"status":"pending","identifiers":[{"type":"dns","value":"example.com"}],
          "authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/finalize/1"})";
  auto payload_of = [](const http::Request& request) {
    auto body = json::parse(request.body);
    return json::parse(*crypto::base64url_decode(body["payload"].get<std::string>()));
  };

  transport.expect(json_response(201, order_body, {{"location", "https://ca.test/order/1"}}));
  client.new_order({{"dns", "example.com"}});
  CHECK_FALSE(payload_of(transport.requests().back()).contains("replaces"));

  transport.expect(json_response(201, order_body, {{"location", "https://ca.test/order/2"}}));
  client.new_order({{"dns", "example.com"}}, k_rfc_cert_id);
  CHECK(payload_of(transport.requests().back())["replaces"] == k_rfc_cert_id);
}
