#include "crypto/base64url.hpp"
#include "issuance/obtain.hpp"
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

  Fixture() {
    client.use_account(account_key, k_ca + "/acct/1");
    transport.expect(json_response(200, json{{"newNonce", k_ca + "/nonce"},
                                             {"newAccount", k_ca + "/acct"},
                                             {"newOrder", k_ca + "/order"}}
                                            .dump()),
                     false);
    transport.expect(http::Response{200, {{"replay-nonce", "n0"}}, "", {}}, false);
    transport.expect(json_response(201, order("pending", {"a.example.com", "b.example.com"}).dump(),
                                   {{"location", k_ca + "/order/1"}}));
  }

  issuance::IssuedCertificate obtain() {
    return issuance::obtain_certificate(client, "THUMB", identifiers, "CSR", {&solver});
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
