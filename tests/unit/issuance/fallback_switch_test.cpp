// switch_to_fallback_if_expired (fallback_switch.hpp) and what renew_all does
// while a placeholder is live: the order names no certificate it replaces.
#include "crypto/base64url.hpp"
#include "crypto/certificate.hpp"
#include "crypto/private_key.hpp"
#include "crypto/self_signed.hpp"
#include "issuance/fallback.hpp"
#include "issuance/renew_all.hpp"
#include "store/lineage.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_process_runner.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/scripted_transport.hpp"
#include "support/temp_tree.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

using namespace certsmith;
using namespace std::chrono;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Tree : testing::TempTree {
  Tree() : testing::TempTree("fallback-switch") {}
};

// A CA-like certificate for `name` (it has an AKI, so an ARI certificate ID).
std::string ca_issued_pem(const std::string& name, system_clock::time_point not_before,
                          system_clock::duration lifetime, const crypto::PrivateKey& key) {
  auto issuer_key = crypto::PrivateKey::generate({});
  crypto::test::CertificateSpec spec;
  spec.dns_names = {name};
  spec.not_before = not_before;
  spec.not_after = not_before + lifetime;
  spec.authority_key_id = "0123456789abcdef0123";
  return crypto::test::make_certificate_pem(spec, key, issuer_key);
}

store::RenewalParams base_params() {
  store::RenewalParams params;
  params.authenticator = "standalone";
  params.server = "https://ca.test/dir";
  params.key_type = "ecdsa";
  return params;
}

store::Lineage add_lineage(const Tree& tree, const std::string& name,
                           system_clock::time_point not_before, system_clock::duration lifetime,
                           store::RenewalParams params) {
  auto key = crypto::PrivateKey::generate({});
  std::string cert = ca_issued_pem(name, not_before, lifetime, key);
  return store::create_lineage(tree.paths, name, {cert, cert, cert + cert, key.to_pem()}, params);
}

std::string live_cert(const store::Lineage& lineage) {
  return lineage.read_cert_pem();
}

std::pair<std::string, std::string> user_files(const fs::path& dir,
                                               std::vector<std::string> names) {
  auto key = crypto::PrivateKey::generate({crypto::KeyAlgorithm::ecdsa, "secp256r1", 0});
  crypto::SelfSignedRequest request;
  request.dns_names = std::move(names);
  request.not_before = system_clock::now() - hours(48);
  request.not_after = system_clock::now() + hours(24 * 30);
  std::ofstream(dir / "wild.pem") << crypto::make_self_signed_certificate(key, request);
  std::ofstream(dir / "wild.key") << key.to_pem();
  ::chmod((dir / "wild.key").c_str(), 0600);
  return {(dir / "wild.pem").string(), (dir / "wild.key").string()};
}

const std::vector<acme::Identifier> k_names{{"dns", "a.example.com"}};

} // namespace

TEST_CASE("switch to fallback: nothing happens while the live certificate is valid", "[fallback]") {
  Tree tree;
  auto now = system_clock::now();
  auto params = base_params();
  params.certsmith_fallback_self_signed = true;
  auto lineage = add_lineage(tree, "a.example.com", now - hours(24 * 89), hours(24 * 90), params);
  std::string before = live_cert(lineage);
  CHECK_FALSE(issuance::switch_to_fallback_if_expired(lineage, k_names, now + hours(24), now));
  CHECK(live_cert(lineage) == before);
}

TEST_CASE("switch to fallback: an expired lineage without a fallback is left as it is",
          "[fallback]") {
  Tree tree;
  auto now = system_clock::now();
  auto lineage =
      add_lineage(tree, "a.example.com", now - hours(24 * 91), hours(24 * 90), base_params());
  std::string before = live_cert(lineage);
  CHECK_FALSE(issuance::switch_to_fallback_if_expired(lineage, k_names, now - hours(24), now));
  CHECK(live_cert(lineage) == before);
}

TEST_CASE("switch to fallback: an expired lineage gets a self-signed one, recorded in the conf",
          "[fallback]") {
  Tree tree;
  auto now = system_clock::now();
  auto params = base_params();
  params.certsmith_fallback_self_signed = true;
  auto lineage = add_lineage(tree, "a.example.com", now - hours(24 * 91), hours(24 * 90), params);
  auto done = issuance::switch_to_fallback_if_expired(lineage, k_names, now - hours(24), now);
  REQUIRE(done);
  CHECK_THAT(*done, Catch::Contains("self-signed fallback"));
  auto reloaded = store::Lineage::load(tree.paths, "a.example.com");
  CHECK(issuance::live_kind_of(reloaded.params()) == issuance::LiveKind::self_signed_fallback);
  CHECK(reloaded.params().certsmith_names == std::vector<std::string>{"a.example.com"});
  auto facts = crypto::read_certificate(reloaded.read_cert_pem());
  CHECK(facts.dns_names == std::vector<std::string>{"a.example.com"});
  CHECK(facts.not_after > now);
  CHECK(crypto::certificate_matches_key(reloaded.read_cert_pem(), reloaded.read_privkey_pem()));
}

TEST_CASE("switch to fallback: the user's certificate wins over a self-signed one", "[fallback]") {
  Tree tree;
  auto now = system_clock::now();
  auto [cert, key] = user_files(tree.root, {"*.example.com"});
  auto params = base_params();
  params.certsmith_fallback_self_signed = true;
  params.certsmith_fallback_cert = cert;
  params.certsmith_fallback_key = key;
  auto lineage = add_lineage(tree, "a.example.com", now - hours(24 * 91), hours(24 * 90), params);
  auto done = issuance::switch_to_fallback_if_expired(lineage, k_names, now - hours(24), now);
  REQUIRE(done);
  CHECK_THAT(*done, Catch::Contains("user fallback"));
  auto reloaded = store::Lineage::load(tree.paths, "a.example.com");
  CHECK(issuance::live_kind_of(reloaded.params()) == issuance::LiveKind::user_fallback);
  CHECK(crypto::read_certificate(reloaded.read_cert_pem()).dns_names ==
        std::vector<std::string>{"*.example.com"});
}

TEST_CASE("switch to fallback: a user fallback that no longer covers the names falls back to "
          "self-signed, or fails without one",
          "[fallback]") {
  Tree tree;
  auto now = system_clock::now();
  auto [cert, key] = user_files(tree.root, {"*.example.org"});
  auto params = base_params();
  params.certsmith_fallback_cert = cert;
  params.certsmith_fallback_key = key;
  auto lineage = add_lineage(tree, "a.example.com", now - hours(24 * 91), hours(24 * 90), params);
  std::string before = live_cert(lineage);
  CHECK_THROWS_WITH(issuance::switch_to_fallback_if_expired(lineage, k_names, now - hours(24), now),
                    Catch::Contains("does not cover a.example.com"));
  CHECK(live_cert(lineage) == before);
  params.certsmith_fallback_self_signed = true;
  auto second = add_lineage(tree, "b.example.com", now - hours(24 * 91), hours(24 * 90), params);
  REQUIRE(issuance::switch_to_fallback_if_expired(second, {{"dns", "b.example.com"}},
                                                  now - hours(24), now));
  CHECK(issuance::live_kind_of(store::Lineage::load(tree.paths, "b.example.com").params()) ==
        issuance::LiveKind::self_signed_fallback);
}

TEST_CASE("switch to fallback: an expired bootstrap certificate is refreshed without any fallback "
          "configured",
          "[fallback]") {
  Tree tree;
  auto now = system_clock::now();
  auto lineage = issuance::create_bootstrap_lineage(tree.paths, "a.example.com", k_names,
                                                    base_params(), now - hours(24 * 8));
  auto old_not_after = crypto::read_certificate(live_cert(lineage)).not_after;
  REQUIRE(old_not_after < now);
  auto done = issuance::switch_to_fallback_if_expired(lineage, k_names, old_not_after, now);
  REQUIRE(done);
  auto reloaded = store::Lineage::load(tree.paths, "a.example.com");
  CHECK(crypto::read_certificate(reloaded.read_cert_pem()).not_after > now);
  // Still the bootstrap: nothing asked for a fallback, it only must not expire.
  CHECK(issuance::live_kind_of(reloaded.params()) == issuance::LiveKind::self_signed_bootstrap);
  CHECK_FALSE(reloaded.params().certsmith_fallback_self_signed.has_value());
  // Not yet expired: left alone.
  std::string fresh = reloaded.read_cert_pem();
  CHECK_FALSE(issuance::switch_to_fallback_if_expired(
      reloaded, k_names, crypto::read_certificate(fresh).not_after, now));
}

TEST_CASE("renewing away from a user fallback sends no replaces and asks no ARI", "[fallback]") {
  Tree tree;
  testing::FakeClock clock{system_clock::now()};
  auto [cert, key] = user_files(tree.root, {"*.example.com"});
  auto params = base_params();
  // A placeholder whose certificate has an AKI, as a purchased wildcard has.
  params.certsmith_live_kind = "user-fallback";
  params.certsmith_names = {"a.example.com"};
  add_lineage(tree, "a.example.com", clock.now() - hours(24), hours(24 * 90), params);

  testing::ScriptedTransport transport;
  std::vector<std::string> urls;
  json order_payload;
  // Answers by URL, whatever the order of requests up to newOrder.
  auto answer = [&](const http::Request& request) -> http::Response {
    urls.push_back(request.url);
    if (request.url == "https://ca.test/dir")
      return testing::json_response(200, json{{"newNonce", "https://ca.test/nonce"},
                                              {"newAccount", "https://ca.test/acct"},
                                              {"newOrder", "https://ca.test/order"},
                                              {"renewalInfo", "https://ca.test/ari"}}
                                             .dump());
    if (request.url == "https://ca.test/nonce")
      return http::Response{200, {{"replay-nonce", "n" + std::to_string(urls.size())}}, "", {}};
    if (request.url == "https://ca.test/acct")
      return testing::json_response(201, json{{"status", "valid"}}.dump(),
                                    {{"location", "https://ca.test/acct/1"},
                                     {"replay-nonce", "n" + std::to_string(urls.size())}});
    if (request.url == "https://ca.test/order") {
      order_payload = json::parse(
          *crypto::base64url_decode(json::parse(request.body)["payload"].get<std::string>()));
      throw NetworkError("stop after newOrder");
    }
    throw NetworkError("unexpected " + request.url);
  };
  for (int i = 0; i < 12; ++i)
    transport.expect(answer);
  testing::FakeProcessRunner runner;
  issuance::RenewOptions options;
  options.paths = tree.paths;
  options.http01_port = 0;
  options.http01_address = "127.0.0.1";
  options.account.register_unsafely_without_email = true;
  options.account.agree_tos = true;
  auto summary = issuance::renew_all(options, transport, clock, runner);
  REQUIRE(summary.outcomes.size() == 1);
  CAPTURE(summary.outcomes[0].reason, urls);
  REQUIRE(order_payload.is_object());
  CHECK(order_payload["identifiers"][0]["value"] == "a.example.com");
  CHECK_FALSE(order_payload.contains("replaces"));
  for (const auto& url : urls)
    CHECK(url.find("/ari") == std::string::npos);
}

namespace {

// A CA on ca.test that answers by URL: a new account, an order whose one
// authorization is already valid, and a certificate for `key` signed by a CA
// key of its own. `fail` makes every request fail (the CA is down).
struct ScriptedCa {
  const crypto::PrivateKey* key = nullptr;
  bool fail = false;
  std::vector<std::string> urls;
  int nonce = 0;

  http::Response operator()(const http::Request& request) {
    urls.push_back(request.url);
    if (fail)
      throw NetworkError("cannot connect to ca.test:443: Connection refused");
    http::Headers headers{{"replay-nonce", "n" + std::to_string(++nonce)}};
    auto json_reply = [&](long status, const json& body) {
      return testing::json_response(status, body.dump(), headers);
    };
    const std::string ca = "https://ca.test";
    json order = {{"status", "pending"},
                  {"identifiers", {{{"type", "dns"}, {"value", "a.example.com"}}}},
                  {"authorizations", {ca + "/authz/1"}},
                  {"finalize", ca + "/finalize/1"}};
    if (request.url == ca + "/dir")
      return json_reply(
          200,
          {{"newNonce", ca + "/nonce"}, {"newAccount", ca + "/acct"}, {"newOrder", ca + "/order"}});
    if (request.url == ca + "/nonce")
      return http::Response{200, headers, "", {}};
    if (request.url == ca + "/acct") {
      headers.emplace_back("location", ca + "/acct/1");
      return json_reply(201, {{"status", "valid"}});
    }
    if (request.url == ca + "/order") {
      headers.emplace_back("location", ca + "/order/1");
      return json_reply(201, order);
    }
    if (request.url == ca + "/authz/1")
      return json_reply(200, {{"identifier", {{"type", "dns"}, {"value", "a.example.com"}}},
                              {"status", "valid"},
                              {"challenges",
                               {{{"type", "http-01"},
                                 {"url", ca + "/chall/1"},
                                 {"status", "valid"},
                                 {"token", "tok"}}}}});
    if (request.url == ca + "/finalize/1" || request.url == ca + "/order/1") {
      order["status"] = "valid";
      order["certificate"] = ca + "/cert/1";
      return json_reply(200, order);
    }
    if (request.url == ca + "/cert/1") {
      auto issuer_key = crypto::PrivateKey::generate({});
      crypto::test::CertificateSpec leaf;
      leaf.dns_names = {"a.example.com"};
      leaf.not_before = system_clock::now() - hours(1);
      leaf.not_after = leaf.not_before + hours(24 * 90);
      leaf.authority_key_id = "abcdefabcdefabcdefab";
      crypto::test::CertificateSpec issuer = leaf;
      issuer.dns_names.clear();
      issuer.subject_common_name = "certsmith test CA";
      headers.emplace_back("content-type", "application/pem-certificate-chain");
      return http::Response{200,
                            headers,
                            crypto::test::make_certificate_pem(leaf, *key, issuer_key) +
                                crypto::test::make_certificate_pem(issuer, issuer_key, issuer_key),
                            {}};
    }
    throw NetworkError("unexpected " + request.url);
  }
};

} // namespace

TEST_CASE("an expired lineage switches to its self-signed fallback when renewal fails, and back "
          "to the CA's certificate when it succeeds",
          "[fallback]") {
  Tree tree;
  testing::FakeClock clock{system_clock::now()};
  auto params = base_params();
  params.certsmith_fallback_self_signed = true;
  params.reuse_key = true; // so the test's CA can sign for the key renewal sends
  add_lineage(tree, "a.example.com", clock.now() - hours(24 * 91), hours(24 * 90), params);

  issuance::RenewOptions options;
  options.paths = tree.paths;
  options.http01_port = 0;
  options.http01_address = "127.0.0.1";
  options.account.register_unsafely_without_email = true;
  options.account.agree_tos = true;
  testing::FakeProcessRunner runner;

  ScriptedCa ca;
  ca.fail = true;
  {
    testing::ScriptedTransport down;
    for (int i = 0; i < 4; ++i)
      down.expect(std::ref(ca));
    auto summary = issuance::renew_all(options, down, clock, runner);
    REQUIRE(summary.outcomes.size() == 1);
    CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::failed);
    CHECK_THAT(summary.outcomes[0].reason, Catch::Contains("self-signed fallback"));
  }
  auto fallback = store::Lineage::load(tree.paths, "a.example.com");
  REQUIRE(issuance::live_kind_of(fallback.params()) == issuance::LiveKind::self_signed_fallback);
  CHECK(fallback.current_version() == 2);

  // With reuse_key the renewal sends the key of the CA's certificate before the
  // placeholder (version 1), never the placeholder's own (placeholder_key.hpp).
  std::ifstream first_key(fallback.archive_dir() / "privkey1.pem");
  auto key = crypto::PrivateKey::from_pem(
      std::string(std::istreambuf_iterator<char>(first_key), std::istreambuf_iterator<char>()));
  CHECK(crypto::PrivateKey::from_pem(fallback.read_privkey_pem()).public_key_der() !=
        key.public_key_der());
  ca.fail = false;
  ca.key = &key;
  testing::ScriptedTransport up;
  for (int i = 0; i < 16; ++i)
    up.expect(std::ref(ca));
  auto summary = issuance::renew_all(options, up, clock, runner);
  REQUIRE(summary.outcomes.size() == 1);
  CAPTURE(summary.outcomes[0].reason, ca.urls);
  CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::renewed);
  auto back = store::Lineage::load(tree.paths, "a.example.com");
  CHECK(back.current_version() == 3);
  CHECK(issuance::live_kind_of(back.params()) == issuance::LiveKind::real);
  CHECK(back.params().certsmith_live_kind.empty());
  CHECK(back.params().certsmith_names.empty());
  CHECK(back.params().certsmith_fallback_self_signed == true); // the choice stays for next time
  CHECK_FALSE(crypto::read_certificate(back.read_cert_pem()).authority_key_id.empty());
  CHECK(crypto::PrivateKey::from_pem(back.read_privkey_pem()).public_key_der() ==
        key.public_key_der()); // the pinned key is back
}
