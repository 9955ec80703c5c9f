#include "store/lineage.hpp"
#include "store/lineage_check.hpp"
#include "store/live_repair.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>

using certsmith::StorageError;
using certsmith::UsageError;
using namespace certsmith::store;
using certsmith::store::test::lineage_with_versions;
using certsmith::store::test::make_certificate_files;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::standalone_params;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

const char* const k_kinds[] = {"cert", "privkey", "chain", "fullchain"};

// Every live link is relative and names version `version` of the lineage's archive.
void check_points_at(const TreePaths& paths, const std::string& name, int version) {
  auto live = paths.lineage_live_dir(name);
  for (const char* kind : k_kinds) {
    auto link = live / (std::string(kind) + ".pem");
    CAPTURE(link);
    REQUIRE(fs::is_symlink(link));
    CHECK(fs::read_symlink(link) == fs::path("../../archive") / name /
                                        (std::string(kind) + std::to_string(version) + ".pem"));
  }
  CHECK(check_lineage(paths, Lineage::load_for_check(paths, name)).ok());
}

void set_conf_value(const TreePaths& paths, const std::string& name, const std::string& key,
                    const std::string& value) {
  auto conf = paths.renewal_conf(name);
  std::string text = slurp(conf);
  auto start = text.find(key + " = ");
  REQUIRE(start != std::string::npos);
  auto end = text.find('\n', start);
  text.replace(start, end - start, key + " = " + value);
  spit(conf, text);
}

} // namespace

TEST_CASE("live repair: a link to the wrong file is repaired, keeping the user's files") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  spit(lineage.live_dir() / "user-notes.txt", "mine\n");
  fs::remove(lineage.chain_path());
  fs::create_symlink("../../archive/example.com/cert2.pem", lineage.chain_path());

  LiveRepair repair = repair_live_links(tree.paths(), "example.com");
  CHECK(repair.changed);
  CHECK(repair.version == 2);
  check_points_at(tree.paths(), "example.com", 2);
  CHECK(slurp(lineage.live_dir() / "user-notes.txt") == "mine\n");
  CHECK(fs::is_regular_file(lineage.live_dir() / "README"));
  CHECK_FALSE(fs::exists(tree.paths().live_dir() / ".example.com.new"));
}

TEST_CASE("live repair: never rolls the links back below the version they name") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  auto archive = tree.paths().lineage_archive_dir("example.com");
  // Version 1 is complete, but its key may be revoked or its certificate expired.
  SECTION("a file of the named version is missing") {
    fs::remove(archive / "chain2.pem");
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("chain2.pem: missing"));
  }
  SECTION("links disagree and the newest version they name is incomplete") {
    fs::remove(lineage.cert_path());
    fs::create_symlink("../../archive/example.com/cert1.pem", lineage.cert_path());
    fs::remove(archive / "privkey2.pem");
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("privkey2.pem: missing"));
    CHECK(fs::read_symlink(lineage.cert_path()) == "../../archive/example.com/cert1.pem");
  }
  CHECK(fs::read_symlink(lineage.chain_path()) == "../../archive/example.com/chain2.pem");
}

TEST_CASE("live repair: links of an incomplete version move forward to a newer complete one") {
  TempTree tree;
  Lineage lineage = create_lineage(tree.paths(), "example.com",
                                   make_certificate_files("example.com"), standalone_params());
  auto archive = tree.paths().lineage_archive_dir("example.com");
  // A crash after version 2's files were written, before the links were switched.
  auto files = make_certificate_files("example.com");
  spit(archive / "cert2.pem", files.cert_pem);
  spit(archive / "privkey2.pem", files.privkey_pem);
  spit(archive / "chain2.pem", files.chain_pem);
  spit(archive / "fullchain2.pem", files.fullchain_pem);
  fs::remove(archive / "fullchain1.pem");
  CHECK(repair_live_links(tree.paths(), "example.com").version == 2);
  check_points_at(tree.paths(), "example.com", 2);
}

TEST_CASE("live repair: a missing link and links that disagree are repaired") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  fs::remove(lineage.fullchain_path());
  fs::remove(lineage.chain_path());
  fs::create_symlink("../../archive/example.com/chain1.pem", lineage.chain_path());
  CHECK(repair_live_links(tree.paths(), "example.com").version == 2);
  check_points_at(tree.paths(), "example.com", 2);
}

TEST_CASE("live repair: consistent links are rewritten relative into archive_dir, as certbot") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  auto archive = fs::absolute(tree.paths().lineage_archive_dir("example.com"));
  // Absolute links (as an old tool or a restored backup may leave) at version 1.
  for (const char* kind : k_kinds) {
    auto link = lineage.live_dir() / (std::string(kind) + ".pem");
    fs::remove(link);
    fs::create_symlink(archive / (std::string(kind) + "1.pem"), link);
  }
  LiveRepair repair = repair_live_links(tree.paths(), "example.com");
  CHECK(repair.changed);
  CHECK(repair.version == 1); // the version the links named, not the newest
  check_points_at(tree.paths(), "example.com", 1);

  LiveRepair again = repair_live_links(tree.paths(), "example.com");
  CHECK_FALSE(again.changed);
  CHECK(again.version == 1);
}

TEST_CASE("live repair: a missing live directory is recreated") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  fs::remove_all(lineage.live_dir());
  CHECK(repair_live_links(tree.paths(), "example.com").version == 2);
  check_points_at(tree.paths(), "example.com", 2);
}

TEST_CASE("live repair: refusals change nothing") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  auto live = lineage.live_dir();

  SECTION("an archive_dir outside config/archive") {
    fs::create_directories(tree.root() / "outside");
    for (const char* kind : k_kinds)
      fs::copy_file(tree.paths().lineage_archive_dir("example.com") / (std::string(kind) + "2.pem"),
                    tree.root() / "outside" / (std::string(kind) + "2.pem"));
    set_conf_value(tree.paths(), "example.com", "archive_dir", (tree.root() / "outside").string());
    fs::remove(lineage.cert_path());
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("outside") && Catch::Contains("only links to an archive"));
    CHECK_FALSE(fs::is_symlink(fs::symlink_status(lineage.cert_path())));
  }
  SECTION("an archive dir that is a symlink") {
    auto archive = tree.paths().lineage_archive_dir("example.com");
    fs::rename(archive, tree.root() / "moved");
    fs::create_directory_symlink(tree.root() / "moved", archive);
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("not a directory"));
  }
  SECTION("a live directory that is a symlink") {
    fs::rename(live, tree.root() / "live-elsewhere");
    fs::create_directory_symlink(tree.root() / "live-elsewhere", live);
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("not a directory"));
    CHECK(fs::is_symlink(live));
  }
  SECTION("a plain file where a link belongs") {
    fs::remove(lineage.chain_path());
    spit(lineage.chain_path(), "my own chain\n");
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("chain.pem: not a symlink"));
    CHECK(slurp(lineage.chain_path()) == "my own chain\n");
  }
  SECTION("links the conf names outside config/live: the directory there is left alone") {
    // `cert = /tmp/victim/cert.pem`: the victim directory keeps its inode, owner and files.
    auto victim = tree.root() / "victim";
    fs::create_directories(victim);
    spit(victim / "data", "precious\n");
    struct stat before {};
    REQUIRE(::stat(victim.c_str(), &before) == 0);
    for (const char* kind : k_kinds)
      set_conf_value(tree.paths(), "example.com", kind,
                     (victim / (std::string(kind) + ".pem")).string());
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("outside") && Catch::Contains("live"));
    struct stat after {};
    REQUIRE(::stat(victim.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);
    CHECK(slurp(victim / "data") == "precious\n");
    CHECK_FALSE(fs::exists(victim / "cert.pem"));
    CHECK_FALSE(fs::exists(tree.root() / ".victim.new"));
  }
  SECTION("links in a directory nested below config/live") {
    auto nested = live / "deeper";
    for (const char* kind : k_kinds)
      set_conf_value(tree.paths(), "example.com", kind,
                     (nested / (std::string(kind) + ".pem")).string());
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"), Catch::Contains("outside"));
    CHECK_FALSE(fs::exists(nested));
  }
  SECTION("config/live itself named as the live directory") {
    for (const char* kind : k_kinds)
      set_conf_value(tree.paths(), "example.com", kind,
                     (tree.paths().live_dir() / (std::string(kind) + ".pem")).string());
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"), Catch::Contains("outside"));
    CHECK_FALSE(fs::exists(fs::symlink_status(tree.paths().live_dir() / "cert.pem")));
  }
  SECTION("a relative link path, which would depend on the working directory") {
    set_conf_value(tree.paths(), "example.com", "cert", "live/example.com/cert.pem");
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("not an absolute path"));
  }
  SECTION("no version left that is complete and consistent") {
    auto archive = tree.paths().lineage_archive_dir("example.com");
    fs::remove(archive / "chain1.pem");
    fs::remove(archive / "chain2.pem");
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("chain2.pem: missing"));
    CHECK(fs::read_symlink(lineage.cert_path()) == "../../archive/example.com/cert2.pem");
  }
  SECTION("the version the links agree on is inconsistent: no silent rollback") {
    auto archive = tree.paths().lineage_archive_dir("example.com");
    spit(archive / "privkey2.pem", make_certificate_files("x.example").privkey_pem);
    CHECK_THROWS_WITH(repair_live_links(tree.paths(), "example.com"),
                      Catch::Contains("privkey2.pem: does not match cert2.pem"));
    CHECK(fs::read_symlink(lineage.cert_path()) == "../../archive/example.com/cert2.pem");
  }
  CHECK_FALSE(fs::exists(tree.paths().live_dir() / ".example.com.new"));
}

TEST_CASE("live repair: names are checked and a missing conf is refused") {
  TempTree tree;
  CHECK_THROWS_AS(repair_live_links(tree.paths(), "../etc"), UsageError);
  CHECK_THROWS_AS(repair_live_links(tree.paths(), "absent.example"), StorageError);
}
