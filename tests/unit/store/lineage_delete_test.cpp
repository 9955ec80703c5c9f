#include "store/fault_injection.hpp"
#include "store/lineage.hpp"
#include "store/lineage_delete.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

using certsmith::StorageError;
using certsmith::UsageError;
using namespace certsmith::store;
using certsmith::store::test::make_certificate_files;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::standalone_params;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

// Every path below root, symlinks not followed, relative to root.
std::set<std::string> listing(const fs::path& root) {
  std::set<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it)
    paths.insert(fs::relative(it->path(), root).string());
  return paths;
}

// Point the conf's archive_dir (create_lineage writes one) at `archive`.
void set_archive_dir(const fs::path& conf, const std::string& archive) {
  std::string text = slurp(conf);
  const std::string key = "archive_dir = ";
  auto at = text.find(key);
  REQUIRE(at != std::string::npos);
  text.replace(at, text.find('\n', at) - at, key + archive);
  spit(conf, text);
}

struct DeleteFixture {
  TempTree tree;
  TreePaths paths = tree.paths();
  DeleteFixture() {
    create_lineage(paths, "a.example.com", make_certificate_files("a.example.com"),
                   standalone_params("ecdsa"));
    create_lineage(paths, "b.example.com", make_certificate_files("b.example.com"),
                   standalone_params("ecdsa"));
  }
};

struct FaultAt {
  explicit FaultAt(std::string step) {
    testing::set_fault_hook([step](std::string_view at) {
      if (at == step)
        throw StorageError("injected failure at " + step);
    });
  }
  ~FaultAt() { testing::set_fault_hook(nullptr); }
};

} // namespace

TEST_CASE_METHOD(DeleteFixture, "delete: removes exactly one lineage", "[store][delete]") {
  delete_lineage(paths, "a.example.com");
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.renewal_conf("a.example.com"))));
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_live_dir("a.example.com"))));
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_archive_dir("a.example.com"))));
  CHECK(Lineage::list_names(paths) == std::vector<std::string>{"b.example.com"});
  CHECK_NOTHROW(Lineage::load(paths, "b.example.com"));
  CHECK(fs::exists(paths.live_dir() / "README"));
}

TEST_CASE_METHOD(DeleteFixture, "delete: the renewal conf goes first", "[store][delete]") {
  {
    FaultAt crash("delete:conf-removed");
    CHECK_THROWS_AS(delete_lineage(paths, "a.example.com"), StorageError);
  }
  // A crash right after the first step leaves no conf naming missing files:
  // the lineage is simply no longer listed, and its files are still there.
  CHECK_FALSE(fs::exists(paths.renewal_conf("a.example.com")));
  CHECK(fs::exists(paths.lineage_live_dir("a.example.com") / "cert.pem"));
  CHECK(Lineage::list_names(paths) == std::vector<std::string>{"b.example.com"});
  {
    FaultAt crash("delete:live-removed");
    spit(paths.renewal_conf("a.example.com"), "version = 2.1.0\n"); // the conf again
    CHECK_THROWS_AS(delete_lineage(paths, "a.example.com"), StorageError);
  }
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_live_dir("a.example.com"))));
  CHECK(fs::exists(paths.lineage_archive_dir("a.example.com")));
}

TEST_CASE_METHOD(DeleteFixture, "delete: an unknown name is refused and nothing changes",
                 "[store][delete]") {
  auto before = listing(tree.root());
  CHECK_THROWS_AS(delete_lineage(paths, "c.example.com"), LineageNotFound);
  CHECK_THROWS_WITH(delete_lineage(paths, "c.example.com"),
                    Catch::StartsWith("No certificate found with name c.example.com"));
  // live/ and archive/ entries without a conf are not a lineage either.
  CHECK_THROWS_AS(delete_lineage(paths, "README"), LineageNotFound);
  CHECK(listing(tree.root()) == before);
}

TEST_CASE_METHOD(DeleteFixture, "delete: hostile names are refused before anything is touched",
                 "[store][delete]") {
  auto before = listing(tree.root());
  for (const char* name :
       {"../x", "a/b", ".hidden", "..", ".", "", "-rf", "../renewal/b.example.com"}) {
    CAPTURE(name);
    CHECK_THROWS_AS(delete_lineage(paths, name), UsageError);
  }
  CHECK(listing(tree.root()) == before);
}

TEST_CASE_METHOD(DeleteFixture, "delete: a symlinked live dir is unlinked, never followed",
                 "[store][delete]") {
  // Somewhere outside the tree that must survive.
  fs::path outside = tree.root() / "outside";
  fs::create_directories(outside / "deeper");
  spit(outside / "precious.txt", "keep me");
  spit(outside / "deeper" / "also.txt", "keep me too");

  fs::remove_all(paths.lineage_live_dir("a.example.com"));
  fs::create_directory_symlink(outside, paths.lineage_live_dir("a.example.com"));
  // And a link inside the archive pointing out: removed as a link.
  fs::create_directory_symlink(outside, paths.lineage_archive_dir("a.example.com") / "escape");

  delete_lineage(paths, "a.example.com");
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_live_dir("a.example.com"))));
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_archive_dir("a.example.com"))));
  CHECK(slurp(outside / "precious.txt") == "keep me");
  CHECK(slurp(outside / "deeper" / "also.txt") == "keep me too");
}

TEST_CASE_METHOD(DeleteFixture,
                 "delete: an archive_dir outside archive/ is refused, nothing changed",
                 "[store][delete]") {
  fs::path elsewhere = tree.root() / "elsewhere";
  fs::create_directories(elsewhere);
  spit(elsewhere / "cert1.pem", "not ours");
  set_archive_dir(paths.renewal_conf("a.example.com"), elsewhere.string());
  auto before = listing(tree.root());
  CHECK_THROWS_AS(delete_lineage(paths, "a.example.com"), DeleteRefused);
  CHECK_THROWS_WITH(delete_lineage(paths, "a.example.com"),
                    Catch::Contains(elsewhere.string()) && Catch::Contains("outside"));
  CHECK(listing(tree.root()) == before);
  CHECK(slurp(elsewhere / "cert1.pem") == "not ours");
}

TEST_CASE_METHOD(DeleteFixture, "delete: hostile archive_dir values are refused, nothing changed",
                 "[store][delete]") {
  const std::string conf = slurp(paths.renewal_conf("a.example.com"));
  auto before = listing(tree.root());
  for (std::string archive :
       {paths.archive_dir().string(), (paths.archive_dir() / "..").string(),
        (paths.archive_dir() / ".." / "renewal").string(),
        (paths.archive_dir() / "a.example.com" / ".." / "..").string(), std::string("archive/a"),
        std::string("/"), (paths.archive_dir() / ".").string()}) {
    CAPTURE(archive);
    spit(paths.renewal_conf("a.example.com"), conf);
    set_archive_dir(paths.renewal_conf("a.example.com"), archive);
    before = listing(tree.root());
    CHECK_THROWS_AS(delete_lineage(paths, "a.example.com"), DeleteRefused);
    CHECK(listing(tree.root()) == before);
  }
}

TEST_CASE_METHOD(DeleteFixture, "delete: a custom archive_dir inside archive/ is removed",
                 "[store][delete]") {
  // The conf, not the lineage name, says where the archive is (certbot's full_archive_path).
  fs::rename(paths.lineage_archive_dir("a.example.com"), paths.archive_dir() / "custom");
  for (const char* kind : {"cert", "chain", "fullchain", "privkey"}) {
    fs::path link = paths.lineage_live_dir("a.example.com") / (std::string(kind) + ".pem");
    fs::remove(link);
    fs::create_symlink(fs::path("../../archive/custom") / (std::string(kind) + "1.pem"), link);
  }
  set_archive_dir(paths.renewal_conf("a.example.com"), (paths.archive_dir() / "custom").string());
  delete_lineage(paths, "a.example.com");
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.archive_dir() / "custom")));
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_live_dir("a.example.com"))));
  CHECK_NOTHROW(Lineage::load(paths, "b.example.com"));
}

TEST_CASE_METHOD(DeleteFixture, "delete: files a user added to live/NAME survive",
                 "[store][delete]") {
  fs::path live = paths.lineage_live_dir("a.example.com");
  spit(live / "dhparams.pem", "mine");
  delete_lineage(paths, "a.example.com");
  // certbot removes only the four links and README, then the directory if empty.
  CHECK(slurp(live / "dhparams.pem") == "mine");
  CHECK_FALSE(fs::exists(fs::symlink_status(live / "cert.pem")));
  CHECK_FALSE(fs::exists(fs::symlink_status(live / "privkey.pem")));
  CHECK_FALSE(fs::exists(fs::symlink_status(live / "chain.pem")));
  CHECK_FALSE(fs::exists(fs::symlink_status(live / "fullchain.pem")));
  CHECK_FALSE(fs::exists(fs::symlink_status(live / "README")));
  CHECK_FALSE(fs::exists(paths.renewal_conf("a.example.com")));
  CHECK_FALSE(fs::exists(fs::symlink_status(paths.lineage_archive_dir("a.example.com"))));
}

TEST_CASE_METHOD(DeleteFixture, "delete: a regular file where a link should be is left",
                 "[store][delete]") {
  fs::path live = paths.lineage_live_dir("a.example.com");
  fs::remove(live / "cert.pem");
  spit(live / "cert.pem", "a copy the user put there");
  delete_lineage(paths, "a.example.com");
  CHECK(slurp(live / "cert.pem") == "a copy the user put there");
  CHECK_FALSE(fs::exists(fs::symlink_status(live / "privkey.pem")));
}

TEST_CASE_METHOD(DeleteFixture, "delete: links the conf names outside live/NAME are not touched",
                 "[store][delete]") {
  // A conf whose links point into another lineage must not break that lineage.
  std::string conf = slurp(paths.renewal_conf("a.example.com"));
  const std::string own = paths.lineage_live_dir("a.example.com").string();
  const std::string other = paths.lineage_live_dir("b.example.com").string();
  for (std::size_t at = conf.find(own); at != std::string::npos; at = conf.find(own, at))
    conf.replace(at, own.size(), other);
  spit(paths.renewal_conf("a.example.com"), conf);
  delete_lineage(paths, "a.example.com");
  CHECK_NOTHROW(Lineage::load(paths, "b.example.com"));
}

TEST_CASE_METHOD(DeleteFixture, "delete: an archive_dir another lineage uses is refused",
                 "[store][delete]") {
  // certbot's match_and_check_overlaps: deleting would break b.example.com.
  const std::string conf = slurp(paths.renewal_conf("a.example.com"));
  set_archive_dir(paths.renewal_conf("a.example.com"),
                  paths.lineage_archive_dir("b.example.com").string());
  auto before = listing(tree.root());
  CHECK_THROWS_AS(delete_lineage(paths, "a.example.com"), SharedArchiveDir);
  CHECK_THROWS_WITH(delete_lineage(paths, "a.example.com"),
                    Catch::Contains("overlapping archive dirs") &&
                        Catch::Contains("More than one certificate is using"));
  CHECK(listing(tree.root()) == before);
  CHECK_NOTHROW(Lineage::load(paths, "b.example.com"));

  // And the other way round: b's conf names a's default archive.
  spit(paths.renewal_conf("a.example.com"), conf);
  set_archive_dir(paths.renewal_conf("b.example.com"),
                  paths.lineage_archive_dir("a.example.com").string());
  before = listing(tree.root());
  try {
    delete_lineage(paths, "a.example.com");
    FAIL("no refusal");
  } catch (const SharedArchiveDir& refused) {
    CHECK(refused.archive_dir() == paths.lineage_archive_dir("a.example.com"));
  }
  CHECK(listing(tree.root()) == before);
}

TEST_CASE_METHOD(DeleteFixture, "delete: a lineage with a corrupt conf can still be deleted",
                 "[store][delete]") {
  spit(paths.renewal_conf("a.example.com"), "[[[ not a conf\n");
  delete_lineage(paths, "a.example.com");
  CHECK_FALSE(fs::exists(paths.lineage_live_dir("a.example.com")));
  CHECK_FALSE(fs::exists(paths.lineage_archive_dir("a.example.com")));
  CHECK(Lineage::list_names(paths) == std::vector<std::string>{"b.example.com"});
}
