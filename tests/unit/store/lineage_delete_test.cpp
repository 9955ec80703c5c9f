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
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

RenewalParams standalone_params() {
  RenewalParams params;
  params.authenticator = "standalone";
  params.server = "https://127.0.0.1:14000/dir";
  params.key_type = "ecdsa";
  return params;
}

// Every path below root, symlinks not followed, relative to root.
std::set<std::string> listing(const fs::path& root) {
  std::set<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it)
    paths.insert(fs::relative(it->path(), root).string());
  return paths;
}

struct DeleteFixture {
  TempTree tree;
  TreePaths paths = tree.paths();
  DeleteFixture() {
    create_lineage(paths, "a.example.com", make_certificate_files("a.example.com"),
                   standalone_params());
    create_lineage(paths, "b.example.com", make_certificate_files("b.example.com"),
                   standalone_params());
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

TEST_CASE_METHOD(DeleteFixture, "delete: an archive_dir elsewhere is left alone",
                 "[store][delete]") {
  fs::path elsewhere = tree.root() / "elsewhere";
  fs::create_directories(elsewhere);
  spit(elsewhere / "cert1.pem", "not ours");
  spit(paths.renewal_conf("a.example.com"),
       "archive_dir = " + elsewhere.string() + "\n" + slurp(paths.renewal_conf("a.example.com")));
  delete_lineage(paths, "a.example.com");
  CHECK(slurp(elsewhere / "cert1.pem") == "not ours");
  CHECK_FALSE(fs::exists(paths.lineage_archive_dir("a.example.com")));
}

TEST_CASE_METHOD(DeleteFixture, "delete: a lineage with a corrupt conf can still be deleted",
                 "[store][delete]") {
  spit(paths.renewal_conf("a.example.com"), "[[[ not a conf\n");
  delete_lineage(paths, "a.example.com");
  CHECK_FALSE(fs::exists(paths.lineage_live_dir("a.example.com")));
  CHECK(Lineage::list_names(paths) == std::vector<std::string>{"b.example.com"});
}
