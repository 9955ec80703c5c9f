#include "issuance/reconfigure.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using certsmith::UsageError;
using certsmith::issuance::apply_changes;
using certsmith::issuance::dry_run_server_for;
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
  RenewalChanges changes;
  changes.key_type = "dsa";
  CHECK_THROWS_AS(apply_changes(standalone_params(), changes, {"a.example"}), UsageError);
  changes.key_type = "rsa";
  changes.rsa_key_size = 4096;
  RenewalParams after = apply_changes(standalone_params(), changes, {"a.example"});
  CHECK(after.key_type == "rsa");
  CHECK(after.rsa_key_size == 4096);
}

TEST_CASE("reconfigure: a dry run for Let's Encrypt production goes to staging") {
  CHECK(dry_run_server_for("https://acme-v02.api.letsencrypt.org/directory") ==
        "https://acme-staging-v02.api.letsencrypt.org/directory");
  CHECK(dry_run_server_for("https://ca.example/dir") == "https://ca.example/dir");
}
