#include "store/lineage.hpp"
#include "store/lineage_check.hpp"
#include "store_fixtures.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace certsmith::store;
using certsmith::store::test::lineage_with_versions;
using certsmith::store::test::make_certificate_files;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::standalone_params;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

namespace {

LineageCheck check(const TreePaths& paths, const std::string& name = "example.com") {
  return check_lineage(paths, Lineage::load_for_check(paths, name));
}

} // namespace

TEST_CASE("lineage check: a lineage as certsmith writes it is consistent") {
  TempTree tree;
  lineage_with_versions(tree.paths(), "example.com", 2);
  LineageCheck result = check(tree.paths());
  CHECK(result.ok());
  CHECK(result.problem.empty());
  CHECK_FALSE(result.live_links_problem);
}

TEST_CASE("lineage check: a missing link is named and repairable to the current version") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  fs::remove(lineage.chain_path());
  LineageCheck result = check(tree.paths());
  CHECK_THAT(result.problem, Catch::Contains("chain.pem: missing"));
  CHECK(result.live_links_problem);
  REQUIRE(result.repairable());
  CHECK(*result.repair_version == 2);
}

TEST_CASE("lineage check: a dangling link is not repaired by rolling back to an older version") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  fs::remove(tree.paths().lineage_archive_dir("example.com") / "chain2.pem");
  LineageCheck result = check(tree.paths());
  CHECK_THAT(result.problem, Catch::Contains("chain.pem: points to ../../archive/example.com/"
                                             "chain2.pem, which does not exist"));
  CHECK(result.live_links_problem);
  // Version 1 is complete, but its key may be revoked or its certificate expired.
  CHECK_FALSE(result.repairable());
  std::string why;
  CHECK_FALSE(choose_repair_version(tree.paths(), lineage, why));
  CHECK_THAT(why, Catch::Contains("chain2.pem: missing"));
}

TEST_CASE("lineage check: links of an incomplete version move forward to a newer complete one") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  // A crash after version 2 was written, before the links left version 1.
  for (const auto& link : lineage.links()) {
    auto target = fs::read_symlink(link).string();
    fs::remove(link);
    fs::create_symlink(target.replace(target.find("2.pem"), 5, "1.pem"), link);
  }
  fs::remove(tree.paths().lineage_archive_dir("example.com") / "chain1.pem");
  LineageCheck result = check(tree.paths());
  REQUIRE(result.repairable());
  CHECK(*result.repair_version == 2);
}

TEST_CASE("lineage check: links that disagree never go below the newest version they name") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  fs::remove(lineage.privkey_path());
  fs::create_symlink("../../archive/example.com/privkey1.pem", lineage.privkey_path());
  fs::remove(tree.paths().lineage_archive_dir("example.com") / "cert2.pem");
  LineageCheck result = check(tree.paths());
  CHECK_FALSE(result.repairable());
  std::string why;
  CHECK_FALSE(choose_repair_version(tree.paths(), lineage, why));
  CHECK_THAT(why, Catch::Contains("cert2.pem: missing"));
}

TEST_CASE("lineage check: no repair is offered for a live directory outside config/live") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  // The conf names links in another directory, one of them missing there.
  auto elsewhere = tree.root() / "elsewhere";
  fs::create_directories(elsewhere);
  auto conf = tree.paths().renewal_conf("example.com");
  std::string text = slurp(conf);
  for (const char* kind : {"cert", "privkey", "chain", "fullchain"}) {
    auto line = std::string(kind) + " = " + lineage.live_dir().string() + "/" + kind + ".pem";
    auto at = text.find(line);
    REQUIRE(at != std::string::npos);
    text.replace(at, line.size(),
                 std::string(kind) + " = " + (elsewhere / (std::string(kind) + ".pem")).string());
  }
  spit(conf, text);
  LineageCheck result = check(tree.paths());
  CHECK_THAT(result.problem, Catch::Contains("cert.pem: missing"));
  CHECK_FALSE(result.repairable());
}

TEST_CASE("lineage check: an archive file may be a symlink to a regular file in config/archive") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  // certbot follows such links (storage.py's checks use os.path.exists).
  auto archive = tree.paths().lineage_archive_dir("example.com");
  fs::create_directories(tree.paths().archive_dir() / "shared");
  fs::rename(archive / "chain2.pem", tree.paths().archive_dir() / "shared" / "chain.pem");
  fs::create_symlink("../shared/chain.pem", archive / "chain2.pem");
  fs::rename(archive / "cert2.pem", archive / "cert2.real");
  fs::create_symlink(fs::absolute(archive / "cert2.real"), archive / "cert2.pem");
  LineageCheck result = check(tree.paths());
  CHECK(result.problem.empty());
  CHECK(result.ok());
}

TEST_CASE("lineage check: links at different versions are flagged") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  fs::remove(lineage.privkey_path());
  fs::create_symlink("../../archive/example.com/privkey1.pem", lineage.privkey_path());
  LineageCheck result = check(tree.paths());
  CHECK_THAT(result.problem, Catch::Contains("point at different versions"));
  CHECK_THAT(result.problem, Catch::Contains("privkey.pem -> privkey1.pem"));
  REQUIRE(result.repairable());
  CHECK(*result.repair_version == 2);
}

TEST_CASE("lineage check: a link out of the archive dir is flagged, never trusted") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  // A file of the right name elsewhere: a link may not lead there, even to a good certificate.
  fs::create_directories(tree.root() / "elsewhere");
  fs::copy_file(lineage.cert_path(), tree.root() / "elsewhere" / "cert2.pem");
  fs::remove(lineage.cert_path());
  fs::create_symlink(tree.root() / "elsewhere" / "cert2.pem", lineage.cert_path());
  LineageCheck result = check(tree.paths());
  CHECK_THAT(result.problem, Catch::Contains("outside the archive dir"));
  REQUIRE(result.repairable());
  CHECK(*result.repair_version == 2);
}

TEST_CASE("lineage check: a plain file in a link's place is not repairable") {
  TempTree tree;
  Lineage lineage = lineage_with_versions(tree.paths(), "example.com", 2);
  std::string pem = slurp(lineage.cert_path());
  fs::remove(lineage.cert_path());
  spit(lineage.cert_path(), pem);
  LineageCheck result = check(tree.paths());
  CHECK_THAT(result.problem, Catch::Contains("cert.pem: not a symlink"));
  CHECK(result.live_links_problem);
  CHECK_FALSE(result.repairable());
  std::string why;
  CHECK_FALSE(choose_repair_version(tree.paths(),
                                    Lineage::load_for_check(tree.paths(), "example.com"), why));
  CHECK_THAT(why, Catch::Contains("does not replace it"));
}

TEST_CASE("lineage check: a private key that does not match the certificate") {
  TempTree tree;
  lineage_with_versions(tree.paths(), "example.com", 2);
  auto archive = tree.paths().lineage_archive_dir("example.com");
  spit(archive / "privkey2.pem", make_certificate_files("other.example").privkey_pem);
  LineageCheck result = check(tree.paths());
  CHECK_THAT(result.problem, Catch::Contains("privkey2.pem: does not match cert2.pem"));
  CHECK_FALSE(result.live_links_problem);
  CHECK_FALSE(result.repairable());
}

TEST_CASE("lineage check: fullchain must be cert followed by chain") {
  TempTree tree;
  lineage_with_versions(tree.paths(), "example.com", 2);
  auto archive = tree.paths().lineage_archive_dir("example.com");
  spit(archive / "fullchain2.pem", slurp(archive / "cert2.pem"));
  CHECK_THAT(check(tree.paths()).problem,
             Catch::Contains("fullchain2.pem: not cert2.pem followed by chain2.pem"));
}

TEST_CASE("lineage check: hostile file contents are reported, not thrown") {
  TempTree tree;
  lineage_with_versions(tree.paths(), "example.com", 2);
  auto archive = tree.paths().lineage_archive_dir("example.com");
  SECTION("a certificate that is not PEM") {
    spit(archive / "cert2.pem", "-----BEGIN CERTIFICATE-----\n\x01\xff garbage\n");
    CHECK_THAT(check(tree.paths()).problem, Catch::Contains("cert2.pem: not a certificate"));
  }
  SECTION("an empty private key") {
    spit(archive / "privkey2.pem", "");
    CHECK_THAT(check(tree.paths()).problem, Catch::Contains("privkey2.pem: not a private key"));
  }
  SECTION("an archive file that is a symlink out of config/archive") {
    fs::remove(archive / "chain2.pem");
    fs::create_symlink("/etc/hostname", archive / "chain2.pem");
    CHECK_THAT(check(tree.paths()).problem,
               Catch::Contains("which is not a regular file inside") && Catch::Contains("archive"));
  }
  SECTION("an archive file that is a symlink to a directory or a dangling one") {
    fs::remove(archive / "chain2.pem");
    fs::create_directory_symlink("..", archive / "chain2.pem");
    CHECK_THAT(check(tree.paths()).problem, Catch::Contains("which is not a regular file"));
    fs::remove(archive / "chain2.pem");
    fs::create_symlink("chain9.pem", archive / "chain2.pem");
    CHECK_THAT(check(tree.paths()).problem, Catch::Contains("which does not exist"));
  }
  SECTION("a link to a name that is no archive version") {
    auto link = tree.paths().lineage_live_dir("example.com") / "chain.pem";
    fs::remove(link);
    fs::create_symlink("../../archive/example.com/cert2.pem", link);
    CHECK_THAT(check(tree.paths()).problem, Catch::Contains("not a chainN.pem file"));
  }
}

TEST_CASE("check_archive_version names the first missing file") {
  TempTree tree;
  lineage_with_versions(tree.paths(), "example.com", 2);
  auto archive = tree.paths().lineage_archive_dir("example.com");
  CHECK(check_archive_version(tree.paths(), archive, 1).empty());
  CHECK_THAT(check_archive_version(tree.paths(), archive, 3),
             Catch::Contains("cert3.pem: missing"));
}
