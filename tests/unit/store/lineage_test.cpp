#include "store/config_obj.hpp"
#include "store/fault_injection.hpp"
#include "store/lineage.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

using certsmith::StorageError;
using certsmith::UsageError;
using namespace certsmith::store;
using certsmith::store::test::make_certificate_files;
using certsmith::store::test::mode_of;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

const char* const k_kinds[] = {"cert", "privkey", "chain", "fullchain"};

RenewalParams webroot_params() {
  RenewalParams params;
  params.account = "6f1d25935e7421d8a9a1b800427025f5";
  params.authenticator = "webroot";
  params.server = "https://127.0.0.1:14000/dir";
  params.key_type = "ecdsa";
  params.webroot_path = {"/var/www/html"};
  params.webroot_map = {{"example.com", "/var/www/html"}};
  return params;
}

// Removes the fault hook however a test ends.
struct FaultHook {
  explicit FaultHook(std::string step) {
    testing::set_fault_hook([step](std::string_view at) {
      if (at == step) {
        throw StorageError("injected failure at " + step);
      }
    });
  }
  ~FaultHook() { testing::set_fault_hook(nullptr); }
};

// Every live symlink is relative, resolves, and points to version `version`.
void check_live_set(const Lineage& lineage, int version) {
  auto live = lineage.live_dir();
  for (const char* kind : k_kinds) {
    auto link = live / (std::string(kind) + ".pem");
    CAPTURE(link);
    REQUIRE(fs::is_symlink(link));
    auto target = fs::read_symlink(link);
    CHECK(target.is_relative());
    CHECK(target == fs::path("../../archive") / lineage.name() /
                        (std::string(kind) + std::to_string(version) + ".pem"));
    CHECK(fs::exists(link));
  }
  CHECK(slurp(live / "README") == live_readme(false));
  CHECK(lineage.current_version() == version);
}

void check_no_leftovers(const TreePaths& paths) {
  for (const auto& dir : {paths.live_dir(), paths.archive_dir(), paths.renewal_dir()}) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      CAPTURE(entry.path());
      CHECK(entry.path().filename().string().front() != '.');
    }
  }
}

} // namespace

TEST_CASE("lineage: create writes certbot's layout", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto files = make_certificate_files("example.com");
  auto lineage = create_lineage(paths, "example.com", files, webroot_params());

  CHECK(lineage.name() == "example.com");
  CHECK(mode_of(paths.archive_dir()) == 0700);
  CHECK(mode_of(paths.live_dir()) == 0700);
  CHECK(mode_of(paths.renewal_dir()) == 0700);
  CHECK(mode_of(paths.lineage_archive_dir("example.com")) == 0755);
  CHECK(mode_of(paths.lineage_live_dir("example.com")) == 0755);
  auto archive = paths.lineage_archive_dir("example.com");
  CHECK(slurp(archive / "cert1.pem") == files.cert_pem);
  CHECK(slurp(archive / "chain1.pem") == files.chain_pem);
  CHECK(slurp(archive / "fullchain1.pem") == files.fullchain_pem);
  CHECK(slurp(archive / "privkey1.pem") == files.privkey_pem);
  CHECK(mode_of(archive / "privkey1.pem") == 0600);
  CHECK(mode_of(archive / "cert1.pem") == 0644);
  CHECK(mode_of(paths.renewal_conf("example.com")) == 0644);
  CHECK(slurp(paths.live_dir() / "README") == live_readme(true));
  check_live_set(lineage, 1);
  CHECK(lineage.latest_version() == 1);
  CHECK(lineage.read_cert_pem() == files.cert_pem);
  CHECK(lineage.read_current().fullchain_pem == files.fullchain_pem);
  check_no_leftovers(paths);

  auto config = fs::absolute(paths.config_dir).string();
  CHECK(slurp(paths.renewal_conf("example.com")) ==
        "# renew_before_expiry = 30 days\n"
        "version = 2.1.0\n"
        "archive_dir = " +
            config +
            "/archive/example.com\n"
            "cert = " +
            config +
            "/live/example.com/cert.pem\n"
            "privkey = " +
            config +
            "/live/example.com/privkey.pem\n"
            "chain = " +
            config +
            "/live/example.com/chain.pem\n"
            "fullchain = " +
            config +
            "/live/example.com/fullchain.pem\n"
            "\n"
            "# Options used in the renewal process\n"
            "[renewalparams]\n"
            "account = 6f1d25935e7421d8a9a1b800427025f5\n"
            "authenticator = webroot\n"
            "webroot_path = /var/www/html,\n"
            "server = https://127.0.0.1:14000/dir\n"
            "key_type = ecdsa\n"
            "[[webroot_map]]\n"
            "example.com = /var/www/html\n");

  auto loaded = Lineage::load(paths, "example.com");
  CHECK(loaded.params() == webroot_params());
  CHECK(loaded.archive_dir() == archive);
  CHECK(Lineage::list_names(paths) == std::vector<std::string>{"example.com"});
}

TEST_CASE("lineage: create refuses a taken name and bad names", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto files = make_certificate_files("example.com");
  create_lineage(paths, "example.com", files, webroot_params());
  CHECK_THROWS_AS(create_lineage(paths, "example.com", files, webroot_params()), StorageError);
  fs::create_directories(paths.lineage_archive_dir("other"));
  spit(paths.lineage_archive_dir("other") / "cert1.pem", "x");
  CHECK_THROWS_AS(create_lineage(paths, "other", files, webroot_params()), StorageError);
  CHECK_THROWS_AS(create_lineage(paths, "../../evil", files, webroot_params()), UsageError);
  auto empty = files;
  empty.privkey_pem.clear();
  CHECK_THROWS_AS(create_lineage(paths, "third", empty, webroot_params()), StorageError);
  CHECK_FALSE(fs::exists(paths.lineage_archive_dir("third")));
}

TEST_CASE("lineage: a failed create leaves nothing behind", "[store][lineage]") {
  for (const char* step : {"create:archive-written", "create:before-conf"}) {
    CAPTURE(step);
    TempTree tree;
    auto paths = tree.paths();
    {
      FaultHook hook(step);
      CHECK_THROWS_AS(create_lineage(paths, "example.com", make_certificate_files("example.com"),
                                     webroot_params()),
                      StorageError);
    }
    CHECK_FALSE(fs::exists(paths.lineage_archive_dir("example.com")));
    CHECK_FALSE(fs::exists(paths.lineage_live_dir("example.com")));
    CHECK_FALSE(fs::exists(paths.renewal_conf("example.com")));
    check_no_leftovers(paths);
    CHECK(Lineage::list_names(paths).empty());
  }
}

TEST_CASE("lineage: save_successor switches the whole live set", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto first = make_certificate_files("example.com");
  auto lineage = create_lineage(paths, "example.com", first, webroot_params());
  // Keys certbot does not know about and we do not model survive renewals.
  {
    auto conf_text = slurp(paths.renewal_conf("example.com"));
    conf_text.insert(conf_text.find("[[webroot_map]]"), "dns_plugin_option = keep me\n");
    spit(paths.renewal_conf("example.com"), conf_text);
  }
  spit(lineage.live_dir() / "combined.pem", "a hook's file");
  lineage = Lineage::load(paths, "example.com");

  auto second = make_certificate_files("example.com");
  auto params = webroot_params();
  params.renew_hook = "systemctl reload nginx";
  CHECK(save_successor(lineage, second, params) == 2);

  check_live_set(lineage, 2);
  CHECK(lineage.latest_version() == 2);
  CHECK(lineage.read_current().privkey_pem == second.privkey_pem);
  auto archive = paths.lineage_archive_dir("example.com");
  CHECK(slurp(archive / "cert1.pem") == first.cert_pem);
  CHECK(mode_of(archive / "privkey2.pem") == 0600);
  CHECK(mode_of(lineage.live_dir()) == 0755);
  CHECK(slurp(lineage.live_dir() / "combined.pem") == "a hook's file");
  check_no_leftovers(paths);

  auto reloaded = Lineage::load(paths, "example.com");
  CHECK(reloaded.params().renew_hook == "systemctl reload nginx");
  CHECK(reloaded.conf().root().section("renewalparams")->get("dns_plugin_option") == "keep me");
  CHECK(reloaded.current_version() == 2);

  CHECK(save_successor(reloaded, make_certificate_files("example.com"), params) == 3);
  check_live_set(reloaded, 3);
}

TEST_CASE("lineage: numbering continues after the highest archive file", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage =
      create_lineage(paths, "example.com", make_certificate_files("example.com"), webroot_params());
  // A partial version 4 left by a certbot crash: not complete, but its number is taken.
  spit(paths.lineage_archive_dir("example.com") / "chain4.pem", "partial");
  CHECK(lineage.latest_version() == 1);
  CHECK(lineage.max_archive_version() == 4);
  CHECK(save_successor(lineage, make_certificate_files("example.com"), webroot_params()) == 5);
  check_live_set(lineage, 5);
}

TEST_CASE("lineage: the new key keeps the group bits of the old one, never world bits",
          "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage =
      create_lineage(paths, "example.com", make_certificate_files("example.com"), webroot_params());
  auto archive = paths.lineage_archive_dir("example.com");
  ::chmod((archive / "privkey1.pem").c_str(), 0644);
  save_successor(lineage, make_certificate_files("example.com"), webroot_params());
  CHECK(mode_of(archive / "privkey2.pem") == 0640);
  ::chmod((archive / "privkey2.pem").c_str(), 0600);
  save_successor(lineage, make_certificate_files("example.com"), webroot_params());
  CHECK(mode_of(archive / "privkey3.pem") == 0600);
}

TEST_CASE("lineage: a failure before the switch leaves version 1 live", "[store][lineage]") {
  for (const char* step : {"successor:archive-written", "successor:before-exchange"}) {
    CAPTURE(step);
    TempTree tree;
    auto paths = tree.paths();
    auto first = make_certificate_files("example.com");
    auto lineage = create_lineage(paths, "example.com", first, webroot_params());
    auto conf_before = slurp(paths.renewal_conf("example.com"));
    auto params = webroot_params();
    params.authenticator = "standalone";
    {
      FaultHook hook(step);
      CHECK_THROWS_WITH(save_successor(lineage, make_certificate_files("example.com"), params),
                        std::string("injected failure at ") + step);
    }
    check_live_set(lineage, 1);
    CHECK(lineage.read_current().privkey_pem == first.privkey_pem);
    CHECK(lineage.max_archive_version() == 1);
    CHECK(slurp(paths.renewal_conf("example.com")) == conf_before);
    check_no_leftovers(paths);
    // And the next attempt works normally.
    CHECK(save_successor(lineage, make_certificate_files("example.com"), params) == 2);
    check_live_set(lineage, 2);
  }
}

TEST_CASE("lineage: a failure after the switch keeps the new set and a readable conf",
          "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage =
      create_lineage(paths, "example.com", make_certificate_files("example.com"), webroot_params());
  auto conf_before = slurp(paths.renewal_conf("example.com"));
  {
    FaultHook hook("successor:after-exchange");
    CHECK_THROWS_AS(
        save_successor(lineage, make_certificate_files("example.com"), webroot_params()),
        StorageError);
  }
  CHECK(slurp(paths.renewal_conf("example.com")) == conf_before);
  // The old set is still parked in live/.example.com.new; load cleans it up.
  CHECK(fs::exists(paths.live_dir() / ".example.com.new"));
  auto reloaded = Lineage::load(paths, "example.com");
  CHECK_FALSE(fs::exists(paths.live_dir() / ".example.com.new"));
  check_live_set(reloaded, 2);
  check_no_leftovers(paths);
}

TEST_CASE("lineage: load reports broken lineages in one line", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage =
      create_lineage(paths, "example.com", make_certificate_files("example.com"), webroot_params());
  auto conf_path = paths.renewal_conf("example.com");
  auto good = slurp(conf_path);
  auto message = [&] {
    try {
      Lineage::load(paths, "example.com");
    } catch (const StorageError& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  };

  CHECK_THROWS_AS(Lineage::load(paths, "missing"), StorageError);
  CHECK_THROWS_AS(Lineage::load(paths, "../renewal/example.com"), UsageError);

  spit(conf_path, good + "[renewalparams]\n");
  CHECK_THAT(message(), Catch::EndsWith("line 18: duplicate section 'renewalparams'"));

  std::string without_cert = good;
  without_cert.erase(without_cert.find("cert = "),
                     without_cert.find("privkey = ") - without_cert.find("cert = "));
  spit(conf_path, without_cert);
  CHECK(message() == conf_path.string() + ": missing 'cert'");

  spit(conf_path, good);
  auto chain_link = lineage.live_dir() / "chain.pem";
  fs::remove(chain_link);
  spit(chain_link, "a plain file");
  CHECK(message() == chain_link.string() + ": expected a symlink");

  fs::remove(chain_link);
  fs::create_symlink("../../archive/example.com/chain9.pem", chain_link);
  CHECK(message() ==
        chain_link.string() + ": its target ../../archive/example.com/chain9.pem does not exist");
}

TEST_CASE("lineage: list_names is sorted and skips bad names", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  CHECK(Lineage::list_names(paths).empty());
  fs::create_directories(paths.renewal_dir());
  for (const char* file : {"b.example.conf", "a.example.conf", ".hidden.conf", "-x.conf",
                           "notes.txt", "a.example.conf.bak"}) {
    spit(paths.renewal_dir() / file, "");
  }
  CHECK(Lineage::list_names(paths) == std::vector<std::string>{"a.example", "b.example"});
}

TEST_CASE("lineage: a conf pointing outside a live directory is not switched", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage =
      create_lineage(paths, "example.com", make_certificate_files("example.com"), webroot_params());
  auto conf_path = paths.renewal_conf("example.com");
  auto conf = ConfigObj::parse(slurp(conf_path), "x");
  // Links scattered over two directories cannot be switched in one step.
  fs::create_directories(tree.root() / "elsewhere");
  fs::create_symlink(lineage.live_dir() / fs::read_symlink(lineage.chain_path()),
                     tree.root() / "elsewhere" / "chain-abs.pem");
  conf.root().set("chain", (tree.root() / "elsewhere" / "chain-abs.pem").string());
  spit(conf_path, conf.to_string());
  auto scattered = Lineage::load(paths, "example.com");
  CHECK_THROWS_WITH(
      save_successor(scattered, make_certificate_files("example.com"), webroot_params()),
      Catch::EndsWith("the live files of example.com are not in one directory"));
  CHECK(scattered.max_archive_version() == 1);
}

TEST_CASE("lineage: a failure between syncing and renaming the batch leaves nothing new",
          "[store][lineage][batch]") {
  TempTree tree;
  auto paths = tree.paths();
  {
    FaultHook hook("batch:before-rename");
    CHECK_THROWS_AS(create_lineage(paths, "example.com", make_certificate_files("example.com"),
                                   webroot_params()),
                    StorageError);
  }
  CHECK_FALSE(fs::exists(paths.lineage_archive_dir("example.com")));
  CHECK_FALSE(fs::exists(paths.lineage_live_dir("example.com")));
  CHECK_FALSE(fs::exists(paths.live_dir() / "README"));
  CHECK(fs::is_empty(paths.renewal_dir()));
  check_no_leftovers(paths);

  auto first = make_certificate_files("example.com");
  auto lineage = create_lineage(paths, "example.com", first, webroot_params());
  auto params = webroot_params();
  params.authenticator = "standalone"; // so that the conf is staged too
  auto conf_before = slurp(paths.renewal_conf("example.com"));
  {
    FaultHook hook("batch:before-rename");
    CHECK_THROWS_AS(save_successor(lineage, make_certificate_files("example.com"), params),
                    StorageError);
  }
  check_live_set(lineage, 1);
  CHECK(lineage.read_current().privkey_pem == first.privkey_pem);
  CHECK(lineage.max_archive_version() == 1);
  CHECK(slurp(paths.renewal_conf("example.com")) == conf_before);
  check_no_leftovers(paths);
}

TEST_CASE("lineage: a renewal rewrites the conf only when its options changed",
          "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage =
      create_lineage(paths, "example.com", make_certificate_files("example.com"), webroot_params());
  auto conf_path = paths.renewal_conf("example.com");
  struct stat before {};
  REQUIRE(::stat(conf_path.c_str(), &before) == 0);
  auto text_before = slurp(conf_path);
  CHECK(save_successor(lineage, make_certificate_files("example.com"), webroot_params()) == 2);
  struct stat after {};
  REQUIRE(::stat(conf_path.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK(slurp(conf_path) == text_before);

  auto params = webroot_params();
  params.renew_hook = "systemctl reload nginx";
  CHECK(save_successor(lineage, make_certificate_files("example.com"), params) == 3);
  REQUIRE(::stat(conf_path.c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);
  CHECK(Lineage::load(paths, "example.com").params().renew_hook == "systemctl reload nginx");
  CHECK(lineage.params().renew_hook == "systemctl reload nginx");
  check_no_leftovers(paths);
}

TEST_CASE("lineage: the live README is carried over, as certbot leaves it", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage =
      create_lineage(paths, "example.com", make_certificate_files("example.com"), webroot_params());
  spit(lineage.live_dir() / "README", "edited by the admin\n");
  CHECK(save_successor(lineage, make_certificate_files("example.com"), webroot_params()) == 2);
  CHECK(slurp(lineage.live_dir() / "README") == "edited by the admin\n");
  // A README removed by hand comes back.
  fs::remove(lineage.live_dir() / "README");
  CHECK(save_successor(lineage, make_certificate_files("example.com"), webroot_params()) == 3);
  check_live_set(lineage, 3);
}
