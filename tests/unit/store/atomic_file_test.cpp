#include "store/atomic_file.hpp"
#include "store_fixtures.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>

using certsmith::StorageError;
using namespace certsmith::store;
using certsmith::store::test::mode_of;
using certsmith::store::test::slurp;
using certsmith::store::test::spit;
using certsmith::store::test::TempTree;
namespace fs = std::filesystem;

TEST_CASE("atomic file: writes content with the exact mode, whatever the umask",
          "[store][atomic]") {
  TempTree tree;
  auto path = tree.root() / "key.pem";
  mode_t old_umask = ::umask(0);
  write_file_atomic(path, "secret", 0600);
  ::umask(0077);
  write_file_atomic(tree.root() / "public.pem", "public", 0644);
  ::umask(old_umask);
  CHECK(slurp(path) == "secret");
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(tree.root() / "public.pem") == 0644);

  write_file_atomic(path, "replaced", 0400);
  CHECK(slurp(path) == "replaced");
  CHECK(mode_of(path) == 0400);
  // Only the two files: no temp file left behind.
  CHECK(std::distance(fs::directory_iterator(tree.root()), fs::directory_iterator()) == 2);
}

TEST_CASE("atomic file: replacing a symlink replaces the link, not its target", "[store][atomic]") {
  TempTree tree;
  spit(tree.root() / "target", "original");
  fs::create_symlink(tree.root() / "target", tree.root() / "link");
  write_file_atomic(tree.root() / "link", "new", 0644);
  CHECK(slurp(tree.root() / "target") == "original");
  CHECK_FALSE(fs::is_symlink(tree.root() / "link"));
  CHECK(slurp(tree.root() / "link") == "new");
}

TEST_CASE("atomic file: failures are StorageErrors naming the path", "[store][atomic]") {
  TempTree tree;
  auto missing_dir = tree.root() / "no" / "such" / "file";
  CHECK_THROWS_WITH(write_file_atomic(missing_dir, "x", 0644),
                    Catch::StartsWith(missing_dir.string() + ": cannot create"));
  fs::create_directories(tree.root() / "a-directory");
  CHECK_THROWS_AS(write_file_atomic(tree.root() / "a-directory", "x", 0644), StorageError);
}

TEST_CASE("atomic file: read_file reports missing, too large and unreadable", "[store][atomic]") {
  TempTree tree;
  auto path = tree.root() / "f";
  CHECK_THROWS_WITH(read_file(path, 10), path.string() + ": no such file");
  spit(path, "0123456789");
  CHECK(read_file(path, 10) == "0123456789");
  CHECK_THROWS_WITH(read_file(path, 9), path.string() + ": larger than 9 bytes");
  CHECK_THROWS_WITH(read_file(tree.root(), 10), tree.root().string() + ": not a regular file");
  fs::create_symlink(tree.root() / "nowhere", tree.root() / "dangling");
  CHECK_THROWS_WITH(read_file(tree.root() / "dangling", 10),
                    (tree.root() / "dangling").string() + ": no such file");
}

TEST_CASE("atomic file: make_private_dirs creates parents with the exact mode", "[store][atomic]") {
  TempTree tree;
  mode_t old_umask = ::umask(0);
  make_private_dirs(tree.root() / "a" / "b" / "c", 0700);
  ::umask(old_umask);
  CHECK(mode_of(tree.root() / "a") == 0700);
  CHECK(mode_of(tree.root() / "a" / "b" / "c") == 0700);
  // Existing directories are left alone.
  ::chmod((tree.root() / "a").c_str(), 0755);
  make_private_dirs(tree.root() / "a" / "b" / "d", 0700);
  CHECK(mode_of(tree.root() / "a") == 0755);
  CHECK(mode_of(tree.root() / "a" / "b" / "d") == 0700);

  spit(tree.root() / "file", "x");
  CHECK_THROWS_WITH(make_private_dirs(tree.root() / "file" / "sub", 0700),
                    (tree.root() / "file").string() + ": exists and is not a directory");
}

TEST_CASE("atomic file: a name as long as the file system allows can be written",
          "[store][atomic]") {
  // certbot lineages may be named up to 250 bytes: "<name>.conf" is 255, and
  // the temp file beside it must still fit in NAME_MAX.
  TempTree tree;
  auto path = tree.root() / (std::string(250, 'x') + ".conf");
  write_file_atomic(path, "v1", 0644);
  write_file_atomic(path, "v2", 0644);
  CHECK(slurp(path) == "v2");
  CHECK(temp_sibling(path, "tmp").filename().string().size() <= 255);
}
