// --serve-token-dir is a setting of serve lineages only (review B 8): renew
// saves it into the conf of a lineage renewed with -a serve and leaves every
// other conf alone; reconfigure -a serve --serve-token-dir saves it.
#include "issuance/reconfigure.hpp"
#include "issuance/renew_all.hpp"
#include "store/lineage.hpp"
#include "support/openssl_fixtures.hpp"
#include "support/temp_tree.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <unistd.h>

using namespace certsmith;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct Tree : testing::TempTree {
  Tree() : testing::TempTree("serve-params") {}

  store::Lineage add_lineage(const std::string& name, const std::string& authenticator) {
    auto key = crypto::PrivateKey::generate({});
    crypto::test::CertificateSpec spec;
    spec.dns_names = {name};
    spec.not_before = std::chrono::system_clock::now();
    spec.not_after = spec.not_before + std::chrono::hours(24 * 90);
    const std::string cert = crypto::test::make_certificate_pem(spec, key, key);
    store::RenewalParams params;
    params.authenticator = authenticator;
    params.server = "https://ca.test/dir";
    if (authenticator == "webroot")
      params.webroot_map[name] = "/var/www";
    if (authenticator == "serve")
      params.serve_token_dir = "/srv/old-tokens";
    store::create_lineage(paths, name, {cert, cert, cert + cert, key.to_pem()}, params);
    return store::Lineage::load(paths, name);
  }
};

std::string absolute_of(const std::string& path) {
  return fs::absolute(path).lexically_normal().string();
}

} // namespace

TEST_CASE("renew --serve-token-dir changes only lineages renewed with -a serve",
          "[issuance][serve]") {
  Tree tree;
  issuance::RenewOptions options;
  options.paths = tree.paths;
  options.serve_token_dir = "relative/tokens";
  const auto served = tree.add_lineage("served.example", "serve");
  const auto webroot = tree.add_lineage("webroot.example", "webroot");
  const auto standalone = tree.add_lineage("standalone.example", "standalone");

  CHECK(issuance::renewal_params_for(options, served).serve_token_dir ==
        absolute_of("relative/tokens"));
  CHECK(issuance::renewal_params_for(options, webroot).serve_token_dir.empty());
  CHECK(issuance::renewal_params_for(options, standalone).serve_token_dir.empty());
  // -a serve on the command line makes it a serve lineage from now on.
  options.authenticator = "serve";
  CHECK(issuance::renewal_params_for(options, standalone).serve_token_dir ==
        absolute_of("relative/tokens"));
}

TEST_CASE("reconfigure -a serve --serve-token-dir saves the directory", "[issuance][serve]") {
  store::RenewalParams webroot;
  webroot.authenticator = "webroot";
  webroot.server = "https://ca.test/dir";
  webroot.webroot_map["a.example"] = "/var/www";
  const std::vector<std::string> names = {"a.example"};

  issuance::RenewalChanges to_serve;
  to_serve.authenticator = "serve";
  to_serve.serve_token_dir = "relative/tokens";
  const auto served = issuance::apply_changes(webroot, to_serve, names);
  CHECK(served.authenticator == "serve");
  CHECK(served.serve_token_dir == absolute_of("relative/tokens"));
  CHECK(served.webroot_map.empty());

  // On a serve lineage the directory alone may change.
  issuance::RenewalChanges moved;
  moved.serve_token_dir = "/srv/tokens";
  CHECK(issuance::apply_changes(served, moved, names).serve_token_dir == "/srv/tokens");

  // Away from serve, the directory goes with it.
  issuance::RenewalChanges to_standalone;
  to_standalone.authenticator = "standalone";
  CHECK(issuance::apply_changes(served, to_standalone, names).serve_token_dir.empty());

  // A token directory for a lineage that does not use serve is a mistake, said at once.
  CHECK_THROWS_WITH(issuance::apply_changes(webroot, moved, names),
                    Contains("--serve-token-dir") && Contains("-a serve"));
}
