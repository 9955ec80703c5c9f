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
  spit(paths.renewal_conf("spelled-otherwise"), conf_text(k_old, "HTTPS://127.0.0.1:14000/dir/"));
  spit(paths.renewal_conf("other-account"), conf_text(k_new, k_server));
  spit(paths.renewal_conf("broken"), "[renewalparams\naccount = " + k_old + "\n");
  std::filesystem::permissions(paths.renewal_conf("mine"), std::filesystem::perms(0600));

  auto refs = repoint_renewal_confs(paths, k_server, k_old, k_new);
  CHECK(refs.lineages == std::vector<std::string>{"mine", "no-server", "spelled-otherwise"});
  // The unparsable conf names the old id in its text: it stays behind, and says so.
  REQUIRE(refs.stuck.size() == 1);
  CHECK(refs.stuck[0].starts_with(paths.renewal_conf("broken").string() + ": "));

  std::string expected = conf_text(k_new, k_server);
  CHECK(slurp(paths.renewal_conf("mine")) == expected);
  CHECK(mode_of(paths.renewal_conf("mine")) == 0600);
  CHECK(slurp(paths.renewal_conf("no-server")) == conf_text(k_new, ""));
  CHECK(slurp(paths.renewal_conf("other-server")) == conf_text(k_old, "https://ca.example/dir"));
  CHECK(slurp(paths.renewal_conf("spelled-otherwise")) ==
        conf_text(k_new, "HTTPS://127.0.0.1:14000/dir/"));
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
  auto refs = repoint_renewal_confs(paths, k_server, k_old, k_new);
  CHECK(refs.lineages.empty());
  REQUIRE(refs.stuck.size() == 1);
  CHECK(refs.stuck[0] == paths.renewal_conf("linked").string() + ": not a regular file");
  CHECK(std::filesystem::is_symlink(paths.renewal_conf("linked")));
  CHECK(slurp(target) == conf_text(k_old, k_server));
}

TEST_CASE("no renewal directory means nothing to repoint", "[store][accounts]") {
  TempTree tree;
  auto refs = repoint_renewal_confs(tree.paths(), k_server, k_old, k_new);
  CHECK(refs.lineages.empty());
  CHECK(refs.stuck.empty());
}

TEST_CASE("find_renewal_refs lists what a repoint would do and writes nothing",
          "[store][accounts]") {
  TempTree tree;
  auto paths = tree.paths();
  std::filesystem::create_directories(paths.renewal_dir());
  spit(paths.renewal_conf("mine"), conf_text(k_old, k_server));
  spit(paths.renewal_conf("broken-other"), "[renewalparams\naccount = " + k_new + "\n");
  spit(paths.renewal_conf("broken-mine"), "[renewalparams\naccount = " + k_old + "\n");
  auto refs = find_renewal_refs(paths, k_server, k_old);
  CHECK(refs.lineages == std::vector<std::string>{"mine"});
  REQUIRE(refs.stuck.size() == 1);
  CHECK(refs.stuck[0].starts_with(paths.renewal_conf("broken-mine").string()));
  CHECK(slurp(paths.renewal_conf("mine")) == conf_text(k_old, k_server));
}

TEST_CASE("server URLs compare without host case or trailing slash", "[store][accounts]") {
  CHECK(same_server_url("https://CA.example/dir", "https://ca.example/dir/"));
  CHECK(same_server_url("HTTPS://ca.example:14000/dir//", "https://ca.example:14000/dir"));
  CHECK(same_server_url("https://ca.example", "https://ca.example/"));
  CHECK_FALSE(same_server_url("https://ca.example/dir", "https://ca.example/DIR"));
  CHECK_FALSE(same_server_url("https://ca.example/dir", "https://ca.example/dir2"));
  CHECK_FALSE(same_server_url("https://ca.example:14000/dir", "https://ca.example/dir"));
  CHECK_FALSE(same_server_url("http://ca.example/dir", "https://ca.example/dir"));
}
