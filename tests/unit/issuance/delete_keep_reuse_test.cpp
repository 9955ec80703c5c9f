// delete keeping a certificate and certonly reusing it (kept_reuse.hpp): which
// kept entries serve a request, with a fake clock, and that no request reaches the CA.
#include "issuance/certonly.hpp"
#include "issuance/delete_certificate.hpp"
#include "issuance/kept_reuse.hpp"
#include "store/kept_lineage.hpp"
#include "store/lineage.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_process_runner.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/scripted_transport.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdlib.h>

using namespace certsmith;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

struct KeptTree {
  fs::path root;
  store::TreePaths paths;
  testing::FakeClock clock;
  KeptTree() {
    char pattern[] = "/tmp/certsmith-keep-XXXXXX";
    root = ::mkdtemp(pattern);
    paths = store::TreePaths::under(root);
  }
  ~KeptTree() { fs::remove_all(root); }

  // A 90-day certificate for `names` from now, as lineage `name`, kept by delete.
  store::CertificateFiles keep(const std::string& name, const std::vector<std::string>& names,
                               crypto::KeySpec key_spec = {}) {
    auto key = crypto::PrivateKey::generate(key_spec);
    auto issuer = crypto::PrivateKey::generate({});
    crypto::test::CertificateSpec spec;
    spec.dns_names = names;
    spec.not_before = clock.now() - hours(1);
    spec.not_after = clock.now() + hours(24 * 90);
    std::string cert = crypto::test::make_certificate_pem(spec, key, issuer);
    crypto::test::CertificateSpec issuer_spec;
    issuer_spec.dns_names = {"issuer.example"};
    issuer_spec.not_before = spec.not_before;
    issuer_spec.not_after = spec.not_after;
    std::string chain = crypto::test::make_certificate_pem(issuer_spec, issuer, issuer);
    store::CertificateFiles files{cert, chain, cert + chain, key.to_pem()};
    store::RenewalParams params;
    params.authenticator = "standalone";
    params.server = "https://ca.example/dir";
    store::create_lineage(paths, name, files, params);
    issuance::delete_certificate(paths, name, issuance::DeleteMode::keep);
    return files;
  }

  issuance::CertonlyRequest request(const std::vector<std::string>& domains) const {
    issuance::CertonlyRequest request;
    request.paths = paths;
    request.server = "https://ca.example/dir";
    request.domains = domains;
    request.authenticator = "standalone";
    return request;
  }

  std::optional<issuance::CertonlyResult> reuse(const issuance::CertonlyRequest& request) {
    return issuance::reuse_kept_certificate(
        request, acme::make_identifiers(request.domains, request.ip_addresses), clock);
  }
};

} // namespace

TEST_CASE("kept: certonly of the same names restores the kept certificate without the CA",
          "[issuance][kept]") {
  KeptTree tree;
  auto files = tree.keep("a.example.com", {"a.example.com", "www.a.example.com"});
  CHECK_FALSE(fs::exists(tree.paths.renewal_conf("a.example.com")));
  testing::ScriptedTransport transport; // nothing scripted: any request fails the test
  testing::FakeProcessRunner runner;
  auto result = issuance::run_certonly(tree.request({"www.a.example.com", "a.example.com"}),
                                       transport, tree.clock, runner);
  CHECK(result.outcome == issuance::CertonlyResult::Outcome::reused);
  CHECK(result.lineage_name == "www.a.example.com"); // certbot's rule: the first name given
  CHECK(result.requests == 0);
  CHECK(transport.requests().empty());
  auto lineage = store::Lineage::load(tree.paths, "www.a.example.com");
  CHECK(lineage.read_current().cert_pem == files.cert_pem);
  CHECK(lineage.read_current().privkey_pem == files.privkey_pem);
  CHECK(lineage.current_version() == 1);
  CHECK(lineage.params().authenticator == "standalone");
  CHECK(store::list_kept(tree.paths).empty());
}

TEST_CASE("kept: --cert-name names the restored lineage", "[issuance][kept]") {
  KeptTree tree;
  tree.keep("old-name", {"a.example.com"});
  auto request = tree.request({"a.example.com"});
  request.cert_name = "new-name";
  auto result = tree.reuse(request);
  REQUIRE(result);
  CHECK(result->lineage_name == "new-name");
  CHECK(store::Lineage::list_names(tree.paths) == std::vector<std::string>{"new-name"});
}

TEST_CASE("kept: other names, a due or expired entry, another key type are not reused",
          "[issuance][kept]") {
  KeptTree tree;
  tree.keep("a.example.com", {"a.example.com", "www.a.example.com"});
  SECTION("a subset or a superset of the names") {
    CHECK_FALSE(tree.reuse(tree.request({"a.example.com"})));
    CHECK_FALSE(tree.reuse(tree.request({"a.example.com", "www.a.example.com", "b.example.com"})));
    CHECK(store::list_kept(tree.paths).size() == 1);
  }
  SECTION("another CA's (the kept conf names another server)") {
    auto request = tree.request({"a.example.com", "www.a.example.com"});
    request.server = "https://acme-staging.example/dir";
    CHECK_FALSE(tree.reuse(request));
    CHECK(store::list_kept(tree.paths).size() == 1);
  }
  SECTION("due for renewal: skipped, kept") {
    tree.clock.advance(hours(24 * 70));
    CHECK_FALSE(tree.reuse(tree.request({"a.example.com", "www.a.example.com"})));
    CHECK(store::list_kept(tree.paths).size() == 1);
  }
  SECTION("expired: removed") {
    tree.clock.advance(hours(24 * 91));
    CHECK_FALSE(tree.reuse(tree.request({"a.example.com", "www.a.example.com"})));
    CHECK(store::list_kept(tree.paths).empty());
  }
  SECTION("expired: removed when seen, even by a certonly of other names") {
    tree.clock.advance(hours(24 * 91));
    CHECK_FALSE(tree.reuse(tree.request({"b.example.com"})));
    CHECK(store::list_kept(tree.paths).empty());
  }
  SECTION("--key-type rsa for an ECDSA key") {
    auto request = tree.request({"a.example.com", "www.a.example.com"});
    request.key.key_type_given = true;
    request.key.spec.algorithm = crypto::KeyAlgorithm::rsa;
    CHECK_FALSE(tree.reuse(request));
    CHECK(store::list_kept(tree.paths).size() == 1);
  }
  CHECK(store::Lineage::list_names(tree.paths).empty());
}

TEST_CASE("kept: a truncated PEM or a key of another certificate is skipped", "[issuance][kept]") {
  KeptTree tree;
  tree.keep("a.example.com", {"a.example.com"});
  auto other = tree.keep("b.example.com", {"b.example.com"});
  const fs::path entry = store::kept_dir(tree.paths) / "a.example.com";
  SECTION("truncated certificate") {
    fs::resize_file(entry / "cert.pem", fs::file_size(entry / "cert.pem") / 2);
  }
  SECTION("truncated chain") {
    fs::resize_file(entry / "chain.pem", 40);
  }
  SECTION("another certificate's key") {
    fs::remove(entry / "privkey.pem");
    fs::copy_file(store::kept_dir(tree.paths) / "b.example.com" / "privkey.pem",
                  entry / "privkey.pem");
    static_cast<void>(other);
  }
  CHECK_FALSE(tree.reuse(tree.request({"a.example.com"})));
  CHECK(store::Lineage::list_names(tree.paths).empty());
  // The good entry next to it is still reused.
  CHECK(tree.reuse(tree.request({"b.example.com"})));
}

TEST_CASE("kept: revoke's delete (DeleteMode::purge, the default) keeps nothing",
          "[issuance][kept]") {
  KeptTree tree;
  auto key = crypto::PrivateKey::generate({});
  crypto::test::CertificateSpec spec;
  spec.dns_names = {"a.example.com"};
  spec.not_before = tree.clock.now();
  spec.not_after = spec.not_before + hours(24);
  std::string cert = crypto::test::make_certificate_pem(spec, key, key);
  store::RenewalParams params;
  params.authenticator = "standalone";
  store::create_lineage(tree.paths, "a.example.com", {cert, cert, cert + cert, key.to_pem()},
                        params);
  issuance::delete_certificate(tree.paths, "a.example.com");
  CHECK(store::list_kept(tree.paths).empty());
}

TEST_CASE("kept: a lineage with nothing worth keeping is deleted all the same",
          "[issuance][kept]") {
  KeptTree tree;
  auto key = crypto::PrivateKey::generate({});
  crypto::test::CertificateSpec spec;
  spec.dns_names = {"a.example.com"};
  spec.not_before = tree.clock.now();
  spec.not_after = spec.not_before + hours(24);
  std::string cert = crypto::test::make_certificate_pem(spec, key, key);
  store::RenewalParams params;
  params.authenticator = "standalone";
  store::create_lineage(tree.paths, "a.example.com", {cert, cert, cert + cert, key.to_pem()},
                        params);
  // certbot's delete removes a lineage whose conf it cannot parse (the default layout).
  std::ofstream(tree.paths.renewal_conf("a.example.com"), std::ios::trunc) << "[[[ not a conf\n";
  CHECK_FALSE(
      issuance::delete_certificate(tree.paths, "a.example.com", issuance::DeleteMode::keep));
  CHECK(store::Lineage::list_names(tree.paths).empty());
  CHECK_FALSE(fs::exists(tree.paths.lineage_archive_dir("a.example.com")));
  CHECK(store::list_kept(tree.paths).empty());
}
