#include "acme/client.hpp"
#include "crypto/base64url.hpp"
#include "crypto/jwk.hpp"
#include "support/fake_clock.hpp"
#include "support/scripted_transport.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using nlohmann::json;
using testing::json_response;

namespace {

const std::string k_dir = "https://ca.test/dir";
const std::string k_der = std::string("\x30\x82\x01\x0a\xff\xfe", 6); // bytes, not text

json protected_header(const http::Request& request) {
  auto body = json::parse(request.body);
  return json::parse(*crypto::base64url_decode(body["protected"].get<std::string>()));
}

json payload(const http::Request& request) {
  auto body = json::parse(request.body);
  return json::parse(*crypto::base64url_decode(body["payload"].get<std::string>()));
}

struct RevokeFixture {
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  crypto::PrivateKey account_key = crypto::PrivateKey::generate({});
  crypto::PrivateKey certificate_key = crypto::PrivateKey::generate({});
  acme::Client client{transport, clock, k_dir};

  void expect_directory_and_nonce(bool with_revoke = true) {
    json directory = {{"newNonce", "https://ca.test/nonce"},
                      {"newAccount", "https://ca.test/acct"},
                      {"newOrder", "https://ca.test/order"}};
    if (with_revoke)
      directory["revokeCert"] = "https://ca.test/revoke";
    transport.expect(json_response(200, directory.dump()), false);
    transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  }
};

} // namespace

TEST_CASE_METHOD(RevokeFixture, "revoke by account key: kid, reason, base64url DER") {
  expect_directory_and_nonce();
  transport.expect(http::Response{200, {}, "", {}});
  client.use_account(account_key, "https://ca.test/acct/7");
  client.revoke_certificate(k_der, 1);

  const auto& request = transport.requests().back();
  CHECK(request.method == "POST");
  CHECK(request.url == "https://ca.test/revoke");
  auto header = protected_header(request);
  CHECK(header["kid"] == "https://ca.test/acct/7");
  CHECK_FALSE(header.contains("jwk"));
  CHECK(header["url"] == "https://ca.test/revoke");
  auto body = payload(request);
  CHECK(body["certificate"] == crypto::base64url_encode(k_der));
  CHECK(body["reason"] == 1);
  CHECK(body.size() == 2);
}

TEST_CASE_METHOD(RevokeFixture, "revoke by certificate key: jwk of that key, no account") {
  expect_directory_and_nonce();
  transport.expect(http::Response{200, {}, "", {}});
  client.revoke_certificate(k_der, 0, &certificate_key);

  auto header = protected_header(transport.requests().back());
  CHECK_FALSE(header.contains("kid"));
  REQUIRE(header.contains("jwk"));
  CHECK(header["jwk"] == crypto::public_jwk(certificate_key));
  CHECK(payload(transport.requests().back())["reason"] == 0);
}

TEST_CASE_METHOD(RevokeFixture, "revoke without a reason sends none") {
  expect_directory_and_nonce();
  transport.expect(http::Response{200, {}, "", {}});
  client.use_account(account_key, "https://ca.test/acct/7");
  client.revoke_certificate(k_der, std::nullopt);
  CHECK_FALSE(payload(transport.requests().back()).contains("reason"));
}

TEST_CASE_METHOD(RevokeFixture, "revoke: the CA's problem becomes an AcmeError") {
  expect_directory_and_nonce();
  transport.expect(json_response(
      400, R"({"type":"urn:ietf:params:acme:error:alreadyRevoked","detail":"already"})"));
  client.use_account(account_key, "https://ca.test/acct/7");
  try {
    client.revoke_certificate(k_der, 4);
    FAIL("no error");
  } catch (const acme::AcmeError& error) {
    CHECK(error.problem().short_type() == "alreadyRevoked");
  }
}

TEST_CASE_METHOD(RevokeFixture, "revoke: a directory without revokeCert is a protocol error") {
  expect_directory_and_nonce(false);
  client.use_account(account_key, "https://ca.test/acct/7");
  CHECK_THROWS_AS(client.revoke_certificate(k_der, 0), acme::ProtocolError);
}

TEST_CASE_METHOD(RevokeFixture, "revoke by account key needs an account") {
  expect_directory_and_nonce();
  CHECK_THROWS_AS(client.revoke_certificate(k_der, 0), Error);
  CHECK(transport.requests().size() == 1); // the directory only: nothing was signed
}
