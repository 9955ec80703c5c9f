#include "store/archive_prune.hpp"
#include "store/lineage.hpp"
#include "store_fixtures.hpp"
#include "util/log.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <unistd.h>

using namespace certsmith::store;
using certsmith::store::test::make_certificate_files;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

const char* const k_kinds[] = {"cert", "privkey", "chain", "fullchain"};

// Versions present for `kind` (exact "<kind><N>.pem" regular files only).
std::set<int> versions_of(const fs::path& archive, const std::string& kind) {
  std::set<int> versions;
  for (int n = 0; n <= 20; ++n) {
    auto path = archive / (kind + std::to_string(n) + ".pem");
    if (fs::is_regular_file(fs::symlink_status(path))) {
      versions.insert(n);
    }
  }
  return versions;
}

std::set<int> range(int first, int last) {
  std::set<int> versions;
  for (int n = first; n <= last; ++n) {
    versions.insert(n);
  }
  return versions;
}

// create_lineage plus save_successor until version `count` is live.
Lineage lineage_with_versions(const TreePaths& paths, int count) {
  auto files = make_certificate_files("example.com");
  auto lineage = create_lineage(paths, "example.com", files, RenewalParams{});
  for (int n = 2; n <= count; ++n) {
    REQUIRE(save_successor(lineage, files, RenewalParams{}) == n);
  }
  return lineage;
}

// Point all four live links at version `version` by hand, as a user rolling back does.
void roll_back_to(const Lineage& lineage, int version) {
  for (const char* kind : k_kinds) {
    auto link = lineage.live_dir() / (std::string(kind) + ".pem");
    fs::remove(link);
    fs::create_symlink(fs::path("../../archive/example.com") /
                           (std::string(kind) + std::to_string(version) + ".pem"),
                       link);
  }
}

struct QuietTerminal {
  QuietTerminal() : m_saved(certsmith::util::terminal_level()) {
    certsmith::util::set_terminal_level(certsmith::util::LogLevel::quiet);
  }
  ~QuietTerminal() { certsmith::util::set_terminal_level(m_saved); }
  certsmith::util::LogLevel m_saved;
};

struct LogFile {
  explicit LogFile(const fs::path& path) { certsmith::util::open_log_file(path); }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile() { certsmith::util::close_log_file(); }
};

} // namespace

TEST_CASE("prune: eight renewals leave the current and five previous versions", "[store][prune]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage = lineage_with_versions(paths, 8);
  auto archive = paths.lineage_archive_dir("example.com");
  for (const char* kind : k_kinds) {
    CAPTURE(kind);
    CHECK(versions_of(archive, kind) == range(3, 8));
  }
  CHECK(lineage.current_version() == 8);
  CHECK(lineage.max_archive_version() == 8);
  // Numbering goes on from the highest number, never reusing a pruned one.
  CHECK(save_successor(lineage, make_certificate_files("example.com"), RenewalParams{}) == 9);
  CHECK(versions_of(archive, "privkey") == range(4, 9));
  CHECK(Lineage::load(paths, "example.com").current_version() == 9);
}

TEST_CASE("prune: up to six versions nothing is deleted", "[store][prune]") {
  TempTree tree;
  auto paths = tree.paths();
  auto lineage = lineage_with_versions(paths, 6);
  CHECK(versions_of(paths.lineage_archive_dir("example.com"), "cert") == range(1, 6));
  CHECK(prune_archive(lineage) == 0);
}

TEST_CASE("prune: the version the live links point to is kept even when old", "[store][prune]") {
  TempTree tree;
  auto paths = tree.paths();
  auto archive = paths.lineage_archive_dir("example.com");
  lineage_with_versions(paths, 6);
  roll_back_to(Lineage::load(paths, "example.com"), 1);
  auto lineage = Lineage::load(paths, "example.com");
  REQUIRE(lineage.current_version() == 1);
  // Versions 7 and 8 written by hand, live still on version 1: only version 2 may go.
  auto files = make_certificate_files("example.com");
  for (const char* kind : k_kinds) {
    spit(archive / (std::string(kind) + "7.pem"), "version 7");
    spit(archive / (std::string(kind) + "8.pem"), "version 8");
  }
  CHECK(prune_archive(lineage) == 4);
  for (const char* kind : k_kinds) {
    CAPTURE(kind);
    std::set<int> expected = range(3, 8);
    expected.insert(1);
    CHECK(versions_of(archive, kind) == expected);
  }
  CHECK(fs::exists(lineage.cert_path()));

  SECTION("keep_previous 0 keeps only the latest and the live version") {
    CHECK(prune_archive(lineage, 0) == 20);
    CHECK(versions_of(archive, "fullchain") == std::set<int>{1, 8});
    CHECK(prune_archive(lineage, -3) == 0);
    CHECK(versions_of(archive, "fullchain") == std::set<int>{1, 8});
  }
  SECTION("the next renewal moves live on, and the rolled-back version then ages out") {
    CHECK(save_successor(lineage, files, RenewalParams{}) == 9);
    CHECK(versions_of(archive, "cert") == range(4, 9));
  }
}

TEST_CASE("prune: a file a live link resolves to is kept whatever its name says",
          "[store][prune]") {
  TempTree tree;
  auto paths = tree.paths();
  auto archive = paths.lineage_archive_dir("example.com");
  lineage_with_versions(paths, 8);
  // A hand-made live link to a hard link of an old archive file: its name names no version.
  spit(archive / "chain1.pem", "old chain");
  fs::create_hard_link(archive / "chain1.pem", archive / "pinned-chain.pem");
  auto chain_link = paths.lineage_live_dir("example.com") / "chain.pem";
  fs::remove(chain_link);
  fs::create_symlink("../../archive/example.com/pinned-chain.pem", chain_link);
  auto lineage = Lineage::load(paths, "example.com");
  CHECK(prune_archive(lineage) == 0);
  CHECK(slurp(archive / "chain1.pem") == "old chain");
}

TEST_CASE("prune: hostile names in the archive are left alone", "[store][prune]") {
  TempTree tree;
  auto paths = tree.paths();
  auto archive = paths.lineage_archive_dir("example.com");
  auto lineage = lineage_with_versions(paths, 6);
  auto outside = tree.root() / "outside.pem";
  spit(outside, "not ours");
  const char* const hostile_files[] = {
      "cert1.pem.bak", "privkey01.pem", "cert0001.pem", "CERT1.pem",  "cert1.PEM", "cert-1.pem",
      "cert 1.pem",    "cert+1.pem",    ".cert1.pem",   "cert1.pem~", "xcert1.pem"};
  for (const char* name : hostile_files) {
    spit(archive / name, name);
  }
  fs::remove(archive / "chain2.pem");
  fs::create_directory(archive / "chain2.pem");
  spit(archive / "chain2.pem" / "inside", "inside");
  fs::remove(archive / "fullchain2.pem");
  fs::create_symlink(outside, archive / "fullchain2.pem");
  fs::remove(archive / "privkey2.pem");
  fs::create_symlink("cert99.pem", archive / "privkey2.pem"); // dangling

  // Versions 7 and 8: versions 1 and 2 fall out of the window.
  auto files = make_certificate_files("example.com");
  CHECK(save_successor(lineage, files, RenewalParams{}) == 7);
  CHECK(save_successor(lineage, files, RenewalParams{}) == 8);

  for (const char* name : hostile_files) {
    CAPTURE(name);
    CHECK(slurp(archive / name) == name);
  }
  CHECK(fs::is_directory(archive / "chain2.pem"));
  CHECK(slurp(archive / "chain2.pem" / "inside") == "inside");
  CHECK(fs::is_symlink(archive / "fullchain2.pem"));
  CHECK(slurp(outside) == "not ours");
  CHECK(fs::is_symlink(archive / "privkey2.pem"));
  CHECK_FALSE(fs::exists(archive / "cert1.pem"));
  CHECK_FALSE(fs::exists(archive / "privkey1.pem"));
  CHECK_FALSE(fs::exists(archive / "cert2.pem"));
  CHECK(versions_of(archive, "cert") == range(3, 8));
}

TEST_CASE("prune: partial old versions go, partial newer ones stay", "[store][prune]") {
  TempTree tree;
  auto paths = tree.paths();
  auto archive = paths.lineage_archive_dir("example.com");
  auto lineage = lineage_with_versions(paths, 8);
  spit(archive / "privkey2.pem", "a key left by a crash");
  spit(archive / "chain9.pem", "a partial newer version");
  CHECK(prune_archive(lineage) == 1);
  CHECK_FALSE(fs::exists(archive / "privkey2.pem"));
  CHECK(slurp(archive / "chain9.pem") == "a partial newer version");
}

TEST_CASE("prune: failures are logged, never thrown", "[store][prune]") {
  TempTree tree;
  auto paths = tree.paths();
  auto archive = paths.lineage_archive_dir("example.com");
  auto lineage = lineage_with_versions(paths, 8);
  for (const char* kind : k_kinds) {
    spit(archive / (std::string(kind) + "1.pem"), "old");
  }
  QuietTerminal quiet;
  auto log = tree.root() / "logs" / "letsencrypt.log";
  LogFile log_file(log);

  SECTION("a live link that does not resolve: nothing is deleted") {
    fs::remove(archive / "cert8.pem");
    CHECK(prune_archive(lineage) == 0);
    CHECK(fs::exists(archive / "privkey1.pem"));
    CHECK_THAT(slurp(log), Catch::Contains("not pruning the archive of example.com"));
  }
  SECTION("an archive that cannot be listed") {
    auto moved = tree.root() / "moved";
    fs::rename(archive, moved);
    spit(archive, "not a directory");
    CHECK(prune_archive(lineage) == 0);
    CHECK_THAT(slurp(log), Catch::Contains("pruning old versions failed"));
  }
  if (::geteuid() != 0) {
    SECTION("a read-only archive directory") {
      fs::permissions(archive, fs::perms::owner_write, fs::perm_options::remove);
      CHECK(prune_archive(lineage) == 0);
      CHECK(fs::exists(archive / "cert1.pem"));
      CHECK_THAT(slurp(log), Catch::Contains("cannot delete old version"));
    }
  }
}
