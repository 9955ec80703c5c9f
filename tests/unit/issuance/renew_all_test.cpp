#include "issuance/renew_all.hpp"
#include "store/lineage.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_process_runner.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/scripted_transport.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace certsmith;
using namespace std::chrono;

namespace {

struct Tree {
  std::filesystem::path root;
  store::TreePaths paths;
  Tree() {
    char pattern[] = "/tmp/certsmith-renew-XXXXXX";
    root = mkdtemp(pattern);
    paths = store::TreePaths::under(root);
  }
  ~Tree() { std::filesystem::remove_all(root); }

  // A lineage whose certificate runs from not_before for `lifetime`.
  void add_lineage(const std::string& name, system_clock::time_point not_before,
                   system_clock::duration lifetime) {
    auto key = crypto::PrivateKey::generate({});
    crypto::test::CertificateSpec spec;
    spec.dns_names = {name};
    spec.not_before = not_before;
    spec.not_after = not_before + lifetime;
    std::string cert = crypto::test::make_certificate_pem(spec, key, key);
    store::RenewalParams params;
    params.authenticator = "standalone";
    params.server = "https://ca.test/dir";
    params.key_type = "ecdsa";
    params.renew_hook = "deploy-" + name;
    store::create_lineage(paths, name, {cert, cert, cert + cert, key.to_pem()}, params);
  }
};

struct Fixture {
  Tree tree;
  testing::FakeClock clock{system_clock::now()};
  testing::ScriptedTransport transport;
  testing::FakeProcessRunner runner;
  issuance::RenewOptions options;

  Fixture() {
    options.paths = tree.paths;
    options.hooks.pre_hooks = {"pre"};
    options.hooks.post_hooks = {"post"};
    options.hooks.renewal_hooks_dir = tree.paths.renewal_hooks_dir();
    options.http01_port = 0; // never bind a real port 80 in unit tests
    options.http01_address = "127.0.0.1";
    options.account.register_unsafely_without_email = true;
    options.account.agree_tos = true;
  }
  issuance::RenewSummary run() { return issuance::renew_all(options, transport, clock, runner); }
};

} // namespace

TEST_CASE_METHOD(Fixture, "nothing due: no request to the CA and no hooks") {
  tree.add_lineage("a.example.com", clock.now(), hours(24 * 90));
  tree.add_lineage("b.example.com", clock.now(), hours(24 * 90));
  auto summary = run();
  REQUIRE(summary.outcomes.size() == 2);
  for (const auto& outcome : summary.outcomes) {
    CHECK(outcome.action == issuance::LineageOutcome::Action::not_due);
    CHECK_THAT(outcome.reason, Catch::Contains("not due until"));
  }
  CHECK(transport.requests().empty());
  CHECK(runner.requests().empty());
  CHECK_FALSE(summary.any_failed());
}

TEST_CASE_METHOD(Fixture, "a due lineage that fails is reported and hooks see it as failed") {
  tree.add_lineage("due.example.com", clock.now() - hours(24 * 80), hours(24 * 90));
  tree.add_lineage("fine.example.com", clock.now(), hours(24 * 90));
  transport.expect([](const http::Request&) -> http::Response {
    throw NetworkError("cannot connect to ca.test:443: Connection refused");
  });
  auto summary = run();
  REQUIRE(summary.outcomes.size() == 2);
  CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::failed);
  CHECK_THAT(summary.outcomes[0].reason, Catch::Contains("Connection refused"));
  CHECK(summary.outcomes[1].action == issuance::LineageOutcome::Action::not_due);
  CHECK(summary.any_failed());
  // pre once, no deploy (nothing renewed), post once with the failed domain.
  auto programs = runner.programs();
  REQUIRE(programs == std::vector<std::string>{"pre", "post"});
  auto post = runner.requests()[1];
  CHECK(testing::FakeProcessRunner::env_of(post, "FAILED_DOMAINS") == "due.example.com");
  CHECK(testing::FakeProcessRunner::env_of(post, "RENEWED_DOMAINS") == "");
}

TEST_CASE_METHOD(Fixture, "a corrupt renewal conf fails that lineage only") {
  tree.add_lineage("good.example.com", clock.now(), hours(24 * 90));
  std::ofstream(tree.paths.renewal_conf("bad.example.com")) << "[renewalparams\ncert = \n";
  auto summary = run();
  REQUIRE(summary.outcomes.size() == 2);
  CHECK(summary.outcomes[0].name == "bad.example.com");
  CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::failed);
  CHECK(summary.outcomes[1].action == issuance::LineageOutcome::Action::not_due);
  CHECK(runner.requests().empty());
}

TEST_CASE_METHOD(Fixture, "a named lineage must exist and have a safe name") {
  options.cert_names = {"missing.example.com"};
  CHECK_THROWS_AS(run(), UsageError);
  options.cert_names = {"../../etc"};
  CHECK_THROWS_AS(run(), UsageError);
}

TEST_CASE_METHOD(Fixture, "forced renewal of a not-due lineage is attempted") {
  tree.add_lineage("a.example.com", clock.now(), hours(24 * 90));
  options.force_renewal = true;
  transport.expect([](const http::Request&) -> http::Response { throw NetworkError("offline"); });
  auto summary = run();
  REQUIRE(summary.outcomes.size() == 1);
  CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::failed);
  CHECK(summary.outcomes[0].reason == "offline");
  CHECK(runner.programs() == std::vector<std::string>{"pre", "post"});
}

TEST_CASE_METHOD(Fixture, "an unexpected exception in a worker fails that lineage, not the run") {
  tree.add_lineage("a.example.com", clock.now(), hours(24 * 90));
  options.force_renewal = true;
  transport.expect(
      [](const http::Request&) -> http::Response { throw std::runtime_error("out of something"); });
  auto summary = run();
  REQUIRE(summary.outcomes.size() == 1);
  CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::failed);
  CHECK(summary.outcomes[0].reason == "internal error: out of something");
}

TEST_CASE_METHOD(Fixture, "dns-rfc2136 and tls-alpn-01 flags override the conf and are saved") {
  tree.add_lineage("a.example.com", clock.now() - 80 * 24h, 90 * 24h);
  auto lineage = store::Lineage::load(tree.paths, "a.example.com");
  auto unchanged = issuance::renewal_params_for(options, lineage);
  CHECK(unchanged.dns_rfc2136_credentials.empty());
  CHECK(!unchanged.dns_rfc2136_propagation_seconds);
  CHECK(!unchanged.tls_alpn01_port);

  options.dns_rfc2136_credentials = "relative/../rfc2136.ini";
  options.dns_rfc2136_propagation_seconds = 45;
  options.dns_resolvers = {"192.0.2.53:5353"};
  options.tls_alpn01_port = 8443;
  auto params = issuance::renewal_params_for(options, lineage);
  CHECK(params.dns_rfc2136_credentials ==
        (std::filesystem::current_path() / "rfc2136.ini").lexically_normal().string());
  CHECK(params.dns_rfc2136_propagation_seconds == 45);
  CHECK(params.dns_resolvers == std::vector<std::string>{"192.0.2.53:5353"});
  CHECK(params.tls_alpn01_port == 8443);
}

namespace {

// certbot's `--no-autorenew` leaves `autorenew = False` in [renewalparams].
void set_autorenew(const store::TreePaths& paths, const std::string& name, const char* value) {
  auto conf_path = paths.renewal_conf(name);
  std::ifstream in(conf_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto conf = store::ConfigObj::parse(text, conf_path.string());
  conf.root().section("renewalparams")->set("autorenew", value);
  std::ofstream(conf_path, std::ios::trunc) << conf.to_string();
}

} // namespace

TEST_CASE_METHOD(Fixture, "autorenew = False: a due lineage is skipped without asking the CA") {
  tree.add_lineage("off.example.com", clock.now() - hours(24 * 85), hours(24 * 90));
  set_autorenew(tree.paths, "off.example.com", "False");
  auto summary = run();
  REQUIRE(summary.outcomes.size() == 1);
  CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::not_due);
  CHECK(summary.outcomes[0].reason == "automatic renewal is disabled (autorenew = False)");
  CHECK(transport.requests().empty()); // not even ARI, as certbot
  CHECK(runner.requests().empty());
  CHECK_FALSE(summary.any_failed());
}

TEST_CASE_METHOD(Fixture, "autorenew = False: a bad renew_before_expiry is not warned about") {
  tree.add_lineage("off.example.com", clock.now(), hours(24 * 90));
  tree.add_lineage("on.example.com", clock.now(), hours(24 * 90));
  set_autorenew(tree.paths, "off.example.com", "False");
  for (const char* name : {"off.example.com", "on.example.com"}) {
    auto conf_path = tree.paths.renewal_conf(name);
    std::ifstream in(conf_path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto conf = store::ConfigObj::parse(text, conf_path.string());
    conf.root().set("renew_before_expiry", "soon");
    std::ofstream(conf_path, std::ios::trunc) << conf.to_string();
  }
  auto log = tree.root / "renew.log";
  util::open_log_file(log);
  auto summary = run();
  util::close_log_file();
  std::ifstream in(log);
  std::string logged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(logged, Catch::Contains("on.example.com: ignoring renew_before_expiry = 'soon'"));
  CHECK_THAT(logged, !Catch::Contains("off.example.com: ignoring renew_before_expiry"));
  CHECK_FALSE(summary.any_failed());
}

TEST_CASE_METHOD(Fixture,
                 "autorenew = False yields to --force-renewal, as certbot's should_renew") {
  tree.add_lineage("off.example.com", clock.now(), hours(24 * 90));
  set_autorenew(tree.paths, "off.example.com", "false");
  options.force_renewal = true;
  transport.expect([](const http::Request&) -> http::Response { throw NetworkError("offline"); });
  auto summary = run();
  REQUIRE(summary.outcomes.size() == 1);
  CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::failed);
  CHECK(summary.outcomes[0].reason == "offline"); // it was attempted
}

TEST_CASE_METHOD(Fixture,
                 "autorenew = True or absent renews as usual; a bad value fails the lineage") {
  tree.add_lineage("on.example.com", clock.now(), hours(24 * 90));
  set_autorenew(tree.paths, "on.example.com", "True");
  tree.add_lineage("bad.example.com", clock.now(), hours(24 * 90));
  set_autorenew(tree.paths, "bad.example.com", "maybe");
  auto summary = run();
  REQUIRE(summary.outcomes.size() == 2);
  CHECK(summary.outcomes[0].name == "bad.example.com");
  CHECK(summary.outcomes[0].action == issuance::LineageOutcome::Action::failed);
  CHECK_THAT(summary.outcomes[0].reason, Catch::Contains("autorenew must be True or False"));
  CHECK(summary.outcomes[1].action == issuance::LineageOutcome::Action::not_due);
  CHECK_THAT(summary.outcomes[1].reason, Catch::Contains("not due until"));
}

TEST_CASE_METHOD(Fixture,
                 "autorenew overrides (--autorenew / --no-autorenew) on renew are saved like certbot's overrides") {
  tree.add_lineage("a.example.com", clock.now(), hours(24 * 90));
  set_autorenew(tree.paths, "a.example.com", "False");
  auto lineage = store::Lineage::load(tree.paths, "a.example.com");
  CHECK(issuance::renewal_params_for(options, lineage).autorenew == false);
  options.autorenew = true;
  CHECK(issuance::renewal_params_for(options, lineage).autorenew == true);
}
