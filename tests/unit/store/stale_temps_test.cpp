#include "store/lineage.hpp"
#include "store/stale_temps.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

using certsmith::StorageError;
using namespace certsmith::store;
using certsmith::store::test::make_certificate_files;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::standalone_params;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

bool present(const fs::path& path) {
  return fs::exists(fs::symlink_status(path));
}

// What a kill -9 between FileBatch::stage and publish leaves behind.
std::vector<fs::path> plant_crash_leftovers(const TreePaths& paths, const std::string& name) {
  auto archive = paths.lineage_archive_dir(name);
  fs::create_directories(archive);
  std::vector<fs::path> planted = {
      archive / ".privkey26.pem.tmp.1a2b3c4d5e6f",
      archive / ".cert26.pem.tmp.abc",
      archive / ".chain2.pem.tmp.0123456789abcdef01234567",
      archive / ".fullchain2.pem.tmp.ff00ff",
      paths.renewal_dir() / ("." + name + ".conf.tmp.9f8e7d"),
  };
  for (const auto& path : planted) {
    spit(path, "-----BEGIN PRIVATE KEY-----\nleftover\n");
  }
  return planted;
}

// Names that look alike but are not temp files this code made for `name`.
std::vector<fs::path> plant_look_alikes(const TreePaths& paths, const std::string& name,
                                        const std::string& other) {
  auto archive = paths.lineage_archive_dir(name);
  auto renewal = paths.renewal_dir();
  std::vector<fs::path> planted = {
      archive / ".privkey1.pem.tmp",                              // no hex
      archive / ".privkey1.pem.tmp.",                             // empty hex
      archive / ".privkey1.pem.tmp.ab",                           // too short for temp_sibling
      archive / ".privkey1.pem.tmp.0123456789abcdef012345678",    // too long
      archive / ".privkey1.pem.tmp.ABCDEF",                       // upper case
      archive / ".privkey1.pem.tmp.12g4",                         // not hex
      archive / ".privkey1.pem.new.abcdef",                       // other suffix
      archive / ".privkey.pem.tmp.abcdef",                        // no version
      archive / ".key1.pem.tmp.abcdef",                           // not one of the four kinds
      archive / ".notes.txt.tmp.abcdef",                          // a user's temp file
      archive / "privkey1.pem.tmp.abcdef",                        // no leading dot
      archive / "notes.txt",                                      // a user's file
      renewal / ("." + other + ".conf.tmp.abcdef"),               // another lineage's temp
      renewal / ("." + name + ".conf.bak.abcdef"),                // other suffix
      renewal / (name + ".conf.tmp.abcdef"),                      // no leading dot
      renewal / (".x" + name + ".conf.tmp.abcdef"),               // another name
      paths.lineage_archive_dir(other) / ".cert1.pem.tmp.abcdef", // another lineage's archive
  };
  for (const auto& path : planted) {
    fs::create_directories(path.parent_path());
    spit(path, "keep me");
  }
  // Symlinks and directories with a temp name were not made by FileBatch.
  auto outside = paths.config_dir.parent_path() / "outside.pem";
  spit(outside, "a file outside the tree");
  fs::create_symlink(outside, archive / ".cert7.pem.tmp.abcdef");
  fs::create_symlink(outside, renewal / ("." + name + ".conf.tmp.abcdef0"));
  fs::create_directory(archive / ".chain7.pem.tmp.abcdef");
  planted.push_back(archive / ".cert7.pem.tmp.abcdef");
  planted.push_back(renewal / ("." + name + ".conf.tmp.abcdef0"));
  planted.push_back(archive / ".chain7.pem.tmp.abcdef");
  planted.push_back(outside);
  return planted;
}

} // namespace

TEST_CASE("stale temps: a renewal removes what a killed write left, and nothing else",
          "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage = create_lineage(paths, "example.com", make_certificate_files("example.com"),
                                standalone_params("ecdsa"));
  create_lineage(paths, "other.org", make_certificate_files("other.org"),
                 standalone_params("ecdsa"));
  auto leftovers = plant_crash_leftovers(paths, "example.com");
  auto look_alikes = plant_look_alikes(paths, "example.com", "other.org");
  auto live_temp = paths.live_dir() / ".README.tmp.abcdef";
  spit(live_temp, "half a README");

  CHECK(save_successor(lineage, make_certificate_files("example.com"),
                       standalone_params("ecdsa")) == 2);

  for (const auto& path : leftovers) {
    CAPTURE(path);
    CHECK_FALSE(present(path));
  }
  for (const auto& path : look_alikes) {
    CAPTURE(path);
    CHECK(present(path));
  }
  CHECK(slurp(paths.lineage_archive_dir("example.com") / "notes.txt") == "keep me");
  CHECK(fs::is_symlink(paths.lineage_archive_dir("example.com") / ".cert7.pem.tmp.abcdef"));
  CHECK(slurp(paths.config_dir.parent_path() / "outside.pem") == "a file outside the tree");
  // A renewal does not write live/README, so it leaves live/ alone.
  CHECK(present(live_temp));
  CHECK(Lineage::load(paths, "example.com").current_version() == 2);
}

TEST_CASE("stale temps: creating a lineage removes a killed creation's temp files",
          "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  create_lineage(paths, "other.org", make_certificate_files("other.org"),
                 standalone_params("ecdsa"));
  auto leftovers = plant_crash_leftovers(paths, "example.com");
  // Rename the planted files to what a killed first creation writes: version 1.
  auto archive = paths.lineage_archive_dir("example.com");
  for (auto& path : leftovers) {
    if (path.parent_path() == archive) {
      auto renamed =
          archive / ("." + std::string("privkey1.pem.tmp.") +
                     path.filename().string().substr(path.filename().string().rfind('.') + 1));
      fs::rename(path, renamed);
      path = renamed;
    }
  }
  auto live_temp = paths.live_dir() / ".README.tmp.1234abcd";
  spit(live_temp, "half a README");
  auto other_temp = paths.renewal_dir() / ".other.org.conf.tmp.abcdef";
  spit(other_temp, "another lineage's");

  create_lineage(paths, "example.com", make_certificate_files("example.com"),
                 standalone_params("ecdsa"));

  for (const auto& path : leftovers) {
    CAPTURE(path);
    CHECK_FALSE(present(path));
  }
  CHECK_FALSE(present(live_temp));
  CHECK(present(other_temp));
}

TEST_CASE("stale temps: missing directories and hostile names are harmless", "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  CHECK(remove_stale_temps({"example.com", tree.root() / "nowhere", tree.root() / "none", {}}) ==
        0);
  fs::create_directories(paths.renewal_dir());
  // A name that would match every conf if it were used as a pattern.
  spit(paths.renewal_dir() / ".a.conf.tmp.abcdef", "keep");
  CHECK(remove_stale_temps({"*", {}, paths.renewal_dir(), {}}) == 0);
  CHECK(present(paths.renewal_dir() / ".a.conf.tmp.abcdef"));
  CHECK(remove_stale_temps({"a", {}, paths.renewal_dir(), {}}) == 1);
}

TEST_CASE("lineage: load_for_check reads the conf only; verify checks the links",
          "[store][lineage]") {
  TempTree tree;
  auto paths = tree.paths();
  auto created = create_lineage(paths, "example.com", make_certificate_files("example.com"),
                                standalone_params("ecdsa"));
  auto chain_link = created.live_dir() / "chain.pem";
  fs::remove(chain_link);
  auto pending = paths.live_dir() / ".example.com.new";
  fs::create_directory(pending);

  auto light = Lineage::load_for_check(paths, "example.com");
  CHECK(light.cert_path() == created.cert_path());
  CHECK(light.chain_path() == chain_link);
  CHECK(light.archive_dir() == created.archive_dir());
  CHECK(light.params().authenticator == "standalone");
  CHECK(present(pending)); // no crash cleanup without verify()

  try {
    light.verify();
    FAIL("verify accepted a missing chain link");
  } catch (const StorageError& error) {
    CHECK(std::string(error.what()) == chain_link.string() + ": expected a symlink");
  }
  CHECK_FALSE(present(pending));
  CHECK_THROWS_AS(Lineage::load(paths, "example.com"), StorageError);

  // The conf's own errors come from the light load too.
  CHECK_THROWS_AS(Lineage::load_for_check(paths, "missing.example"), StorageError);
  CHECK_THROWS_AS(Lineage::load_for_check(paths, "../renewal/example.com"), certsmith::UsageError);
  spit(paths.renewal_conf("example.com"), "cert = \n");
  CHECK_THROWS_AS(Lineage::load_for_check(paths, "example.com"), StorageError);
}
