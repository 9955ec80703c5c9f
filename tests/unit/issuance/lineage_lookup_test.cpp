#include "issuance/lineage_lookup.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace certsmith;

TEST_CASE("lineage_exists answers from renewal/NAME.conf", "[lineage_lookup]") {
  char pattern[] = "/tmp/certsmith-lookup-XXXXXX";
  std::filesystem::path root = mkdtemp(pattern);
  auto paths = store::TreePaths::under(root);
  CHECK_FALSE(issuance::lineage_exists(paths, "a.example.com")); // no renewal/ at all
  std::filesystem::create_directories(paths.renewal_conf("a.example.com").parent_path());
  std::ofstream(paths.renewal_conf("a.example.com")) << "version = 2.0.0\n";
  CHECK(issuance::lineage_exists(paths, "a.example.com"));
  CHECK_FALSE(issuance::lineage_exists(paths, "b.example.com"));
  std::filesystem::remove_all(root);
}

TEST_CASE("an unanswerable lookup is a StorageError naming the path, not an internal error",
          "[lineage_lookup]") {
  char pattern[] = "/tmp/certsmith-lookup-XXXXXX";
  std::filesystem::path root = mkdtemp(pattern);
  auto paths = store::TreePaths::under(root);
  auto conf = paths.renewal_conf("loop.example.com");
  std::filesystem::create_directories(conf.parent_path());
  // A symlink to itself fails with ELOOP even for root (EACCES would need a
  // non-root user, as against /etc/letsencrypt).
  std::filesystem::create_symlink(conf.filename(), conf);
  try {
    issuance::lineage_exists(paths, "loop.example.com");
    FAIL("no error");
  } catch (const StorageError& error) {
    CHECK_THAT(error.what(), Catch::Contains(conf.string()));
  }
  std::filesystem::remove_all(root);
}
