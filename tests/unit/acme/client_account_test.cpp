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
const std::string k_account_url = "https://ca.test/acct/7";

json decode_member(const json& jws, const char* member) {
  return json::parse(*crypto::base64url_decode(jws[member].get<std::string>()));
}

json jws_of(const http::Request& request) {
  return json::parse(request.body);
}

std::string raw_payload(const http::Request& request) {
  return *crypto::base64url_decode(jws_of(request)["payload"].get<std::string>());
}

struct AccountFixture {
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  crypto::PrivateKey key = crypto::PrivateKey::generate({});
  acme::Client client{transport, clock, k_dir};

  explicit AccountFixture(bool with_key_change = true) {
    json directory = {{"newNonce", "https://ca.test/nonce"},
                      {"newAccount", "https://ca.test/acct"},
                      {"newOrder", "https://ca.test/order"}};
    if (with_key_change)
      directory["keyChange"] = "https://ca.test/key-change";
    transport.expect(json_response(200, directory.dump()), false);
    transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  }

  void use_account() { client.use_account(key, k_account_url); }

  const http::Request& last_request() const { return transport.requests().back(); }
};

http::Response problem(long status, const std::string& type, const std::string& detail = "no") {
  return json_response(
      status, json{{"type", "urn:ietf:params:acme:error:" + type}, {"detail", detail}}.dump());
}

} // namespace

// ----- find_account -------------------------------------------------------------------------

TEST_CASE("find_account asks with onlyReturnExisting, signed by the key's jwk",
          "[acme][accounts]") {
  AccountFixture f;
  f.transport.expect(json_response(200, R"({"status":"valid","contact":["mailto:a@b.c"]})",
                                   {{"location", k_account_url}}));
  auto account = f.client.find_account(f.key);
  REQUIRE(account);
  CHECK(account->url == k_account_url);
  CHECK(account->body["contact"][0] == "mailto:a@b.c");
  const auto& request = f.last_request();
  CHECK(request.url == "https://ca.test/acct");
  auto header = decode_member(jws_of(request), "protected");
  CHECK(header.contains("jwk"));
  CHECK_FALSE(header.contains("kid"));
  CHECK(json::parse(raw_payload(request)) == json{{"onlyReturnExisting", true}});
  CHECK_FALSE(f.client.has_account()); // a lookup does not switch the client's account
}

TEST_CASE("find_account: accountDoesNotExist means no account", "[acme][accounts]") {
  AccountFixture f;
  f.transport.expect(problem(400, "accountDoesNotExist"));
  CHECK_FALSE(f.client.find_account(f.key));
}

TEST_CASE("find_account: other problems, a missing Location and bad JSON are errors",
          "[acme][accounts]") {
  AccountFixture f;
  SECTION("unauthorized") {
    f.transport.expect(problem(403, "unauthorized"));
    CHECK_THROWS_AS(f.client.find_account(f.key), acme::AcmeError);
  }
  SECTION("no Location") {
    f.transport.expect(json_response(200, R"({"status":"valid"})"));
    CHECK_THROWS_WITH(f.client.find_account(f.key), Catch::Contains("Location"));
  }
  SECTION("Location on another scheme") {
    f.transport.expect(
        json_response(200, R"({"status":"valid"})", {{"location", "http://ca.test/acct/7"}}));
    CHECK_THROWS_AS(f.client.find_account(f.key), acme::ProtocolError);
  }
  SECTION("malformed JSON") {
    f.transport.expect(json_response(200, R"({"status":)", {{"location", k_account_url}}));
    CHECK_THROWS_AS(f.client.find_account(f.key), acme::ProtocolError);
  }
  SECTION("not an object") {
    f.transport.expect(json_response(200, R"(["valid"])", {{"location", k_account_url}}));
    CHECK_THROWS_AS(f.client.find_account(f.key), acme::ProtocolError);
  }
}

// ----- fetch_account / update_account --------------------------------------------------------

TEST_CASE("fetch_account is a POST-as-GET of the account URL with the kid", "[acme][accounts]") {
  AccountFixture f;
  f.use_account();
  f.transport.expect(json_response(200, R"({"status":"valid","contact":[]})"));
  auto account = f.client.fetch_account();
  CHECK(account.url == k_account_url);
  CHECK(account.body["status"] == "valid");
  const auto& request = f.last_request();
  CHECK(request.url == k_account_url);
  CHECK(raw_payload(request).empty());
  auto header = decode_member(jws_of(request), "protected");
  CHECK(header["kid"] == k_account_url);
  CHECK_FALSE(header.contains("jwk"));
}

TEST_CASE("fetch_account: hostile answers are errors", "[acme][accounts]") {
  AccountFixture f;
  f.use_account();
  SECTION("malformed JSON") {
    f.transport.expect(json_response(200, "<html>"));
    CHECK_THROWS_AS(f.client.fetch_account(), acme::ProtocolError);
  }
  SECTION("status not a string") {
    f.transport.expect(json_response(200, R"({"status":7})"));
    CHECK_THROWS_AS(f.client.fetch_account(), acme::ProtocolError);
  }
  SECTION("a problem document") {
    f.transport.expect(problem(403, "unauthorized", "account is deactivated"));
    CHECK_THROWS_WITH(f.client.fetch_account(), Catch::Contains("deactivated"));
  }
}

TEST_CASE("update_account sends only the changes", "[acme][accounts]") {
  AccountFixture f;
  f.use_account();
  f.transport.expect(json_response(200, R"({"status":"valid","contact":["mailto:new@b.c"]})"));
  auto account = f.client.update_account({{"contact", {"mailto:new@b.c"}}});
  CHECK(account.body["contact"][0] == "mailto:new@b.c");
  CHECK(f.last_request().url == k_account_url);
  CHECK(json::parse(raw_payload(f.last_request())) == json{{"contact", {"mailto:new@b.c"}}});
}

TEST_CASE("update_account: the CA's refusal is an AcmeError", "[acme][accounts]") {
  AccountFixture f;
  f.use_account();
  f.transport.expect(problem(400, "invalidContact", "bad domain"));
  try {
    f.client.update_account({{"contact", {"mailto:x@invalid"}}});
    FAIL("no error");
  } catch (const acme::AcmeError& error) {
    CHECK(error.problem().short_type() == "invalidContact");
  }
}

// ----- deactivate_account --------------------------------------------------------------------

TEST_CASE("deactivate_account sends status deactivated", "[acme][accounts]") {
  AccountFixture f;
  f.use_account();
  f.transport.expect(json_response(200, R"({"status":"deactivated"})"));
  auto account = f.client.deactivate_account();
  CHECK(account.body["status"] == "deactivated");
  CHECK(f.last_request().url == k_account_url);
  CHECK(json::parse(raw_payload(f.last_request())) == json{{"status", "deactivated"}});
}

TEST_CASE("deactivate_account: an answer that is not deactivated is an error", "[acme][accounts]") {
  AccountFixture f;
  f.use_account();
  SECTION("still valid") {
    f.transport.expect(json_response(200, R"({"status":"valid"})"));
    CHECK_THROWS_WITH(f.client.deactivate_account(), Catch::Contains("not report"));
  }
  SECTION("no status") {
    f.transport.expect(json_response(200, R"({})"));
    CHECK_THROWS_AS(f.client.deactivate_account(), acme::ProtocolError);
  }
  SECTION("malformed") {
    f.transport.expect(json_response(200, R"({"status":"deactivated")"));
    CHECK_THROWS_AS(f.client.deactivate_account(), acme::ProtocolError);
  }
  SECTION("problem") {
    f.transport.expect(problem(403, "unauthorized"));
    CHECK_THROWS_AS(f.client.deactivate_account(), acme::AcmeError);
  }
}

// ----- change_account_key --------------------------------------------------------------------

TEST_CASE("change_account_key: inner JWS by the new key with jwk and url, no nonce",
          "[acme][accounts]") {
  AccountFixture f;
  f.use_account();
  const crypto::PrivateKey new_key = crypto::PrivateKey::generate({});
  f.transport.expect(json_response(200, R"({"status":"valid"})"));
  f.client.change_account_key(new_key);

  const auto& request = f.last_request();
  CHECK(request.url == "https://ca.test/key-change");
  const json outer = jws_of(request);
  const json outer_header = decode_member(outer, "protected");
  CHECK(outer_header["kid"] == k_account_url);
  CHECK(outer_header["url"] == "https://ca.test/key-change");
  CHECK(outer_header.contains("nonce"));
  CHECK_FALSE(outer_header.contains("jwk"));

  const json inner = json::parse(raw_payload(request));
  const json inner_header = decode_member(inner, "protected");
  CHECK(inner_header["alg"] == "ES256");
  CHECK(inner_header["jwk"] == crypto::public_jwk(new_key));
  CHECK(inner_header["url"] == "https://ca.test/key-change");
  CHECK_FALSE(inner_header.contains("nonce"));
  CHECK_FALSE(inner_header.contains("kid"));
  const json inner_payload = decode_member(inner, "payload");
  CHECK(inner_payload["account"] == k_account_url);
  CHECK(inner_payload["oldKey"] == crypto::public_jwk(f.key));

  // Later requests are signed by the new key (same kid).
  f.transport.expect(json_response(200, R"({"status":"valid"})"));
  f.client.fetch_account();
  const json next = jws_of(f.last_request());
  CHECK(decode_member(next, "protected")["kid"] == k_account_url);
  CHECK(crypto::jwk_thumbprint(new_key) != crypto::jwk_thumbprint(f.key));
}

TEST_CASE("change_account_key: a refusal keeps the old key", "[acme][accounts]") {
  AccountFixture f;
  f.use_account();
  const crypto::PrivateKey new_key = crypto::PrivateKey::generate({});
  f.transport.expect(problem(409, "conflict", "key in use"));
  CHECK_THROWS_AS(f.client.change_account_key(new_key), acme::AcmeError);
  // The client did not switch: a second attempt still names the old key as oldKey.
  f.transport.expect(json_response(200, "{}"));
  f.client.change_account_key(new_key);
  const json inner = json::parse(raw_payload(f.last_request()));
  CHECK(decode_member(inner, "payload")["oldKey"] == crypto::public_jwk(f.key));
}

TEST_CASE("change_account_key: a CA without keyChange is a clear error", "[acme][accounts]") {
  AccountFixture f(false);
  f.use_account();
  CHECK_THROWS_WITH(f.client.change_account_key(crypto::PrivateKey::generate({})),
                    Catch::Contains("keyChange"));
}

TEST_CASE("account requests before an account is chosen are refused", "[acme][accounts]") {
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  acme::Client client{transport, clock, k_dir};
  CHECK_THROWS_AS(client.fetch_account(), Error);
  CHECK_THROWS_AS(client.change_account_key(crypto::PrivateKey::generate({})), Error);
  CHECK(transport.requests().empty());
}
