#include "crypto/base64url.hpp"
#include "issuance/obtain.hpp"
#include "issuance/preferred_chain.hpp"
#include "support/fake_clock.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/recording_solver.hpp"
#include "support/scripted_transport.hpp"

#include <catch2/catch.hpp>

using namespace certsmith;
using nlohmann::json;
using testing::json_response;

namespace {

const std::string k_ca = "https://ca.test";

json authorization(const std::string& domain, const std::string& status, const std::string& token,
                   json challenge_extra = json::object()) {
  json challenge = {{"type", "http-01"},
                    {"url", k_ca + "/chall/" + domain},
                    {"status", status == "valid" ? "valid" : "pending"},
                    {"token", token}};
  challenge.update(challenge_extra);
  return {{"identifier", {{"type", "dns"}, {"value", domain}}},
          {"status", status},
          {"challenges", json::array({challenge,
                                      {{"type", "dns-01"},
                                       {"url", k_ca + "/chall/dns/" + domain},
                                       {"status", "pending"},
                                       {"token", token}}})}};
}

json order(const std::string& status, const std::vector<std::string>& domains,
           const std::string& certificate = "") {
  json body = {{"status", status},
               {"identifiers", json::array()},
               {"authorizations", json::array()},
               {"finalize", k_ca + "/finalize/1"}};
  for (const auto& domain : domains) {
    body["identifiers"].push_back({{"type", "dns"}, {"value", domain}});
    body["authorizations"].push_back(k_ca + "/authz/" + domain);
  }
  if (!certificate.empty())
    body["certificate"] = certificate;
  return body;
}

struct Fixture {
  testing::ScriptedTransport transport;
  testing::FakeClock clock;
  crypto::PrivateKey account_key = crypto::PrivateKey::generate({});
  acme::Client client{transport, clock, k_ca + "/dir"};
  testing::RecordingSolver solver;
  std::vector<acme::Identifier> identifiers{{"dns", "a.example.com"}, {"dns", "b.example.com"}};

  explicit Fixture(const json& meta = nullptr) {
    client.use_account(account_key, k_ca + "/acct/1");
    json directory = {{"newNonce", k_ca + "/nonce"},
                      {"newAccount", k_ca + "/acct"},
                      {"newOrder", k_ca + "/order"}};
    if (!meta.is_null())
      directory["meta"] = meta;
    transport.expect(json_response(200, directory.dump()), false);
    transport.expect(http::Response{200, {{"replay-nonce", "n0"}}, "", {}}, false);
    transport.expect(json_response(201, order("pending", {"a.example.com", "b.example.com"}).dump(),
                                   {{"location", k_ca + "/order/1"}}));
  }

  issuance::IssuedCertificate obtain(const issuance::OrderPreferences& preferences = {}) {
    return issuance::obtain_certificate(client, "THUMB", identifiers, "CSR", {&solver},
                                        preferences);
  }

  // Both authorizations already valid, the order valid at once, then the
  // certificate served with these headers (Link rel="alternate", ...).
  void expect_valid_order_and_download(const std::string& pem, http::Headers headers = {}) {
    transport.expect(json_response(200, authorization("a.example.com", "valid", "tokA").dump()));
    transport.expect(json_response(200, authorization("b.example.com", "valid", "tokB").dump()));
    transport.expect(
        json_response(200, order("valid", {"a.example.com"}, k_ca + "/cert/1").dump()));
    transport.expect(http::Response{200, std::move(headers), pem, {}});
  }

  json new_order_payload() const {
    for (const auto& request : transport.requests())
      if (request.url == k_ca + "/order")
        return json::parse(
            *crypto::base64url_decode(json::parse(request.body)["payload"].get<std::string>()));
    return nullptr;
  }

  std::vector<std::string> urls_requested() const {
    std::vector<std::string> urls;
    for (const auto& request : transport.requests())
      urls.push_back(request.url);
    return urls;
  }
};

std::string leaf_and_issuer_pem() {
  auto issuer_key = crypto::PrivateKey::generate({});
  auto leaf_key = crypto::PrivateKey::generate({});
  crypto::test::CertificateSpec leaf;
  leaf.dns_names = {"a.example.com", "b.example.com"};
  leaf.not_before = std::chrono::system_clock::now();
  leaf.not_after = leaf.not_before + std::chrono::hours(24 * 90);
  crypto::test::CertificateSpec issuer = leaf;
  issuer.dns_names.clear();
  issuer.subject_common_name = "certsmith test CA";
  return crypto::test::make_certificate_pem(leaf, leaf_key, issuer_key) +
         crypto::test::make_certificate_pem(issuer, issuer_key, issuer_key);
}

} // namespace

TEST_CASE_METHOD(Fixture, "a two-name order is validated, finalized and downloaded") {
  std::string pem = leaf_and_issuer_pem();
  transport.expect(json_response(200, authorization("a.example.com", "pending", "tokA").dump()));
  transport.expect(json_response(200, authorization("b.example.com", "valid", "tokB").dump()));
  transport.expect(json_response(200, R"({"type":"http-01","url":"https://ca.test/chall/a",
                                          "status":"processing","token":"tokA"})"));
  transport.expect(json_response(200, authorization("a.example.com", "valid", "tokA").dump()));
  transport.expect(json_response(200, order("processing", {"a.example.com"}).dump()));
  transport.expect(json_response(200, order("valid", {"a.example.com"}, k_ca + "/cert/1").dump()));
  transport.expect(http::Response{200, {}, pem, {}});

  auto issued = obtain();
  // Only the pending authorization is solved, with token.thumbprint.
  REQUIRE(solver.performed.size() == 1);
  CHECK(solver.performed[0].identifier == "a.example.com");
  CHECK(solver.performed[0].key_authorization == "tokA.THUMB");
  CHECK(solver.cleaned.size() == 1);
  CHECK(issued.fullchain_pem == pem);
  CHECK(issued.cert_pem + issued.chain_pem == pem);
  CHECK(issued.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
  CHECK(transport.remaining() == 0);
  auto finalize = json::parse(transport.requests()[7].body);
  CHECK(*crypto::base64url_decode(finalize["payload"].get<std::string>()) ==
        json{{"csr", crypto::base64url_encode("CSR")}}.dump());
}

TEST_CASE_METHOD(Fixture, "a failed validation names the domain, the reason and a hint") {
  transport.expect(json_response(200, authorization("a.example.com", "pending", "tokA").dump()));
  transport.expect(json_response(200, authorization("b.example.com", "pending", "tokB").dump()));
  transport.expect(json_response(200, R"({"type":"http-01","url":"https://ca.test/c/a",
                                          "status":"processing","token":"tokA"})"));
  transport.expect(json_response(200, R"({"type":"http-01","url":"https://ca.test/c/b",
                                          "status":"processing","token":"tokB"})"));
  transport.expect(
      json_response(200, authorization("a.example.com", "invalid", "tokA",
                                       {{"status", "invalid"},
                                        {"error",
                                         {{"type", "urn:ietf:params:acme:error:connection"},
                                          {"detail", "127.0.0.1: Connection refused"}}}})
                             .dump()));
  transport.expect(json_response(200, authorization("b.example.com", "valid", "tokB").dump()));
  CHECK_THROWS_WITH(obtain(), "a.example.com: http-01 failed: 127.0.0.1: Connection refused — is "
                              "the port open and the name pointing at this host?");
  CHECK(solver.cleaned.size() == 2);
}

TEST_CASE_METHOD(Fixture, "a token that is not base64url never reaches a solver") {
  transport.expect(
      json_response(200, authorization("a.example.com", "pending", "../../evil").dump()));
  CHECK_THROWS_WITH(obtain(), Catch::Contains("not base64url"));
  CHECK(solver.performed.empty());
}

TEST_CASE_METHOD(Fixture, "an authorization without a fitting challenge is a clear error") {
  testing::RecordingSolver alpn("tls-alpn-01");
  transport.expect(json_response(200, authorization("a.example.com", "pending", "tokA").dump()));
  CHECK_THROWS_WITH(
      issuance::obtain_certificate(client, "THUMB", identifiers, "CSR", {&alpn}),
      "a.example.com: the CA offers no challenge this authenticator can answer (offered: "
      "http-01, dns-01)");
}

TEST_CASE_METHOD(Fixture, "solvers are cleaned up when perform fails half way") {
  solver.fail_perform = true;
  transport.expect(json_response(200, authorization("a.example.com", "pending", "tokA").dump()));
  transport.expect(json_response(200, authorization("b.example.com", "pending", "tokB").dump()));
  CHECK_THROWS_AS(obtain(), ChallengeError);
  CHECK(solver.cleaned.size() == 2);
}

TEST_CASE_METHOD(Fixture, "an order that turns invalid reports the CA's error") {
  transport.expect(json_response(200, authorization("a.example.com", "valid", "tokA").dump()));
  transport.expect(json_response(200, authorization("b.example.com", "valid", "tokB").dump()));
  json invalid = order("invalid", {"a.example.com"});
  invalid["error"] = {{"type", "urn:ietf:params:acme:error:badCSR"}, {"detail", "key too weak"}};
  transport.expect(json_response(200, invalid.dump()));
  CHECK_THROWS_WITH(obtain(), "the CA refused: badCSR: key too weak");
}

TEST_CASE_METHOD(Fixture, "a garbage certificate body is refused") {
  transport.expect(json_response(200, authorization("a.example.com", "valid", "tokA").dump()));
  transport.expect(json_response(200, authorization("b.example.com", "valid", "tokB").dump()));
  transport.expect(json_response(200, order("valid", {"a.example.com"}, k_ca + "/cert/1").dump()));
  transport.expect(http::Response{200, {}, "-----BEGIN CERTIFICATE-----\nAAAA\n", {}});
  CHECK_THROWS_WITH(obtain(), Catch::Contains("certificate from the CA is unusable"));
}

// ----- --preferred-chain
// --------------------------------------------------------------------------

namespace {

// One leaf under one intermediate key, which two roots have certified: the
// chain via "Root A" is the CA's default, the one via "Root B" an alternate
// (as Pebble's PEBBLE_ALTERNATE_ROOTS and Let's Encrypt's cross-signs do).
struct Chains {
  crypto::PrivateKey intermediate_key = crypto::PrivateKey::generate({});
  crypto::PrivateKey leaf_key = crypto::PrivateKey::generate({});
  std::string leaf;
  std::string via_a;
  std::string via_b;

  Chains() {
    crypto::test::CertificateSpec leaf_spec;
    leaf_spec.dns_names = {"a.example.com", "b.example.com"};
    leaf_spec.issuer_common_name = "Intermediate";
    leaf_spec.not_before = std::chrono::system_clock::now();
    leaf_spec.not_after = leaf_spec.not_before + std::chrono::hours(24 * 90);
    leaf = crypto::test::make_certificate_pem(leaf_spec, leaf_key, intermediate_key);
    via_a = intermediate_under("Root A");
    via_b = intermediate_under("Root B");
  }

  std::string intermediate_under(const std::string& root_name) const {
    crypto::test::CertificateSpec spec;
    spec.subject_common_name = "Intermediate";
    spec.issuer_common_name = root_name;
    spec.not_before = std::chrono::system_clock::now();
    spec.not_after = spec.not_before + std::chrono::hours(24 * 365);
    return crypto::test::make_certificate_pem(spec, intermediate_key,
                                              crypto::PrivateKey::generate({}));
  }
};

http::Headers alternate_links(const std::vector<std::string>& urls) {
  http::Headers headers;
  for (const auto& url : urls)
    headers.emplace_back("link", "<" + url + ">;rel=\"alternate\"");
  return headers;
}

issuance::OrderPreferences preferring_chain(const std::string& root) {
  issuance::OrderPreferences preferences;
  preferences.preferred_chain = root;
  return preferences;
}

} // namespace

TEST_CASE_METHOD(Fixture, "the default chain is kept, alternates unfetched, when it leads to the "
                          "preferred root") {
  Chains chains;
  expect_valid_order_and_download(chains.leaf + chains.via_a,
                                  alternate_links({k_ca + "/cert/1/1"}));
  auto issued = obtain(preferring_chain("Root A"));
  CHECK(issued.fullchain_pem == chains.leaf + chains.via_a);
  CHECK(transport.remaining() == 0);
  CHECK(urls_requested().back() == k_ca + "/cert/1"); // the alternate was never asked for
}

TEST_CASE_METHOD(Fixture, "an alternate chain that leads to the preferred root is taken") {
  Chains chains;
  expect_valid_order_and_download(chains.leaf + chains.via_a,
                                  alternate_links({k_ca + "/cert/1/1"}));
  transport.expect(http::Response{200, {}, chains.leaf + chains.via_b, {}});
  auto issued = obtain(preferring_chain("Root B"));
  CHECK(issued.cert_pem == chains.leaf);
  CHECK(issued.chain_pem == chains.via_b);
  CHECK(issued.fullchain_pem == chains.leaf + chains.via_b);
  CHECK(urls_requested().back() == k_ca + "/cert/1/1");
}

TEST_CASE_METHOD(Fixture, "no chain leads to the preferred root: the default chain") {
  Chains chains;
  expect_valid_order_and_download(chains.leaf + chains.via_a,
                                  alternate_links({k_ca + "/cert/1/1"}));
  transport.expect(http::Response{200, {}, chains.leaf + chains.via_b, {}});
  auto issued = obtain(preferring_chain("Root C"));
  CHECK(issued.fullchain_pem == chains.leaf + chains.via_a);
  CHECK(transport.remaining() == 0);
}

TEST_CASE_METHOD(Fixture, "only the topmost certificate's issuer counts, as in certbot 2.x") {
  Chains chains;
  // The intermediate is issued by "Intermediate"'s own issuer "Root A"; the leaf
  // by "Intermediate". Preferring "Intermediate" matches only a lower certificate.
  expect_valid_order_and_download(chains.leaf + chains.via_a);
  auto issued = obtain(preferring_chain("Intermediate"));
  CHECK(issued.fullchain_pem == chains.leaf + chains.via_a);
}

TEST_CASE_METHOD(Fixture, "an alternate chain on another host or scheme is never fetched") {
  Chains chains;
  expect_valid_order_and_download(
      chains.leaf + chains.via_a,
      alternate_links({"https://evil.test/cert/1/1", "http://ca.test/cert/1/2"}));
  auto issued = obtain(preferring_chain("Root B"));
  CHECK(issued.fullchain_pem == chains.leaf + chains.via_a);
  for (const auto& url : urls_requested())
    CHECK(url.starts_with(k_ca + "/"));
  CHECK(transport.remaining() == 0);
}

TEST_CASE_METHOD(Fixture, "an alternate chain for another leaf, or badly linked, is skipped") {
  Chains chains;
  Chains stranger; // same names and root names, another leaf and keys
  expect_valid_order_and_download(
      chains.leaf + chains.via_a,
      alternate_links({k_ca + "/cert/1/1", k_ca + "/cert/1/2", k_ca + "/cert/1/3",
                       k_ca + "/cert/1/4", k_ca + "/cert/1/5"}));
  transport.expect(http::Response{200, {}, stranger.leaf + stranger.via_b, {}});
  transport.expect(http::Response{200, {}, chains.leaf + stranger.via_b, {}}); // did not sign it
  transport.expect(http::Response{200, {}, "not a certificate", {}});
  transport.expect(json_response(404, R"({"type":"urn:ietf:params:acme:error:malformed"})"));
  transport.expect(http::Response{200, {}, chains.leaf + chains.via_b, {}});
  auto issued = obtain(preferring_chain("Root B"));
  CHECK(issued.fullchain_pem == chains.leaf + chains.via_b);
  CHECK(transport.remaining() == 0);
}

TEST_CASE_METHOD(Fixture, "at most five alternate chains are fetched") {
  Chains chains;
  std::vector<std::string> urls;
  for (int i = 1; i <= 8; ++i)
    urls.push_back(k_ca + "/cert/1/" + std::to_string(i));
  expect_valid_order_and_download(chains.leaf + chains.via_a, alternate_links(urls));
  for (std::size_t i = 0; i < issuance::k_max_alternate_chains; ++i)
    transport.expect(http::Response{200, {}, chains.leaf + chains.via_a, {}});
  auto issued = obtain(preferring_chain("Root B"));
  CHECK(issued.fullchain_pem == chains.leaf + chains.via_a);
  CHECK(transport.remaining() == 0);
  CHECK(urls_requested().back() == k_ca + "/cert/1/5");
}

// ----- profiles (draft-aaron-acme-profiles)
// -------------------------------------------------------

namespace {

const json k_profiles_meta = {
    {"profiles", {{"classic", "the usual 90 days"}, {"shortlived", "6 days"}}}};

issuance::OrderPreferences profiles(const std::string& preferred, const std::string& required) {
  issuance::OrderPreferences preferences;
  preferences.preferred_profile = preferred;
  preferences.required_profile = required;
  return preferences;
}

struct ProfileFixture : Fixture {
  ProfileFixture() : Fixture(k_profiles_meta) {}
};

} // namespace

TEST_CASE_METHOD(ProfileFixture, "an offered preferred profile is sent with newOrder") {
  expect_valid_order_and_download(leaf_and_issuer_pem());
  obtain(profiles("shortlived", ""));
  CHECK(new_order_payload()["profile"] == "shortlived");
}

TEST_CASE_METHOD(ProfileFixture, "an offered required profile is sent with newOrder") {
  expect_valid_order_and_download(leaf_and_issuer_pem());
  obtain(profiles("", "classic"));
  CHECK(new_order_payload()["profile"] == "classic");
}

TEST_CASE_METHOD(ProfileFixture, "no profile asked for: newOrder names none") {
  expect_valid_order_and_download(leaf_and_issuer_pem());
  obtain();
  CHECK_FALSE(new_order_payload().contains("profile"));
  CHECK(new_order_payload().contains("identifiers"));
}

TEST_CASE_METHOD(ProfileFixture, "a preferred profile the CA lacks falls back to its default") {
  expect_valid_order_and_download(leaf_and_issuer_pem());
  obtain(profiles("tlsclient", ""));
  CHECK_FALSE(new_order_payload().contains("profile"));
}

TEST_CASE_METHOD(ProfileFixture, "a required profile the CA lacks fails before newOrder") {
  CHECK_THROWS_WITH(obtain(profiles("", "tlsclient")),
                    "the CA does not offer the certificate profile 'tlsclient' that "
                    "--required-profile asks for (offered: classic, shortlived)");
  CHECK_THROWS_AS(obtain(profiles("", "tlsclient")), UsageError);
  CHECK(urls_requested() == std::vector<std::string>{k_ca + "/dir"});
  CHECK(new_order_payload().is_null());
}

TEST_CASE_METHOD(ProfileFixture, "a required profile wins over a preferred one") {
  CHECK_THROWS_AS(obtain(profiles("shortlived", "tlsclient")), UsageError);
  CHECK(new_order_payload().is_null());
}

TEST_CASE("a hostile meta.profiles offers nothing: preferred falls back, required fails") {
  for (const json& hostile :
       {json("shortlived"), json::array({"shortlived"}), json{{"shortlived", 6}},
        json{{"shortlived", {{"validity", 6}}}}, json(17)}) {
    INFO(hostile.dump());
    {
      Fixture fixture(json{{"profiles", hostile}});
      fixture.expect_valid_order_and_download(leaf_and_issuer_pem());
      fixture.obtain(profiles("shortlived", ""));
      CHECK_FALSE(fixture.new_order_payload().contains("profile"));
    }
    {
      Fixture fixture(json{{"profiles", hostile}});
      CHECK_THROWS_WITH(fixture.obtain(profiles("", "shortlived")),
                        Catch::Contains("the CA offers no profiles"));
      CHECK(fixture.new_order_payload().is_null());
    }
  }
}
