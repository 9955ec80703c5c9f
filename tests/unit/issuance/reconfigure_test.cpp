#include "issuance/reconfigure.hpp"
#include "store/lineage.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_process_runner.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <unistd.h>

using certsmith::UsageError;
using certsmith::issuance::apply_changes;
using certsmith::issuance::dry_run_server_for;
using certsmith::issuance::key_request_of;
using certsmith::issuance::RenewalChanges;
using certsmith::store::RenewalParams;

namespace {

RenewalParams standalone_params() {
  RenewalParams params;
  params.authenticator = "standalone";
  params.server = "https://ca.example/dir";
  params.key_type = "ecdsa";
  params.pre_hook = "old pre";
  return params;
}

} // namespace

TEST_CASE("reconfigure: only what was asked changes") {
  RenewalChanges changes;
  changes.post_hook = "systemctl reload nginx";
  RenewalParams after = apply_changes(standalone_params(), changes, {"a.example"});
  RenewalParams expected = standalone_params();
  expected.post_hook = "systemctl reload nginx";
  CHECK(after == expected);
  CHECK(apply_changes(standalone_params(), RenewalChanges{}, {"a.example"}) == standalone_params());
}

TEST_CASE("reconfigure: an empty hook removes it") {
  RenewalChanges changes;
  changes.pre_hook = "";
  CHECK(apply_changes(standalone_params(), changes, {"a.example"}).pre_hook.empty());
}

TEST_CASE("reconfigure: -w switches to webroot and maps every name to the last root") {
  RenewalChanges changes;
  changes.webroot_paths = std::vector<std::string>{"/srv/old", "/srv/www/"};
  RenewalParams after = apply_changes(standalone_params(), changes, {"a.example", "b.example"});
  CHECK(after.authenticator == "webroot");
  CHECK(after.webroot_map ==
        std::map<std::string, std::string>{{"a.example", "/srv/www/"}, {"b.example", "/srv/www/"}});
  CHECK(after.webroot_path == std::vector<std::string>{"/srv/www/"});
}

TEST_CASE("reconfigure: leaving webroot drops its settings; webroot without a root is refused") {
  RenewalParams webroot = standalone_params();
  webroot.authenticator = "webroot";
  webroot.webroot_map = {{"a.example", "/srv/www"}};
  webroot.webroot_path = {"/srv/www"};
  RenewalChanges to_standalone;
  to_standalone.authenticator = "standalone";
  RenewalParams after = apply_changes(webroot, to_standalone, {"a.example"});
  CHECK(after.webroot_map.empty());
  CHECK(after.webroot_path.empty());

  RenewalChanges to_webroot;
  to_webroot.authenticator = "webroot";
  CHECK_THROWS_AS(apply_changes(standalone_params(), to_webroot, {"a.example"}), UsageError);
  CHECK(apply_changes(webroot, to_webroot, {"a.example"}) == webroot);
}

TEST_CASE("reconfigure: key settings are checked now, not at the next renewal") {
  RenewalParams unusable = standalone_params();
  unusable.key_type = "dsa";
  CHECK_THROWS_AS(apply_changes(unusable, RenewalChanges{}, {"a.example"}), UsageError);
  RenewalChanges changes;
  changes.key = key_request_of("rsa", 4096, "secp256r1", true, true, false, false, false);
  RenewalParams after = apply_changes(standalone_params(), changes, {"a.example"});
  CHECK(after.key_type == "rsa");
  CHECK(after.rsa_key_size == 4096);
  CHECK(after.elliptic_curve.empty());
}

TEST_CASE("reconfigure: --elliptic-curve alone changes the curve of an ECDSA lineage") {
  RenewalChanges changes;
  changes.key = key_request_of("ecdsa", 2048, "secp384r1", false, false, true, false, false);
  RenewalParams after = apply_changes(standalone_params(), changes, {"a.example"});
  CHECK(after.key_type == "ecdsa");
  CHECK(after.elliptic_curve == "secp384r1");
}

TEST_CASE("reconfigure: reuse-key with new-key records reuse_key, new-key alone clears it") {
  RenewalChanges changes;
  changes.key = key_request_of("ecdsa", 2048, "secp256r1", false, false, false, true, true);
  CHECK(apply_changes(standalone_params(), changes, {"a.example"}).reuse_key == true);
  RenewalParams reusing = standalone_params();
  reusing.reuse_key = true;
  changes.key = key_request_of("ecdsa", 2048, "secp256r1", false, false, false, false, true);
  CHECK(apply_changes(reusing, changes, {"a.example"}).reuse_key == false);
  CHECK(apply_changes(reusing, RenewalChanges{}, {"a.example"}).reuse_key == true);
}

TEST_CASE("reconfigure: another server drops the account of the old one") {
  RenewalParams params = standalone_params();
  params.account = "0123456789abcdef0123456789abcdef";
  RenewalChanges changes;
  changes.server = "https://other-ca.example/dir";
  RenewalParams moved = apply_changes(params, changes, {"a.example"});
  CHECK(moved.server == "https://other-ca.example/dir");
  CHECK(moved.account.empty());
  changes.server = params.server; // the same server: its account stays
  CHECK(apply_changes(params, changes, {"a.example"}).account == params.account);
}

TEST_CASE("reconfigure: a dry run for Let's Encrypt production goes to staging") {
  CHECK(dry_run_server_for("https://acme-v02.api.letsencrypt.org/directory") ==
        "https://acme-staging-v02.api.letsencrypt.org/directory");
  CHECK(dry_run_server_for("https://ca.example/dir") == "https://ca.example/dir");
}

namespace {

// A lineage that reuses its RSA 2048 key, for reconfigure_lineage.
struct ReusingLineage {
  std::filesystem::path root;
  certsmith::store::TreePaths paths;
  certsmith::testing::FakeClock clock;
  certsmith::testing::ScriptedTransport transport;
  certsmith::testing::FakeProcessRunner process_runner;

  ReusingLineage() {
    using namespace certsmith;
    char pattern[] = "/tmp/certsmith-reconfigure-XXXXXX";
    root = mkdtemp(pattern);
    paths = store::TreePaths::under(root);
    auto key = crypto::PrivateKey::generate({crypto::KeyAlgorithm::rsa, "", 2048});
    crypto::test::CertificateSpec spec;
    spec.dns_names = {"a.example.com"};
    spec.not_before = clock.now();
    spec.not_after = spec.not_before + std::chrono::hours(24 * 90);
    std::string cert = crypto::test::make_certificate_pem(spec, key, key);
    RenewalParams params = standalone_params();
    params.key_type = "rsa";
    params.rsa_key_size = 2048;
    params.reuse_key = true;
    params.authenticator = "webroot"; // a dry run binds no port
    params.webroot_map = {{"a.example.com", root.string()}};
    params.webroot_path = {root.string()};
    store::create_lineage(paths, "a.example.com", {cert, cert, cert + cert, key.to_pem()}, params);
  }
  ~ReusingLineage() { std::filesystem::remove_all(root); }

  std::string conf() const {
    std::ifstream in(paths.renewal_conf("a.example.com"));
    return {std::istreambuf_iterator<char>(in), {}};
  }
};

} // namespace

TEST_CASE("reconfigure: a lineage reusing its key refuses another kind unless --new-key") {
  using namespace certsmith;
  ReusingLineage tree;
  std::string before = tree.conf();
  issuance::ReconfigureRequest request;
  request.paths = tree.paths;
  request.cert_name = "a.example.com";
  request.account.agree_tos = true;
  request.account.register_unsafely_without_email = true;
  request.changes.key = key_request_of("rsa", 4096, "secp256r1", false, true, false, false, false);
  try {
    issuance::reconfigure_lineage(request, tree.transport, tree.clock, tree.process_runner);
    FAIL("no error");
  } catch (const UsageError& error) {
    CHECK_THAT(error.what(), Catch::Contains("--rsa-key-size"));
  }
  request.changes.key.key_type_given = true;
  request.changes.key.spec = {crypto::KeyAlgorithm::ecdsa, "secp256r1", 2048};
  CHECK_THROWS_AS(
      issuance::reconfigure_lineage(request, tree.transport, tree.clock, tree.process_runner),
      UsageError);
  CHECK(tree.transport.requests().empty());
  CHECK(tree.conf() == before);

  // --reuse-key --new-key: allowed, so the dry run goes to the CA (unscripted here).
  request.changes.key.reuse_key = request.changes.key.new_key = true;
  CHECK_THROWS_AS(
      issuance::reconfigure_lineage(request, tree.transport, tree.clock, tree.process_runner),
      std::logic_error);
  CHECK(tree.conf() == before);
}

TEST_CASE("reconfigure: an unreadable renewal conf is a StorageError") {
  using namespace certsmith;
  ReusingLineage tree;
  auto loop = tree.paths.renewal_conf("loop.example.com");
  std::filesystem::create_symlink(loop.filename(), loop);
  issuance::ReconfigureRequest request;
  request.paths = tree.paths;
  request.cert_name = "loop.example.com";
  CHECK_THROWS_AS(
      issuance::reconfigure_lineage(request, tree.transport, tree.clock, tree.process_runner),
      StorageError);
  request.cert_name = "missing.example.com";
  CHECK_THROWS_AS(
      issuance::reconfigure_lineage(request, tree.transport, tree.clock, tree.process_runner),
      UsageError);
}
