#include "store/account_renewal_refs.hpp"
#include "store_fixtures.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace certsmith::store;
using certsmith::store::test::mode_of;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;

namespace {

const std::string k_server = "https://127.0.0.1:14000/dir";
const std::string k_old = "6f1d25935e7421d8a9a1b800427025f5";
const std::string k_new = "caec58d5922156d0cda3be33f47307db";

std::string conf_text(const std::string& account, const std::string& server) {
  return "# renew_before_expiry = 30 days\n"
         "version = 2.1.0\n"
         "cert = /x/live/a/cert.pem\n"
         "\n"
         "# Options used in the renewal process\n"
         "[renewalparams]\n"
         "account = " +
         account + "  # inline comment kept\n" +
         (server.empty() ? "" : "server = " + server + "\n") + "authenticator = standalone\n";
}

} // namespace

TEST_CASE("renewal confs of the old account id follow the new one, byte for byte otherwise",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  std::filesystem::create_directories(paths.renewal_dir());
  spit(paths.renewal_conf("mine"), conf_text(k_old, k_server));
  spit(paths.renewal_conf("no-server"), conf_text(k_old, ""));
  spit(paths.renewal_conf("other-server"), conf_text(k_old, "https://ca.example/dir"));
  spit(paths.renewal_conf("other-account"), conf_text(k_new, k_server));
  spit(paths.renewal_conf("broken"), "[renewalparams\naccount = " + k_old + "\n");
  std::filesystem::permissions(paths.renewal_conf("mine"), std::filesystem::perms(0600));

  auto changed = repoint_renewal_confs(paths, k_server, k_old, k_new);
  CHECK(changed == std::vector<std::string>{"mine", "no-server"});

  std::string expected = conf_text(k_new, k_server);
  CHECK(slurp(paths.renewal_conf("mine")) == expected);
  CHECK(mode_of(paths.renewal_conf("mine")) == 0600);
  CHECK(slurp(paths.renewal_conf("no-server")) == conf_text(k_new, ""));
  CHECK(slurp(paths.renewal_conf("other-server")) == conf_text(k_old, "https://ca.example/dir"));
  CHECK(slurp(paths.renewal_conf("broken")).starts_with("[renewalparams\n"));
  // No temp files left.
  for (const auto& entry : std::filesystem::directory_iterator(paths.renewal_dir()))
    CHECK(entry.path().filename().string().front() != '.');
}

TEST_CASE("a renewal conf that is a symlink is not replaced", "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  std::filesystem::create_directories(paths.renewal_dir());
  auto target = tree.root() / "elsewhere.conf";
  spit(target, conf_text(k_old, k_server));
  std::filesystem::create_symlink(target, paths.renewal_conf("linked"));
  CHECK(repoint_renewal_confs(paths, k_server, k_old, k_new).empty());
  CHECK(std::filesystem::is_symlink(paths.renewal_conf("linked")));
  CHECK(slurp(target) == conf_text(k_old, k_server));
}

TEST_CASE("no renewal directory means nothing to repoint", "[store][accounts]") {
  TempTree tree;
  CHECK(repoint_renewal_confs(tree.paths(), k_server, k_old, k_new).empty());
}
