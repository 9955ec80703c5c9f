#include "acme/resources.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using nlohmann::json;

namespace {
const std::string k_dir = "https://ca.test/dir";

json authorization_with_token(const std::string& token) {
  return json{{"identifier", {{"type", "dns"}, {"value", "a.example.com"}}},
              {"status", "pending"},
              {"challenges", json::array({{{"type", "http-01"},
                                           {"url", "https://ca.test/chall/1"},
                                           {"status", "pending"},
                                           {"token", token}}})}};
}
} // namespace

TEST_CASE("a directory is parsed with its meta") {
  auto directory = acme::parse_directory(json{{"newNonce", "https://ca.test/nonce"},
                                              {"newAccount", "https://ca.test/acct"},
                                              {"newOrder", "https://ca.test/order"},
                                              {"renewalInfo", "https://ca.test/ari"},
                                              {"meta",
                                               {{"termsOfService", "https://ca.test/tos"},
                                                {"caaIdentities", {"ca.test"}},
                                                {"externalAccountRequired", true}}}},
                                         k_dir);
  CHECK(directory.new_order == "https://ca.test/order");
  CHECK(directory.renewal_info == "https://ca.test/ari");
  CHECK(directory.caa_identities == std::vector<std::string>{"ca.test"});
  CHECK(directory.external_account_required);
}

TEST_CASE("a directory without newOrder is a protocol error") {
  CHECK_THROWS_AS(acme::parse_directory(json{{"newNonce", "https://ca.test/n"}}, k_dir),
                  acme::ProtocolError);
  CHECK_THROWS_AS(acme::parse_directory(json::array(), k_dir), acme::ProtocolError);
}

TEST_CASE("URLs that leave the directory's scheme are refused") {
  CHECK_NOTHROW(acme::check_server_url("https://other.test/x", k_dir));
  for (const char* bad : {"http://ca.test/x", "file:///etc/passwd", "ftp://ca.test/", "/relative",
                          "https://ca.test/a b", "https://", "https://ca.test/\r\nX: y", ""}) {
    INFO(bad);
    CHECK_THROWS_AS(acme::check_server_url(bad, k_dir), acme::ProtocolError);
  }
}

TEST_CASE("a base64url token is accepted") {
  auto authorization = acme::parse_authorization(authorization_with_token("abc-DEF_123"),
                                                 "https://ca.test/authz/1", k_dir);
  REQUIRE(authorization.challenges.size() == 1);
  CHECK(authorization.challenges[0].token == "abc-DEF_123");
}

TEST_CASE("tokens that could name a path are refused") {
  for (const char* bad :
       {"../../evil", "a/b", "..", "a.b", "tok en", "a\\b", "x%2F", "tok=", "\xff"}) {
    INFO(bad);
    CHECK_THROWS_WITH(
        acme::parse_authorization(authorization_with_token(bad), "https://ca.test/authz/1", k_dir),
        Catch::Contains("not base64url"));
  }
}

TEST_CASE("an order is parsed and type-checked") {
  json body = {{"status", "pending"},
               {"identifiers", json::array({{{"type", "dns"}, {"value", "a.example.com"}}})},
               {"authorizations", {"https://ca.test/authz/1"}},
               {"finalize", "https://ca.test/finalize/1"}};
  auto order = acme::parse_order(body, "https://ca.test/order/1", k_dir);
  CHECK(order.authorizations.size() == 1);
  CHECK(order.certificate.empty());
  body["authorizations"] = json::array({42});
  CHECK_THROWS_AS(acme::parse_order(body, "u", k_dir), acme::ProtocolError);
  body["authorizations"] = "https://ca.test/authz/1";
  CHECK_THROWS_AS(acme::parse_order(body, "u", k_dir), acme::ProtocolError);
  body.erase("authorizations");
  CHECK_THROWS_AS(acme::parse_order(body, "u", k_dir), acme::ProtocolError);
}

TEST_CASE("an invalid order carries its error") {
  json body = {{"status", "invalid"},
               {"authorizations", json::array()},
               {"finalize", "https://ca.test/f"},
               {"error", {{"type", "urn:ietf:params:acme:error:badCSR"}, {"detail", "bad"}}}};
  auto order = acme::parse_order(body, "u", k_dir);
  REQUIRE(order.error);
  CHECK(order.error->short_type() == "badCSR");
}

namespace {
acme::Directory directory_with_meta(const json& meta) {
  return acme::parse_directory(json{{"newNonce", "https://ca.test/nonce"},
                                    {"newAccount", "https://ca.test/acct"},
                                    {"newOrder", "https://ca.test/order"},
                                    {"meta", meta}},
                               k_dir);
}
} // namespace

TEST_CASE("meta.profiles is read as profile name -> description") {
  auto directory =
      directory_with_meta({{"profiles",
                            {{"classic", "The same profile you're accustomed to"},
                             {"shortlived", "https://letsencrypt.org/docs/profiles#shortlived"}}}});
  CHECK(directory.profiles ==
        std::map<std::string, std::string>{
            {"classic", "The same profile you're accustomed to"},
            {"shortlived", "https://letsencrypt.org/docs/profiles#shortlived"}});
  CHECK(directory_with_meta(json::object()).profiles.empty());
}

TEST_CASE("hostile meta.profiles never breaks the directory") {
  for (const json& hostile :
       {json("shortlived"), json::array({"shortlived"}), json(42), json(nullptr), json(true)}) {
    INFO(hostile.dump());
    auto directory = directory_with_meta({{"profiles", hostile}});
    CHECK(directory.profiles.empty());
    CHECK(directory.new_order == "https://ca.test/order");
  }

  // Entries that are not name -> string are dropped; the rest survive.
  auto mixed = directory_with_meta({{"profiles",
                                     {{"number", 7},
                                      {"object", {{"a", "b"}}},
                                      {"null", nullptr},
                                      {"bad\nname", "x"},
                                      {"with space", "x"},
                                      {std::string(101, 'n'), "x"},
                                      {"", "x"},
                                      {"ok", "fine"}}}});
  CHECK(mixed.profiles == std::map<std::string, std::string>{{"ok", "fine"}});

  // Control characters in a description are escaped, a long one cut short.
  auto escaped = directory_with_meta(
      {{"profiles", {{"a", "line\x1b[2Jone"}, {"b", std::string(100000, 'd')}}}});
  CHECK(escaped.profiles.at("a").find('\x1b') == std::string::npos);
  CHECK(escaped.profiles.at("b").size() <= 1100);

  // Huge: only the first k_max_profiles are kept.
  json many = json::object();
  for (int i = 0; i < 10000; ++i)
    many["p" + std::to_string(i)] = "d";
  CHECK(directory_with_meta({{"profiles", many}}).profiles.size() == acme::k_max_profiles);
}

TEST_CASE("same origin means same scheme, host and port") {
  CHECK(acme::is_same_origin("https://ca.test/cert/1/1", "https://ca.test/cert/1"));
  CHECK(acme::is_same_origin("https://CA.test/x", "https://ca.test"));
  CHECK(acme::is_same_origin("https://ca.test:8443/x", "https://ca.test:8443/y?z"));
  // The default port written out or left away is the same server.
  CHECK(acme::is_same_origin("https://ca.test:443/x", "https://ca.test/cert/1"));
  CHECK(acme::is_same_origin("https://ca.test/x", "https://CA.TEST:443/cert/1"));
  CHECK(acme::is_same_origin("http://ca.test:80/x", "http://ca.test/cert/1"));
  for (const char* other : {"https://other.test/x", "http://ca.test/x", "https://ca.test:8443/x",
                            "https://ca.test@evil.test/x", "https://ca.test.evil.test/x", "/x", "",
                            "ca.test/x", "https://ca.test:80/x", "http://ca.test:443/x",
                            "https://ca.test:99999/x", "https://ca.test:443@evil.test/x"}) {
    INFO(other);
    CHECK_FALSE(acme::is_same_origin(other, "https://ca.test/cert/1"));
  }
}
