#include "crypto/base64url.hpp"
#include "crypto/certificate_der.hpp"
#include "issuance/revoke.hpp"
#include "issuance/revoke_reason.hpp"
#include "store/account_store.hpp"
#include "store/lineage.hpp"
#include "store/lineage_delete.hpp"
#include "support/fake_clock.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/scripted_transport.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace certsmith;
using namespace std::chrono;
using nlohmann::json;
using testing::json_response;

namespace {

const std::string k_server = "https://ca.test/dir";

struct RevokeTree {
  std::filesystem::path root;
  store::TreePaths paths;
  crypto::PrivateKey cert_key = crypto::PrivateKey::generate({});
  std::string cert_pem;

  RevokeTree() {
    char pattern[] = "/tmp/certsmith-revoke-XXXXXX";
    root = mkdtemp(pattern);
    paths = store::TreePaths::under(root);
    crypto::test::CertificateSpec spec;
    spec.dns_names = {"example.com"};
    spec.serial_hex = "0badcafe";
    spec.not_before = system_clock::now() - hours(1);
    spec.not_after = system_clock::now() + hours(24 * 90);
    cert_pem = crypto::test::make_certificate_pem(spec, cert_key, cert_key);
    store::RenewalParams params;
    params.authenticator = "standalone";
    params.server = k_server;
    params.key_type = "ecdsa";
    store::create_lineage(paths, "example.com",
                          {cert_pem, cert_pem, cert_pem + cert_pem, cert_key.to_pem()}, params);
  }
  ~RevokeTree() { std::filesystem::remove_all(root); }

  void store_account() {
    auto key = crypto::PrivateKey::generate({});
    store::save_account(paths, {"", k_server, "https://ca.test/acct/1", key, json::object(),
                                "2026-01-01T00:00:00Z", "test"});
  }

  issuance::RevokeRequest by_name() const {
    issuance::RevokeRequest request;
    request.paths = paths;
    request.cert_name = "example.com";
    request.default_server = "https://default.test/dir";
    return request;
  }
};

struct RevokeFixture : RevokeTree {
  testing::ScriptedTransport transport;
  testing::FakeClock clock{system_clock::now()};

  void expect_directory_and_nonce() {
    json directory = {{"newNonce", "https://ca.test/nonce"},
                      {"newAccount", "https://ca.test/acct"},
                      {"newOrder", "https://ca.test/order"},
                      {"revokeCert", "https://ca.test/revoke"}};
    transport.expect(json_response(200, directory.dump()), false);
    transport.expect(http::Response{200, {{"replay-nonce", "first"}}, "", {}}, false);
  }
};

json protected_header(const http::Request& request) {
  auto body = json::parse(request.body);
  return json::parse(*crypto::base64url_decode(body["protected"].get<std::string>()));
}

json payload(const http::Request& request) {
  auto body = json::parse(request.body);
  return json::parse(*crypto::base64url_decode(body["payload"].get<std::string>()));
}

} // namespace

TEST_CASE("revocation reasons: every RFC 5280 name RFC 8555 permits, any case") {
  CHECK(issuance::parse_revocation_reason("unspecified") == 0);
  CHECK(issuance::parse_revocation_reason("keyCompromise") == 1);
  CHECK(issuance::parse_revocation_reason("KEYCOMPROMISE") == 1);
  CHECK(issuance::parse_revocation_reason("cacompromise") == 2);
  CHECK(issuance::parse_revocation_reason("affiliationchanged") == 3);
  CHECK(issuance::parse_revocation_reason("superseded") == 4);
  CHECK(issuance::parse_revocation_reason("cessationofoperation") == 5);
  CHECK(issuance::parse_revocation_reason("certificatehold") == 6);
  CHECK(issuance::parse_revocation_reason("removefromcrl") == 8);
  CHECK(issuance::parse_revocation_reason("privilegewithdrawn") == 9);
  CHECK(issuance::parse_revocation_reason("aacompromise") == 10);
  CHECK(issuance::revocation_reason_name(1) == "keycompromise");
}

TEST_CASE("revocation reasons: anything else is a usage error listing the names") {
  for (const char* bad : {"", "7", "1", "key compromise", "keycompromise ", "unused", "\x1b[31m"}) {
    CAPTURE(bad);
    try {
      issuance::parse_revocation_reason(bad);
      FAIL("accepted");
    } catch (const UsageError& error) {
      CHECK_THAT(error.what(), Catch::Contains("keycompromise, cacompromise"));
      CHECK_THAT(error.what(), Catch::Contains("aacompromise"));
      CHECK(std::string(error.what()).find('\x1b') == std::string::npos);
    }
  }
}

TEST_CASE("revocation refusals: alreadyRevoked and unauthorized say what happened") {
  acme::Problem already{"urn:ietf:params:acme:error:alreadyRevoked",
                        "Certificate already revoked",
                        400,
                        {},
                        std::nullopt,
                        std::nullopt};
  auto error = issuance::explain_revocation_refusal(already, "/x/cert.pem", 1, true);
  CHECK(std::string(error.what()) == "the certificate /x/cert.pem was already revoked");
  CHECK(error.already_revoked());
  CHECK(error.exit_code() == ExitCode::acme);

  acme::Problem unauthorized{
      "urn:ietf:params:acme:error:unauthorized", "not yours", 403, {}, std::nullopt, std::nullopt};
  auto refused = issuance::explain_revocation_refusal(unauthorized, "/x/cert.pem", 0, true);
  CHECK_FALSE(refused.already_revoked());
  CHECK_THAT(refused.what(), Catch::Contains("unauthorized: not yours"));
  CHECK_THAT(refused.what(), Catch::Contains("--key-path"));
  CHECK_THAT(issuance::explain_revocation_refusal(unauthorized, "/x", 0, false).what(),
             !Catch::Contains("--key-path"));

  acme::Problem reason{
      "urn:ietf:params:acme:error:badRevocationReason", "no", 400, {}, std::nullopt, std::nullopt};
  CHECK_THAT(issuance::explain_revocation_refusal(reason, "/x", 2, true).what(),
             Catch::Contains("reason cacompromise"));
}

TEST_CASE_METHOD(RevokeTree, "revoke target: --cert-name takes the lineage's cert and server") {
  auto target = issuance::resolve_revoke_target(by_name());
  CHECK(target.lineage == "example.com");
  CHECK(target.server == k_server);
  CHECK(target.cert_path == paths.lineage_live_dir("example.com") / "cert.pem");

  auto request = by_name();
  request.server = "https://other.test/dir";
  CHECK(issuance::resolve_revoke_target(request).server == "https://other.test/dir");
}

TEST_CASE_METHOD(RevokeTree,
                 "revoke target: a --cert-path in live/ or archive/ names its lineage") {
  auto request = by_name();
  request.cert_name.reset();
  for (auto path :
       {paths.lineage_live_dir("example.com") / "cert.pem",
        paths.lineage_live_dir("example.com") / "fullchain.pem",
        paths.lineage_archive_dir("example.com") / "cert1.pem",
        paths.lineage_archive_dir("example.com") / ".." / "example.com" / "fullchain1.pem"}) {
    CAPTURE(path);
    request.cert_path = path;
    auto target = issuance::resolve_revoke_target(request);
    CHECK(target.lineage == "example.com");
    CHECK(target.server == k_server);
  }
  request.cert_path = paths.lineage_archive_dir("example.com") / "privkey1.pem";
  CHECK_FALSE(issuance::resolve_revoke_target(request).lineage);
  request.cert_path = root / "elsewhere.pem";
  auto target = issuance::resolve_revoke_target(request);
  CHECK_FALSE(target.lineage);
  CHECK(target.server == "https://default.test/dir");
}

TEST_CASE_METHOD(RevokeTree, "revoke target: exactly one of --cert-name and --cert-path") {
  auto request = by_name();
  request.cert_path = "/x/cert.pem";
  CHECK_THROWS_AS(issuance::resolve_revoke_target(request), UsageError);
  request.cert_name.reset();
  request.cert_path.clear();
  CHECK_THROWS_AS(issuance::resolve_revoke_target(request), UsageError);
  request.cert_name = "nope.example.com";
  CHECK_THROWS_AS(issuance::resolve_revoke_target(request), store::LineageNotFound);
  request.cert_name = "../example.com";
  CHECK_THROWS_AS(issuance::resolve_revoke_target(request), UsageError);
}

TEST_CASE_METHOD(RevokeFixture, "revoke by account key uses the stored account, never registers") {
  SECTION("no stored account: an error that suggests --key-path, and no request") {
    CHECK_THROWS_WITH(issuance::revoke(by_name(), transport, clock),
                      Catch::Contains("no account is stored for " + k_server) &&
                          Catch::Contains("--key-path"));
    CHECK(transport.requests().empty());
  }
  SECTION("stored account: signed with its kid") {
    store_account();
    expect_directory_and_nonce();
    transport.expect(http::Response{200, {}, "", {}});
    auto request = by_name();
    request.reason = 1;
    auto result = issuance::revoke(request, transport, clock);
    CHECK(result.serial_hex == "badcafe");
    const auto& sent = transport.requests().back();
    CHECK(protected_header(sent)["kid"] == "https://ca.test/acct/1");
    CHECK(payload(sent)["certificate"] ==
          crypto::base64url_encode(crypto::certificate_der(cert_pem)));
    CHECK(payload(sent)["reason"] == 1);
  }
}

TEST_CASE_METHOD(RevokeFixture, "revoke by certificate key: the key must match") {
  auto request = by_name();
  auto other = crypto::PrivateKey::generate({});
  std::ofstream(root / "other.pem") << other.to_pem();
  request.key_path = (root / "other.pem").string();
  CHECK_THROWS_WITH(issuance::revoke(request, transport, clock),
                    Catch::Contains("does not match the certificate"));
  CHECK(transport.requests().empty());

  request.key_path = (paths.lineage_live_dir("example.com") / "privkey.pem").string();
  expect_directory_and_nonce();
  transport.expect(json_response(
      400, R"({"type":"urn:ietf:params:acme:error:alreadyRevoked","detail":"already"})"));
  try {
    issuance::revoke(request, transport, clock);
    FAIL("no error");
  } catch (const issuance::RevocationRefused& error) {
    CHECK(error.already_revoked());
    CHECK_THAT(error.what(), Catch::EndsWith("was already revoked"));
  }
  auto header = protected_header(transport.requests().back());
  CHECK(header.contains("jwk"));
  CHECK_FALSE(header.contains("kid"));
}

TEST_CASE_METHOD(RevokeFixture, "revoke: a truncated certificate file is a one-line error") {
  auto request = by_name();
  request.cert_name.reset();
  request.cert_path = (root / "truncated.pem").string();
  std::ofstream(request.cert_path) << cert_pem.substr(0, cert_pem.size() / 2);
  try {
    issuance::revoke(request, transport, clock);
    FAIL("no error");
  } catch (const Error& error) {
    CHECK_THAT(error.what(), Catch::Contains("holds no readable certificate"));
    CHECK(std::string(error.what()).find('\n') == std::string::npos);
  }
  CHECK(transport.requests().empty());
}

namespace {

// Insert `line` at the top of the lineage's [renewalparams] section.
void add_renewal_param(const store::TreePaths& paths, const std::string& line) {
  auto conf = paths.renewal_conf("example.com");
  std::ifstream in(conf);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find("[renewalparams]\n");
  REQUIRE(at != std::string::npos);
  text.insert(at + std::string("[renewalparams]\n").size(), line + "\n");
  std::ofstream(conf, std::ios::trunc) << text;
}

bool has_control_character(const std::string& text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

} // namespace

TEST_CASE_METHOD(RevokeFixture, "revoke: a DER certificate file is accepted as certbot does") {
  const std::string der = crypto::certificate_der(cert_pem);
  auto request = by_name();
  request.cert_name.reset();
  request.cert_path = (root / "cert.der").string();
  request.server = k_server; // a file outside the tree belongs to no lineage
  std::ofstream(request.cert_path, std::ios::binary) << der;

  SECTION("by account key") {
    store_account();
    expect_directory_and_nonce();
    transport.expect(http::Response{200, {}, "", {}});
    auto result = issuance::revoke(request, transport, clock);
    CHECK(result.serial_hex == "badcafe");
    CHECK(payload(transport.requests().back())["certificate"] == crypto::base64url_encode(der));
  }
  SECTION("by its own key, which must match") {
    request.key_path = (paths.lineage_live_dir("example.com") / "privkey.pem").string();
    expect_directory_and_nonce();
    transport.expect(http::Response{200, {}, "", {}});
    issuance::revoke(request, transport, clock);
    CHECK(payload(transport.requests().back())["certificate"] == crypto::base64url_encode(der));
  }
  SECTION("DER followed by junk is no certificate") {
    std::ofstream(request.cert_path, std::ios::binary) << der << "junk";
    store_account();
    CHECK_THROWS_WITH(issuance::revoke(request, transport, clock),
                      Catch::Contains("holds no readable certificate"));
    CHECK(transport.requests().empty());
  }
}

TEST_CASE_METHOD(RevokeFixture, "revoke: a malformed account id in the conf falls back") {
  // The conf is a file anyone with write access to the tree may have edited;
  // an id that is not 32 hex digits must not stop the revocation.
  add_renewal_param(paths, "account = ../../etc/\x1b[31mevil");
  store_account();
  expect_directory_and_nonce();
  transport.expect(http::Response{200, {}, "", {}});
  issuance::revoke(by_name(), transport, clock);
  CHECK(protected_header(transport.requests().back())["kid"] == "https://ca.test/acct/1");
}

TEST_CASE_METHOD(RevokeFixture, "revoke: an explicit malformed --account stays an error") {
  store_account();
  auto request = by_name();
  request.account_id = "../../etc/evil";
  CHECK_THROWS_AS(issuance::revoke(request, transport, clock), UsageError);
  CHECK(transport.requests().empty());
}

TEST_CASE_METHOD(RevokeFixture, "revoke: the conf's server and --key-path are escaped in errors") {
  SECTION("server from the conf") {
    auto conf = paths.renewal_conf("example.com");
    std::ifstream in(conf);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto at = text.find("server = " + k_server);
    REQUIRE(at != std::string::npos);
    text.replace(at, ("server = " + k_server).size(),
                 "server = https://ca.test/\x1b]0;pwn\x07"
                 "dir");
    std::ofstream(conf, std::ios::trunc) << text;
    try {
      issuance::revoke(by_name(), transport, clock);
      FAIL("no error");
    } catch (const Error& error) {
      CAPTURE(error.what());
      CHECK_FALSE(has_control_character(error.what()));
    }
  }
  SECTION("--key-path that does not match") {
    std::string hostile = (root / "key\x1b[2J.pem").string();
    std::ofstream(hostile) << crypto::PrivateKey::generate({}).to_pem();
    auto request = by_name();
    request.key_path = hostile;
    try {
      issuance::revoke(request, transport, clock);
      FAIL("no error");
    } catch (const Error& error) {
      CHECK_THAT(error.what(), Catch::Contains("does not match"));
      CHECK_FALSE(has_control_character(error.what()));
    }
  }
  SECTION("--key-path that is no key, or missing") {
    std::string hostile = (root / "key\x1b[2J.pem").string();
    auto request = by_name();
    request.key_path = hostile;
    for (bool exists : {false, true}) {
      if (exists)
        std::ofstream(hostile) << "not a key";
      try {
        issuance::revoke(request, transport, clock);
        FAIL("no error");
      } catch (const Error& error) {
        CAPTURE(exists, error.what());
        CHECK_FALSE(has_control_character(error.what()));
      }
    }
  }
  CHECK(transport.requests().empty());
}
