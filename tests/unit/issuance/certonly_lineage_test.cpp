// certonly against a lineage already in the tree: when it is kept, renewed or
// found from --cert-name alone. A scripted transport with nothing scripted
// shows whether the CA was reached at all (its first request throws).
#include "issuance/certonly.hpp"
#include "store/lineage.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_process_runner.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

using namespace certsmith;
using namespace std::chrono;

namespace {

struct TreeWithLineage {
  std::filesystem::path root;
  store::TreePaths paths;
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  testing::FakeProcessRunner process_runner;

  // One lineage for a.example.com and 192.0.2.10, 80 of its 90 days left.
  TreeWithLineage() {
    char pattern[] = "/tmp/certsmith-certonly-XXXXXX";
    root = mkdtemp(pattern);
    paths = store::TreePaths::under(root);
    auto key = crypto::PrivateKey::generate({});
    crypto::test::CertificateSpec spec;
    spec.dns_names = {"a.example.com"};
    spec.ip_addresses = {"192.0.2.10"};
    spec.not_before = clock.now() - hours(24 * 10);
    spec.not_after = spec.not_before + hours(24 * 90);
    std::string cert = crypto::test::make_certificate_pem(spec, key, key);
    store::RenewalParams params;
    params.authenticator = "webroot";
    params.server = "https://ca.test/dir";
    store::create_lineage(paths, "a.example.com", {cert, cert, cert + cert, key.to_pem()}, params);
  }
  ~TreeWithLineage() { std::filesystem::remove_all(root); }

  issuance::CertonlyRequest request() const {
    issuance::CertonlyRequest request;
    request.paths = paths;
    request.server = "https://ca.test/dir";
    request.authenticator = "webroot";
    request.webroot_map = {{"a.example.com", root.string()}, {"192.0.2.10", root.string()}};
    request.account.agree_tos = true;
    request.account.register_unsafely_without_email = true;
    return request;
  }

  issuance::CertonlyResult run(const issuance::CertonlyRequest& request) {
    return issuance::run_certonly(request, transport, clock, process_runner);
  }
};

} // namespace

TEST_CASE("certonly keeps a lineage that is not due without asking the CA", "[certonly]") {
  TreeWithLineage tree;
  auto request = tree.request();
  request.domains = {"a.example.com"};
  request.ip_addresses = {"192.0.2.10"};
  auto result = tree.run(request);
  CHECK(result.outcome == issuance::CertonlyResult::Outcome::kept);
  CHECK(tree.transport.requests().empty());
}

TEST_CASE("certonly dry run of a lineage that is not due still asks the CA", "[certonly]") {
  // certbot's should_renew is true for a dry run: it tests issuance, due or not.
  TreeWithLineage tree;
  auto request = tree.request();
  request.domains = {"a.example.com"};
  request.ip_addresses = {"192.0.2.10"};
  request.dry_run = true;
  CHECK_THROWS_AS(tree.run(request), std::logic_error); // the unscripted first request
  CHECK(tree.transport.requests().size() == 1);
}

TEST_CASE("certonly with only --cert-name takes the names of its certificate", "[certonly]") {
  TreeWithLineage tree;
  auto request = tree.request();
  request.cert_name = "a.example.com";
  auto result = tree.run(request); // DNS and IP names: the same set, so not due and kept
  CHECK(result.outcome == issuance::CertonlyResult::Outcome::kept);
  CHECK(result.lineage_name == "a.example.com");
  CHECK(tree.transport.requests().empty());

  request.force_renewal = true; // renewing asks for the same names
  CHECK_THROWS_AS(tree.run(request), std::logic_error);
  CHECK(tree.transport.requests().size() == 1);
}

TEST_CASE("certonly without names and without an existing --cert-name is refused", "[certonly]") {
  TreeWithLineage tree;
  auto request = tree.request();
  CHECK_THROWS_AS(tree.run(request), UsageError);
  request.cert_name = "b.example.com";
  CHECK_THROWS_AS(tree.run(request), UsageError);
  for (const char* hostile : {"../a.example.com", ".hidden", "a/b", ""}) {
    request.cert_name = hostile;
    CHECK_THROWS_AS(tree.run(request), UsageError);
  }
  CHECK(tree.transport.requests().empty());
}

namespace {

// What certonly asked through CertonlyRequest::confirm.
struct RecordedQuestion {
  int asked = 0;
  std::string question;
  bool non_interactive_answer = false;
  std::string flag_hint;
};

void answer_no(issuance::CertonlyRequest& request, RecordedQuestion& recorded) {
  request.confirm = [&recorded](const std::string& question, bool non_interactive_answer,
                                const std::string& flag_hint) {
    ++recorded.asked;
    recorded = {recorded.asked, question, non_interactive_answer, flag_hint};
    return false;
  };
}

} // namespace

TEST_CASE("certonly --cert-name with other names asks before replacing them", "[certonly]") {
  TreeWithLineage tree;
  auto request = tree.request();
  request.cert_name = "a.example.com";
  request.domains = {"a.example.com", "b.example.com"};
  request.webroot_map["b.example.com"] = tree.root.string();
  RecordedQuestion recorded;
  answer_no(request, recorded);
  CHECK_THROWS_WITH(tree.run(request), Catch::Contains("mismatched certificate name and domains"));
  CHECK(recorded.asked == 1);
  CHECK_THAT(recorded.question, Catch::Contains("new domain(s): b.example.com") &&
                                    Catch::Contains("removing previously included domain(s): "
                                                    "192.0.2.10"));
  CHECK(recorded.non_interactive_answer); // -n replaces them, as certbot's yesno default
  CHECK(recorded.flag_hint == "--renew-with-new-domains");
  CHECK(tree.transport.requests().empty());
}

TEST_CASE("certonly --renew-with-new-domains replaces the names and renews now without asking",
          "[certonly]") {
  TreeWithLineage tree; // 80 days left: not due
  auto request = tree.request();
  request.cert_name = "a.example.com";
  request.domains = {"b.example.com"};
  request.webroot_map = {{"b.example.com", tree.root.string()}};
  request.renew_with_new_domains = true;
  RecordedQuestion recorded;
  answer_no(request, recorded);
  CHECK_THROWS_AS(tree.run(request), std::logic_error); // the CA is reached: the unscripted request
  CHECK(recorded.asked == 0);
  CHECK(tree.transport.requests().size() == 1);
}

TEST_CASE("certonly --renew-with-new-domains with the lineage's own names keeps it while not due",
          "[certonly]") {
  TreeWithLineage tree; // certbot: the flag only answers the question of other names
  auto request = tree.request();
  request.cert_name = "a.example.com";
  request.domains = {"a.example.com"};
  request.ip_addresses = {"192.0.2.10"};
  request.renew_with_new_domains = true;
  CHECK(tree.run(request).outcome == issuance::CertonlyResult::Outcome::kept);
  CHECK(tree.transport.requests().empty());
}
